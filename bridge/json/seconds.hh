// Zeek's times and intervals are doubles of seconds; Broker carries them as
// integer nanoseconds. This file holds both directions: Zeek's conversion
// (for tests and tools that play a Zeek node) and the bridge's recovery of
// the double Zeek had, which its JSON writer printed.
//
// Zeek converts with std::chrono::duration_cast, i.e. n = trunc(d * 1e9)
// in double arithmetic. Many doubles map to one n (all those whose product
// truncates to it: "the window"), so the bridge has to pick one. The rule,
// from docs/protocol.md ("Times and intervals"):
//
//  1. the double nearest a whole number of microseconds, if it lies in the
//     window: packet timestamps and constants like `1.5 msec` are whole
//     microseconds;
//  2. else the double of the window with the fewest significant bits, if it
//     is a multiple of 2^-24 s: the difference of two epoch times (a
//     duration) is a multiple of the times' last-place unit, 2^-22 s for
//     2004 to 2038 and at least 2^-24 s for any time after 1978;
//  3. else the double nearest n / 1e9.
//
// Negative values mirror positive ones (negation commutes with the product
// and with truncation toward zero).
#pragma once

#include <cstdint>

namespace zrb {

/// The double of seconds Zeek had for a `time` of `ns` nanoseconds (rules
/// above).
double seconds_from_ns(int64_t ns);

/// The same for an `interval`: rule 2 restricted to multiples of 2^-22 s
/// (durations between two epoch times of 2004 to 2038) comes first, then
/// the rules above.
double interval_from_ns(int64_t ns);

/// What Zeek sends for `seconds`: trunc(seconds * 1e9) computed in double
/// arithmetic, clamped to the int64_t range (NaN gives 0).
int64_t ns_from_seconds(double seconds);

}  // namespace zrb
