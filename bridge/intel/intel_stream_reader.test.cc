#include "intel/intel_stream_reader.hh"

#include <doctest/doctest.h>

#include <algorithm>

#include "support/eventually.hh"
#include "support/redis_server.hh"

namespace zrb {

namespace {

IntelStreamOptions options_for(const test::RedisServer& redis) {
  IntelStreamOptions o;
  o.redis.url = redis.url();
  o.redis.backoff_initial = std::chrono::milliseconds(10);
  o.streams = {"s1", "s2"};
  o.consumer = "me";
  o.count = 2;  // pages through pending entries
  o.block = std::chrono::milliseconds(100);
  return o;
}

std::string xadd(RedisContext& conn, std::string_view stream, std::string_view field,
                 std::string_view value) {
  auto reply = conn.command({"XADD", stream, "*", field, value});
  REQUIRE(reply);
  REQUIRE(reply->type == REDIS_REPLY_STRING);
  return std::string(reply->str, reply->len);
}

}  // namespace

TEST_CASE("stream reader: this consumer's pending entries first, then new ones; never acks") {
  test::RedisServer redis;
  auto conn = redis.client();
  REQUIRE(conn.command({"XGROUP", "CREATE", "s1", "zeek-redis-bridge", "0", "MKSTREAM"}));
  std::vector<std::string> old;
  for (int i = 0; i < 5; ++i) old.push_back(xadd(conn, "s1", "intel", "old" + std::to_string(i)));
  // Read by "me" before (a crash), one of them deleted since; one by another consumer.
  REQUIRE(conn.command(
      {"XREADGROUP", "GROUP", "zeek-redis-bridge", "me", "COUNT", "4", "STREAMS", "s1", ">"}));
  REQUIRE(conn.command({"XDEL", "s1", old[1]}));
  REQUIRE(conn.command(
      {"XREADGROUP", "GROUP", "zeek-redis-bridge", "other", "COUNT", "1", "STREAMS", "s1", ">"}));
  std::string fresh = xadd(conn, "s2", "other-field", "x");

  IntelStreamReader reader(options_for(redis));
  auto got = test::take<IntelStreamEntry>(reader, 5);
  REQUIRE(got.size() == 5);
  // Pending of "me" in order (the deleted one flagged), then the new entry of s2.
  CHECK(got[0].id == old[0]);
  CHECK(got[0].payload == std::optional<std::string>("old0"));
  CHECK(got[1].id == old[1]);
  CHECK(got[1].deleted);
  CHECK(got[2].id == old[2]);
  CHECK(got[3].id == old[3]);
  CHECK(got[4].stream == "s2");
  CHECK(got[4].id == fresh);
  CHECK_FALSE(got[4].payload);
  CHECK_FALSE(got[4].deleted);

  std::string live = xadd(conn, "s1", "intel", "live");
  auto more = test::take<IntelStreamEntry>(reader, 1);
  REQUIRE(more.size() == 1);
  CHECK(more[0].id == live);
  // The reader never acknowledges: that is the main thread's job after hand-over.
  auto mine = conn.command({"XPENDING", "s1", "zeek-redis-bridge", "-", "+", "10", "me"});
  REQUIRE(mine);
  std::vector<std::string> ids;
  for (size_t i = 0; i < mine->elements; ++i)
    ids.emplace_back(mine->element[i]->element[0]->str, mine->element[i]->element[0]->len);
  CHECK(std::count(ids.begin(), ids.end(), old[0]) == 1);
  CHECK(std::count(ids.begin(), ids.end(), live) == 1);
}

TEST_CASE("stream reader: resumes after Redis restarts empty (group created again)") {
  test::RedisServer redis;
  IntelStreamReader reader(options_for(redis));
  {
    auto conn = redis.client();
    xadd(conn, "s1", "intel", "before");
  }
  REQUIRE(test::take<IntelStreamEntry>(reader, 1).size() == 1);
  redis.kill();
  redis.start();
  auto conn = redis.client();
  std::string id;
  std::vector<IntelStreamEntry> got;
  // XADD may come before or after the reader creates the group again: from
  // ID 0, it is read either way.
  id = xadd(conn, "s1", "intel", "after");
  got = test::take<IntelStreamEntry>(reader, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].id == id);
  CHECK(got[0].payload == std::optional<std::string>("after"));
}

TEST_CASE("stream reader: needs a stream") {
  CHECK_THROWS_AS(IntelStreamReader(IntelStreamOptions{}), std::invalid_argument);
}

}  // namespace zrb
