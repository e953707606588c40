// Replays the intel snapshot (intel_snapshot.hh) when a Zeek peer connects,
// so a Zeek that restarted gets the whole current indicator set back.
//
// A thread of its own reads the snapshot on a connection of its own (SMEMBERS
// of the sources, then HSCAN of each source's hash in chunks) and queues the
// valid, unexpired adds, each with its remaining expiry, for the main thread
// to publish; the main loop is never blocked by it, and the queue is bounded
// (the reader waits), so 1M indicators do not mean 1M in memory.
//
// Requests do not overlap: a request while a replay runs queues exactly one
// more replay, which starts when the current one ends, however many peers
// connected meanwhile (Broker publishes by topic, so one replay reaches
// every peer connected at the time). If Redis fails during a replay, it
// starts again from the beginning after a backoff.
//
// Every pass that ends (it read the snapshot, or Redis refused it with an
// error that retrying would not fix) queues a ReplayEnd after its last
// indicator, so the peer can be told that the replay has been delivered
// (docs/protocol.md, "Replay"). A pass abandoned for a retry queues none:
// the retry starts over and ends with one.
//
// Expired entries are skipped and deleted from the snapshot (only if they
// still hold what was read, so a concurrent re-add survives).
//
// Counters: intel_replays (finished), intel_replay_skipped{expired},
// intel_snapshot_pruned (expired entries deleted),
// rejected{intel_snapshot_invalid} (a value that is not a valid item);
// the main thread counts intel_replayed (indicators published).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "base/event_queue.hh"
#include "intel/intel_message.hh"
#include "intel/intel_snapshot.hh"
#include "redis/redis_worker.hh"

namespace zrb {

/// The end of one replay pass, queued after its last indicator.
struct ReplayEnd {
  /// Indicators the pass queued.
  uint64_t indicators = 0;
};

/// What a replay queues: an indicator, or the end of a pass.
using ReplayItem = std::variant<IntelUpdate, ReplayEnd>;

struct ReplayOptions {
  WorkerOptions redis;
  SnapshotOptions snapshot;
  /// HSCAN COUNT: fields per round trip.
  size_t chunk = 1000;
  /// Indicators waiting for the main thread.
  size_t max_queued = 10000;
};

class IntelReplay {
 public:
  /// Starts the (idle) thread.
  explicit IntelReplay(ReplayOptions options);
  /// Calls stop().
  ~IntelReplay();
  IntelReplay(const IntelReplay&) = delete;
  IntelReplay& operator=(const IntelReplay&) = delete;

  /// Asks for a replay (a peer connected); see the header for overlaps.
  void request();
  /// Moves up to `max` queued items (indicators and ends of passes) to `out`.
  size_t poll(std::vector<ReplayItem>& out, size_t max) { return queue_.poll(out, max); }
  /// Readable while items are queued.
  int fd() const { return queue_.fd(); }
  /// Ends the thread (a replay in progress is abandoned). Idempotent.
  void stop();

  /// Replays finished so far.
  uint64_t finished() const { return finished_.load(); }

 private:
  void run();
  enum class Pass { done, retry, stopped };
  Pass replay_once(std::string* trouble);
  Pass replay_source(const std::string& source, std::string* trouble);
  bool prune(const std::string& key, std::string_view field, std::string_view value);

  const ReplayOptions options_;
  EventQueue<ReplayItem> queue_;
  RedisWorker worker_;
  uint64_t requested_ = 0, started_ = 0;  // guarded by worker_.lock()
  std::atomic<uint64_t> finished_{0};
  uint64_t queued_ = 0, expired_ = 0, invalid_ = 0;  // this pass
  std::atomic<uint64_t>& replays_;
  std::atomic<uint64_t>& skipped_expired_;
  std::atomic<uint64_t>& pruned_;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace zrb
