#include "json/json_string.hh"

#include <doctest/doctest.h>

#include <string>

using namespace zrb;

namespace {

// The JSON text (quotes included) each Zeek writes for `bytes`.
std::string before_4_2(std::string_view bytes) {
  std::string s;
  append_zeek_string(s, bytes, false);
  return s;
}

std::string since_4_2(std::string_view bytes) {
  std::string s;
  append_zeek_string(s, bytes, true);
  return s;
}

void check_both(std::string_view bytes, const std::string& want) {
  CHECK(before_4_2(bytes) == want);
  CHECK(since_4_2(bytes) == want);
}

using namespace std::string_literals;

}  // namespace

TEST_CASE("json_string: plain text, and what rapidjson escapes") {
  check_both("", R"("")");
  check_both("GET /index.html", R"("GET /index.html")");
  check_both("say \"hi\"", R"("say \"hi\"")");
  check_both("C:\\x41", R"("C:\\x41")");  // a real backslash reads like an escape
  check_both("a\b\f\n\r\tz", R"("a\b\f\n\r\tz")");
}

TEST_CASE("json_string: other control bytes become \\xNN, NUL included") {
  check_both("\x01", R"("\\x01")");
  check_both("a\x1f", R"("a\\x1f")");
  check_both("\x00z"s, R"("\\x00z")");
  check_both("\x1b[0m", R"("\\x1b[0m")");
}

TEST_CASE("json_string: DEL is kept before 4.2 and escaped after") {
  CHECK(before_4_2("a\x7f") == "\"a\x7f\"");
  CHECK(since_4_2("a\x7f") == R"("a\\x7f")");
}

TEST_CASE("json_string: valid UTF-8 is kept") {
  check_both("\xc3\xb1", "\"\xc3\xb1\"");                  // n with tilde
  check_both("\xe2\x82\xa1", "\"\xe2\x82\xa1\"");          // 3 bytes
  check_both("\xe0\xa3\xa1", "\"\xe0\xa3\xa1\"");          // smallest E0 form
  check_both("\xf0\x90\x8c\xbc", "\"\xf0\x90\x8c\xbc\"");  // 4 bytes
  check_both("\xf4\x80\x8c\xbc", "\"\xf4\x80\x8c\xbc\"");
  check_both("\xef\xbf\xaf", "\"\xef\xbf\xaf\"");  // U+FFEF, just below the specials
}

// The cases of Zeek's own json_escape_utf8 unit test (Unicode Table 3-7),
// as the JSON writer finally writes them.
TEST_CASE("json_string: ill-formed UTF-8, byte by byte before 4.2") {
  CHECK(before_4_2("string\x82") == R"("string\\x82")");
  CHECK(before_4_2("\x07\xd4\xb7o") == "\"\\\\x07\xd4\xb7o\"");
  CHECK(before_4_2("\xc3\x28") == R"("\\xc3(")");
  CHECK(before_4_2("\xc0\x81") == R"("\\xc0\\x81")");  // overlong
  CHECK(before_4_2("\xc1\x81") == R"("\\xc1\\x81")");
  CHECK(before_4_2("\xc2\xcf") == R"("\\xc2\\xcf")");
  CHECK(before_4_2("\xa0\xa1") == R"("\\xa0\\xa1")");  // lone continuation bytes
  CHECK(before_4_2("\xe0\x80\xa1") == R"("\\xe0\\x80\\xa1")");
  CHECK(before_4_2("\xe2\x28\xa1") == R"("\\xe2(\\xa1")");
  CHECK(before_4_2("\xed\xa0\xa1") == R"("\\xed\\xa0\\xa1")");  // a surrogate
  CHECK(before_4_2("\xe2\x82\x28") == R"("\\xe2\\x82(")");
  CHECK(before_4_2("\xf0\x80\x8c\xbc") == R"("\\xf0\\x80\\x8c\\xbc")");
  CHECK(before_4_2("\xf2\x28\x8c\xbc") == R"("\\xf2(\\x8c\\xbc")");
  CHECK(before_4_2("\xf4\x90\x8c\xbc") == R"("\\xf4\\x90\\x8c\\xbc")");  // above U+10FFFF
  CHECK(before_4_2("\xf0\x90\x28\xbc") == R"("\\xf0\\x90(\\xbc")");
  CHECK(before_4_2("\xf0\x28\x8c\x28") == R"("\\xf0(\\x8c(")");
  CHECK(before_4_2("\xf4\x80\x8c") == R"("\\xf4\\x80\\x8c")");  // cut short
  CHECK(before_4_2("\xf0") == R"("\\xf0")");
  CHECK(before_4_2("\xf8\x88\x80\x80\x80") == R"("\\xf8\\x88\\x80\\x80\\x80")");
  CHECK(before_4_2("\xff") == R"("\\xff")");
  // Each bad byte alone: valid characters around it stay.
  CHECK(before_4_2("\xc3\xb1\xc0\x81") == "\"\xc3\xb1\\\\xc0\\\\x81\"");
}

TEST_CASE("json_string: since 4.2 one bad character escapes the whole string") {
  CHECK(since_4_2("string\x82") == R"("string\\x82")");
  CHECK(since_4_2("\x07\xd4\xb7o") == R"("\\x07\\xd4\\xb7o")");
  CHECK(since_4_2("\xc3\x28") == R"("\\xc3(")");
  CHECK(since_4_2("\xe2\x28\xa1") == R"("\\xe2(\\xa1")");
  CHECK(since_4_2("\xc3\xb1\xc0\x81") == R"("\\xc3\\xb1\\xc0\\x81")");
  CHECK(since_4_2("\xc3\xb1\x7f") == R"("\\xc3\\xb1\\x7f")");
  // Quotes, backslashes and the short-escaped controls stay as they were.
  CHECK(since_4_2("\"\xc3\xb1\"\\\n\x01") == R"("\"\\xc3\\xb1\"\\\n\\x01")");
}

TEST_CASE("json_string: since 4.2 some well-formed characters are refused") {
  CHECK(before_4_2("\xc2\x85") == "\"\xc2\x85\"");  // U+0085, a C1 control
  CHECK(since_4_2("\xc2\x85") == R"("\\xc2\\x85")");
  CHECK(since_4_2("\xc2\xa0") == "\"\xc2\xa0\"");           // U+00A0 is fine
  CHECK(before_4_2("\xee\x8b\xa0") == "\"\xee\x8b\xa0\"");  // private use area
  CHECK(since_4_2("\xee\x8b\xa0") == R"("\\xee\\x8b\\xa0")");
  CHECK(since_4_2("\xee\x80\x80") == R"("\\xee\\x80\\x80")");      // U+E000
  CHECK(since_4_2("\xef\xa3\xbf") == R"("\\xef\\xa3\\xbf")");      // U+F8FF
  CHECK(since_4_2("\xef\xa4\x80") == "\"\xef\xa4\x80\"");          // U+F900
  CHECK(since_4_2("\xef\xbf\xb0") == R"("\\xef\\xbf\\xb0")");      // U+FFF0
  CHECK(since_4_2("\xef\xbf\xbd") == R"("\\xef\\xbf\\xbd")");      // U+FFFD
  CHECK(since_4_2("\xf3\xb0\x80\x80") == "\"\xf3\xb0\x80\x80\"");  // plane 15 PUA is fine
}

TEST_CASE("json_string: field names get rapidjson's escaping only") {
  std::string s;
  append_json_string(s, "id.orig_h");
  CHECK(s == R"("id.orig_h")");
  s.clear();
  append_json_string(s, "a\"b\\c\x01\x1f\x7f\xc3");
  CHECK(s == "\"a\\\"b\\\\c\\u0001\\u001F\x7f\xc3\"");
}

TEST_CASE("json_string: appends to what is there") {
  std::string s = "{\"k\":";
  append_zeek_string(s, "v", true);
  CHECK(s == R"({"k":"v")");
}
