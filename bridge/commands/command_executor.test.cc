#include "commands/command_executor.hh"

#include <doctest/doctest.h>

#include <poll.h>

#include <chrono>
#include <functional>
#include <thread>

#include "support/redis_server.hh"
#include "support/test_observe.hh"

namespace zrb {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

CommandRequest request(const Vector& args, uint64_t id) {
  static const CommandAllowlist allowlist;
  Event event{"t", "RedisBridge::op_command", Vector{args, id, "replies"}};
  auto check = check_command(event, allowlist, "");
  REQUIRE(check.request);
  return std::move(*check.request);
}

ExecutorOptions options(const test::RedisServer& redis) {
  ExecutorOptions o;
  o.url = redis.url();
  o.backoff_initial = 10ms;
  o.backoff_max = 100ms;
  o.connect_timeout = 2000ms;
  o.reply_timeout = 5000ms;
  return o;
}

// Polls for replies until `n` arrived or 10 s passed.
std::vector<CommandOutcome> wait_for(CommandExecutor& executor, size_t n) {
  std::vector<CommandOutcome> out;
  auto deadline = Clock::now() + 10s;
  while (out.size() < n && Clock::now() < deadline) {
    pollfd fd{executor.fd(), POLLIN, 0};
    ::poll(&fd, 1, 50);
    executor.poll(out, n - out.size());
  }
  return out;
}

}  // namespace

TEST_CASE("command_executor: requests run in order, batched; only requests with an id answer") {
  test::RedisServer redis;
  CommandExecutor executor(options(redis));
  test::Delta executed("commands_executed", "command");
  const size_t n = 20000;
  for (size_t i = 0; i < n; ++i) {
    auto r = request({"INCR", "n"}, 0);
    REQUIRE(executor.submit(r));
  }
  auto get = request({"GET", "n"}, 99);
  REQUIRE(executor.submit(get));
  auto replies = wait_for(executor, 1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].id == 99);
  CHECK(replies[0].reply_topic == "replies");
  CHECK(replies[0].reply ==
        Value(Vector{EnumValue{"RedisBridge::REPLY_STRING"}, None{}, std::to_string(n), None{}}));
  CHECK(executed() == n + 1);
  CHECK(executor.pending() == 0);
}

TEST_CASE("command_executor: requests wait while Redis is away and run once it is back") {
  test::RedisServer redis;
  CommandExecutor executor(options(redis));
  auto first = request({"SET", "k", "1"}, 1);
  REQUIRE(executor.submit(first));
  REQUIRE(wait_for(executor, 1).size() == 1);

  test::Delta resent("commands_resent");
  test::Delta reconnects("commands_reconnects");
  redis.kill();
  for (uint64_t id = 2; id <= 4; ++id) {
    auto r = request({"INCR", "c"}, id);
    REQUIRE(executor.submit(r));
  }
  std::this_thread::sleep_for(300ms);
  CHECK(executor.pending() == 3);
  redis.start();
  auto replies = wait_for(executor, 3);
  REQUIRE(replies.size() == 3);
  for (uint64_t i = 0; i < 3; ++i) {
    CHECK(replies[i].id == i + 2);
    CHECK(replies[i].reply ==
          Value(Vector{EnumValue{"RedisBridge::REPLY_INTEGER"}, int64_t(i + 1), None{}, None{}}));
  }
  CHECK(resent() >= 1);
  CHECK(reconnects() == 1);
}

TEST_CASE("command_executor: a full queue refuses, and drain waits for what was taken") {
  test::RedisServer redis;
  auto o = options(redis);
  o.max_queued = 2;
  redis.kill();
  CommandExecutor executor(o);
  auto a = request({"SET", "a", "1"}, 0), b = request({"SET", "b", "1"}, 0),
       c = request({"SET", "c", "1"}, 5);
  CHECK(executor.submit(a));
  CHECK(executor.submit(b));
  CHECK(!executor.submit(c));
  CHECK(c.id == 5);  // untouched: the caller still answers it
  CHECK(executor.drain(Clock::now() + 200ms) == 2);
  redis.start();
  CHECK(executor.drain(Clock::now() + 10s) == 0);
  CHECK(redis.client().command({"MGET", "a", "b"})->elements == 2);
  executor.stop();
  executor.stop();
}

}  // namespace zrb
