// The Redis -> Zeek path after the subscribed connection: every message is
// either intel (on an intel channel: validated, then published as typed
// intel events) or a generic message (published as redis_message). Rejected
// intel is logged, counted and reported back on a Redis error stream.
// Intel stream entries take the same path and are then acknowledged; every
// valid update is also recorded in the intel snapshot, and a snapshot
// replay publishes its indicators the same way (without recording them).
#pragma once

#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "intel/intel_message.hh"
#include "intel/intel_snapshot.hh"
#include "intel/intel_stream_reader.hh"
#include "redis/redis_subscriber.hh"
#include "redis/redis_writer.hh"
#include "redis/route.hh"
#include "transport/transport.hh"

namespace zrb {

struct InboundOptions {
  /// Broker topic of redis_message events.
  std::string messages_topic = "zeek/redis/messages";
  /// Channels whose messages are intel JSON.
  std::vector<std::string> intel_channels{"zeek:intel"};
  /// Broker topic of the intel events.
  std::string intel_topic = "zeek/redis/intel";
  /// Stream that receives one entry per rejected indicator.
  std::string intel_error_stream = "zeek:intel:errors";
  /// Entries kept in the error stream (XADD MAXLEN ~).
  uint64_t intel_error_maxlen = 100000;
  IntelLimits intel_limits;
  /// The snapshot of the current indicator set (intel_snapshot.hh).
  SnapshotOptions snapshot;
  /// Intel streams read through a consumer group; no streams: none.
  IntelStreamOptions streams;
};

/// Names of the events this path publishes (docs/protocol.md).
inline constexpr std::string_view redis_message_event = "RedisBridge::redis_message";

class RedisInbound {
 public:
  /// `errors` receives the error stream entries; it is the daemon's writer,
  /// so they are written with the same at-least-once guarantee as logs.
  RedisInbound(InboundOptions options, Transport& transport, RedisWriter& errors);

  /// Handles one message from the subscribed connection.
  void handle(RedisMessage&& msg);

  /// Handles one intel stream entry, then acknowledges it (XACK through
  /// the writer, after the records the entry caused).
  void handle(const IntelStreamEntry& entry);

  /// Publishes one indicator of a snapshot replay.
  void replay(const IntelUpdate& u);

 private:
  /// Where intel came from, for the error stream: a channel, or a stream
  /// entry (name and id).
  struct Origin {
    std::string_view channel, stream, id;
  };
  void handle_intel(std::string_view payload, const Origin& origin);
  void publish_update(const IntelUpdate& u);
  void report(const Origin& origin, const IntelRejection& r);

  InboundOptions options_;
  Transport& transport_;
  RedisWriter& errors_;
  std::set<std::string, std::less<>> intel_channels_;
  Route error_route_;
  std::string json_;
  std::optional<IntelSnapshot> snapshot_;
  std::atomic<uint64_t>& published_messages_;
  std::atomic<uint64_t>& intel_added_;
  std::atomic<uint64_t>& intel_removed_;
  std::atomic<uint64_t>& intel_replayed_;
  std::atomic<uint64_t>& stream_acks_;
};

}  // namespace zrb
