// What a thread that reads Redis on a connection of its own needs, besides
// its work: connecting (through RedisContext: AUTH, SELECT, PING), a stop
// that interrupts blocking reads, an interruptible backoff sleep between
// attempts, and outage logging that stays a few lines however long Redis is
// away. The intel snapshot replay and the intel stream reader use it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "base/backoff.hh"
#include "redis/interruptible_connection.hh"
#include "redis/redis_url.hh"

namespace zrb {

struct WorkerOptions {
  RedisUrl url;
  /// Reconnect delays: backoff_initial, doubling up to backoff_max.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  /// Bound on connecting and on each read or write.
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds io_timeout{10000};
};

class RedisWorker {
 public:
  /// `name` starts its log lines, e.g. "intel stream".
  RedisWorker(std::string name, WorkerOptions options);

  // --- the worker thread ---

  /// Call first in the thread: a write to a socket Redis closed must fail
  /// with EPIPE, not raise SIGPIPE and end the process.
  static void block_sigpipe();

  /// Connects if not connected; false if that fails (`trouble` says why;
  /// the caller then calls retry_after()) or stop() was called.
  bool ensure_connected(std::string* trouble);
  /// The connection (after ensure_connected() returned true).
  InterruptibleConnection& conn() { return conn_; }
  /// Closes the connection after a failure `what` (logged as an outage)
  /// and sleeps a backoff; false if stop() was called meanwhile.
  bool retry_after(const std::string& what);
  /// After a success: the outage (if any) is over.
  void succeeded();
  /// Closes the connection (a pass is over).
  void disconnect() { conn_.reset(); }
  /// Waits until `ready()` or stop(); false on stop. `ready` runs under
  /// the lock that notify() takes.
  bool wait(const std::function<bool()>& ready);

  // --- any thread ---

  /// Wakes wait() after the caller changed what `ready` looks at under lock().
  std::mutex& lock() const { return mutex_; }
  void notify() { cv_.notify_all(); }
  /// Interrupts I/O and sleeps; idempotent.
  void stop();
  bool stopping() const { return stopping_.load(); }
  const std::string& name() const { return name_; }

 private:
  const std::string name_;
  const WorkerOptions options_;
  const std::string masked_url_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  InterruptibleConnection conn_;
  Backoff backoff_;
  bool in_trouble_ = false;
  std::string last_trouble_;
  unsigned trouble_attempts_ = 0;
  std::chrono::steady_clock::time_point trouble_since_{};
};

}  // namespace zrb
