// The whole Redis -> Zeek path, assembled in one place: the subscribed
// connection (intel channels and generic channels and patterns), the intel
// snapshot replayed to every Zeek peer that connects, and intel streams
// read through a consumer group. Each reads Redis on a connection and a
// thread of its own; what they deliver goes through RedisInbound
// (validation, then Broker events) on the daemon's thread, in pump().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "intel/intel_replay.hh"
#include "intel/intel_stream_reader.hh"
#include "intel/redis_inbound.hh"
#include "redis/redis_subscriber.hh"
#include "redis/redis_worker.hh"
#include "redis/redis_writer.hh"
#include "transport/transport.hh"

namespace zrb {

struct RedisToZeekOptions {
  /// Channels and patterns of generic messages (redis_message events).
  std::vector<std::string> channels, patterns;
  /// Intel channels, snapshot, streams, topics.
  InboundOptions inbound;
  /// The connections of the subscriber, the replay and the stream reader.
  WorkerOptions redis;
};

class RedisToZeek {
 public:
  /// Starts what the options ask for (nothing if no channel, pattern or
  /// intel stream is configured). `transport` publishes the events and
  /// reports new peers (each triggers a snapshot replay); `writer` takes
  /// the intel error stream and the snapshot's writes.
  RedisToZeek(RedisToZeekOptions options, Transport& transport, RedisWriter& writer);
  /// Calls stop().
  ~RedisToZeek();
  RedisToZeek(const RedisToZeek&) = delete;
  RedisToZeek& operator=(const RedisToZeek&) = delete;

  /// Descriptors that poll readable while something waits for pump(); -1
  /// for a part that is off (or, for intel streams, while no Zeek peer
  /// listens: stream intel stays unacknowledged in Redis until one does).
  int subscriber_fd() const;
  int replay_fd() const;
  int streams_fd() const;

  /// Name of the end-of-replay marker event (one argument: the number of
  /// indicators the replay published).
  static constexpr std::string_view replay_done_event = "RedisBridge::intel_replay_done";

  /// Moves at most `max` items of each source to Zeek.
  void pump(size_t max);

  /// Stops reading Redis (queued stream entries stay pending in their
  /// group: the next start delivers them); idempotent.
  void stop();

 private:
  void publish_replay_done(uint64_t indicators);

  Transport& transport_;
  const std::string intel_topic_;
  std::unique_ptr<RedisInbound> inbound_;
  std::unique_ptr<RedisSubscriber> subscriber_;
  std::unique_ptr<IntelReplay> replay_;
  std::unique_ptr<IntelStreamReader> streams_;
  std::vector<RedisMessage> messages_;
  std::vector<ReplayItem> replayed_;
  std::vector<IntelStreamEntry> entries_;
};

}  // namespace zrb
