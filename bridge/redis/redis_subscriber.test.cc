#include "redis/redis_subscriber.hh"

#include <doctest/doctest.h>

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "observe/counters.hh"
#include "observe/log.hh"
#include "redis/redis_command.hh"
#include "support/redis_server.hh"
#include "support/test_observe.hh"

namespace zrb {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using test::Delta;
using test::LogCapture;

// Polls `condition` every few milliseconds until it holds or `limit` passes.
bool eventually(const std::function<bool()>& condition, Clock::duration limit = 10s) {
  auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Every test runs under one: a test that hangs (a stop() that no longer
// interrupts the read, a lost wake-up) ends the binary with its name after
// 20 s instead of stalling the suite.
class Watchdog {
 public:
  Watchdog()
      : thread_([this] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!done_cv_.wait_for(lock, 20s, [&] { return done_; })) {
            std::fprintf(stderr, "redis_subscriber test hung for 20 s: %s\n",
                         doctest::getContextOptions()->currentTest->m_name);
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

bool readable(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) == 1 && (p.revents & POLLIN) != 0;
}

// Waits on the subscriber's fd, as the daemon does, until `n` messages are
// in or `limit` passes; returns what arrived.
std::vector<RedisMessage> receive(RedisSubscriber& sub, size_t n, Clock::duration limit = 10s) {
  std::vector<RedisMessage> out;
  auto deadline = Clock::now() + limit;
  while (out.size() < n && Clock::now() < deadline) {
    if (readable(sub.fd(), 50ms)) sub.poll(out, n - out.size());
  }
  return out;
}

SubscriberOptions options_for(const test::RedisServer& redis, std::vector<std::string> channels,
                              std::vector<std::string> patterns = {}) {
  SubscriberOptions options;
  options.url = redis.url();
  options.channels = std::move(channels);
  options.patterns = std::move(patterns);
  options.backoff_initial = 10ms;
  options.backoff_max = 50ms;
  return options;
}

// PUBLISH; returns how many subscribers Redis delivered it to.
long long publish(RedisContext& client, std::string_view channel, std::string_view payload) {
  RedisReply reply = client.command({"PUBLISH", channel, payload});
  REQUIRE(reply);
  REQUIRE(reply->type == REDIS_REPLY_INTEGER);
  return reply->integer;
}

void require_subscribed(const RedisSubscriber& sub) {
  REQUIRE(eventually([&] { return sub.subscribed(); }));
}

}  // namespace

TEST_CASE_FIXTURE(Watchdog,
                  "redis_subscriber: SUBSCRIBE delivers channel and payload, fd tracks the queue") {
  test::RedisServer redis;
  Delta counted("redis_in_messages", "zeek:in");
  RedisSubscriber sub(options_for(redis, {"zeek:in", "zeek:other"}));
  require_subscribed(sub);
  CHECK_FALSE(readable(sub.fd(), 0ms));

  auto client = redis.client();
  REQUIRE(publish(client, "zeek:in", "one") == 1);
  REQUIRE(publish(client, "zeek:in", "two") == 1);
  REQUIRE(publish(client, "zeek:nobody", "three") == 0);
  REQUIRE(eventually([&] { return counted() == 2; }));

  CHECK(readable(sub.fd(), 0ms));
  std::vector<RedisMessage> out;
  REQUIRE(sub.poll(out, 1) == 1);
  CHECK(readable(sub.fd(), 0ms));  // one still queued
  REQUIRE(sub.poll(out, 10) == 1);
  CHECK_FALSE(readable(sub.fd(), 0ms));
  CHECK(sub.poll(out, 10) == 0);

  REQUIRE(out.size() == 2);
  CHECK(out[0].channel == "zeek:in");
  CHECK(out[0].pattern.empty());
  CHECK(out[0].payload == "one");
  CHECK(out[1].payload == "two");
}

TEST_CASE_FIXTURE(
    Watchdog,
    "redis_subscriber: PSUBSCRIBE delivers the pattern, SUBSCRIBE beside it its own copy") {
  test::RedisServer redis;
  Delta by_pattern("redis_in_messages", "intel:*");
  Delta by_channel("redis_in_messages", "intel:feed-a");
  RedisSubscriber sub(options_for(redis, {"intel:feed-a"}, {"intel:*", "other:*"}));
  require_subscribed(sub);

  auto client = redis.client();
  // One connection holding both: Redis delivers once per subscription.
  REQUIRE(publish(client, "intel:feed-b", "by pattern") == 1);
  REQUIRE(publish(client, "intel:feed-a", "both") == 2);
  auto out = receive(sub, 3);
  REQUIRE(out.size() == 3);

  CHECK(out[0].channel == "intel:feed-b");
  CHECK(out[0].pattern == "intel:*");
  CHECK(out[0].payload == "by pattern");
  // Redis sends channel subscribers their copy before pattern subscribers.
  CHECK(out[1].channel == "intel:feed-a");
  CHECK(out[1].pattern.empty());
  CHECK(out[1].payload == "both");
  CHECK(out[2].channel == "intel:feed-a");
  CHECK(out[2].pattern == "intel:*");
  CHECK(out[2].payload == "both");
  CHECK(by_pattern() == 2);
  CHECK(by_channel() == 1);
}

TEST_CASE_FIXTURE(Watchdog, "redis_subscriber: binary channels and payloads arrive byte for byte") {
  test::RedisServer redis;
  std::string channel("bin\0chan\r\n", 10);
  RedisSubscriber sub(options_for(redis, {channel}, {std::string("pat\0*", 5)}));
  require_subscribed(sub);

  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + (i >> 8));
  std::vector<std::string> payloads = {std::string("a\0b", 3), "\r\n", "*3\r\n$7\r\nmessage\r\n",
                                       "", big};
  auto client = redis.client();
  for (const auto& payload : payloads) REQUIRE(publish(client, channel, payload) == 1);
  std::string pattern_channel("pat\0x\xff", 6);
  REQUIRE(publish(client, pattern_channel, big) == 1);

  auto out = receive(sub, payloads.size() + 1);
  REQUIRE(out.size() == payloads.size() + 1);
  for (size_t i = 0; i < payloads.size(); ++i) {
    CHECK(out[i].channel == channel);
    CHECK(out[i].payload == payloads[i]);
  }
  CHECK(out.back().channel == pattern_channel);
  CHECK(out.back().pattern == std::string("pat\0*", 5));
  CHECK(out.back().payload == big);
}

TEST_CASE_FIXTURE(Watchdog, "redis_subscriber: 10,000 messages arrive complete and in order") {
  test::RedisServer redis;
  RedisSubscriber sub(options_for(redis, {"seq"}));
  require_subscribed(sub);

  constexpr int n = 10000;
  auto client = redis.client();
  std::string pipeline;
  for (int i = 0; i < n; ++i) format_command(pipeline, {"PUBLISH", "seq", std::to_string(i)});
  REQUIRE(client.append_formatted(pipeline));
  for (int i = 0; i < n; ++i) {
    RedisReply reply = client.get_reply();
    REQUIRE(reply);
    REQUIRE(reply->integer == 1);
  }

  auto out = receive(sub, n);
  REQUIRE(out.size() == static_cast<size_t>(n));
  int out_of_order = 0;
  for (int i = 0; i < n; ++i) out_of_order += out[i].payload != std::to_string(i);
  CHECK(out_of_order == 0);
}

TEST_CASE_FIXTURE(Watchdog,
                  "redis_subscriber: after Redis restarts it subscribes again, logging once each") {
  LogCapture log;
  test::RedisServer redis;
  Delta reconnects("redis_in_reconnects");
  RedisSubscriber sub(options_for(redis, {"zeek:in"}, {"zeek:p*"}));
  require_subscribed(sub);
  auto client = redis.client();
  REQUIRE(publish(client, "zeek:in", "before") == 1);
  REQUIRE(receive(sub, 1).size() == 1);

  redis.kill();
  REQUIRE(eventually([&] { return !sub.subscribed(); }));
  std::this_thread::sleep_for(300ms);  // several failed attempts meanwhile
  CHECK_FALSE(sub.subscribed());
  redis.start();
  require_subscribed(sub);
  CHECK(reconnects() == 1);

  auto again = redis.client();
  REQUIRE(publish(again, "zeek:in", "after") == 1);
  REQUIRE(publish(again, "zeek:pattern", "after, by pattern") == 1);
  auto out = receive(sub, 2);
  REQUIRE(out.size() == 2);
  CHECK(out[0].payload == "after");
  CHECK(out[1].pattern == "zeek:p*");
  CHECK(out[1].payload == "after, by pattern");

  CHECK(log.count("lost the connection") == 1);
  CHECK(log.count("cannot connect") == 1);  // repeats go to debug
  CHECK(log.count(": back after") == 1);
}

TEST_CASE_FIXTURE(Watchdog,
                  "redis_subscriber: closed by Redis for its output buffer limit, it comes back") {
  LogCapture log;
  // Redis closes a subscriber rather than buffer more than this for it.
  test::RedisServer redis({"--client-output-buffer-limit", "pubsub 256kb 128kb 60"});
  Delta reconnects("redis_in_reconnects");
  RedisSubscriber sub(options_for(redis, {"big"}));
  require_subscribed(sub);
  auto client = redis.client();
  REQUIRE(publish(client, "big", std::string(1 << 20, 'b')) == 1);
  REQUIRE(eventually([&] { return reconnects() == 1 && sub.subscribed(); }));
  REQUIRE(publish(client, "big", "small") == 1);
  auto out = receive(sub, 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == "small");  // the big one is lost, as Redis decided
  CHECK(log.count("client-output-buffer-limit") == 1);
}

TEST_CASE_FIXTURE(Watchdog, "redis_subscriber: Redis down at start, subscribed once it comes up") {
  LogCapture log;
  test::RedisServer redis;
  redis.stop();
  Delta failures("redis_in_connect_failures");
  Delta reconnects("redis_in_reconnects");
  RedisSubscriber sub(options_for(redis, {"late"}));
  REQUIRE(eventually([&] { return failures() >= 3; }));
  CHECK_FALSE(sub.subscribed());

  redis.start();
  require_subscribed(sub);
  CHECK(reconnects() == 0);  // the first connection is no reconnection
  auto client = redis.client();
  REQUIRE(publish(client, "late", "hello") == 1);
  auto out = receive(sub, 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == "hello");
  CHECK(log.count("cannot connect") == 1);
  CHECK(log.count("subscribed to 1 channel and 0 patterns after") == 1);
}

TEST_CASE_FIXTURE(Watchdog, "redis_subscriber: AUTH with requirepass") {
  test::RedisServer redis({"--requirepass", "s3cret"});
  auto url = redis.url();
  url.password = "s3cret";

  SUBCASE("the right password subscribes") {
    auto options = options_for(redis, {"auth"});
    options.url = url;
    RedisSubscriber sub(options);
    require_subscribed(sub);
    auto client = redis.client(url);
    REQUIRE(publish(client, "auth", "in") == 1);
    auto out = receive(sub, 1);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "in");
  }
  SUBCASE("a wrong password keeps retrying, says why, never shows the password") {
    LogCapture log;
    Delta failures("redis_in_connect_failures");
    auto options = options_for(redis, {"auth"});
    options.url.password = "not-the-password";
    RedisSubscriber sub(options);
    REQUIRE(eventually([&] { return failures() >= 3; }));
    CHECK_FALSE(sub.subscribed());
    sub.stop();
    CHECK(log.count("WRONGPASS") == 1);
    CHECK(log.count("not-the-password") == 0);
  }
}

TEST_CASE_FIXTURE(
    Watchdog, "redis_subscriber: a refused PSUBSCRIBE (ACL) is retried, not taken as subscribed") {
  LogCapture log;
  test::RedisServer redis;
  auto admin = redis.client();
  RedisReply acl = admin.command(
      {"ACL", "SETUSER", "reader", "on", ">pw", "resetchannels", "&allowed:*", "+@all"});
  REQUIRE(acl);
  REQUIRE_FALSE(reply_error(*acl));
  // SUBSCRIBE is confirmed, PSUBSCRIBE refused: half is not subscribed.
  auto options = options_for(redis, {"allowed:a"}, {"forbidden:*"});
  options.url.user = "reader";
  options.url.password = "pw";
  Delta reconnects("redis_in_reconnects");
  RedisSubscriber sub(options);
  // Watched without pause over many attempts: being connected, or half
  // confirmed, must not pass for subscribed, not even for the round trip
  // until Redis refuses.
  bool ever_subscribed = false;
  auto deadline = Clock::now() + 10s;
  while (reconnects() < 10 && Clock::now() < deadline) ever_subscribed |= sub.subscribed();
  REQUIRE(reconnects() >= 10);
  CHECK_FALSE(ever_subscribed);
  sub.stop();
  CHECK(log.count("Redis refused to subscribe: 'NOPERM") == 1);
}

TEST_CASE_FIXTURE(Watchdog,
                  "redis_subscriber: a full queue drops the oldest messages and counts them") {
  LogCapture log;
  test::RedisServer redis;
  Delta received("redis_in_messages", "flood");
  Delta dropped("redis_in_dropped", "queue_full");

  SUBCASE("by count") {
    auto options = options_for(redis, {"flood"});
    options.max_queued = 10;
    RedisSubscriber sub(options);
    require_subscribed(sub);
    auto client = redis.client();
    for (int i = 0; i < 25; ++i) REQUIRE(publish(client, "flood", std::to_string(i)) == 1);
    REQUIRE(eventually([&] { return received() == 25; }));

    std::vector<RedisMessage> out;
    REQUIRE(sub.poll(out, 100) == 10);
    for (int i = 0; i < 10; ++i) CHECK(out[i].payload == std::to_string(15 + i));
    CHECK(dropped() == 15);
    CHECK(log.count("the queue of messages for Zeek is full") == 1);

    // The next message finds room: the overload is over, and said so.
    REQUIRE(publish(client, "flood", "25") == 1);
    auto next = receive(sub, 1);
    REQUIRE(next.size() == 1);
    CHECK(next[0].payload == "25");
    CHECK(dropped() == 15);
    // Logged by the reading thread just after it queued the message.
    CHECK(eventually(
        [&] { return log.count("the queue has room again after dropping 15 messages") == 1; }));
  }
  SUBCASE("by bytes") {
    auto options = options_for(redis, {"flood"});
    options.max_queued_bytes = 1000;  // three messages of 5 + 300 bytes
    RedisSubscriber sub(options);
    require_subscribed(sub);
    auto client = redis.client();
    for (char c : std::string("abcde")) REQUIRE(publish(client, "flood", std::string(300, c)) == 1);
    REQUIRE(eventually([&] { return received() == 5; }));

    std::vector<RedisMessage> out;
    REQUIRE(sub.poll(out, 100) == 3);
    CHECK(out[0].payload == std::string(300, 'c'));
    CHECK(out[2].payload == std::string(300, 'e'));
    CHECK(dropped() == 2);
  }
}

TEST_CASE_FIXTURE(Watchdog,
                  "redis_subscriber: a payload over max_message_bytes is dropped and counted") {
  test::RedisServer redis;
  Delta too_large("redis_in_dropped", "too_large");
  auto options = options_for(redis, {"sized"});
  options.max_message_bytes = 100;
  RedisSubscriber sub(options);
  require_subscribed(sub);
  auto client = redis.client();
  REQUIRE(publish(client, "sized", std::string(101, 'x')) == 1);
  REQUIRE(publish(client, "sized", std::string(100, 'y')) == 1);
  auto out = receive(sub, 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == std::string(100, 'y'));
  CHECK(too_large() == 1);
  CHECK(sub.poll(out, 10) == 0);
}

TEST_CASE_FIXTURE(Watchdog,
                  "redis_subscriber: stop() is prompt, with Redis down and while waiting to read") {
  test::RedisServer redis;
  auto options = options_for(redis, {"idle"});
  // A long backoff: stop() must not wait it out.
  options.backoff_initial = 10s;
  options.backoff_max = 10s;

  SUBCASE("Redis down, the thread asleep in its backoff") {
    redis.stop();
    Delta failures("redis_in_connect_failures");
    RedisSubscriber sub(options);
    REQUIRE(eventually([&] { return failures() == 1; }));
    std::this_thread::sleep_for(50ms);
    auto start = Clock::now();
    sub.stop();
    CHECK(Clock::now() - start < 500ms);
    CHECK_FALSE(sub.subscribed());
  }
  SUBCASE("subscribed, the thread blocked reading") {
    auto start = Clock::now();
    {
      RedisSubscriber sub(options);
      require_subscribed(sub);
      start = Clock::now();
    }  // the destructor stops
    CHECK(Clock::now() - start < 500ms);
  }
}

TEST_CASE_FIXTURE(Watchdog, "redis_subscriber: over a Unix socket") {
  test::RedisServer redis({}, test::RedisServer::with_unix_socket);
  auto options = options_for(redis, {"unix"});
  options.url.transport = RedisUrl::Transport::unix_socket;
  options.url.socket_path = redis.socket_path();
  RedisSubscriber sub(options);
  require_subscribed(sub);
  auto client = redis.client();
  REQUIRE(publish(client, "unix", "via socket") == 1);
  auto out = receive(sub, 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == "via socket");
}

TEST_CASE_FIXTURE(Watchdog, "redis_subscriber: nothing to subscribe to is refused") {
  SubscriberOptions options;
  CHECK_THROWS_AS(RedisSubscriber{options}, std::invalid_argument);
}

}  // namespace zrb
