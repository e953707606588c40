// Doubles as Zeek's JSON writer prints them.
//
// Zeek writes every double, interval and epoch time with rapidjson's
// Writer::Double: Grisu2 digits (Loitsch 2010) laid out by rapidjson's
// Prettify ("100.0", "0.001234", "1e-7", "1.5e300"), and null for NaN and
// the infinities. Grisu2 is fast and always round-trips, but is neither
// always the shortest nor always the closest text; so the digits are not
// those of std::to_chars, and the bridge runs the same algorithm.
//
// Two variants exist (see dialect.hh): up to Zeek 4.2 the bundled rapidjson
// skipped Grisu2's last rounding step when more than nine fractional digits
// were generated, so some 17-digit numbers end one off
// (2153226000.1234567 where Zeek 8 prints 2153226000.1234565). Debian's
// rapidjson 1.1.0 is that older code, and the bridge calls it for those
// versions; the later, rounded variant is implemented here on rapidjson's
// DiyFp and cached powers of ten.
#pragma once

#include <cstddef>
#include <string>

namespace zrb {

/// Room write_zeek_double needs (the longest text is 25 bytes).
constexpr size_t zeek_double_buffer_size = 32;

/// Writes `d` into `buf` (at least zeek_double_buffer_size bytes) as Zeek's
/// JSON writer does and returns the end of the text (no terminating NUL).
/// `rounded_grisu` selects the Zeek >= 5.0 variant.
char* write_zeek_double(double d, bool rounded_grisu, char* buf);

/// Appends `d` to `out` as write_zeek_double writes it.
void append_zeek_double(std::string& out, double d, bool rounded_grisu);

namespace detail {
/// This file's own Grisu2 and Prettify for a finite `d`; with
/// `rounded_grisu` false it must write what Debian's rapidjson::internal::dtoa
/// writes (the unit test holds it to that).
char* grisu2_text(double d, bool rounded_grisu, char* buf);
}  // namespace detail

}  // namespace zrb
