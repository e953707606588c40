// Strings as Zeek's JSON writer writes them.
//
// Zeek passes every string (and enum name) through util::json_escape_utf8,
// which turns bytes JSON cannot carry into the four characters \xNN, and
// then hands the result to rapidjson, which escapes '"', '\' and the control
// characters \b \f \n \r \t (and would write \u00NN for the other controls,
// which json_escape_utf8 has already replaced). So a byte 0x01 reaches the
// JSON text as `\\x01`: rapidjson escaped json_escape_utf8's backslash.
//
// json_escape_utf8 changed in Zeek 4.2 (see dialect.hh):
//  * per byte (Zeek 3.1 to 4.1): printable ASCII, DEL and \b \f \n \r \t stay;
//    a well-formed UTF-8 sequence stays; every other byte becomes \xNN on
//    its own and the scan goes on with the next byte.
//  * whole string (Zeek 4.2 on): if the string is made of printable ASCII,
//    \b \f \n \r \t and well-formed UTF-8 characters other than C0/C1
//    controls, DEL, the private use area U+E000..U+F8FF and U+FFF0..U+FFFF,
//    it stays as it is; otherwise every byte but printable ASCII and
//    \b \f \n \r \t becomes \xNN, valid UTF-8 included.
// Both produce the JSON text in one pass here, without building the
// intermediate string.
#pragma once

#include <string>
#include <string_view>

namespace zrb {

/// Appends `bytes` as a quoted JSON string, as Zeek's JSON writer writes a
/// string value; `whole_string_escaping` selects the Zeek >= 4.2 rules.
void append_zeek_string(std::string& out, std::string_view bytes, bool whole_string_escaping);

/// Appends `text` as a quoted JSON string with rapidjson's escaping alone,
/// as Zeek's writer writes field names.
void append_json_string(std::string& out, std::string_view text);

}  // namespace zrb
