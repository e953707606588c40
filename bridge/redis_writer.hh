// The writer: takes log records from the daemon's main thread and writes
// them to Redis from a thread of its own.
//
// The main thread formats each record's commands into an open batch
// (append(), no lock and no system call per record). A batch is handed to
// the writer thread when it holds `batch_size` records or `batch_max_bytes`
// of commands, or when `batch_delay` has passed since its first record (the
// main loop calls poll(); flush_due() says when it next has to). Handed-off
// batches wait in a bounded queue; when it is full, append() blocks: that is
// backpressure, and the seam where a spill-to-disk or drop policy goes (see
// OverflowPolicy).
//
// The writer thread sends one batch at a time as a pipeline (every command,
// then every reply) and keeps it until all its replies are in. If the
// connection breaks first, it reconnects with exponential backoff and sends
// the batch again: delivery is at-least-once, and since Redis may have run
// part of the batch before the break, a resend may duplicate up to one batch
// of records (never more: the next batch is not sent before this one is
// answered). An error reply (WRONGTYPE, NOPERM) fails that command only: it
// is counted and logged once per batch, and the other commands of the batch
// count as written. Error replies that mean "not now" (LOADING, READONLY,
// NOAUTH, OOM, ...) are retried like a broken connection: the whole batch
// again after a backoff, which may duplicate those of its commands that did
// succeed. The writer thread blocks SIGPIPE for itself, so a write to a
// socket Redis closed is an error, not the end of the process.
//
// Counters: records_written, commands_written, batches_written,
// path_records_written{path}, records_failed, redis_errors{reason},
// redis_reconnects, redis_connect_failures, writer_queue_full,
// records_dropped{route|shutdown}.
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
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backoff.hh"
#include "interruptible_connection.hh"
#include "redis_command.hh"
#include "redis_context.hh"
#include "redis_url.hh"
#include "route.hh"

namespace zrb {

/// What append() does when the queue of batches is full.
enum class OverflowPolicy {
  /// Wait for the writer thread (backpressure onto Broker and Zeek).
  block,
};

struct WriterOptions {
  /// Where to write.
  RedisUrl url;
  /// Records per batch.
  size_t batch_size = 512;
  /// A batch is handed off early once its commands reach this many bytes,
  /// which bounds the memory of a batch of large records.
  size_t batch_max_bytes = 8 * 1024 * 1024;
  /// Longest time a record waits in the open batch (with poll() called).
  std::chrono::milliseconds batch_delay{10};
  /// Batches waiting for the writer thread, not counting the one in flight.
  size_t max_queued_batches = 64;
  OverflowPolicy overflow = OverflowPolicy::block;
  /// Reconnect delays: backoff_initial, doubling up to backoff_max.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  /// Bound on connecting, and on each read or write once connected (a
  /// Redis that stops answering counts as gone after it; 0: no bound).
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds io_timeout{10000};
};

class RedisWriter {
 public:
  using Clock = std::chrono::steady_clock;

  // --- constructors ---

  /// Starts the writer thread, which connects at once and keeps retrying
  /// if Redis is not there: the bridge runs while Redis is briefly down.
  explicit RedisWriter(WriterOptions options);
  /// Calls stop().
  ~RedisWriter();
  RedisWriter(const RedisWriter&) = delete;
  RedisWriter& operator=(const RedisWriter&) = delete;

  // --- called by the owning thread only ---

  /// Queues one record along `route` (drop routes are only counted).
  /// Blocks while the queue of batches is full.
  void append(const Route& route, std::string_view json);

  /// Queues one arbitrary command as one record of `path` on `key` (see
  /// redis_command.hh), written in order with the records around it.
  void append_command(std::string_view path, std::string_view key,
                      std::initializer_list<std::string_view> argv);

  /// Hands off the open batch if `batch_delay` has passed since its first
  /// record. Cheap: call it every turn of the main loop.
  void maybe_flush(Clock::time_point now);
  void poll() { maybe_flush(Clock::now()); }

  /// When maybe_flush() has to run next; nullopt while the open batch is
  /// empty. The main loop waits for input no longer than this.
  std::optional<Clock::time_point> flush_due() const;

  /// Hands off the open batch now (blocks while the queue is full).
  void flush();

  /// Flushes and waits until every record handed over is written or
  /// `deadline` passes. Returns how many records are still unwritten.
  size_t drain(Clock::time_point deadline);

  /// Stops the writer thread and joins it, abandoning whatever is not yet
  /// written (logged and counted as records_dropped{shutdown}); call
  /// drain() first to avoid that. Idempotent.
  void stop();

  /// Records given to append() and not yet written (or failed).
  size_t pending_records() const;

  // --- accessors (any thread) ---

  /// True while the writer thread holds a working connection.
  bool connected() const { return connected_.load(); }

 private:
  enum class Outcome { written, connection_lost, retry_later, retry_reconnect };
  enum class Trouble { none, connection, reply };

  // Main thread.
  bool accepting();
  void appended();
  bool hand_off(std::optional<Clock::time_point> deadline);

  // Writer thread.
  void run();
  bool write_until_done(CommandBatch& batch);
  Outcome send(CommandBatch& batch);
  bool connect_until_ok();
  void drop_connection();
  void sleep_backoff();
  void note_trouble(Trouble kind, const std::string& what);
  void end_trouble();
  std::atomic<uint64_t>& path_counter(const std::string& path);

  const WriterOptions options_;
  const std::string masked_url_;

  // Owned by the main thread.
  CommandBatch open_;
  Clock::time_point open_since_{};
  bool warned_after_stop_ = false;

  // Shared, guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;   // writer thread: a batch arrived, or stop
  std::condition_variable space_cv_;  // main thread: the queue has room
  std::condition_variable idle_cv_;   // drain(): a batch was written
  std::deque<CommandBatch> queue_;
  std::vector<CommandBatch> spare_;  // written batches, kept for their capacity
  size_t pending_records_ = 0;       // handed off, not yet written
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};

  // The connection, owned by the writer thread; stop() interrupts it.
  InterruptibleConnection conn_;

  // Writer thread only.
  Backoff backoff_;
  bool ever_connected_ = false;
  Trouble trouble_ = Trouble::none;  // what went wrong since the last success
  std::string last_trouble_;
  unsigned trouble_attempts_ = 0;
  Clock::time_point trouble_since_{};
  std::vector<size_t> run_written_;  // per run of the batch being sent
  std::unordered_map<std::string, std::atomic<uint64_t>*> path_written_;

  // Counters, looked up once.
  std::atomic<uint64_t>& records_written_;
  std::atomic<uint64_t>& commands_written_;
  std::atomic<uint64_t>& batches_written_;
  std::atomic<uint64_t>& records_failed_;
  std::atomic<uint64_t>& reconnects_;
  std::atomic<uint64_t>& connect_failures_;
  std::atomic<uint64_t>& queue_full_;
  std::atomic<uint64_t>& dropped_by_route_;
  std::atomic<uint64_t>& dropped_at_shutdown_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace zrb
