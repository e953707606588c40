#include "intel/redis_inbound.hh"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

#include "observe/counters.hh"
#include "observe/rejection.hh"

namespace zrb {

namespace {

// The one route of the error stream, made with the same validation as the
// log routes, so the XADD is built by the same code.
Route make_error_route(const InboundOptions& o) {
  RoutingConfig config;
  config.default_kind = RouteKind::stream;
  config.key_template = o.intel_error_stream;
  config.stream_maxlen = o.intel_error_maxlen;
  config.stream_field = "error";
  std::string why;
  auto router = Router::make(config, &why);
  if (!router) throw std::runtime_error("intel.error-stream: " + why);
  return router->route("intel-errors");
}

// Zeek's intervals travel as nanoseconds; an expiry is whole seconds or
// fractions of them, far from the int64 limits (checked by the parser).
Timespan expire_span(double seconds) {
  return Timespan{static_cast<int64_t>(std::llround(seconds * 1e9))};
}

}  // namespace

RedisInbound::RedisInbound(InboundOptions options, Transport& transport, RedisWriter& errors)
    : options_(std::move(options)),
      transport_(transport),
      errors_(errors),
      intel_channels_(options_.intel_channels.begin(), options_.intel_channels.end()),
      error_route_(make_error_route(options_)),
      published_messages_(counters().get("redis_in_published", "message")),
      intel_added_(counters().get("intel_published", "add")),
      intel_removed_(counters().get("intel_published", "remove")),
      intel_replayed_(counters().get("intel_replayed")),
      stream_acks_(counters().get("intel_stream_acks")) {
  if (options_.snapshot.enabled) snapshot_.emplace(options_.snapshot, errors_);
}

void RedisInbound::handle(RedisMessage&& msg) {
  // Intel comes on its channels by SUBSCRIBE; a pattern that happens to
  // match an intel channel delivers a generic copy as well, which is what
  // whoever configured that pattern asked for.
  if (msg.pattern.empty() && intel_channels_.count(msg.channel) > 0) {
    handle_intel(msg.payload, Origin{msg.channel, {}, {}});
    return;
  }
  ++published_messages_;
  transport_.publish(
      options_.messages_topic, std::string(redis_message_event),
      Vector{std::move(msg.channel), std::move(msg.pattern), std::move(msg.payload)});
}

void RedisInbound::handle(const IntelStreamEntry& entry) {
  Origin origin{{}, entry.stream, entry.id};
  if (entry.payload) {
    handle_intel(*entry.payload, origin);
  } else if (!entry.deleted) {
    report(origin,
           IntelRejection{"missing_field",
                          "the stream entry has no field '" + options_.streams.field + "'", ""});
  }
  // After the events were handed to Broker and after the error stream
  // entry and snapshot updates were queued: the writer runs commands in
  // order, so the XACK cannot reach Redis before them.
  ++stream_acks_;
  errors_.append_command("intel-ack", entry.stream,
                         {"XACK", entry.stream, options_.streams.group, entry.id});
}

void RedisInbound::replay(const IntelUpdate& u) {
  ++intel_replayed_;
  publish_update(u);
}

void RedisInbound::handle_intel(std::string_view payload, const Origin& origin) {
  auto parsed = parse_intel_message(payload, options_.intel_limits);
  for (const auto& u : parsed.updates) {
    publish_update(u);
    (u.action == IntelAction::add ? intel_added_ : intel_removed_)++;
    if (snapshot_) snapshot_->record(u);
  }
  for (const auto& r : parsed.rejections) report(origin, r);
}

void RedisInbound::publish_update(const IntelUpdate& u) {
  const bool is_addr = u.indicator.get_if<Address>() != nullptr;
  const bool is_subnet = u.indicator.get_if<Subnet>() != nullptr;
  // Addresses and subnets travel typed; every other type as a string with
  // its Intel::Type (docs/protocol.md, "Threat intelligence").
  std::string name = "RedisBridge::intel_";
  name += u.action == IntelAction::add ? "add" : "remove";
  if (is_addr) name += "_addr";
  if (is_subnet) name += "_subnet";
  Vector args{u.indicator};
  if (!is_addr && !is_subnet) args.push_back(EnumValue{u.type});
  args.push_back(u.source);
  if (u.action == IntelAction::add) {
    args.push_back(u.desc);
    args.push_back(u.url);
    args.push_back(expire_span(u.expire));
  }
  transport_.publish(options_.intel_topic, name, std::move(args));
}

void RedisInbound::report(const Origin& origin, const IntelRejection& r) {
  nlohmann::json entry{{"reason", r.reason}, {"detail", r.detail}};
  if (origin.stream.empty()) {
    reject("intel_" + r.reason, "on channel '" + std::string(origin.channel) + "': " + r.detail);
    entry["channel"] = origin.channel;
  } else {
    reject("intel_" + r.reason, "in stream '" + std::string(origin.stream) + "' entry " +
                                    std::string(origin.id) + ": " + r.detail);
    entry["stream"] = origin.stream;
    entry["id"] = origin.id;
  }
  entry["item"] = r.item;
  // dump() replaces bytes that are not UTF-8 instead of throwing: the item
  // is the producer's text, which may be anything.
  json_ = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  errors_.append(error_route_, json_);
}

}  // namespace zrb
