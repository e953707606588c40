#include "redis/redis_context.hh"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "support/redis_server.hh"

namespace zrb {

namespace {

using std::chrono::milliseconds;

std::optional<RedisContext> try_connect(const RedisUrl& url, std::string& error) {
  return RedisContext::connect(url, milliseconds(2000), milliseconds(5000), &error);
}

std::string text_of(const RedisReply& reply) {
  REQUIRE(reply);
  return std::string(reply->str, reply->len);
}

}  // namespace

TEST_CASE("RedisContext: commands are binary-safe") {
  test::RedisServer redis;
  auto conn = redis.client();
  std::string key("k\0ey\r\n", 6);
  std::string value("va\0lue\r\n*1\r\n$3\r\nFOO", 20);
  auto set = conn.command({"SET", key, value});
  REQUIRE(set);
  CHECK_FALSE(reply_error(*set));
  CHECK(text_of(conn.command({"GET", key})) == value);
  CHECK(conn.command({"EXISTS", std::string_view("k", 1)})->integer == 0);
  CHECK(conn.ok());
  CHECK(conn.error().empty());
}

TEST_CASE("RedisContext: error replies are replies") {
  test::RedisServer redis;
  auto conn = redis.client();
  auto reply = conn.command({"NOSUCHCOMMAND", "x"});
  REQUIRE(reply);
  auto error = reply_error(*reply);
  REQUIRE(error);
  CHECK(error->substr(0, 3) == "ERR");
  CHECK(conn.ok());  // the connection survives an error reply
  auto ping = conn.command({"PING"});
  REQUIRE(ping);
  CHECK_FALSE(reply_error(*ping));
}

TEST_CASE("RedisContext: a pipeline of preformatted commands") {
  test::RedisServer redis;
  auto conn = redis.client();
  std::string resp =
      "*3\r\n$5\r\nRPUSH\r\n$1\r\nL\r\n$1\r\na\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nL\r\n$1\r\nb\r\n";
  REQUIRE(conn.append_formatted(resp));
  auto first = conn.get_reply();
  auto second = conn.get_reply();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->integer == 1);
  CHECK(second->integer == 2);
}

TEST_CASE("RedisContext: connection refused is reported as text") {
  RedisUrl url;
  {
    test::RedisServer redis;
    url = redis.url();
  }  // stopped: nothing listens on its port now
  std::string error;
  CHECK_FALSE(try_connect(url, error));
  CHECK(error.rfind("connect: ", 0) == 0);
  CHECK(error.find("refused") != std::string::npos);
}

TEST_CASE("RedisContext: AUTH with a password (requirepass)") {
  test::RedisServer redis({"--requirepass", "s3cret pass"});
  RedisUrl url = redis.url();
  std::string error;

  CHECK_FALSE(try_connect(url, error));  // PING answers NOAUTH
  CHECK(error.rfind("PING: NOAUTH", 0) == 0);

  url.password = "wrong";
  CHECK_FALSE(try_connect(url, error));
  CHECK(error.rfind("AUTH: WRONGPASS", 0) == 0);

  url.password = "s3cret pass";
  auto conn = try_connect(url, error);
  INFO(error);
  REQUIRE(conn);
  CHECK(text_of(conn->command({"ECHO", "in"})) == "in");
}

TEST_CASE("RedisContext: AUTH with an ACL user, and SELECT") {
  test::RedisServer redis;
  {
    auto admin = redis.client();
    auto reply = admin.command({"ACL", "SETUSER", "bridge", "on", ">p@ss:w/rd", "~zeek:*",
                                "resetchannels", "&zeek:*", "+@all"});
    REQUIRE(reply);
    REQUIRE_FALSE(reply_error(*reply));
    // A least-privilege user that may only XADD: no PING.
    reply = admin.command({"ACL", "SETUSER", "xadder", "on", ">pw", "~zeek:*", "+xadd"});
    REQUIRE_FALSE(reply_error(*reply));
  }
  std::string error;
  auto url = RedisUrl::parse(
      "redis://bridge:p%40ss%3Aw%2Frd@127.0.0.1:" + std::to_string(redis.port()) + "/5", &error);
  REQUIRE(url);
  auto conn = try_connect(*url, error);
  INFO(error);
  REQUIRE(conn);
  CHECK(text_of(conn->command({"ACL", "WHOAMI"})) == "bridge");
  REQUIRE_FALSE(reply_error(*conn->command({"SET", "zeek:k", "in db 5"})));
  auto denied = conn->command({"SET", "other", "x"});
  REQUIRE(reply_error(*denied));
  CHECK(reply_error(*denied)->substr(0, 6) == "NOPERM");

  // The key went to database 5, not 0.
  auto admin = redis.client();
  CHECK(admin.command({"EXISTS", "zeek:k"})->integer == 0);
  REQUIRE_FALSE(reply_error(*admin.command({"SELECT", "5"})));
  CHECK(text_of(admin.command({"GET", "zeek:k"})) == "in db 5");

  // Wrong password for the user.
  url->password = "nope";
  CHECK_FALSE(try_connect(*url, error));
  CHECK(error.rfind("AUTH: WRONGPASS", 0) == 0);

  // NOPERM on PING still means authenticated.
  RedisUrl xadder = redis.url();
  xadder.user = "xadder";
  xadder.password = "pw";
  auto limited = try_connect(xadder, error);
  INFO(error);
  REQUIRE(limited);
  REQUIRE_FALSE(reply_error(*limited->command({"XADD", "zeek:s", "*", "json", "{}"})));
}

TEST_CASE("RedisContext: a database that does not exist") {
  test::RedisServer redis({"--databases", "4"});
  RedisUrl url = redis.url();
  url.db = 4;
  std::string error;
  CHECK_FALSE(try_connect(url, error));
  CHECK(error.rfind("SELECT: ERR", 0) == 0);
  url.db = 3;
  CHECK(try_connect(url, error));
}

TEST_CASE("RedisContext: Unix socket with a database") {
  test::RedisServer redis({}, test::RedisServer::with_unix_socket);
  std::string error;
  auto url = RedisUrl::parse("unix://" + redis.socket_path() + "?db=2", &error);
  REQUIRE(url);
  auto conn = try_connect(*url, error);
  INFO(error);
  REQUIRE(conn);
  REQUIRE_FALSE(reply_error(*conn->command({"SET", "over", "unix"})));
  auto admin = redis.client();
  REQUIRE_FALSE(reply_error(*admin.command({"SELECT", "2"})));
  CHECK(text_of(admin.command({"GET", "over"})) == "unix");

  url->socket_path += ".missing";
  CHECK_FALSE(try_connect(*url, error));
  CHECK(error.rfind("connect: ", 0) == 0);
}

TEST_CASE("RedisContext: the I/O timeout turns a silent server into an error") {
  test::RedisServer redis;
  auto admin = redis.client();
  RedisUrl url = redis.url();
  std::string error;
  auto conn = RedisContext::connect(url, milliseconds(2000), milliseconds(300), &error);
  REQUIRE(conn);
  // CLIENT PAUSE holds every client's commands without an answer (the
  // admin's too, so there is no UNPAUSE: the pause just runs out).
  REQUIRE_FALSE(reply_error(*admin.command({"CLIENT", "PAUSE", "1000", "ALL"})));
  auto start = std::chrono::steady_clock::now();
  auto reply = conn->command({"PING"});
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(reply);
  CHECK_FALSE(conn->ok());
  CHECK_FALSE(conn->error().empty());
  CHECK(waited < milliseconds(900));
}

}  // namespace zrb
