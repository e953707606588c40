// Intel from Redis streams through a consumer group, for producers that need
// at-least-once delivery (pub/sub loses what is published while the bridge
// is away). docs/protocol.md, "Intel streams".
//
// A thread of its own, on a connection of its own, creates the group on
// every configured stream (XGROUP CREATE <stream> <group> 0 MKSTREAM; an
// existing group, BUSYGROUP, is fine), then reads this consumer's pending
// entries (XREADGROUP ... 0: read before, not acknowledged, e.g. because the
// bridge crashed) and then new ones (`>`, BLOCK). Each entry is queued for
// the main thread, which publishes it to Broker (or reports its rejection
// to the error stream) and only then acknowledges it: the XACK goes through
// the daemon's writer, after the records written for the entry, so an entry
// is acknowledged only once what it caused is out of the bridge's hands.
//
// If the connection breaks or Redis answers an error (NOGROUP after a Redis
// restart without persistence), it reconnects with backoff, creates the
// groups again and starts over with the pending entries: entries in flight
// may then be delivered twice, never lost. The queue is bounded and the
// reader waits when it is full: the stream holds what is not read yet.
//
// Counters: intel_stream_entries{stream} (read), intel_stream_reconnects.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/event_queue.hh"
#include "redis/redis_worker.hh"

namespace zrb {

struct IntelStreamOptions {
  WorkerOptions redis;
  /// Streams to read; none: no reader.
  std::vector<std::string> streams;
  std::string group = "zeek-redis-bridge";
  /// This bridge's name in the group; its pending entries are its own.
  std::string consumer;
  /// XREADGROUP COUNT.
  size_t count = 100;
  /// XREADGROUP BLOCK: how long one read waits for new entries.
  std::chrono::milliseconds block{1000};
  /// The entry field holding the intel JSON.
  std::string field = "intel";
  /// Entries waiting for the main thread.
  size_t max_queued = 1000;
};

/// One entry read from a stream.
struct IntelStreamEntry {
  std::string stream;
  std::string id;
  /// The intel JSON; nullopt if the entry has no such field.
  std::optional<std::string> payload;
  /// The entry was pending but is gone from the stream (XDEL, trimming):
  /// nothing to deliver, only to acknowledge.
  bool deleted = false;
};

/// The host name, the default consumer name ("zeek-redis-bridge" if unknown).
std::string default_consumer_name();

class IntelStreamReader {
 public:
  /// Starts the reading thread. Throws std::invalid_argument without streams.
  explicit IntelStreamReader(IntelStreamOptions options);
  /// Calls stop().
  ~IntelStreamReader();
  IntelStreamReader(const IntelStreamReader&) = delete;
  IntelStreamReader& operator=(const IntelStreamReader&) = delete;

  size_t poll(std::vector<IntelStreamEntry>& out, size_t max) { return queue_.poll(out, max); }
  int fd() const { return queue_.fd(); }
  /// Stops and joins the thread; queued entries stay (unacknowledged, so
  /// they are pending at the next start). Idempotent.
  void stop();

  const IntelStreamOptions& options() const { return options_; }

 private:
  enum class Read { ok, empty, failed, stopped };
  void run();
  bool create_groups(std::string* trouble);
  Read read(const std::vector<std::string_view>& argv, std::string* trouble, std::string* last_id);

  const IntelStreamOptions options_;
  EventQueue<IntelStreamEntry> queue_;
  RedisWorker worker_;
  std::atomic<uint64_t>& reconnects_;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace zrb
