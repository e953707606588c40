// The Zeek -> Redis log path after the transport: keeps the schema of each
// (node, path), converts every record of a batch to Zeek's JSON and hands it
// to the Redis writer under the route of its path.
#pragma once

#include <atomic>
#include <string>
#include <unordered_map>

#include "json/record_json.hh"
#include "logs/exact_text.hh"
#include "logs/protocol.hh"
#include "redis/redis_writer.hh"
#include "redis/route.hh"

namespace zrb {

class LogForwarder {
 public:
  LogForwarder(Router& router, RedisWriter& writer, TimeFormat timestamps, ConvertLimits convert,
               ProtocolLimits protocol);

  /// Handles a log_schema or log_batch event; anything wrong with it is
  /// rejected (rejection.hh) and the rest of its batch still goes through.
  void handle(Event&& ev);

  /// Number of (node, path) schemas known.
  size_t stream_count() const { return streams_.size(); }

 private:
  struct Stream {
    LogSchema schema;
    std::atomic<uint64_t>* received = nullptr;
    /// Protocol version of the schema; version 2's batches carry a text.
    uint64_t version = protocol_version;
    /// Version 2: the columns taken from the text.
    std::vector<ExactColumn> exact;
  };

  void on_schema(SchemaMessage&& msg);
  void on_batch(BatchMessage&& msg);

  Router& router_;
  RedisWriter& writer_;
  TimeFormat timestamps_;
  ConvertLimits convert_limits_;
  ProtocolLimits protocol_limits_;
  // Keyed by node + '\0' + path: neither may contain NUL in practice, and a
  // flat string key keeps the lookup to one hash per batch.
  std::unordered_map<std::string, Stream> streams_;
  std::string json_;  // reused for every record: no allocation per record
  std::string why_;
  std::vector<std::string> record_errors_;
  std::atomic<uint64_t>& records_received_;
  std::atomic<uint64_t>& records_dropped_;
  std::atomic<uint64_t>& batches_received_;
  std::atomic<uint64_t>& bytes_converted_;
};

}  // namespace zrb
