// Which Zeek JSON writer to imitate. Zeek's JSON log writer changed three
// times in ways that show in the bytes it writes; a schema names the sending
// Zeek's Version::number, and this table says how that Zeek writes.
//
// Each threshold is the first release whose writer behaves like Zeek 8.0's
// in that respect, read from Zeek's git history:
//
//  * 4.2.0 (40200): util::json_escape_utf8 validates a string as a whole
//    (commit f442893c, "Return fully-escaped string if utf8 conversion
//    fails"). Before, each invalid byte was escaped on its own, valid UTF-8
//    and DEL were kept; from 4.2 one bad byte, DEL, a C1 control, a private
//    use or U+FFF0..U+FFFF character makes every non-ASCII byte of the
//    string an escape.
//  * 5.0.0 (50000): the bundled rapidjson moved from dfbe1db9 to fd3dc29a,
//    which holds rapidjson's fix "Fix small errors in dtoa output for
//    certain doubles" (bb062110). Before it, Grisu2 skipped its final
//    rounding step when more than nine fractional digits were generated, so
//    a 17-digit number could end one off.
//  * 8.0.0 (80000): JSON::TS_MILLIS became signed (commit 93813a50); before,
//    the writer cast the milliseconds to uint64_t, which turns a time before
//    1970 into a huge number on x86-64.
//
// Development builds share the number of their next release (5.0.0-dev is
// 50000), so a dev build from before one of these commits is rendered like
// the release.
#pragma once

#include <cstdint>

namespace zrb {

/// How one Zeek version's JSON writer writes values.
struct Dialect {
  /// Grisu2 with its last-digit rounding in every case (Zeek >= 5.0).
  bool rounded_grisu = true;
  /// Strings are checked as a whole; any bad character escapes every
  /// non-ASCII byte of the string (Zeek >= 4.2).
  bool whole_string_escaping = true;
  /// JSON::TS_MILLIS writes a signed number (Zeek >= 8.0).
  bool signed_millis = true;
};

/// The dialect of the Zeek whose Version::number is `zeek_version`
/// (30204 for 3.2.4). Versions below 3.0 are treated like 3.x.
Dialect dialect_for(uint64_t zeek_version);

}  // namespace zrb
