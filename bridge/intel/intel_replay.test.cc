#include "intel/intel_replay.hh"

#include <doctest/doctest.h>

#include "observe/counters.hh"
#include "support/eventually.hh"
#include "support/redis_server.hh"
#include "support/test_observe.hh"

namespace zrb {

namespace {

ReplayOptions options_for(const test::RedisServer& redis) {
  ReplayOptions o;
  o.redis.url = redis.url();
  o.redis.backoff_initial = std::chrono::milliseconds(10);
  o.chunk = 7;       // several HSCAN rounds for the sets below
  o.max_queued = 5;  // the reader has to wait for the consumer
  return o;
}

void put(RedisContext& conn, const std::string& source, const IntelUpdate& u, double now) {
  std::string key = "zeek:intel:snapshot:" + source;
  REQUIRE(conn.command({"HSET", key, snapshot_field(u), snapshot_value(u, now)}));
  REQUIRE(conn.command({"SADD", "zeek:intel:sources", source}));
}

IntelUpdate domain(std::string name, std::string source, double expire = 0) {
  IntelUpdate u;
  u.type = "Intel::DOMAIN";
  u.indicator = std::move(name);
  u.source = std::move(source);
  u.expire = expire;
  return u;
}

// The indicators of `items`, and the indicator counts of the ends of passes.
std::vector<IntelUpdate> updates(const std::vector<ReplayItem>& items,
                                 std::vector<uint64_t>* ends = nullptr) {
  std::vector<IntelUpdate> out;
  for (const auto& item : items) {
    if (const auto* u = std::get_if<IntelUpdate>(&item))
      out.push_back(*u);
    else if (ends)
      ends->push_back(std::get<ReplayEnd>(item).indicators);
  }
  return out;
}

}  // namespace

TEST_CASE("replay: every source's current, unexpired indicators, with the remaining expiry") {
  test::RedisServer redis;
  auto conn = redis.client();
  double now = unix_now();
  for (int i = 0; i < 40; ++i)
    put(conn, "a", domain("a" + std::to_string(i) + ".example", "a"), now);
  put(conn, "b", domain("b.example", "b", 600), now);
  put(conn, "b", domain("gone.example", "b", 1), now - 5);  // expired
  REQUIRE(conn.command({"HSET", "zeek:intel:snapshot:b", "junk", "{not json"}));
  REQUIRE(conn.command({"SADD", "zeek:intel:sources", "empty"}));  // no hash: nothing

  test::Delta expired("intel_replay_skipped", "expired");
  test::Delta invalid("rejected", "intel_snapshot_invalid");
  test::Delta pruned("intel_snapshot_pruned");
  IntelReplay replay(options_for(redis));
  std::vector<ReplayItem> none;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(replay.poll(none, 10) == 0);  // nothing before a request

  replay.request();
  auto items = test::take<ReplayItem>(replay, 42);
  REQUIRE(items.size() == 42);
  // The end of the pass comes last, with the number of indicators before it.
  REQUIRE(std::holds_alternative<ReplayEnd>(items.back()));
  CHECK(std::get<ReplayEnd>(items.back()).indicators == 41);
  std::vector<uint64_t> ends;
  auto got = updates(items, &ends);
  REQUIRE(got.size() == 41);
  CHECK(ends.size() == 1);
  REQUIRE(test::eventually([&] { return replay.finished() == 1; }));
  std::vector<ReplayItem> more;
  CHECK(replay.poll(more, 10) == 0);
  CHECK(expired() == 1);
  CHECK(invalid() == 1);
  // The expired entry was deleted from the snapshot; the invalid one is left.
  auto left = conn.command({"HLEN", "zeek:intel:snapshot:b"});
  REQUIRE(left);
  CHECK(left->integer == 2);
  bool found = false;
  for (const auto& u : got) {
    if (u.indicator == Value("b.example")) {
      found = true;
      CHECK(u.expire > 590);
      CHECK(u.expire <= 600);
    }
    CHECK(u.indicator != Value("gone.example"));
  }
  CHECK(found);
  CHECK(pruned() == 1);
}

TEST_CASE("replay: requests during a replay queue exactly one more") {
  test::RedisServer redis;
  auto conn = redis.client();
  double now = unix_now();
  for (int i = 0; i < 30; ++i) put(conn, "a", domain(std::to_string(i), "a"), now);
  IntelReplay replay(options_for(redis));
  replay.request();
  // The queue holds 5: the first replay waits for us; ask three more times.
  std::vector<ReplayItem> first;
  REQUIRE(test::eventually([&] { return replay.poll(first, 1) == 1; }));
  replay.request();
  replay.request();
  replay.request();
  auto rest = test::take<ReplayItem>(replay, 61);
  CHECK(first.size() + rest.size() == 62);
  // Each of the two passes ends with its own end, after its 30 indicators.
  rest.insert(rest.begin(), first.begin(), first.end());
  std::vector<uint64_t> ends;
  CHECK(updates(rest, &ends).size() == 60);
  CHECK(ends == std::vector<uint64_t>{30, 30});
  REQUIRE(rest.size() == 62);
  CHECK(std::holds_alternative<ReplayEnd>(rest[30]));
  CHECK(std::holds_alternative<ReplayEnd>(rest[61]));
  REQUIRE(test::eventually([&] { return replay.finished() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(replay.finished() == 2);
  std::vector<ReplayItem> none;
  CHECK(replay.poll(none, 10) == 0);
}

TEST_CASE("replay: a snapshot Redis refuses to read still ends, with no indicators") {
  test::RedisServer redis;
  auto conn = redis.client();
  // SMEMBERS of a string: WRONGTYPE, which retrying does not fix.
  REQUIRE(conn.command({"SET", "zeek:intel:sources", "not a set"}));
  IntelReplay replay(options_for(redis));
  replay.request();
  std::vector<uint64_t> ends;
  CHECK(updates(test::take<ReplayItem>(replay, 1), &ends).empty());
  CHECK(ends == std::vector<uint64_t>{0});
}

TEST_CASE("replay: waits for Redis and stops at once while it waits") {
  test::RedisServer redis;
  auto conn = redis.client();
  put(conn, "a", domain("late.example", "a"), unix_now());
  // Redis refuses new connections (NOAUTH) until the password is cleared;
  // this connection stays authenticated.
  REQUIRE(conn.command({"CONFIG", "SET", "requirepass", "secret"}));
  auto o = options_for(redis);
  o.redis.backoff_max = std::chrono::milliseconds(50);
  IntelReplay replay(o);
  replay.request();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(replay.finished() == 0);
  std::vector<ReplayItem> nothing;
  CHECK(replay.poll(nothing, 10) == 0);  // no end while the pass cannot run
  REQUIRE(conn.command({"CONFIG", "SET", "requirepass", ""}));
  std::vector<uint64_t> ends;
  auto got = updates(test::take<ReplayItem>(replay, 2), &ends);
  REQUIRE(got.size() == 1);
  CHECK(got[0].indicator == Value("late.example"));
  CHECK(ends == std::vector<uint64_t>{1});

  // Stopping while it waits for Redis again returns at once.
  REQUIRE(conn.command({"CONFIG", "SET", "requirepass", "secret"}));
  replay.request();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  replay.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
}

}  // namespace zrb
