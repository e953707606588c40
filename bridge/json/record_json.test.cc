#include "json/record_json.hh"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "json/seconds.hh"

using namespace zrb;

namespace {

constexpr uint64_t zeek_3_2 = 30204;
constexpr uint64_t zeek_8_0 = 80010;

Column column(std::string name, const char* type, std::vector<uint32_t> index) {
  auto t = parse_zeek_type(type);
  REQUIRE_MESSAGE(t.has_value(), type);
  return Column{std::move(name), *t, std::move(index)};
}

LogSchema schema_of(uint64_t version, std::vector<Column> columns) {
  LogSchema s;
  s.node = "worker-1";
  s.path = "test";
  s.zeek_version = version;
  s.columns = std::move(columns);
  return s;
}

// Renders and requires success.
std::string render(const Vector& record, const LogSchema& schema,
                   TimeFormat tf = TimeFormat::epoch) {
  std::string out, why;
  const auto status = record_to_json(record, schema, tf, ConvertLimits{}, out, &why);
  REQUIRE_MESSAGE(status == ConvertStatus::ok, why);
  return out;
}

Address ipv6(std::initializer_list<uint8_t> bytes) {
  Address a;
  size_t i = 0;
  for (uint8_t b : bytes) a.bytes[i++] = b;
  return a;
}

// A vector of exactly these values. (Braces alone would not do:
// Vector{Vector{}} is a copy of the inner vector, not a vector holding it.)
Vector record_of(std::initializer_list<Value> values) {
  return Vector(values);
}

Timestamp at(double seconds) {
  return Timestamp{ns_from_seconds(seconds)};
}
Timespan lasting(double seconds) {
  return Timespan{ns_from_seconds(seconds)};
}

// A conn-like record: ts, uid, id (a nested conn_id), proto, duration,
// service, tunnel_parents.
LogSchema conn_schema(uint64_t version) {
  return schema_of(
      version, {column("ts", "time", {0}), column("uid", "string", {1}),
                column("id.orig_h", "addr", {2, 0}), column("id.orig_p", "port", {2, 1}),
                column("id.resp_h", "addr", {2, 2}), column("id.resp_p", "port", {2, 3}),
                column("proto", "enum transport_proto", {3}), column("duration", "interval", {4}),
                column("service", "string", {5}), column("tunnel_parents", "set[string]", {6})});
}

Vector conn_record() {
  return Vector{at(1300475168.853899),
                "CmES5u32sYpV7JYN",
                Vector{Address::v4(141, 142, 220, 118), Port{43927, Port::Protocol::udp},
                       Address::v4(141, 142, 2, 2), Port{53, Port::Protocol::udp}},
                EnumValue{"udp"},
                lasting(0.000435),
                None{},
                None{}};
}

}  // namespace

TEST_CASE("record_json: a conn record as Zeek writes it") {
  // The same line as in the shared corpus (wikipedia, conn.log, line 4,
  // without the fields left out here).
  const std::string want =
      R"({"ts":1300475168.853899,"uid":"CmES5u32sYpV7JYN","id.orig_h":"141.142.220.118",)"
      R"("id.orig_p":43927,"id.resp_h":"141.142.2.2","id.resp_p":53,"proto":"udp",)"
      R"("duration":0.000435})";
  CHECK(render(conn_record(), conn_schema(zeek_3_2)) == want);
  CHECK(render(conn_record(), conn_schema(zeek_8_0)) == want);
  CHECK(render(conn_record(), conn_schema(zeek_8_0), TimeFormat::iso8601) ==
        R"({"ts":"2011-03-18T19:06:08.853899Z","uid":"CmES5u32sYpV7JYN",)"
        R"("id.orig_h":"141.142.220.118","id.orig_p":43927,"id.resp_h":"141.142.2.2",)"
        R"("id.resp_p":53,"proto":"udp","duration":0.000435})");
  CHECK(render(conn_record(), conn_schema(zeek_8_0), TimeFormat::millis).substr(0, 20) ==
        R"({"ts":1300475168853,)");
}

TEST_CASE("record_json: every atomic type") {
  const auto schema = schema_of(
      zeek_8_0,
      {column("b", "bool", {0}), column("c", "count", {1}), column("i", "int", {2}),
       column("d", "double", {3}), column("t", "time", {4}), column("iv", "interval", {5}),
       column("s", "string", {6}), column("a", "addr", {7}), column("n", "subnet", {8}),
       column("p", "port", {9}), column("e", "enum", {10}), column("f", "func", {11})});
  const Vector record{true,
                      uint64_t{18446744073709551615u},
                      int64_t{-9223372036854775807 - 1},
                      0.1,
                      at(-1.5),
                      lasting(-0.25),
                      "x",
                      ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                      Subnet{Address::v4(10, 1, 2, 3), 8},
                      Port{443, Port::Protocol::tcp},
                      EnumValue{"Notice::Tally"},
                      "Site::is_local_addr"};
  CHECK(render(record, schema) ==
        R"({"b":true,"c":18446744073709551615,"i":-9223372036854775808,"d":0.1,"t":-1.5,)"
        R"("iv":-0.25,"s":"x","a":"2001:db8::1","n":"10.0.0.0/8","p":443,)"
        R"("e":"Notice::Tally","f":"Site::is_local_addr"})");

  const Vector other{false,
                     uint64_t{0},
                     int64_t{42},
                     -0.0,
                     at(0),
                     lasting(0),
                     "",
                     ipv6({}),
                     Subnet{ipv6({0xfe, 0x80}), 10},
                     Port{0, Port::Protocol::icmp},
                     EnumValue{"tcp"},
                     "f"};
  CHECK(render(other, schema) ==
        R"({"b":false,"c":0,"i":42,"d":-0.0,"t":0.0,"iv":0.0,"s":"","a":"::","n":"fe80::/10",)"
        R"("p":0,"e":"tcp","f":"f"})");
}

TEST_CASE("record_json: unset fields and unset records are left out") {
  const auto schema = conn_schema(zeek_8_0);
  Vector record = conn_record();
  record[0] = None{};  // the first column: no stray comma
  record[2] = None{};  // the whole conn_id
  record[4] = None{};  // the last set one
  CHECK(render(record, schema) == R"({"uid":"CmES5u32sYpV7JYN","proto":"udp"})");

  // A set record with unset fields leaves out just those.
  record = conn_record();
  record[2] = Vector{None{}, Port{1, Port::Protocol::tcp}, None{}, None{}};
  CHECK(render(record, schema).find(R"("uid":"CmES5u32sYpV7JYN","id.orig_p":1,"proto")") !=
        std::string::npos);

  const Vector nothing{None{}, None{}, None{}, None{}, None{}, None{}, None{}};
  CHECK(render(nothing, schema) == "{}");
}

TEST_CASE("record_json: sets and vectors") {
  const auto schema = schema_of(
      zeek_3_2, {column("tags", "set[enum]", {0}), column("names", "vector of string", {1}),
                 column("rtts", "vector of interval", {2}), column("hosts", "set[addr]", {3}),
                 column("times", "vector of time", {4}), column("counts", "vector[count]", {5})});
  const Vector record{Set{{EnumValue{"HTTP::URI"}, EnumValue{"HTTP::HOST"}}},
                      Vector{"a", None{}, "c\n"},  // a hole in a vector is null
                      Vector{lasting(0.5), lasting(0.016986846923828125)},
                      Set{{Address::v4(1, 2, 3, 4),
                           ipv6({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb})}},
                      Vector{at(-0.5)},
                      Vector{}};
  CHECK(render(record, schema) ==
        R"({"tags":["HTTP::URI","HTTP::HOST"],"names":["a",null,"c\n"],)"
        R"("rtts":[0.5,0.016986846923828126],"hosts":["1.2.3.4","ff02::fb"],"times":[-0.5],)"
        R"("counts":[]})");
  CHECK(render(record, schema, TimeFormat::iso8601)
            .find(R"("times":["1969-12-31T23:59:59.500000Z"])") != std::string::npos);

  const Vector empty{Set{}, Vector{}, Vector{}, Set{}, Vector{}, Vector{}};
  CHECK(render(empty, schema) ==
        R"({"tags":[],"names":[],"rtts":[],"hosts":[],"times":[],"counts":[]})");
}

TEST_CASE("record_json: doubles per dialect, and null for what JSON cannot hold") {
  const Column d = column("d", "double", {0});
  const auto old_schema = schema_of(zeek_3_2, {d});
  const auto new_schema = schema_of(zeek_8_0, {d});
  CHECK(render({2153226000.1234565}, old_schema) == R"({"d":2153226000.1234567})");
  CHECK(render({2153226000.1234565}, new_schema) == R"({"d":2153226000.1234565})");
  CHECK(render({std::numeric_limits<double>::quiet_NaN()}, new_schema) == R"({"d":null})");
  CHECK(render({std::numeric_limits<double>::infinity()}, old_schema) == R"({"d":null})");
  CHECK(render({-std::numeric_limits<double>::infinity()}, new_schema) == R"({"d":null})");
  CHECK(render({1e300}, new_schema) == R"({"d":1e300})");
  CHECK(render({1e-300}, new_schema) == R"({"d":1e-300})");
  CHECK(render({123456789.0}, new_schema) == R"({"d":123456789.0})");
}

TEST_CASE("record_json: a non-finite time or interval as Zeek's conversion leaves it is null") {
  // Zeek turns a NaN or infinite time or interval into INT64_MIN nanoseconds
  // for Broker; Zeek's own writer writes null for it.
  const Column t = column("t", "time", {0});
  const Column i = column("i", "interval", {1});
  const int64_t min = std::numeric_limits<int64_t>::min();
  for (uint64_t version : {zeek_3_2, zeek_8_0}) {
    const auto schema = schema_of(version, {t, i});
    CHECK(render({Timestamp{min}, Timespan{min}}, schema) == R"({"t":null,"i":null})");
    // One nanosecond later is a (very old) real value.
    CHECK(render({Timestamp{min + 1}, Timespan{min + 1}}, schema) != R"({"t":null,"i":null})");
  }
}

TEST_CASE("record_json: strings per dialect") {
  const Column s = column("s", "string", {0});
  const Column e = column("e", "enum", {1});
  const Vector record{std::string("\xc3\xb1\x7f\x01\"\\"), EnumValue{"\xc3\xb1"}};
  CHECK(render(record, schema_of(zeek_3_2, {s, e})) ==
        "{\"s\":\"\xc3\xb1\x7f\\\\x01\\\"\\\\\",\"e\":\"\xc3\xb1\"}");
  CHECK(render(record, schema_of(zeek_8_0, {s, e})) == R"({"s":"\\xc3\\xb1\\x7f\\x01\"\\","e":")"
                                                       "\xc3\xb1\"}");
  // Binary data.
  const Vector binary{std::string("\x00\xff\xfe", 3), None{}};
  CHECK(render(binary, schema_of(zeek_3_2, {s, e})) == R"({"s":"\\x00\\xff\\xfe"})");
}

TEST_CASE("record_json: times per format and dialect") {
  const Column t = column("t", "time", {0});
  for (uint64_t version : {zeek_3_2, zeek_8_0}) {
    const auto schema = schema_of(version, {t});
    CHECK(render({at(-86400.25)}, schema) == R"({"t":-86400.25})");
    CHECK(render({at(-86400.25)}, schema, TimeFormat::iso8601) ==
          R"({"t":"1969-12-30T23:59:59.750000Z"})");
    CHECK(render({at(1e-7)}, schema, TimeFormat::iso8601) ==
          R"({"t":"1970-01-01T00:00:00.000000Z"})");
  }
  CHECK(render({at(-1.5)}, schema_of(zeek_8_0, {t}), TimeFormat::millis) == R"({"t":-1500})");
  CHECK(render({at(-1.5)}, schema_of(zeek_3_2, {t}), TimeFormat::millis) ==
        R"({"t":18446744073709550116})");
}

TEST_CASE("record_json: field names are escaped") {
  const auto schema = schema_of(zeek_8_0, {column("we\"ird\\", "count", {0})});
  CHECK(render({uint64_t{1}}, schema) == R"({"we\"ird\\":1})");
}

TEST_CASE("record_json: appends to the buffer") {
  std::string out = "prefix";
  std::string why;
  REQUIRE(record_to_json(conn_record(), conn_schema(zeek_8_0), TimeFormat::epoch, ConvertLimits{},
                         out, &why) == ConvertStatus::ok);
  CHECK(out.rfind("prefix{\"ts\":", 0) == 0);
}

TEST_CASE("record_json: a value of the wrong kind is a schema mismatch") {
  struct Case {
    const char* what;
    Column col;
    Vector record;
    const char* reason;  // part of the expected explanation
  };
  const Case cases[] = {
      {"string for count",
       column("c", "count", {0}),
       {"12"},
       "column 'c' (count): expected count, got string"},
      {"int for count", column("c", "count", {0}), {int64_t{1}}, "expected count, got int"},
      {"count for int", column("i", "int", {0}), {uint64_t{1}}, "expected int, got count"},
      {"count for time", column("t", "time", {0}), {uint64_t{1}}, "expected timestamp, got count"},
      {"timespan for time", column("t", "time", {0}), {Timespan{1}}, "expected timestamp"},
      {"string for enum", column("e", "enum", {0}), {"tcp"}, "expected enum, got string"},
      {"not a record", column("id.orig_h", "addr", {0, 0}), {"x"}, "expected record (vector)"},
      {"index out of range",
       column("x", "count", {3}),
       {uint64_t{1}},
       "beyond the record's 1 fields"},
      {"nested index out of range", column("id.x", "count", {0, 5}),
       record_of({Vector{uint64_t{1}}}), "position 5 at level 2"},
      {"set for vector", column("v", "vector of string", {0}), record_of({Set{}}),
       "expected vector, got set"},
      {"vector for set", column("s", "set[string]", {0}), record_of({Vector{}}),
       "expected set, got vector"},
      {"bad element", column("v", "vector of count", {0}), record_of({Vector{uint64_t{1}, "2"}}),
       "expected count, got string \"2\" in element 1"},
      {"container element", column("v", "vector of count", {0}), record_of({record_of({Vector{}})}),
       "expected count, got vector"},
      {"table", column("t", "table[string] of count", {0}), {Table{}}, "a table cannot be written"},
      {"subnet too long",
       column("n", "subnet", {0}),
       {Subnet{Address::v4(1, 2, 3, 4), 33}},
       "prefix length 33"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Vector record = c.record;
    std::string out = "kept";
    std::string why;
    CHECK(record_to_json(record, schema_of(zeek_8_0, {c.col}), TimeFormat::epoch, ConvertLimits{},
                         out, &why) == ConvertStatus::schema_mismatch);
    CHECK(out == "kept");
    CHECK_MESSAGE(why.find(c.reason) != std::string::npos, why);
    CHECK(why.find('\n') == std::string::npos);
  }
}

TEST_CASE("record_json: limits") {
  const auto deep = schema_of(zeek_8_0, {column("a.b.c", "count", {0, 0, 0})});
  const Vector record = record_of({record_of({record_of({uint64_t{7}})})});
  std::string out, why;
  ConvertLimits limits;
  limits.max_depth = 3;
  CHECK(record_to_json(record, deep, TimeFormat::epoch, limits, out, &why) == ConvertStatus::ok);
  CHECK(out == R"({"a.b.c":7})");
  limits.max_depth = 2;
  out.clear();
  CHECK(record_to_json(record, deep, TimeFormat::epoch, limits, out, &why) ==
        ConvertStatus::too_deep);
  CHECK(out.empty());
  CHECK(why.find("column 'a.b.c'") != std::string::npos);

  // A container counts as one more level.
  const auto list = schema_of(zeek_8_0, {column("v", "vector of count", {0})});
  limits.max_depth = 1;
  CHECK(record_to_json(record_of({Vector{}}), list, TimeFormat::epoch, limits, out, &why) ==
        ConvertStatus::too_deep);

  limits = ConvertLimits{};
  limits.max_record_bytes = 16;
  const auto text = schema_of(zeek_8_0, {column("s", "string", {0})});
  CHECK(record_to_json({"short"}, text, TimeFormat::epoch, limits, out, &why) == ConvertStatus::ok);
  CHECK(out == R"({"s":"short"})");  // 13 bytes
  out = "kept";
  CHECK(record_to_json({"a bit too long"}, text, TimeFormat::epoch, limits, out, &why) ==
        ConvertStatus::too_large);
  CHECK(out == "kept");
  CHECK(record_to_json(
            record_of({Vector{uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{4}, uint64_t{5}}}),
            list, TimeFormat::epoch, limits, out, &why) == ConvertStatus::too_large);
  CHECK(out == "kept");

  // A string longer than max_string_bytes, in a column or in a container,
  // is refused however large the record may be; one at the limit is fine.
  limits = ConvertLimits{};
  limits.max_string_bytes = 5;
  CHECK(record_to_json({"12345"}, text, TimeFormat::epoch, limits, out, &why) == ConvertStatus::ok);
  out = "kept";
  CHECK(record_to_json({"123456"}, text, TimeFormat::epoch, limits, out, &why) ==
        ConvertStatus::string_too_long);
  CHECK(out == "kept");
  CHECK(why.find("string of 6 bytes, limit 5") != std::string::npos);
  const auto strings = schema_of(zeek_8_0, {column("v", "vector of string", {0})});
  CHECK(record_to_json(record_of({Vector{std::string("ok"), std::string("too long")}}), strings,
                       TimeFormat::epoch, limits, out, &why) == ConvertStatus::string_too_long);
  CHECK(out == "kept");
}

TEST_CASE("record_json: names of formats and statuses") {
  TimeFormat tf = TimeFormat::epoch;
  CHECK(parse_time_format("iso8601", tf));
  CHECK(tf == TimeFormat::iso8601);
  CHECK(parse_time_format("millis", tf));
  CHECK(tf == TimeFormat::millis);
  CHECK(parse_time_format("epoch", tf));
  CHECK(tf == TimeFormat::epoch);
  CHECK_FALSE(parse_time_format("ISO8601", tf));
  CHECK_FALSE(parse_time_format("", tf));
  CHECK(to_string(TimeFormat::iso8601) == "iso8601");
  CHECK(to_string(ConvertStatus::ok) == "ok");
  CHECK(to_string(ConvertStatus::schema_mismatch) == "schema_mismatch");
  CHECK(to_string(ConvertStatus::too_deep) == "too_deep");
  CHECK(to_string(ConvertStatus::too_large) == "too_large");
  CHECK(to_string(ConvertStatus::string_too_long) == "string_too_long");
}

TEST_CASE("record_json: a time given as a double of seconds (protocol 2) is written as such") {
  Vector record{1300475168.78402};
  std::string out, why;
  CHECK(record_to_json(record, schema_of(zeek_8_0, {column("ts", "time", {0})}), TimeFormat::epoch,
                       ConvertLimits{}, out, &why) == ConvertStatus::ok);
  CHECK(out == R"({"ts":1300475168.78402})");
}
