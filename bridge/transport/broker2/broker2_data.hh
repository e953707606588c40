// Values of the C++20 Broker of Zeek 6.2 and later <-> zrb::Value. Part of
// that Broker's transport: only broker2_*.cc files include this header.
//
// A received message is a broker::variant: a view into the message's
// envelope, not a broker::data tree. The decoder walks the view's
// variant_data nodes directly (no copy into broker::data first).
#pragma once

#include <broker/data.hh>
#include <broker/variant.hh>

#include <string_view>

#include "json/value.hh"
#include "transport/broker/transport_support.hh"

namespace zrb {

/// Converts `d` into `out`. Values nested deeper than `max_depth` are
/// refused (too_deep) rather than recursed into: a hostile peer must not be
/// able to exhaust the stack.
DecodeError from_broker(const broker::variant_data& d, Value& out, size_t max_depth);
DecodeError from_broker(const broker::variant& d, Value& out, size_t max_depth);

/// The name and arguments of a Zeek event message ([protocol version,
/// message type 1, [name, args, metadata...]]; Zeek 6 and later append
/// metadata, ignored). `args` null if `d` is not one. Both point into `d`'s
/// envelope: valid while the message lives.
struct ZeekEventView {
  std::string_view name;
  const broker::variant_data::list* args = nullptr;
};
ZeekEventView as_zeek_event(const broker::variant& d);

/// Converts a Value into Broker's representation.
broker::data to_broker(const Value& v);

}  // namespace zrb
