// broker::data <-> zrb::Value. Part of the Broker transport: only
// broker_*.cc files include this header.
#pragma once

#include <broker/data.hh>

#include <string>

#include "value.hh"

namespace zrb {

/// Why a broker::data could not be converted.
enum class DecodeError { none, too_deep };

/// Converts `d` into `out`. Values nested deeper than `max_depth` are
/// refused (too_deep) rather than recursed into: a hostile peer must not be
/// able to exhaust the stack.
DecodeError from_broker(const broker::data& d, Value& out, size_t max_depth);

/// Converts a Value into Broker's representation.
broker::data to_broker(const Value& v);

}  // namespace zrb
