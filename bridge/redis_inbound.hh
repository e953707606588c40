// The Redis -> Zeek path after the subscribed connection: every message is
// either intel (on an intel channel: validated, then published as typed
// intel events) or a generic message (published as redis_message). Rejected
// intel is logged, counted and reported back on a Redis error stream.
#pragma once

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "intel_message.hh"
#include "redis_subscriber.hh"
#include "redis_writer.hh"
#include "route.hh"
#include "transport.hh"

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

 private:
  void handle_intel(const RedisMessage& msg);
  void publish_update(const IntelUpdate& u);
  void report(const RedisMessage& msg, const IntelRejection& r);

  InboundOptions options_;
  Transport& transport_;
  RedisWriter& errors_;
  std::set<std::string, std::less<>> intel_channels_;
  Route error_route_;
  std::string json_;
  std::atomic<uint64_t>& published_messages_;
  std::atomic<uint64_t>& intel_added_;
  std::atomic<uint64_t>& intel_removed_;
};

}  // namespace zrb
