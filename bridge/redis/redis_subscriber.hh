// The subscribed Redis connection: what Redis publishes, for the daemon's
// main thread to turn into Zeek events (docs/protocol.md, "Redis to Zeek").
//
// A thread of its own connects (AUTH and SELECT through RedisContext),
// sends SUBSCRIBE and PSUBSCRIBE, and then does nothing but read. If the
// connection breaks, or Redis is not there at all, it reconnects with
// exponential backoff and subscribes again. Pub/sub is at-most-once: what
// Redis publishes while no connection is subscribed is lost, and so is a
// message whose delivery the break cut off. Losing the connection and
// getting it back are logged once each, however long the outage.
//
// Why drop rather than block when the queue is full. Pub/sub cannot push
// back on publishers: a subscriber that stops reading only makes Redis
// buffer for it, and Redis closes a subscriber whose output buffer passes
// `client-output-buffer-limit pubsub` (32 MB hard, or 8 MB for 60 s, by
// default), losing everything buffered and whatever comes during the
// reconnection. So the reading thread never waits for the main thread:
// when `max_queued` messages (or `max_queued_bytes`) are waiting, it drops
// the OLDEST queued message to make room for the new one, counted as
// redis_in_dropped{queue_full}. Keeping the newest makes what a slow main
// thread does deliver as recent as possible (a queue of stale messages
// would stay stale for as long as the overload lasts), and a later message
// on a channel (an intel `remove` after its `add`) usually supersedes an
// earlier one. An overload is logged when it starts and when it ends.
//
// Messages whose payload exceeds `max_message_bytes` are dropped as
// redis_in_dropped{too_large}. hiredis 0.14 has no reader limit of its own
// (it accepts a bulk string of any length and buffers all of it), so such a
// message is read whole before it is dropped; what bounds that read is
// Redis: `proto-max-bulk-len` (512 MB) on PUBLISH, and the pubsub output
// buffer limit above, by which Redis closes this connection instead of
// delivering a message over 32 MB (the message is lost either way).
//
// A peer that vanishes without closing the connection is found by TCP
// keepalive (RedisContext enables it; hiredis 0.14 probes after 15 s idle,
// 3 probes 5 s apart). A Redis that hangs while its kernel still answers
// is not detected; nothing can publish to it either.
//
// Counters: redis_in_messages{channel, or pattern for PSUBSCRIBE}
// (every message Redis delivered, dropped or not), redis_in_dropped{
// queue_full|too_large}, redis_in_reconnects, redis_in_connect_failures.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/backoff.hh"
#include "base/event_fd.hh"
#include "redis/interruptible_connection.hh"
#include "redis/redis_context.hh"
#include "redis/redis_url.hh"

namespace zrb {

struct RedisMessage {
  /// The channel it was published on.
  std::string channel;
  /// The matching pattern for a PSUBSCRIBE delivery, else empty.
  std::string pattern;
  /// The bytes as published.
  std::string payload;
};

struct SubscriberOptions {
  /// Where to subscribe (the database does not matter to pub/sub).
  RedisUrl url;
  /// SUBSCRIBE these; with `patterns`, at least one name in all.
  std::vector<std::string> channels;
  /// PSUBSCRIBE these.
  std::vector<std::string> patterns;
  /// Messages waiting for the main thread; beyond, the oldest is dropped.
  size_t max_queued = 100000;
  /// Bytes (channel, pattern and payload) waiting for the main thread;
  /// beyond, the oldest is dropped. Bounds memory where `max_queued` of
  /// large messages would not.
  size_t max_queued_bytes = size_t{256} << 20;
  /// Larger payloads are dropped (at most `max_queued_bytes`).
  size_t max_message_bytes = size_t{64} << 20;
  /// Reconnect delays: backoff_initial, doubling up to backoff_max.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  /// Bound on connecting and on each step of the handshake. Once
  /// subscribed, reads wait as long as it takes for the next message.
  std::chrono::milliseconds connect_timeout{2000};
};

class RedisSubscriber {
 public:
  // --- constructors ---

  /// Starts the reading thread, which connects at once and keeps retrying
  /// if Redis is not there. Throws std::invalid_argument without any
  /// channel or pattern.
  explicit RedisSubscriber(SubscriberOptions options);
  /// Calls stop().
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // --- called by the owning thread ---

  /// Moves up to `max` queued messages, oldest first, to the end of `out`;
  /// returns how many. Cheap when nothing is queued.
  size_t poll(std::vector<RedisMessage>& out, size_t max);

  /// Readable while messages are queued (an eventfd): wait on it together
  /// with Broker's fd, then poll(). Valid until destruction.
  int fd() const { return event_fd_.get(); }

  /// Stops the reading thread and joins it: at once, except during a
  /// connection attempt to a host that does not answer, which takes up to
  /// connect_timeout. Messages already queued stay for poll(). Idempotent.
  void stop();

  // --- accessors (any thread) ---

  /// True once Redis confirmed every SUBSCRIBE and PSUBSCRIBE of the
  /// current connection; false while there is none.
  bool subscribed() const { return subscribed_.load(); }

 private:
  enum class Reply { ok, refused };

  // Reading thread.
  void run();
  bool connect_and_subscribe();
  void read_until_lost();
  Reply handle(const redisReply& reply);
  void deliver(RedisMessage message);
  void drop_connection();
  void sleep_backoff();
  void note_trouble(const std::string& what);
  void end_trouble();
  std::string what_is_subscribed() const;
  std::atomic<uint64_t>& messages_counter(const std::string& label);

  const SubscriberOptions options_;
  const std::string masked_url_;
  const size_t expected_confirmations_;
  const EventFd event_fd_;

  // Shared, guarded by mutex_. The eventfd is readable exactly while
  // queue_ is not empty: both change together under the lock.
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;  // wakes the backoff sleep
  std::deque<RedisMessage> queue_;
  size_t queued_bytes_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};

  // The connection, owned by the reading thread; stop() interrupts it.
  InterruptibleConnection conn_;

  // Reading thread only.
  Backoff backoff_;
  size_t confirmations_ = 0;
  bool ever_subscribed_ = false;
  bool ever_connected_ = false;
  bool in_trouble_ = false;
  std::string last_trouble_;
  unsigned trouble_attempts_ = 0;
  std::chrono::steady_clock::time_point trouble_since_{};
  uint64_t too_large_ = 0;       // dropped as too large, ever
  uint64_t overload_drops_ = 0;  // dropped in the current overload
  std::unordered_map<std::string, std::atomic<uint64_t>*> messages_by_label_;

  // Counters, looked up once.
  std::atomic<uint64_t>& reconnects_;
  std::atomic<uint64_t>& connect_failures_;
  std::atomic<uint64_t>& dropped_queue_full_;
  std::atomic<uint64_t>& dropped_too_large_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace zrb
