// broker::data <-> zrb::Value. Part of the Broker transport: only
// broker_*.cc files include this header.
#pragma once

#include <broker/data.hh>

#include <string>
#include <string_view>

#include "json/value.hh"
#include "transport/broker/transport_support.hh"

namespace zrb {

/// Converts `d` into `out`. Values nested deeper than `max_depth` are
/// refused (too_deep) rather than recursed into: a hostile peer must not be
/// able to exhaust the stack.
DecodeError from_broker(const broker::data& d, Value& out, size_t max_depth);

/// The name and arguments of a Zeek event message ([protocol version,
/// message type 1, [name, args, ...]]; Zeek 6 and later append metadata,
/// ignored). `args` null if `d` is not one. Both point into `d`.
struct ZeekEventView {
  std::string_view name;
  const broker::vector* args = nullptr;
};
ZeekEventView as_zeek_event(const broker::data& d);

/// Converts a Value into Broker's representation.
broker::data to_broker(const Value& v);

}  // namespace zrb
