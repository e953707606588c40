#include "redis/redis_writer.hh"

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "observe/counters.hh"
#include "observe/log.hh"
#include "support/redis_server.hh"
#include "support/temp_dir.hh"
#include "support/test_observe.hh"

namespace zrb {

namespace {

using namespace std::chrono_literals;
using Clock = RedisWriter::Clock;

using test::Delta;
using test::LogCapture;

WriterOptions options_for(const test::RedisServer& redis) {
  WriterOptions options;
  options.url = redis.url();
  options.backoff_max = 200ms;
  return options;
}

Router router_for(RoutingConfig config) {
  std::string error;
  auto router = Router::make(config, &error);
  REQUIRE(router);
  return std::move(*router);
}

std::string str(const redisReply* reply) {
  return std::string(reply->str, reply->len);
}

std::vector<std::string> list(RedisContext& conn, const std::string& key) {
  auto reply = conn.command({"LRANGE", key, "0", "-1"});
  REQUIRE(reply);
  std::vector<std::string> out;
  for (size_t i = 0; i < reply->elements; ++i) out.push_back(str(reply->element[i]));
  return out;
}

// (field, value) of every entry, oldest first.
std::vector<std::pair<std::string, std::string>> stream(RedisContext& conn,
                                                        const std::string& key) {
  auto reply = conn.command({"XRANGE", key, "-", "+"});
  REQUIRE(reply);
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* fields = reply->element[i]->element[1];
    REQUIRE(fields->elements == 2);
    out.emplace_back(str(fields->element[0]), str(fields->element[1]));
  }
  return out;
}

long long integer(RedisContext& conn, std::initializer_list<std::string_view> argv) {
  auto reply = conn.command(argv);
  REQUIRE(reply);
  REQUIRE(reply->type == REDIS_REPLY_INTEGER);
  return reply->integer;
}

void must_drain(RedisWriter& writer, std::chrono::seconds within = 10s) {
  REQUIRE(writer.drain(Clock::now() + within) == 0);
}

std::string record(size_t i) {
  return "{\"i\":" + std::to_string(i) + "}";
}

}  // namespace

TEST_CASE("RedisWriter: streams get XADD entries in order, counted per path") {
  test::RedisServer redis;
  RoutingConfig config;
  config.stream_field = "line";
  Router router = router_for(config);
  Delta written("records_written"), conn_written("path_records_written", "conn"),
      dns_written("path_records_written", "dns"), batches("batches_written");
  {
    WriterOptions options = options_for(redis);
    options.batch_size = 4;
    RedisWriter writer(options);
    for (size_t i = 0; i < 10; ++i) writer.append(router.route("conn"), record(i));
    writer.append(router.route("dns"), "{\"dns\":1}");
    must_drain(writer);
    CHECK(writer.connected());
  }
  auto conn = redis.client();
  auto entries = stream(conn, "zeek:conn");
  REQUIRE(entries.size() == 10);
  for (size_t i = 0; i < 10; ++i) {
    CHECK(entries[i].first == "line");
    CHECK(entries[i].second == record(i));
  }
  CHECK(stream(conn, "zeek:dns").size() == 1);
  CHECK(written() == 11);
  CHECK(conn_written() == 10);
  CHECK(dns_written() == 1);
  CHECK(batches() == 3);  // 4 + 4 + (2 conn + 1 dns)
}

TEST_CASE("RedisWriter: lists, LPUSH and RPUSH, with an LTRIM cap") {
  test::RedisServer redis;
  RoutingConfig config;
  config.default_kind = RouteKind::list;
  config.overrides = {"capped=list:zeek:capped", "right=list:zeek:right"};
  Router left = router_for(config);
  config.list_left = false;
  config.list_max = 5;
  Router right = router_for(config);
  Delta commands("commands_written");
  {
    RedisWriter writer(options_for(redis));
    for (size_t i = 0; i < 3; ++i) writer.append(left.route("dns"), record(i));
    for (size_t i = 0; i < 100; ++i) writer.append(right.route("right"), record(i));
    must_drain(writer);
  }
  auto conn = redis.client();
  CHECK(list(conn, "zeek:dns") == std::vector<std::string>{record(2), record(1), record(0)});
  // The newest five, in arrival order.
  CHECK(list(conn, "zeek:right") ==
        std::vector<std::string>{record(95), record(96), record(97), record(98), record(99)});
  CHECK(commands() == 3 + 2 * 100);  // every capped push is followed by an LTRIM
}

TEST_CASE("RedisWriter: pubsub publishes every record to the channel") {
  test::RedisServer redis;
  auto subscriber = redis.client();
  REQUIRE(subscriber.command({"SUBSCRIBE", "zeek:notices"}));
  RoutingConfig config;
  config.overrides = {"notice=pubsub:zeek:notices"};
  Router router = router_for(config);
  {
    RedisWriter writer(options_for(redis));
    for (size_t i = 0; i < 3; ++i) writer.append(router.route("notice"), record(i));
    must_drain(writer);
  }
  for (size_t i = 0; i < 3; ++i) {
    auto message = subscriber.get_reply();
    REQUIRE(message);
    REQUIRE(message->elements == 3);
    CHECK(str(message->element[0]) == "message");
    CHECK(str(message->element[1]) == "zeek:notices");
    CHECK(str(message->element[2]) == record(i));
  }
  auto conn = redis.client();
  CHECK(integer(conn, {"EXISTS", "zeek:notice", "zeek:notices"}) == 0);  // no keys written
}

TEST_CASE("RedisWriter: drop routes write nothing and are counted") {
  test::RedisServer redis;
  RoutingConfig config;
  config.overrides = {"weird=drop"};
  config.exclude = {"x509"};
  Router router = router_for(config);
  Delta dropped("records_dropped", "route"), written("records_written");
  {
    RedisWriter writer(options_for(redis));
    writer.append(router.route("weird"), "{}");
    writer.append(router.route("x509"), "{}");
    writer.append(router.route("conn"), "{}");
    must_drain(writer);
  }
  auto conn = redis.client();
  CHECK(integer(conn, {"DBSIZE"}) == 1);
  CHECK(dropped() == 2);
  CHECK(written() == 1);
}

TEST_CASE("RedisWriter: MAXLEN ~ bounds a stream, maxlen 0 does not") {
  test::RedisServer redis({"--stream-node-max-entries", "10"});
  RoutingConfig config;
  config.stream_maxlen = 20;
  config.overrides = {"full=stream:zeek:full"};
  Router trimmed = router_for(config);
  config.stream_maxlen = 0;
  Router untrimmed = router_for(config);
  {
    RedisWriter writer(options_for(redis));
    for (size_t i = 0; i < 1000; ++i) {
      writer.append(trimmed.route("conn"), record(i));
      writer.append(untrimmed.route("full"), record(i));
    }
    must_drain(writer);
  }
  auto conn = redis.client();
  // Approximate trimming removes whole nodes of 10 entries: at least the
  // newest 20 stay, and never more than one node beyond that.
  long long length = integer(conn, {"XLEN", "zeek:conn"});
  CHECK(length >= 20);
  CHECK(length <= 30);
  auto entries = stream(conn, "zeek:conn");
  CHECK(entries.back().second == record(999));
  CHECK(integer(conn, {"XLEN", "zeek:full"}) == 1000);
}

TEST_CASE("RedisWriter: payloads and keys are binary-safe, 1 MiB records included") {
  test::RedisServer redis;
  Router router = router_for(RoutingConfig{});
  std::string nasty("{\"s\":\"\0\r\n*1\r\n$4\r\nPING\r\n\xff\"}", 27);
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);  // NULs too
  std::string odd_path("we ird\r\n\0path", 13);
  Delta batches("batches_written");
  {
    WriterOptions options = options_for(redis);
    options.batch_max_bytes = 3 << 20;  // splits the big records over batches
    RedisWriter writer(options);
    writer.append(router.route("conn"), nasty);
    for (int i = 0; i < 8; ++i) writer.append(router.route("conn"), big);
    writer.append(router.route(odd_path), nasty);
    must_drain(writer, 20s);
  }
  auto conn = redis.client();
  auto entries = stream(conn, "zeek:conn");
  REQUIRE(entries.size() == 9);
  CHECK(entries[0].second == nasty);
  for (size_t i = 1; i < 9; ++i) CHECK(entries[i].second == big);
  auto odd = stream(conn, "zeek:" + odd_path);
  REQUIRE(odd.size() == 1);
  CHECK(odd[0].second == nasty);
  CHECK(batches() >= 3);  // 8 MiB in batches of at most ~3 MiB
}

TEST_CASE("RedisWriter: 100k records over many batches keep their order") {
  test::RedisServer redis;
  RoutingConfig config;
  config.default_kind = RouteKind::list;
  config.list_left = false;
  Router router = router_for(config);
  constexpr size_t count = 100000;
  Delta batches("batches_written");
  {
    WriterOptions options = options_for(redis);
    options.max_queued_batches = 4;
    RedisWriter writer(options);
    for (size_t i = 0; i < count; ++i) {
      writer.append(router.route("conn"), record(i));
      if (i % 1000 == 0) writer.poll();
    }
    must_drain(writer, 20s);
  }
  auto conn = redis.client();
  auto all = list(conn, "zeek:conn");
  REQUIRE(all.size() == count);
  size_t misplaced = 0;
  for (size_t i = 0; i < count; ++i) misplaced += all[i] != record(i);
  CHECK(misplaced == 0);
  CHECK(batches() >= count / 512);
}

TEST_CASE("RedisWriter: batch_delay hands off a lone record") {
  test::RedisServer redis;
  Router router = router_for(RoutingConfig{});
  auto conn = redis.client();
  WriterOptions options = options_for(redis);
  options.batch_delay = 50ms;
  RedisWriter writer(options);
  CHECK_FALSE(writer.flush_due());

  auto before = Clock::now();
  writer.append(router.route("conn"), "{\"lone\":1}");
  auto after = Clock::now();
  REQUIRE(writer.flush_due());
  CHECK(*writer.flush_due() >= before + 50ms);
  CHECK(*writer.flush_due() <= after + 50ms);

  // Before the delay nothing is handed off, however long Redis waits.
  writer.maybe_flush(before + 49ms);
  std::this_thread::sleep_for(200ms);
  CHECK(integer(conn, {"EXISTS", "zeek:conn"}) == 0);
  CHECK(writer.pending_records() == 1);

  // The main loop's poll() after the delay sends it.
  auto deadline = Clock::now() + 5s;
  while (integer(conn, {"EXISTS", "zeek:conn"}) == 0 && Clock::now() < deadline) {
    writer.poll();
    std::this_thread::sleep_for(5ms);
  }
  CHECK(integer(conn, {"XLEN", "zeek:conn"}) == 1);
  CHECK_FALSE(writer.flush_due());
  CHECK(writer.drain(Clock::now() + 5s) == 0);
}

TEST_CASE("RedisWriter: an error reply fails its command only, logged once per batch") {
  test::RedisServer redis;
  auto conn = redis.client();
  REQUIRE(conn.command({"SET", "zeek:conn", "not a stream"}));
  Router router = router_for(RoutingConfig{});
  Delta wrongtype("redis_errors", "WRONGTYPE"), failed("records_failed"),
      written("records_written");
  LogCapture log;
  {
    WriterOptions options = options_for(redis);
    options.batch_size = 10;
    RedisWriter writer(options);
    for (size_t i = 0; i < 10; ++i) {
      writer.append(router.route("conn"), record(i));
      writer.append(router.route("dns"), record(i));
    }
    must_drain(writer);
  }
  CHECK(wrongtype() == 10);
  CHECK(failed() == 10);
  CHECK(written() == 10);
  CHECK(integer(conn, {"XLEN", "zeek:dns"}) == 10);
  std::string text = log.text();
  CHECK(text.find("WRONGTYPE") != std::string::npos);
  CHECK(text.find("key 'zeek:conn'") != std::string::npos);
  // Two batches of ten commands, two lines.
  size_t lines = 0;
  for (size_t at = text.find("Redis refused"); at != std::string::npos;
       at = text.find("Redis refused", at + 1))
    ++lines;
  CHECK(lines == 2);
}

TEST_CASE("RedisWriter: AUTH as an ACL user into another database; logs mask the password") {
  test::RedisServer redis({"--requirepass", "admin-pw"});
  {
    RedisUrl admin_url = redis.url();
    admin_url.password = "admin-pw";
    auto admin = redis.client(admin_url);
    REQUIRE_FALSE(reply_error(
        *admin.command({"ACL", "SETUSER", "bridge", "on", ">Br1dgeSecret", "~zeek:*", "+@all"})));
  }
  Router router = router_for(RoutingConfig{});
  LogCapture log;
  WriterOptions options = options_for(redis);
  options.url.user = "bridge";
  options.url.password = "Br1dgeSecret";
  options.url.db = 7;
  {
    RedisWriter writer(options);
    writer.append(router.route("conn"), "{}");
    must_drain(writer);
  }
  RedisUrl check = options.url;
  auto conn = redis.client(check);
  CHECK(integer(conn, {"XLEN", "zeek:conn"}) == 1);

  // A wrong password: the writer keeps retrying and never logs the secret.
  options.url.password = "WrongSecret";
  {
    RedisWriter writer(options);
    writer.append(router.route("conn"), "{}");
    CHECK(writer.drain(Clock::now() + 300ms) == 1);
  }
  std::string text = log.text();
  CHECK(text.find("bridge:***@127.0.0.1") != std::string::npos);
  CHECK(text.find("WRONGPASS") != std::string::npos);
  CHECK(text.find("Br1dgeSecret") == std::string::npos);
  CHECK(text.find("WrongSecret") == std::string::npos);
}

TEST_CASE("RedisWriter: starts while Redis is down and delivers once it is up") {
  test::RedisServer redis;
  redis.stop();
  Router router = router_for(RoutingConfig{});
  Delta failures("redis_connect_failures"), reconnects("redis_reconnects");
  WriterOptions options = options_for(redis);
  RedisWriter writer(options);
  for (size_t i = 0; i < 10; ++i) writer.append(router.route("conn"), record(i));
  CHECK(writer.drain(Clock::now() + 300ms) == 10);
  CHECK_FALSE(writer.connected());
  CHECK(failures() >= 1);

  redis.start();
  must_drain(writer);
  CHECK(writer.connected());
  CHECK(reconnects() == 0);  // the first connection is not a reconnect
  auto conn = redis.client();
  auto entries = stream(conn, "zeek:conn");
  REQUIRE(entries.size() == 10);
  CHECK(entries[9].second == record(9));
}

TEST_CASE("RedisWriter: a Redis killed mid-stream loses nothing (at-least-once)") {
  // AOF with fsync per write: every acknowledged write survives SIGKILL, so
  // a missing record can only be the writer's fault.
  test::RedisServer redis({"--appendonly", "yes", "--appendfsync", "always"});
  RoutingConfig config;
  config.default_kind = RouteKind::list;
  config.list_left = false;
  Router router = router_for(config);
  constexpr size_t count = 30000;
  constexpr size_t batch_size = 200;
  Delta written("records_written"), reconnects("redis_reconnects");
  LogCapture log;

  WriterOptions options = options_for(redis);
  options.batch_size = batch_size;
  options.max_queued_batches = 8;
  RedisWriter writer(options);
  std::atomic<bool> restarted{false};
  std::atomic<uint64_t> written_at_kill{0};
  std::thread killer([&] {
    auto deadline = Clock::now() + 10s;
    while (written() < count / 4 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
    written_at_kill = written();
    redis.kill();
    std::this_thread::sleep_for(300ms);
    redis.start();
    restarted = true;
  });
  for (size_t i = 0; i < count; ++i) {
    writer.append(router.route("conn"), record(i));
    // Slow down a little so that the kill lands mid-stream.
    if (i % 100 == 0) {
      writer.poll();
      std::this_thread::sleep_for(100us);
    }
  }
  killer.join();
  must_drain(writer, 20s);
  // The kill has to land mid-stream for this test to mean anything.
  CHECK(written_at_kill > 0);
  CHECK(written_at_kill < count);
  CHECK(restarted);
  CHECK(reconnects() >= 1);

  auto conn = redis.client();
  auto all = list(conn, "zeek:conn");
  INFO("killed after ", written_at_kill.load(), " records written; ", all.size(), " entries");
  // Every record, in order, except that the batch in flight at the kill may
  // appear twice: the sequence steps back at most once, by at most a batch.
  std::vector<bool> seen(count, false);
  size_t steps_back = 0;
  long long previous = -1;
  for (const auto& entry : all) {
    long long i = std::stoll(entry.substr(5));
    REQUIRE(i >= 0);
    REQUIRE(i < static_cast<long long>(count));
    seen[static_cast<size_t>(i)] = true;
    if (i != previous + 1) {
      ++steps_back;
      CHECK(i <= previous);
      CHECK(previous - i < static_cast<long long>(batch_size));
    }
    previous = i;
  }
  CHECK(std::count(seen.begin(), seen.end(), false) == 0);
  CHECK(steps_back <= 1);
  CHECK(all.size() <= count + batch_size);
  CHECK(log.text().find("lost the connection") != std::string::npos);
  CHECK(log.text().find("is back after") != std::string::npos);
}

TEST_CASE("RedisWriter: OOM is retried until Redis has memory again") {
  test::RedisServer redis({"--maxmemory-policy", "noeviction"});
  auto admin = redis.client();
  REQUIRE_FALSE(reply_error(*admin.command({"CONFIG", "SET", "maxmemory", "1"})));
  Router router = router_for(RoutingConfig{});
  Delta oom("redis_errors", "OOM"), failed("records_failed");
  LogCapture log;
  RedisWriter writer(options_for(redis));
  for (size_t i = 0; i < 5; ++i) writer.append(router.route("conn"), record(i));
  CHECK(writer.drain(Clock::now() + 500ms) == 5);
  CHECK(oom() >= 5);

  REQUIRE_FALSE(reply_error(*admin.command({"CONFIG", "SET", "maxmemory", "0"})));
  must_drain(writer);
  auto entries = stream(admin, "zeek:conn");
  REQUIRE(entries.size() == 5);  // all of them, once
  CHECK(entries[4].second == record(4));
  CHECK(failed() == 0);
  // One warning for the episode, not one per retry.
  std::string text = log.text();
  size_t warnings = 0;
  for (size_t at = text.find("OOM"); at != std::string::npos; at = text.find("OOM", at + 1))
    ++warnings;
  CHECK(warnings == 1);
}

TEST_CASE("RedisWriter: a full queue makes append() wait (backpressure)") {
  test::RedisServer redis;
  auto admin = redis.client();
  Router router = router_for(RoutingConfig{});
  Delta full("writer_queue_full");
  WriterOptions options = options_for(redis);
  options.batch_size = 1;
  options.max_queued_batches = 2;
  RedisWriter writer(options);
  writer.append(router.route("conn"), record(0));
  must_drain(writer);  // connected and idle

  REQUIRE_FALSE(reply_error(*admin.command({"CLIENT", "PAUSE", "700", "WRITE"})));
  auto start = Clock::now();
  for (size_t i = 1; i <= 6; ++i) writer.append(router.route("conn"), record(i));
  auto waited = Clock::now() - start;
  CHECK(waited >= 400ms);  // one in flight + two queued, then append() blocks
  CHECK(full() >= 1);
  must_drain(writer);
  auto conn = redis.client();
  CHECK(integer(conn, {"XLEN", "zeek:conn"}) == 7);
}

TEST_CASE("RedisWriter: stop() is prompt even against a silent Redis, and counts what it drops") {
  test::RedisServer redis;
  auto admin = redis.client();
  Router router = router_for(RoutingConfig{});
  Delta dropped("records_dropped", "shutdown");
  WriterOptions options = options_for(redis);
  options.io_timeout = 20s;
  RedisWriter writer(options);
  writer.append(router.route("conn"), record(0));
  must_drain(writer);

  REQUIRE_FALSE(reply_error(*admin.command({"CLIENT", "PAUSE", "3000", "WRITE"})));
  for (size_t i = 1; i <= 3; ++i) writer.append(router.route("conn"), record(i));
  writer.flush();
  std::this_thread::sleep_for(100ms);  // the batch is in flight, unanswered
  auto start = Clock::now();
  writer.stop();
  CHECK(Clock::now() - start < 1s);
  CHECK(dropped() == 3);
  writer.stop();                                   // idempotent
  writer.append(router.route("conn"), record(4));  // after stop: counted, not queued
  CHECK(dropped() == 4);
  CHECK(writer.pending_records() == 0);
}

TEST_CASE("RedisWriter: destroying a writer that never connected is safe and quick") {
  RedisUrl url;
  {
    test::RedisServer redis;
    url = redis.url();
  }
  Router router = router_for(RoutingConfig{});
  auto start = Clock::now();
  {
    WriterOptions options;
    options.url = url;
    options.backoff_initial = 1000ms;
    RedisWriter writer(options);
    writer.append(router.route("conn"), "{}");
    std::this_thread::sleep_for(50ms);  // inside its backoff sleep
  }
  CHECK(Clock::now() - start < 1s);
}

}  // namespace zrb

namespace zrb {

namespace {

Router list_router() {
  RoutingConfig config;
  config.default_kind = RouteKind::list;
  config.list_left = false;  // RPUSH: the list reads oldest first
  return router_for(config);
}

// The numbers of the records in a list of record(i), in list order.
std::vector<size_t> numbers(RedisContext& conn, const std::string& key) {
  std::vector<size_t> out;
  for (const auto& json : list(conn, key)) out.push_back(std::stoul(json.substr(5)));
  return out;
}

std::vector<size_t> range(size_t first, size_t last) {
  std::vector<size_t> out;
  for (size_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Appends record(first) .. record(last) to the conn log.
void append_range(RedisWriter& writer, Router& router, size_t first, size_t last) {
  for (size_t i = first; i <= last; ++i) writer.append(router.route("conn"), record(i));
}

// Writes record 0: the writer is connected and idle afterwards.
void connected(RedisWriter& writer, Router& router) {
  append_range(writer, router, 0, 0);
  must_drain(writer);
}

WriterOptions batched(const test::RedisServer& redis, size_t batch_size) {
  WriterOptions options = options_for(redis);
  options.batch_size = batch_size;
  return options;
}

void pause_writes(test::RedisServer& redis, std::chrono::milliseconds how_long) {
  auto admin = redis.client();
  REQUIRE_FALSE(
      reply_error(*admin.command({"CLIENT", "PAUSE", std::to_string(how_long.count()), "WRITE"})));
}

}  // namespace

TEST_CASE(
    "RedisWriter: drop-oldest drops the oldest batches, counts every record, logs per burst") {
  test::RedisServer redis;
  Router router = list_router();
  Delta dropped("records_dropped", "overflow");
  LogCapture log;
  WriterOptions options = batched(redis, 10);
  options.max_buffered_records = 30;
  options.overflow = OverflowPolicy::drop_oldest;
  RedisWriter writer(options);
  connected(writer, router);

  pause_writes(redis, 800ms);
  auto start = Clock::now();
  append_range(writer, router, 1, 500);
  CHECK(Clock::now() - start < 400ms);  // never waits
  CHECK(writer.buffered_records() <= 30);
  must_drain(writer);

  auto conn = redis.client();
  auto got = numbers(conn, "zeek:conn");
  CHECK(dropped() > 0);
  CHECK(got.size() + dropped() == 501);  // exact: sent = written + counted drops
  CHECK(std::is_sorted(got.begin(), got.end()));
  CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());  // no duplicates
  CHECK(got.back() == 500);                                        // the newest survive
  CHECK(occurrences(log.text(), "dropping the oldest") == 1);
}

TEST_CASE("RedisWriter: a full memory buffer spills to the spool, order kept, spool emptied") {
  test::RedisServer redis;
  test::TempDir dir;
  Router router = list_router();
  Delta spooled("records_spooled"), dropped("records_dropped", "overflow");
  WriterOptions options = batched(redis, 5);
  options.max_buffered_records = 10;
  options.spool.dir = dir.path() + "/spool";
  options.spool.segment_bytes = 4096;  // several segment files
  RedisWriter writer(options);
  connected(writer, router);

  pause_writes(redis, 1000ms);
  auto start = Clock::now();
  append_range(writer, router, 1, 3000);
  writer.flush();
  CHECK(Clock::now() - start < 800ms);  // the spool takes what memory cannot
  CHECK(writer.spooled_records() > 0);
  CHECK(writer.spooled_bytes() > 0);
  CHECK(writer.pending_records() == 3000);
  must_drain(writer, 20s);

  auto conn = redis.client();
  CHECK(numbers(conn, "zeek:conn") == range(0, 3000));
  CHECK(spooled() > 2900);
  CHECK(dropped() == 0);
  CHECK(writer.spooled_records() == 0);
  CHECK(dir.files().empty());
  for (const auto& e : std::filesystem::directory_iterator(options.spool.dir))
    CHECK(e.path().filename() == "lock");  // every segment deleted
}

TEST_CASE(
    "RedisWriter: records unwritten at stop() wait in the spool and go first after a restart") {
  test::RedisServer redis;
  test::TempDir dir;
  Router router = list_router();
  Delta lost("records_dropped", "shutdown");
  LogCapture log;
  WriterOptions options = batched(redis, 10);
  options.spool.dir = dir.path() + "/spool";
  options.max_buffered_records = 20;  // two batches; the rest is spooled before stop()
  {
    RedisWriter writer(options);
    connected(writer, router);
    redis.kill();  // no persistence: record 0 goes with it
    append_range(writer, router, 1, 95);
    std::this_thread::sleep_for(100ms);  // a batch is in flight, unanswered
    auto spooled_before = writer.spooled_records();
    CHECK(spooled_before == 70);
    auto stopped = writer.stop();
    // The batch in flight and the queue go before what is spooled, the
    // open batch after it.
    CHECK(stopped.spooled == 25);
    CHECK(stopped.lost == 0);
    CHECK(writer.stop().spooled == 0);  // idempotent
  }
  CHECK(lost() == 0);
  CHECK(log.text().find("in the spool") != std::string::npos);
  redis.start();
  {
    RedisWriter writer(options);
    CHECK(writer.spooled_records() == 95);
    append_range(writer, router, 96, 150);
    must_drain(writer);
  }
  auto conn = redis.client();
  CHECK(numbers(conn, "zeek:conn") == range(1, 150));  // in order, no duplicates
}

TEST_CASE("RedisWriter: block waits for room, but not past the stop flag; round trips reported") {
  test::RedisServer redis;
  Router router = list_router();
  std::atomic<bool> stop{false};
  std::atomic<int> trips{0};
  WriterOptions options = batched(redis, 1);
  options.max_buffered_records = 2;
  options.stop_flag = &stop;
  options.on_round_trip = [&](std::chrono::nanoseconds took) {
    if (took.count() > 0) ++trips;
  };
  RedisWriter writer(options);
  connected(writer, router);
  CHECK(trips == 1);

  pause_writes(redis, 2000ms);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  auto start = Clock::now();
  append_range(writer, router, 1, 10);
  auto waited = Clock::now() - start;
  stopper.join();
  CHECK(waited >= 250ms);  // blocked while full ...
  CHECK(waited < 1500ms);  // ... until the stop flag, not until Redis answered
  CHECK(writer.buffered_records() == 2);
  CHECK(writer.buffered_bytes() > 0);
  CHECK(writer.pending_records() == 10);
  must_drain(writer);  // drain() waits for room regardless of the flag
  auto conn = redis.client();
  CHECK(numbers(conn, "zeek:conn") == range(0, 10));
  CHECK(trips >= 3);  // after the flag, the rest went as one batch
}

}  // namespace zrb
