#include "logs/exact_text.hh"

#include <doctest/doctest.h>

#include "json/record_json.hh"

using namespace zrb;

namespace {

// conn-like: ts, a nested record with a double, a double, an unset double,
// a vector and a set of doubles, a string.
LogSchema schema() {
  LogSchema s;
  s.node = "zeek";
  s.path = "t";
  s.zeek_version = 80010;
  s.columns = {{"ts", ZeekType{TypeTag::time, TypeTag::none}, {0}},
               {"id.d", ZeekType{TypeTag::double_, TypeTag::none}, {1, 0}},
               {"id.s", ZeekType{TypeTag::string, TypeTag::none}, {1, 1}},
               {"d", ZeekType{TypeTag::double_, TypeTag::none}, {2}},
               {"u", ZeekType{TypeTag::double_, TypeTag::none}, {3}},
               {"vs", ZeekType{TypeTag::vector, TypeTag::double_}, {4}},
               {"st", ZeekType{TypeTag::set, TypeTag::time}, {5}}};
  return s;
}

// What the WebSocket API delivers for the record: doubles with 6 decimals,
// times cut to milliseconds.
Value cut_record() {
  return Vector{Timestamp{1300475168784000000}, Vector{2153226000.123456, "a\xff"},   0.3, None{},
                Vector{0.333333, 100.0},        Set{{Timestamp{1700000000249000000}}}};
}

// Zeek 8.0.10's to_json(recs, T, /^-/) of that record, as run (probe in
// docs/protocol.md): the log writer's digits.
const char* exact =
    R"([{"ts":1300475168.78402,"id":{"d":2153226000.1234565,"s":"a\\xff"},"d":0.30000000000000004,)"
    R"("vs":[0.3333333333333333,100.0],"st":[1700000000.25]}])";

std::string render(const Vector& rec, const LogSchema& s) {
  std::string out, why;
  REQUIRE(record_to_json(rec, s, TimeFormat::epoch, ConvertLimits{}, out, &why) ==
          ConvertStatus::ok);
  return out;
}

}  // namespace

TEST_CASE("exact_columns picks doubles, times and their containers, with their keys") {
  auto cols = exact_columns(schema());
  REQUIRE(cols.size() == 6);  // ts, id.d, d, u, vs, st (no interval column here)
  CHECK(cols[0].column == 0);
  CHECK(cols[1].keys == std::vector<std::string>{"id", "d"});
  CHECK(cols[2].column == 3);
  CHECK(cols[5].column == 6);
}

TEST_CASE("the text's doubles and times make the line Zeek's, byte for byte") {
  auto s = schema();
  Vector records{cut_record()};
  std::vector<std::string> errors;
  std::string why;
  REQUIRE(apply_exact_text(exact, s, exact_columns(s), records, errors, why));
  CHECK(errors == std::vector<std::string>{""});
  CHECK(render(*records[0].get_if<Vector>(), s) ==
        R"({"ts":1300475168.78402,"id.d":2153226000.1234565,"id.s":"a\\xff",)"
        R"("d":0.30000000000000004,"vs":[0.3333333333333333,100.0],"st":[1700000000.25]})");
}

TEST_CASE("without the text the same record is not exact (what version 2 repairs)") {
  auto s = schema();
  CHECK(render(*cut_record().get_if<Vector>(), s) !=
        R"({"ts":1300475168.78402,"id.d":2153226000.1234565,"id.s":"a\\xff",)"
        R"("d":0.30000000000000004,"vs":[0.3333333333333333,100.0],"st":[1700000000.25]})");
}

TEST_CASE("a text that cannot be used is refused as a whole") {
  auto s = schema();
  auto cols = exact_columns(s);
  std::vector<std::string> errors;
  std::string why;
  Vector records{cut_record()};
  CHECK_FALSE(apply_exact_text("[", s, cols, records, errors, why));
  CHECK(why.find("not JSON") != std::string::npos);
  CHECK_FALSE(apply_exact_text("{}", s, cols, records, errors, why));
  CHECK_FALSE(apply_exact_text("[{},{}]", s, cols, records, errors, why));  // 2 for 1 record
  CHECK(why.find("array of 1 records") != std::string::npos);
}

TEST_CASE("a record whose text lacks or mismatches a value is named; the others are kept") {
  auto s = schema();
  auto cols = exact_columns(s);
  std::vector<std::string> errors;
  std::string why;
  Vector records{cut_record(), cut_record(), cut_record(), cut_record()};
  std::string text = std::string("[") + R"({"ts":1.5},)" +         // lacks id.d
                     R"("x",)" +                                   // not an object
                     R"({"ts":"late","id":{"d":1.0},"d":1.0},)" +  // a string for a time
                     std::string(exact + 1);                       // good
  REQUIRE(apply_exact_text(text, s, cols, records, errors, why));
  REQUIRE(errors.size() == 4);
  CHECK(errors[0].find("no value for column id.d") != std::string::npos);
  CHECK(errors[1].find("not an object") != std::string::npos);
  CHECK(errors[2].find("column ts does not match") != std::string::npos);
  CHECK(errors[3].empty());
}

TEST_CASE("unset values and null are left to the typed value") {
  auto s = schema();
  Vector rec{Timestamp{1000000000}, None{}, 1.0 / 0.0, None{}, Vector{None{}}, None{}};
  Vector records{rec};
  std::vector<std::string> errors;
  std::string why;
  // Zeek writes null for an infinite double; an unset record has no key.
  REQUIRE(apply_exact_text(R"([{"ts":1.0,"d":null,"vs":[null]}])", s, exact_columns(s), records,
                           errors, why));
  CHECK(errors[0].empty());
  CHECK(render(*records[0].get_if<Vector>(), s) == R"({"ts":1.0,"d":null,"vs":[null]})");
}
