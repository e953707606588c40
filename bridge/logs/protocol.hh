// Decoding the events of docs/protocol.md into typed messages, with the
// checks that keep malformed input out of the conversion step.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "json/schema.hh"
#include "transport/transport.hh"

namespace zrb {

/// The protocol version of the Broker transports (docs/protocol.md).
constexpr uint64_t protocol_version = 1;
/// Version 2, the WebSocket transport's: batches also carry Zeek's own
/// `to_json` text of their records, whose doubles and times are exact where
/// the WebSocket API's typed values are not (docs/protocol.md, "Protocol
/// version 2").
constexpr uint64_t protocol_version_exact = 2;

/// Event names.
inline constexpr std::string_view log_schema_event = "RedisBridge::log_schema";
inline constexpr std::string_view log_batch_event = "RedisBridge::log_batch";
inline constexpr std::string_view log_batch2_event = "RedisBridge::log_batch2";

/// A decoded `log_schema`.
struct SchemaMessage {
  LogSchema schema;
  /// 1 or 2: which batch event the stream's records come in.
  uint64_t version = protocol_version;
};

/// A decoded `log_batch`; `records` still holds the raw record values,
/// which the conversion step checks against the schema one by one.
struct BatchMessage {
  std::string node;
  std::string path;
  Vector records;
  /// Protocol 2 (log_batch2) only: `to_json(records)`, a JSON array with
  /// one object per record.
  std::string text;
  uint64_t version = protocol_version;
};

/// Why an event was refused (the reason is a counter label).
struct Rejection {
  std::string_view reason;
  std::string detail;
};

using Decoded = std::variant<SchemaMessage, BatchMessage, Rejection>;

/// Limits applied while decoding.
struct ProtocolLimits {
  /// Most columns a schema may have.
  size_t max_columns = 1024;
  /// Deepest index path of a column.
  size_t max_index_depth = 16;
  /// Most (node, path) schemas kept at once: each costs memory and a
  /// counter, and a peer could send a new path with every schema. A schema
  /// for a new stream past this is rejected (too_many_streams).
  size_t max_streams = 4096;
  /// Longest node name and log path (bytes). Zeek's are short; a longer one
  /// is rejected (name_too_long) before it reaches a key, a counter label
  /// or the log.
  size_t max_name_bytes = 255;
};

/// True for the events of the log path (log_schema, log_batch, log_batch2).
bool is_log_event(std::string_view name);

/// Decodes a log event; the event is consumed (its arguments are moved).
Decoded decode_log_event(Event&& ev, const ProtocolLimits& limits);

}  // namespace zrb
