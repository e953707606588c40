// Runs the requests of Zeek scripts against Redis (docs/protocol.md,
// "Commands") on a connection and a thread of its own, separate from the
// log writer, so that a slow log batch never delays an answer and a query
// never waits behind a log backlog.
//
// Batching. The thread takes everything queued (up to `max_batch`
// requests), writes it in one go and reads the replies: requests that
// arrive while a round trip is in flight go out together in the next one.
// There is no batch delay: a lone request goes out at once.
//
// Delivery. Requests run in the order they were submitted. If the
// connection breaks, every request of the batch whose reply was not read
// is sent again, in order, after reconnecting with backoff (at-least-once,
// as for log records): a request may run twice, so an INCRBY, HINCRBY,
// ZINCRBY or LPUSH may count or push twice across an outage; SET, DEL,
// SADD, PFADD and reads are safe to repeat. While Redis is away requests
// wait in the queue; once `max_queued` wait, submit() refuses more (the
// caller answers them with an error reply). The connection is made on the
// first request, not before: a bridge whose Zeek never asks has none.
//
// Replies (only for requests that want one) go to a queue that the
// daemon's main thread polls (fd() is readable while it holds something)
// and publishes as Zeek events. Redis error replies (WRONGTYPE ...) are
// replies like any other; for fire-and-forget requests they are counted
// and logged (the first, then at powers of two).
//
// The connection, its backoff and outage logging are a RedisWorker's
// (redis/redis_worker.hh), as for every thread that holds a connection.
//
// Counters: commands_executed{op}, command_errors{op} (Redis error
// replies), commands_resent, commands_reconnects,
// commands_connect_failures.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/event_fd.hh"
#include "commands/command_request.hh"
#include "json/value.hh"
#include "redis/redis_url.hh"
#include "redis/redis_worker.hh"

namespace zrb {

struct ExecutorOptions {
  RedisUrl url;
  /// Requests waiting (not counting the batch in flight); beyond, submit() refuses.
  size_t max_queued = 100000;
  /// Requests written per round trip at most.
  size_t max_batch = 1000;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  /// Bound on connecting and on each step of the handshake; also how long
  /// stop() may wait for a connection attempt to a host that does not answer.
  std::chrono::milliseconds connect_timeout{2000};
  /// Bound on writing a batch and on waiting for each of its replies. A
  /// Redis that takes longer counts as gone: the batch is sent again on a
  /// new connection.
  std::chrono::milliseconds reply_timeout{30000};
};

/// A reply for the main thread to publish.
struct CommandOutcome {
  uint64_t id = 0;
  std::string reply_topic;
  Value reply;
};

class CommandExecutor {
 public:
  explicit CommandExecutor(ExecutorOptions options);
  /// Calls stop().
  ~CommandExecutor();
  CommandExecutor(const CommandExecutor&) = delete;
  CommandExecutor& operator=(const CommandExecutor&) = delete;

  // --- owning thread ---

  /// Queues `request`; false (and `request` untouched) when `max_queued` wait.
  bool submit(CommandRequest& request);
  /// Moves up to `max` replies, oldest first, to the end of `out`.
  size_t poll(std::vector<CommandOutcome>& out, size_t max);
  /// Readable while replies wait for poll().
  int fd() const { return replies_ready_.get(); }
  /// Waits until every submitted request has run, or `deadline`; returns
  /// how many have not.
  size_t drain(std::chrono::steady_clock::time_point deadline);
  /// Stops the thread (a batch in flight is abandoned); idempotent.
  void stop();

  /// Requests submitted and not yet answered by Redis.
  size_t pending() const;

 private:
  void run();
  // Connects if needed; false after a failed attempt (and its backoff).
  bool connect();
  // Runs `batch`; returns how many requests got their replies (all of them
  // unless the connection broke).
  size_t execute(std::vector<CommandRequest>& batch);

  const ExecutorOptions options_;
  const EventFd replies_ready_;
  // The connection and its thread's waits; its lock() guards the fields
  // below up to replies_.
  RedisWorker worker_;

  std::condition_variable idle_cv_;  // nothing queued or in flight
  std::deque<CommandRequest> queue_;
  size_t in_flight_ = 0;
  std::deque<CommandOutcome> replies_;

  // Worker thread only.
  bool ever_connected_ = false;
  uint64_t error_replies_ = 0;
  std::unordered_map<std::string, std::atomic<uint64_t>*> executed_;  // by op

  std::atomic<uint64_t>& resent_;
  std::atomic<uint64_t>& reconnects_;
  std::atomic<uint64_t>& connect_failures_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace zrb
