#include "intel/intel_snapshot.hh"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/eventually.hh"
#include "support/redis_server.hh"

namespace zrb {

namespace {

IntelUpdate parse_one(std::string_view json) {
  auto parsed = parse_intel_message(json, IntelLimits{});
  REQUIRE(parsed.rejections.empty());
  REQUIRE(parsed.updates.size() == 1);
  return parsed.updates.front();
}

std::string hget(RedisContext& conn, std::string_view key, std::string_view field) {
  auto reply = conn.command({"HGET", key, field});
  REQUIRE(reply);
  return reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : "";
}

}  // namespace

TEST_CASE("snapshot field: type and canonical indicator, so spellings meet and types do not") {
  auto a = parse_one(R"({"indicator":"2001:DB8:0::1","type":"ADDR","meta":{"source":"s"}})");
  CHECK(snapshot_field(a) == "Intel::ADDR 2001:db8::1");
  auto s = parse_one(R"({"indicator":"10.1.2.3/8","type":"SUBNET","meta":{"source":"s"}})");
  CHECK(snapshot_field(s) == "Intel::SUBNET 10.0.0.0/8");
  auto d = parse_one(R"({"indicator":"a b","type":"DOMAIN","meta":{"source":"s"}})");
  auto u = parse_one(R"({"indicator":"a b","type":"USER_NAME","meta":{"source":"s"}})");
  CHECK(snapshot_field(d) == "Intel::DOMAIN a b");
  CHECK(snapshot_field(d) != snapshot_field(u));
}

TEST_CASE("snapshot value round trip: meta kept, expiry made absolute and then remaining") {
  auto u =
      parse_one(R"({"indicator":"198.51.100.7","type":"ADDR","meta":{"source":"feed","desc":"C2",)"
                R"("url":"https://x","expire":100}})");
  std::string value = snapshot_value(u, 1000.0);
  auto doc = nlohmann::json::parse(value);
  CHECK(doc["expire_at"].get<double>() == doctest::Approx(1100.0));
  CHECK(doc["meta"]["desc"] == "C2");
  std::string why;
  auto back = read_snapshot_value(value, 1040.0, &why);
  REQUIRE(back);
  CHECK(back->indicator == u.indicator);
  CHECK(back->type == "Intel::ADDR");
  CHECK(back->source == "feed");
  CHECK(back->desc == "C2");
  CHECK(back->url == "https://x");
  CHECK(back->expire == doctest::Approx(60.0));

  CHECK_FALSE(read_snapshot_value(value, 1100.0, &why));
  CHECK(why == "expired");

  auto never = parse_one(R"({"indicator":"x.example","type":"DOMAIN","meta":{"source":"f"}})");
  auto kept = read_snapshot_value(snapshot_value(never, 5.0), 1e12, &why);
  REQUIRE(kept);
  CHECK(kept->expire == 0);
}

TEST_CASE("snapshot values written by someone else are checked like producers' messages") {
  std::string why;
  CHECK_FALSE(read_snapshot_value("not json", 0, &why));
  CHECK(why.rfind("invalid_json", 0) == 0);
  CHECK_FALSE(read_snapshot_value(
      R"({"indicator":"1.2.3.999","type":"ADDR","meta":{"source":"f"}})", 0, &why));
  CHECK(why.rfind("bad_address", 0) == 0);
  CHECK_FALSE(read_snapshot_value(
      R"({"action":"remove","indicator":"a","type":"DOMAIN","meta":{"source":"f"}})", 0, &why));
  CHECK_FALSE(read_snapshot_value(
      R"({"indicator":"a","type":"DOMAIN","meta":{"source":"f"},"expire_at":"soon"})", 0, &why));
  CHECK(why == "expire_at is not a number");
}

TEST_CASE("IntelSnapshot writes adds and removes through the writer, binary-safe") {
  test::RedisServer redis;
  WriterOptions wo;
  wo.url = redis.url();
  RedisWriter writer(wo);
  IntelSnapshot snapshot(SnapshotOptions{}, writer);
  auto conn = redis.client();

  // A source with CRLF and a NUL in its name, and an indicator with them.
  std::string source("feed\r\n\0x", 8);
  IntelUpdate add;
  add.type = "Intel::DOMAIN";
  add.indicator = std::string("evil\r\n\0.example", 15);
  add.source = source;
  add.expire = 30;
  snapshot.record(add);
  writer.flush();
  std::string key = "zeek:intel:snapshot:" + source;
  std::string field = "Intel::DOMAIN " + std::get<std::string>(add.indicator.variant());
  auto stored = [&] { return !hget(conn, key, field).empty(); };
  REQUIRE(test::eventually(stored));
  auto back = read_snapshot_value(hget(conn, key, field), unix_now(), nullptr);
  REQUIRE(back);
  CHECK(back->indicator == add.indicator);
  CHECK(back->source == source);
  CHECK(back->expire > 25);
  auto member = conn.command({"SISMEMBER", "zeek:intel:sources", source});
  REQUIRE(member);
  CHECK(member->integer == 1);

  IntelUpdate remove = add;
  remove.action = IntelAction::remove;
  snapshot.record(remove);
  writer.flush();
  REQUIRE(test::eventually([&] { return !stored(); }));
}

}  // namespace zrb
