#include "json/json_string.hh"

#include <cstddef>
#include <cstdint>

namespace zrb {

namespace {

using Byte = unsigned char;

// Bytes every variant copies as they are: printable ASCII but the two JSON
// must escape.
constexpr bool is_plain(Byte c) {
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

// The control characters json_escape_utf8 keeps and rapidjson then writes
// with its short escapes.
constexpr bool is_short_escaped_control(Byte c) {
  return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t';
}

size_t plain_run(const Byte* p, size_t n) {
  size_t i = 0;
  while (i < n && is_plain(p[i])) ++i;
  return i;
}

// What rapidjson writes for a byte json_escape_utf8 let through: its escape
// table covers '"', '\' and the C0 controls (\u00NN with upper-case hex for
// those without a short form); everything else, DEL and bytes >= 0x80
// included, is copied.
void put_rapidjson_byte(std::string& out, Byte c) {
  static constexpr char upper_hex[] = "0123456789ABCDEF";
  switch (c) {
    case '"':
      out.append("\\\"", 2);
      return;
    case '\\':
      out.append("\\\\", 2);
      return;
    case '\b':
      out.append("\\b", 2);
      return;
    case '\f':
      out.append("\\f", 2);
      return;
    case '\n':
      out.append("\\n", 2);
      return;
    case '\r':
      out.append("\\r", 2);
      return;
    case '\t':
      out.append("\\t", 2);
      return;
    default:
      break;
  }
  if (c < 0x20) {
    const char esc[6] = {'\\', 'u', '0', '0', upper_hex[c >> 4], upper_hex[c & 15]};
    out.append(esc, 6);
    return;
  }
  out.push_back(static_cast<char>(c));
}

// json_escape_utf8's "\xNN" (lower-case hex, from Zeek's bytetohex) after
// rapidjson has escaped its backslash.
void put_byte_escape(std::string& out, Byte c) {
  static constexpr char lower_hex[] = "0123456789abcdef";
  const char esc[5] = {'\\', '\\', 'x', lower_hex[c >> 4], lower_hex[c & 15]};
  out.append(esc, 5);
}

// Length of the sequence a byte >= 0x80 announces, from the table of the
// ConvertUTF code Zeek uses: 1 for a continuation byte, up to 6 for the
// obsolete 5- and 6-byte forms (which are never well-formed).
int sequence_length(Byte lead) {
  if (lead < 0xc0) return 1;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf8) return 4;
  if (lead < 0xfc) return 5;
  return 6;
}

constexpr bool is_continuation(Byte c) {
  return c >= 0x80 && c <= 0xbf;
}

// Well-formed UTF-8 sequence of `length` bytes starting with a byte >= 0x80
// (Unicode Table 3-7: no overlong forms, no surrogates, nothing above
// U+10FFFF), as ConvertUTF's isLegalUTF8 decides.
bool well_formed(const Byte* s, int length) {
  switch (length) {
    case 2:
      return s[0] >= 0xc2 && is_continuation(s[1]);
    case 3: {
      const Byte low = s[0] == 0xe0 ? 0xa0 : 0x80;
      const Byte high = s[0] == 0xed ? 0x9f : 0xbf;
      return s[1] >= low && s[1] <= high && is_continuation(s[2]);
    }
    case 4: {
      if (s[0] > 0xf4) return false;
      const Byte low = s[0] == 0xf0 ? 0x90 : 0x80;
      const Byte high = s[0] == 0xf4 ? 0x8f : 0xbf;
      return s[1] >= low && s[1] <= high && is_continuation(s[2]) && is_continuation(s[3]);
    }
    default:
      return false;
  }
}

// Zeek >= 4.2 (check_ok_utf8) refuses some well-formed characters too: the
// C1 controls, the private use area and U+FFF0..U+FFFF.
bool acceptable_character(const Byte* s, int length) {
  if (length == 2) {
    const uint32_t cp = (uint32_t{s[0] & 0x1fu} << 6) | (s[1] & 0x3fu);
    return cp > 0x9f;
  }
  if (length == 3) {
    const uint32_t cp =
        (uint32_t{s[0] & 0x0fu} << 12) | (uint32_t{s[1] & 0x3fu} << 6) | (s[2] & 0x3fu);
    return !(cp >= 0xe000 && cp <= 0xf8ff) && !(cp >= 0xfff0 && cp <= 0xffff);
  }
  return true;
}

// Zeek 3.1 to 4.1: decide byte by byte.
void append_per_byte(std::string& out, const Byte* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const size_t run = plain_run(p + i, n - i);
    out.append(reinterpret_cast<const char*>(p + i), run);
    i += run;
    if (i == n) break;
    const Byte c = p[i];
    if (c < 0x80) {
      // '"', '\', DEL and the controls: json_escape_utf8 keeps DEL and the
      // five short-escaped controls and replaces the other controls.
      if (c < 0x20 && !is_short_escaped_control(c))
        put_byte_escape(out, c);
      else
        put_rapidjson_byte(out, c);
      ++i;
      continue;
    }
    const int length = sequence_length(c);
    if (static_cast<size_t>(length) <= n - i && well_formed(p + i, length)) {
      out.append(reinterpret_cast<const char*>(p + i), static_cast<size_t>(length));
      i += static_cast<size_t>(length);
    } else {
      put_byte_escape(out, c);
      ++i;
    }
  }
}

// Zeek >= 4.2, first try: the string as it is, which holds as long as every
// character is acceptable. Returns false at the first one that is not;
// what was appended by then must be dropped.
bool append_if_clean(std::string& out, const Byte* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const size_t run = plain_run(p + i, n - i);
    out.append(reinterpret_cast<const char*>(p + i), run);
    i += run;
    if (i == n) break;
    const Byte c = p[i];
    if (c < 0x80) {
      if (c == '"' || c == '\\' || is_short_escaped_control(c)) {
        put_rapidjson_byte(out, c);
        ++i;
        continue;
      }
      return false;  // another control character, or DEL
    }
    const int length = sequence_length(c);
    if (static_cast<size_t>(length) > n - i || !well_formed(p + i, length) ||
        !acceptable_character(p + i, length))
      return false;
    out.append(reinterpret_cast<const char*>(p + i), static_cast<size_t>(length));
    i += static_cast<size_t>(length);
  }
  return true;
}

// Zeek >= 4.2, the string had a bad character: only printable ASCII and the
// short-escaped controls stay.
void append_all_escaped(std::string& out, const Byte* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const size_t run = plain_run(p + i, n - i);
    out.append(reinterpret_cast<const char*>(p + i), run);
    i += run;
    if (i == n) break;
    const Byte c = p[i];
    if (c == '"' || c == '\\' || is_short_escaped_control(c))
      put_rapidjson_byte(out, c);
    else
      put_byte_escape(out, c);
    ++i;
  }
}

}  // namespace

void append_zeek_string(std::string& out, std::string_view bytes, bool whole_string_escaping) {
  const auto* p = reinterpret_cast<const Byte*>(bytes.data());
  const size_t n = bytes.size();
  out.push_back('"');
  if (!whole_string_escaping) {
    append_per_byte(out, p, n);
  } else {
    const size_t start = out.size();
    if (!append_if_clean(out, p, n)) {
      out.resize(start);
      append_all_escaped(out, p, n);
    }
  }
  out.push_back('"');
}

void append_json_string(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const Byte*>(text.data());
  const size_t n = text.size();
  out.push_back('"');
  size_t i = 0;
  while (i < n) {
    const size_t run = plain_run(p + i, n - i);
    out.append(reinterpret_cast<const char*>(p + i), run);
    i += run;
    if (i == n) break;
    put_rapidjson_byte(out, p[i]);
    ++i;
  }
  out.push_back('"');
}

}  // namespace zrb
