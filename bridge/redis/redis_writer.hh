// The writer: takes log records from the daemon's main thread and writes
// them to Redis from a thread of its own.
//
// The main thread formats each record's commands into an open batch
// (append(), no lock and no system call per record). A batch is handed to
// the writer thread when it holds `batch_size` records or `batch_max_bytes`
// of commands, or when `batch_delay` has passed since its first record (the
// main loop calls poll(); flush_due() says when it next has to).
//
// Handed-off batches wait in memory, bounded in batches, records and bytes
// (the batch being written counts too; one batch is always let in, however
// large). When memory is full and a spool directory is configured, batches
// go to the disk spool (spool.hh) instead; once anything is spooled, every
// newer batch goes there too until the spool is written out, so no batch
// overtakes an older one. The writer thread takes batches from memory
// first, then from the spool, which preserves the order of arrival. When
// every buffer is full the OverflowPolicy applies: `block` makes append()
// wait (backpressure: the main loop stops receiving from Broker),
// `drop_oldest` discards the oldest waiting batch (counted per record as
// records_dropped{overflow}, one log line per burst).
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
// records_dropped{route|shutdown|overflow|spool_damaged}, records_spooled,
// spool_torn_entries.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/backoff.hh"
#include "redis/interruptible_connection.hh"
#include "redis/redis_command.hh"
#include "redis/redis_context.hh"
#include "redis/redis_url.hh"
#include "redis/route.hh"
#include "redis/spool.hh"

namespace zrb {

/// What append() does when memory and the spool (if any) are full.
enum class OverflowPolicy {
  /// Wait for the writer thread (backpressure onto Broker and Zeek).
  block,
  /// Discard the oldest waiting batch (the spool's oldest while spooling).
  drop_oldest,
};

/// "block" or "drop-oldest"; false for anything else.
bool parse_overflow_policy(std::string_view text, OverflowPolicy& out);

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
  /// Bounds of the memory buffer: batches waiting for the writer thread
  /// (not counting the one in flight), and records and command bytes
  /// (counting it). Whichever is reached first makes the buffer full.
  size_t max_queued_batches = 1024;
  size_t max_buffered_records = 100000;
  size_t max_buffered_bytes = 64 * 1024 * 1024;
  OverflowPolicy overflow = OverflowPolicy::block;
  /// Disk spool used when memory is full and at shutdown (dir empty: none).
  SpoolOptions spool;
  /// While this is set (the daemon's stop flag), append() under `block`
  /// stops waiting for room and keeps the record in the open batch, so a
  /// signal is not stuck behind an outage; drain() still waits for room.
  const std::atomic<bool>* stop_flag = nullptr;
  /// Called on the writer thread with the round-trip time of each batch
  /// (first byte sent to last reply read). For metrics; none by default.
  std::function<void(std::chrono::nanoseconds)> on_round_trip;
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
  /// Opens the spool if one is configured, and writes what an earlier run
  /// left there before anything new; throws std::runtime_error if the
  /// spool directory cannot be used.
  explicit RedisWriter(WriterOptions options);
  /// Calls stop().
  ~RedisWriter();
  RedisWriter(const RedisWriter&) = delete;
  RedisWriter& operator=(const RedisWriter&) = delete;

  // --- called by the owning thread only ---

  /// Queues one record along `route` (drop routes are only counted).
  /// Under `block`, waits while every buffer is full.
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

  /// Flushes and waits until every record handed over (the spool's too)
  /// is written or `deadline` passes. Returns how many records are still
  /// unwritten.
  size_t drain(Clock::time_point deadline);

  struct StopResult {
    size_t spooled = 0;  // unwritten records kept in the spool for the next start
    size_t lost = 0;     // unwritten records abandoned
  };
  /// Stops the writer thread and joins it. What is not yet written goes to
  /// the spool if there is one (older batches before what is spooled
  /// already), else it is abandoned (logged and counted as
  /// records_dropped{shutdown}); call drain() first to avoid that.
  /// Idempotent (a second call returns zeros).
  StopResult stop();

  /// Records given to append() and not yet written (or failed), including
  /// the spool's.
  size_t pending_records() const;

  /// Where the records given to append() and append_command() stand.
  /// Records leave memory in the order they came, so `settled >= n` means
  /// that the first n accepted records have all left it.
  struct Progress {
    uint64_t accepted = 0;  // records taken since the writer started
    uint64_t settled = 0;   // of them, the oldest that left memory: written,
                            // failed, dropped or put in the spool
    uint64_t written = 0;   // of those, the oldest not in the spool now
  };
  Progress progress() const;

  // --- accessors (any thread) ---

  /// True while the writer thread holds a working connection.
  bool connected() const { return connected_.load(); }
  /// Records and command bytes in the memory buffer (batch in flight
  /// included, open batch not), and in the spool (records not yet written).
  size_t buffered_records() const { return buffered_records_.load(); }
  size_t buffered_bytes() const { return buffered_bytes_.load(); }
  uint64_t spooled_records() const { return spooled_records_.load(); }
  uint64_t spooled_bytes() const { return spooled_bytes_.load(); }

 private:
  enum class Outcome { written, connection_lost, retry_later, retry_reconnect };
  enum class Trouble { none, connection, reply };

  // Main thread.
  bool accepting();
  void appended();
  bool hand_off(std::optional<Clock::time_point> deadline, bool heed_stop_flag = true);
  bool memory_has_room(const CommandBatch& batch) const;
  size_t drop_oldest_queued();
  void note_dropped(size_t records);
  void report_drops(bool now);
  // Either thread, mutex_ held.
  void recycle(CommandBatch&& batch);
  void publish_levels();

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
  uint64_t accepted_ = 0;  // records that went into the open batch
  bool warned_after_stop_ = false;
  bool full_counted_ = false;    // writer_queue_full counted for this episode
  bool dropping_ = false;        // the last hand-off dropped records
  size_t unreported_drops_ = 0;  // dropped since the last log line about it
  Clock::time_point drops_logged_{};

  // Shared, guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;   // writer thread: a batch arrived, or stop
  std::condition_variable space_cv_;  // main thread: a buffer has room
  std::condition_variable idle_cv_;   // drain(): a batch was written
  std::deque<CommandBatch> queue_;
  std::vector<CommandBatch> spare_;  // written batches, kept for their capacity
  size_t pending_records_ = 0;       // in memory (queued or in flight), not yet written
  size_t pending_bytes_ = 0;
  std::unique_ptr<Spool> spool_;
  std::atomic<size_t> buffered_records_{0}, buffered_bytes_{0};
  std::atomic<uint64_t> spooled_records_{0}, spooled_bytes_{0};
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
  std::atomic<uint64_t>& bytes_written_;
  std::atomic<uint64_t>& records_failed_;
  std::atomic<uint64_t>& reconnects_;
  std::atomic<uint64_t>& connect_failures_;
  std::atomic<uint64_t>& queue_full_;
  std::atomic<uint64_t>& dropped_by_route_;
  std::atomic<uint64_t>& dropped_at_shutdown_;
  std::atomic<uint64_t>& dropped_by_overflow_;
  std::atomic<uint64_t>& records_spooled_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace zrb
