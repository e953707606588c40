#include "redis/interruptible_connection.hh"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "support/redis_server.hh"

using namespace zrb;
using namespace std::chrono_literals;

namespace {

RedisContext connect_to(const test::RedisServer& redis) {
  std::string error;
  // No read timeout: only interrupt() can end a read that waits.
  auto conn = RedisContext::connect(redis.url(), 2000ms, 0ms, &error);
  REQUIRE_MESSAGE(conn, error);
  return std::move(*conn);
}

}  // namespace

TEST_CASE("interruptible connection: interrupt() ends a blocking read at once") {
  test::RedisServer redis;
  InterruptibleConnection conn;
  REQUIRE(conn.install(connect_to(redis)));
  CHECK(static_cast<bool>(conn));
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    conn.interrupt();
  });
  // BLPOP on an empty list with no timeout would wait forever.
  auto reply = conn->command({"BLPOP", "nothing-here", "0"});
  stopper.join();
  CHECK(reply == nullptr);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("interruptible connection: no install after interrupt(), reset closes") {
  test::RedisServer redis;
  InterruptibleConnection conn;
  REQUIRE(conn.install(connect_to(redis)));
  conn.reset();
  CHECK_FALSE(static_cast<bool>(conn));
  conn.interrupt();
  CHECK_FALSE(conn.install(connect_to(redis)));
  CHECK_FALSE(static_cast<bool>(conn));
}
