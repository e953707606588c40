#include "logs/protocol.hh"

#include <optional>

namespace zrb {

namespace {

Rejection bad_arguments(std::string_view event, std::string detail) {
  return Rejection{"bad_arguments", std::string(event) + ": " + detail};
}

// "arg 2 (node) is real, want string": names what the sender got wrong.
std::string want(size_t pos, std::string_view what, const Value& got, std::string_view kind) {
  return "argument " + std::to_string(pos + 1) + " (" + std::string(what) + ") is " +
         std::string(kind_name(got)) + ", want " + std::string(kind);
}

// A node name or log path longer than the limit: the rejection names only
// its length and its start, since the whole name would go into the log.
std::optional<Rejection> name_too_long(std::string_view event, std::string_view what,
                                       const std::string& name, const ProtocolLimits& limits) {
  if (name.size() <= limits.max_name_bytes) return std::nullopt;
  return Rejection{"name_too_long", std::string(event) + ": " + std::string(what) + " of " +
                                        std::to_string(name.size()) + " bytes (limit " +
                                        std::to_string(limits.max_name_bytes) + "), starting '" +
                                        name.substr(0, 32) + "'"};
}

Decoded decode_schema(Event&& ev, const ProtocolLimits& limits) {
  auto& a = ev.args;
  if (a.size() != 5)
    return bad_arguments(log_schema_event,
                         "has " + std::to_string(a.size()) + " arguments, want 5");
  auto version = a[0].get_if<uint64_t>();
  if (!version) return bad_arguments(log_schema_event, want(0, "version", a[0], "count"));
  auto zeek_version = a[1].get_if<uint64_t>();
  if (!zeek_version) return bad_arguments(log_schema_event, want(1, "zeek_version", a[1], "count"));
  auto node = a[2].get_if<std::string>();
  if (!node) return bad_arguments(log_schema_event, want(2, "node", a[2], "string"));
  auto path = a[3].get_if<std::string>();
  if (!path) return bad_arguments(log_schema_event, want(3, "path", a[3], "string"));
  if (auto r = name_too_long(log_schema_event, "node", *node, limits)) return *r;
  if (auto r = name_too_long(log_schema_event, "path", *path, limits)) return *r;
  auto columns = a[4].get_if<Vector>();
  if (!columns) return bad_arguments(log_schema_event, want(4, "columns", a[4], "vector"));
  // The version is checked after the types: a peer speaking another
  // version still sends a count here, and deserves the precise reason.
  if (*version != protocol_version && *version != protocol_version_exact)
    return Rejection{"protocol_version", "schema for '" + *path + "' from '" + *node +
                                             "' speaks protocol version " +
                                             std::to_string(*version) + ", this bridge speaks " +
                                             std::to_string(protocol_version) + " and " +
                                             std::to_string(protocol_version_exact)};
  // Built before node and path are moved into the message below.
  const std::string where_from = "schema for '" + *path + "' from '" + *node + "': ";
  auto bad_schema = [&](std::string detail) {
    return Rejection{"bad_schema", where_from + detail};
  };
  if (path->empty()) return bad_schema("empty path");
  if (columns->empty()) return bad_schema("no columns");
  if (columns->size() > limits.max_columns)
    return bad_schema(std::to_string(columns->size()) + " columns, limit " +
                      std::to_string(limits.max_columns));
  SchemaMessage msg;
  msg.version = *version;
  msg.schema.node = std::move(*node);
  msg.schema.path = std::move(*path);
  msg.schema.zeek_version = *zeek_version;
  msg.schema.columns.reserve(columns->size());
  for (size_t i = 0; i < columns->size(); ++i) {
    auto where = "column " + std::to_string(i + 1);
    auto col = (*columns)[i].get_if<Vector>();
    if (!col || col->size() != 3) return bad_schema(where + " is not [name, type, index]");
    auto name = (*col)[0].get_if<std::string>();
    auto type_name = (*col)[1].get_if<std::string>();
    auto index = (*col)[2].get_if<Vector>();
    if (!name || !type_name || !index)
      return bad_schema(where + " is not [string, string, vector of count]");
    if (name->empty()) return bad_schema(where + " has an empty name");
    auto type = parse_zeek_type(*type_name);
    if (!type) return bad_schema(where + " (" + *name + ") has unknown type '" + *type_name + "'");
    if (index->empty() || index->size() > limits.max_index_depth)
      return bad_schema(where + " (" + *name + ") has an index of " +
                        std::to_string(index->size()) + " positions");
    Column c;
    c.name = std::move(*name);
    c.type = *type;
    c.index.reserve(index->size());
    for (const auto& pos : *index) {
      auto p = pos.get_if<uint64_t>();
      if (!p || *p > UINT32_MAX)
        return bad_schema(where + " (" + c.name + ") has an index that is not a list of counts");
      c.index.push_back(static_cast<uint32_t>(*p));
    }
    msg.schema.columns.push_back(std::move(c));
  }
  return msg;
}

// log_batch(node, path, records) and, protocol 2, log_batch2(node, path,
// records, text).
Decoded decode_batch(Event&& ev, const ProtocolLimits& limits) {
  auto& a = ev.args;
  const bool v2 = ev.name == log_batch2_event;
  const std::string_view event = v2 ? log_batch2_event : log_batch_event;
  const size_t arity = v2 ? 4 : 3;
  if (a.size() != arity)
    return bad_arguments(
        event, "has " + std::to_string(a.size()) + " arguments, want " + std::to_string(arity));
  auto node = a[0].get_if<std::string>();
  if (!node) return bad_arguments(event, want(0, "node", a[0], "string"));
  auto path = a[1].get_if<std::string>();
  if (!path) return bad_arguments(event, want(1, "path", a[1], "string"));
  if (auto r = name_too_long(event, "node", *node, limits)) return *r;
  if (auto r = name_too_long(event, "path", *path, limits)) return *r;
  auto records = a[2].get_if<Vector>();
  if (!records) return bad_arguments(event, want(2, "records", a[2], "vector"));
  BatchMessage msg{std::move(*node), std::move(*path), std::move(*records), {}, protocol_version};
  if (v2) {
    auto text = a[3].get_if<std::string>();
    if (!text) return bad_arguments(event, want(3, "text", a[3], "string"));
    msg.text = std::move(*text);
    msg.version = protocol_version_exact;
  }
  return msg;
}

}  // namespace

bool is_log_event(std::string_view name) {
  return name == log_schema_event || name == log_batch_event || name == log_batch2_event;
}

Decoded decode_log_event(Event&& ev, const ProtocolLimits& limits) {
  if (ev.name == log_schema_event) return decode_schema(std::move(ev), limits);
  if (ev.name == log_batch_event || ev.name == log_batch2_event)
    return decode_batch(std::move(ev), limits);
  return Rejection{"unknown_event", "event " + ev.name + " on '" + ev.topic + "'"};
}

}  // namespace zrb
