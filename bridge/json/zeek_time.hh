// Zeek's texts of a `time` value, other than the epoch number (which is a
// plain double, see zeek_double.hh).
//
// JSON::TS_ISO8601: Zeek takes floor(t) through gmtime_r and strftime
// "%Y-%m-%dT%H:%M:%S", then appends "%06.0f" of the fraction times 10^6
// and "Z". The fraction comes from modf, plus one when negative, so times
// before 1970 count their fraction up from the floored second. printf
// rounds the microseconds to nearest (ties to even), and a fraction that
// rounds to 1000000 is printed as such, seven digits, without carrying into
// the seconds ("...:59.1000000Z"): that is what Zeek writes, so it is what
// the bridge writes.
//
// JSON::TS_MILLIS: the integer part of t * 1000. Zeek 8.0 writes it signed;
// earlier Zeeks cast it to uint64_t, which on x86-64 (cvttsd2si) gives the
// two's complement of a negative count, e.g. 18446744073709550116 for
// -1.5 s. The bridge reproduces the x86-64 result.
#pragma once

#include <string>

namespace zrb {

/// Appends "YYYY-MM-DDTHH:MM:SS.ffffffZ" for `t` seconds since the epoch,
/// with Zeek's quirks (see above). Covers every time an int64_t count of
/// nanoseconds can carry (years 1677 to 2262) and beyond.
void append_iso8601(std::string& out, double t);

/// Appends the milliseconds of `t` as Zeek writes them; `signed_millis`
/// selects Zeek >= 8.0.
void append_millis(std::string& out, double t, bool signed_millis);

}  // namespace zrb
