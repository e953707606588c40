#include "redis/redis_url.hh"

#include <doctest/doctest.h>

namespace zrb {

namespace {

RedisUrl parse_ok(std::string_view text) {
  std::string error;
  auto url = RedisUrl::parse(text, &error);
  INFO("url: ", std::string(text), " error: ", error);
  REQUIRE(url.has_value());
  return *url;
}

std::string parse_error(std::string_view text) {
  std::string error;
  auto url = RedisUrl::parse(text, &error);
  INFO("url: ", std::string(text));
  REQUIRE_FALSE(url.has_value());
  REQUIRE_FALSE(error.empty());
  return error;
}

}  // namespace

TEST_CASE("RedisUrl: defaults") {
  RedisUrl url;
  CHECK(url.transport == RedisUrl::Transport::tcp);
  CHECK(url.host == "127.0.0.1");
  CHECK(url.port == 6379);
  CHECK(url.db == 0);
  CHECK_FALSE(url.needs_auth());
}

TEST_CASE("RedisUrl: host, port, database") {
  auto url = parse_ok("redis://redis.example:6380/3");
  CHECK(url.host == "redis.example");
  CHECK(url.port == 6380);
  CHECK(url.db == 3);
  CHECK(url.masked() == "redis://redis.example:6380/3");

  url = parse_ok("redis://localhost");
  CHECK(url.host == "localhost");
  CHECK(url.port == 6379);
  CHECK(url.db == 0);
  CHECK(url.masked() == "redis://localhost:6379");

  url = parse_ok("redis://localhost/");
  CHECK(url.db == 0);

  url = parse_ok("redis://[::1]:7000/2");
  CHECK(url.host == "::1");
  CHECK(url.port == 7000);
  CHECK(url.db == 2);
  CHECK(url.masked() == "redis://[::1]:7000/2");

  url = parse_ok("redis://[fe80::1]");
  CHECK(url.host == "fe80::1");
  CHECK(url.port == 6379);
}

TEST_CASE("RedisUrl: user and password") {
  auto url = parse_ok("redis://bridge:s3cret@127.0.0.1:6379/1");
  CHECK(url.user == "bridge");
  CHECK(url.password == "s3cret");
  CHECK(url.needs_auth());
  CHECK(url.masked() == "redis://bridge:***@127.0.0.1:6379/1");

  // Password only, the usual legacy form.
  url = parse_ok("redis://:s3cret@host");
  CHECK(url.user.empty());
  CHECK(url.password == "s3cret");
  CHECK(url.masked() == "redis://:***@host:6379");

  // A user without a password is a password (legacy AUTH).
  url = parse_ok("redis://s3cret@host");
  CHECK(url.user.empty());
  CHECK(url.password == "s3cret");
  CHECK(url.masked() == "redis://:***@host:6379");

  // Percent-encoding, and a raw '@' in the password (the last '@' counts).
  url = parse_ok("redis://us%40er:p%3Aa%2Fss%25@host");
  CHECK(url.user == "us@er");
  CHECK(url.password == "p:a/ss%");
  CHECK(url.masked() == "redis://us%40er:***@host:6379");
  url = parse_ok("redis://user:p@ss@host");
  CHECK(url.user == "user");
  CHECK(url.password == "p@ss");

  // An ACL user with an empty password.
  url = parse_ok("redis://bridge:@host");
  CHECK(url.user == "bridge");
  CHECK(url.password.empty());
  CHECK(url.needs_auth());
  CHECK(url.masked() == "redis://bridge:***@host:6379");
}

TEST_CASE("RedisUrl: the password never appears in masked() or errors") {
  auto url = parse_ok("redis://u:TopSecret99@host:1/2");
  CHECK(url.masked().find("TopSecret99") == std::string::npos);
  std::string error = parse_error("redis://u:TopSecret99%zz@host");
  CHECK(error.find("TopSecret99") == std::string::npos);
  CHECK(error.find("percent") != std::string::npos);
  error = parse_error("redis://u:TopSecret99@host:99999");
  CHECK(error.find("TopSecret99") == std::string::npos);
}

TEST_CASE("RedisUrl: unix sockets") {
  auto url = parse_ok("unix:///run/redis/redis.sock");
  CHECK(url.transport == RedisUrl::Transport::unix_socket);
  CHECK(url.socket_path == "/run/redis/redis.sock");
  CHECK(url.db == 0);
  CHECK(url.masked() == "unix:///run/redis/redis.sock");

  url = parse_ok("unix:///run/redis/redis.sock?db=4");
  CHECK(url.socket_path == "/run/redis/redis.sock");
  CHECK(url.db == 4);
  CHECK(url.masked() == "unix:///run/redis/redis.sock?db=4");

  url = parse_ok("unix://bridge:pw@/run/redis/r.sock?db=1");
  CHECK(url.user == "bridge");
  CHECK(url.password == "pw");
  CHECK(url.socket_path == "/run/redis/r.sock");
  CHECK(url.masked() == "unix://bridge:***@/run/redis/r.sock?db=1");
}

TEST_CASE("RedisUrl: errors say what is wrong") {
  CHECK(parse_error("rediss://host:6380").find("TLS") != std::string::npos);
  CHECK(parse_error("rediss://host:6380").find("sidecar") != std::string::npos);
  CHECK(parse_error("localhost:6379").find("not a Redis URL") != std::string::npos);
  CHECK(parse_error("http://host").find("unknown URL scheme 'http'") != std::string::npos);
  CHECK(parse_error("redis://").find("missing host") != std::string::npos);
  CHECK(parse_error("redis://:pw@:6379").find("missing host") != std::string::npos);
  CHECK(parse_error("redis://host:").find("empty port") != std::string::npos);
  CHECK(parse_error("redis://host:0").find("bad port '0'") != std::string::npos);
  CHECK(parse_error("redis://host:65536").find("bad port") != std::string::npos);
  CHECK(parse_error("redis://host:63a").find("bad port") != std::string::npos);
  CHECK(parse_error("redis://host/x").find("bad database number 'x'") != std::string::npos);
  CHECK(parse_error("redis://host/-1").find("bad database") != std::string::npos);
  CHECK(parse_error("redis://host/99999999999").find("bad database") != std::string::npos);
  CHECK(parse_error("redis://::1:6379").find("brackets") != std::string::npos);
  CHECK(parse_error("redis://[::1").find("']'") != std::string::npos);
  CHECK(parse_error("redis://[::1]x").find("after ']'") != std::string::npos);
  CHECK(parse_error("unix://").find("missing socket path") != std::string::npos);
  CHECK(parse_error("unix:///").find("empty socket path") != std::string::npos);
  CHECK(parse_error("unix://host/run/redis/r.sock").find("unexpected host") != std::string::npos);
  CHECK(parse_error("unix:///run/redis/r.sock?database=1").find("unknown query") !=
        std::string::npos);
  CHECK(parse_error("unix:///run/redis/r.sock?db=x").find("bad database") != std::string::npos);
  // A null error pointer is allowed.
  CHECK_FALSE(RedisUrl::parse("nope", nullptr).has_value());
}

TEST_CASE("RedisUrl: masked() parses back to the same URL, password aside") {
  for (const char* text : {"redis://h:1/2", "redis://a%20b:x@[::1]:3/4", "redis://:x@h",
                           "unix:///s.sock?db=3", "unix://u:p@/s.sock"}) {
    auto url = parse_ok(text);
    auto again = parse_ok(url.masked());
    CHECK(again.masked() == url.masked());
    CHECK(again.user == url.user);
    CHECK(again.host == url.host);
    CHECK(again.port == url.port);
    CHECK(again.socket_path == url.socket_path);
    CHECK(again.db == url.db);
  }
}

}  // namespace zrb
