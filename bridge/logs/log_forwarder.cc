#include "logs/log_forwarder.hh"

#include "observe/counters.hh"
#include "observe/gauges.hh"
#include "observe/log.hh"
#include "observe/rejection.hh"

namespace zrb {

namespace {

std::string stream_key(const std::string& node, const std::string& path) {
  std::string key;
  key.reserve(node.size() + 1 + path.size());
  key += node;
  key += '\0';
  key += path;
  return key;
}

}  // namespace

LogForwarder::LogForwarder(Router& router, RedisWriter& writer, TimeFormat timestamps,
                           ConvertLimits convert, ProtocolLimits protocol)
    : router_(router),
      writer_(writer),
      timestamps_(timestamps),
      convert_limits_(convert),
      protocol_limits_(protocol),
      records_received_(counters().get("records_received")),
      records_dropped_(counters().get("records_dropped", "route")),
      batches_received_(counters().get("batches_received")),
      bytes_converted_(counters().get("bytes_converted")) {}

void LogForwarder::handle(Event&& ev) {
  auto decoded = decode_log_event(std::move(ev), protocol_limits_);
  if (auto schema = std::get_if<SchemaMessage>(&decoded)) {
    on_schema(std::move(*schema));
  } else if (auto batch = std::get_if<BatchMessage>(&decoded)) {
    on_batch(std::move(*batch));
  } else {
    auto& r = std::get<Rejection>(decoded);
    reject(r.reason, r.detail);
  }
}

void LogForwarder::on_schema(SchemaMessage&& msg) {
  auto key = stream_key(msg.schema.node, msg.schema.path);
  if (streams_.size() >= protocol_limits_.max_streams && streams_.count(key) == 0) {
    // Known streams keep working; only a new one is refused. The router's
    // cache and the per-path counters grow with the streams, so this bounds
    // them too.
    reject("too_many_streams", "schema for '" + msg.schema.path + "' from '" + msg.schema.node +
                                   "': already " + std::to_string(streams_.size()) +
                                   " streams (limits.max-streams)");
    return;
  }
  auto [it, fresh] = streams_.try_emplace(std::move(key));
  if (fresh) {
    log_info("schema for '", msg.schema.path, "' from '", msg.schema.node,
             "': ", msg.schema.columns.size(), " columns, Zeek ", msg.schema.zeek_version);
    it->second.received = &counters().get("records_received", msg.schema.path);
    gauges().get("log_streams") = static_cast<int64_t>(streams_.size());
  } else {
    log_debug("schema for '", msg.schema.path, "' from '", msg.schema.node, "' renewed");
  }
  it->second.version = msg.version;
  it->second.exact = msg.version == protocol_version_exact ? exact_columns(msg.schema)
                                                           : std::vector<ExactColumn>{};
  it->second.schema = std::move(msg.schema);
}

void LogForwarder::on_batch(BatchMessage&& msg) {
  ++batches_received_;
  auto it = streams_.find(stream_key(msg.node, msg.path));
  if (it == streams_.end()) {
    // Without a schema the records cannot be rendered; the scripts send one
    // before the first batch and after every reconnection, so this is a
    // peer that does not follow docs/protocol.md.
    reject("unknown_stream", "batch of " + std::to_string(msg.records.size()) + " records for '" +
                                 msg.path + "' from '" + msg.node + "' arrived before its schema");
    return;
  }
  auto& stream = it->second;
  if (msg.version != stream.version) {
    // A version 2 stream's typed values alone are not exact (WebSocket),
    // and a version 1 stream has no text to take them from.
    reject("protocol_version", "batch of " + std::to_string(msg.records.size()) + " records for '" +
                                   msg.path + "' from '" + msg.node + "' is protocol version " +
                                   std::to_string(msg.version) + ", its schema " +
                                   std::to_string(stream.version));
    return;
  }
  if (msg.version == protocol_version_exact &&
      !apply_exact_text(msg.text, stream.schema, stream.exact, msg.records, record_errors_, why_)) {
    reject("bad_exact_text", "batch of " + std::to_string(msg.records.size()) + " records for '" +
                                 msg.path + "' from '" + msg.node + "': " + why_);
    return;
  }
  const Route& route = router_.route(msg.path);
  records_received_ += msg.records.size();
  *stream.received += msg.records.size();
  if (route.kind == RouteKind::drop) {
    records_dropped_ += msg.records.size();
    return;
  }
  uint64_t bytes = 0;  // counted once per batch: one atomic add, not one per record
  for (size_t i = 0; i < msg.records.size(); ++i) {
    auto record = msg.records[i].get_if<Vector>();
    if (record == nullptr) {
      reject("schema_mismatch", "record " + std::to_string(i + 1) + " of a batch for '" + msg.path +
                                    "' is " + std::string(kind_name(msg.records[i])) +
                                    ", not a record");
      continue;
    }
    if (msg.version == protocol_version_exact && !record_errors_[i].empty()) {
      reject("bad_exact_text", "record " + std::to_string(i + 1) + " of a batch for '" + msg.path +
                                   "' from '" + msg.node + "': " + record_errors_[i]);
      continue;
    }
    json_.clear();
    auto status =
        record_to_json(*record, stream.schema, timestamps_, convert_limits_, json_, &why_);
    if (status != ConvertStatus::ok) {
      reject(to_string(status), "record " + std::to_string(i + 1) + " of a batch for '" + msg.path +
                                    "' from '" + msg.node + "': " + why_);
      continue;
    }
    bytes += json_.size();
    writer_.append(route, json_);
  }
  bytes_converted_ += bytes;
}

}  // namespace zrb
