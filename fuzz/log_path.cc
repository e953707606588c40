#include "log_path.hh"

namespace zrb::fuzz {

void LogPath::handle(Event&& ev) {
  // Smaller than the daemon's defaults so that the fuzzer reaches them.
  protocol_.max_columns = 64;
  convert_.max_record_bytes = 64 * 1024;
  if (!is_log_event(ev.name)) return;
  auto decoded = decode_log_event(std::move(ev), protocol_);
  if (auto s = std::get_if<SchemaMessage>(&decoded)) {
    if (schemas_.size() < 8 || schemas_.count(s->schema.path)) schemas_[s->schema.path] = s->schema;
    return;
  }
  auto b = std::get_if<BatchMessage>(&decoded);
  if (b == nullptr) return;
  auto found = schemas_.find(b->path);
  if (found == schemas_.end()) return;
  for (const auto& r : b->records) {
    auto record = r.get_if<Vector>();
    if (record == nullptr) continue;
    for (auto tf : {TimeFormat::epoch, TimeFormat::iso8601, TimeFormat::millis}) {
      json_.clear();
      record_to_json(*record, found->second, tf, convert_, json_, &why_);
    }
  }
}

}  // namespace zrb::fuzz
