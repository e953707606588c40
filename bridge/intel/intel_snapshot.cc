#include "intel/intel_snapshot.hh"

#include <nlohmann/json.hpp>

#include <chrono>

#include "json/address_text.hh"

namespace zrb {

namespace {

using json = nlohmann::json;

std::string indicator_text(const Value& v) {
  std::string out;
  if (auto a = v.get_if<Address>())
    append_address(out, *a);
  else if (auto s = v.get_if<Subnet>())
    append_subnet(out, *s);
  else if (auto text = v.get_if<std::string>())
    out = *text;
  return out;
}

// The path label of the writer's counters for snapshot commands.
constexpr std::string_view snapshot_path = "intel-snapshot";

}  // namespace

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string snapshot_field(const IntelUpdate& u) {
  return u.type + ' ' + indicator_text(u.indicator);
}

std::string snapshot_value(const IntelUpdate& u, double now_seconds) {
  json meta{{"source", u.source}};
  if (!u.desc.empty()) meta["desc"] = u.desc;
  if (!u.url.empty()) meta["url"] = u.url;
  json item{{"indicator", indicator_text(u.indicator)}, {"type", u.type}, {"meta", meta}};
  if (u.expire > 0) item["expire_at"] = now_seconds + u.expire;
  // The parser accepted only UTF-8 strings; replace() guards the rest.
  return item.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<IntelUpdate> read_snapshot_value(std::string_view value, double now_seconds,
                                               std::string* why) {
  auto fail = [&](std::string text) {
    if (why) *why = std::move(text);
    return std::nullopt;
  };
  // The same validation as a producer's message: the snapshot is a Redis
  // key anyone with access may write.
  IntelParse parsed = parse_intel_message(value, IntelLimits{});
  if (!parsed.rejections.empty())
    return fail(parsed.rejections.front().reason + ": " + parsed.rejections.front().detail);
  if (parsed.updates.size() != 1 || parsed.updates.front().action != IntelAction::add)
    return fail("not one item to add");
  IntelUpdate u = std::move(parsed.updates.front());
  const json doc = json::parse(value.begin(), value.end(), nullptr, false);
  auto at = doc.is_object() ? doc.find("expire_at") : doc.end();
  if (at != doc.end() && !at->is_null()) {
    if (!at->is_number()) return fail("expire_at is not a number");
    double left = at->get<double>() - now_seconds;
    // Broker carries at least a nanosecond; anything less has expired.
    if (!(left * 1e9 >= 1)) return fail("expired");
    u.expire = std::min(left, intel_max_expire_seconds);
  }
  return u;
}

IntelSnapshot::IntelSnapshot(SnapshotOptions options, RedisWriter& writer)
    : options_(std::move(options)), writer_(writer) {}

void IntelSnapshot::record(const IntelUpdate& u) {
  key_ = options_.prefix + u.source;
  field_ = snapshot_field(u);
  if (u.action == IntelAction::remove) {
    writer_.append_command(snapshot_path, key_, {"HDEL", key_, field_});
    return;
  }
  value_ = snapshot_value(u, unix_now());
  writer_.append_command(snapshot_path, key_, {"HSET", key_, field_, value_});
  // Once per add rather than once per source: the set may have been
  // deleted behind the bridge's back, and SADD of a member is O(1).
  writer_.append_command(snapshot_path, options_.sources_key,
                         {"SADD", options_.sources_key, u.source});
}

}  // namespace zrb
