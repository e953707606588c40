#include "transport/websocket/ws_json.hh"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace zrb;
using namespace zrb::ws;

namespace {

// Messages recorded from a real Zeek 8.0.10 (shared/corpus/zeek-8.0.10/websocket).
std::string recorded(const char* name) {
  std::filesystem::path p =
      std::filesystem::path(ZRB_SHARED_DIR) / "corpus" / "zeek-8.0.10" / "websocket" / name;
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read ", p.string());
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

int64_t ns(int64_t seconds, int64_t fraction_ns = 0) {
  return seconds * 1000000000 + fraction_ns;
}

}  // namespace

TEST_CASE("recorded ack and test_event of Zeek 8.0.10") {
  auto ack = decode_message(recorded("ack.json"), 32);
  CHECK(ack.kind == MessageKind::ack);
  CHECK(ack.text == "4f27cd45-3eda-5d19-bda3-b2d5235fc212-websocket-0 8.0.10");

  auto m = decode_message(recorded("test_event.json"), 32);
  REQUIRE(m.kind == MessageKind::event);
  CHECK(m.event.topic == "test/topic");
  CHECK(m.event.name == "test_event");
  CHECK(m.event.args == Vector{std::string("hello 1"), uint64_t{1}});

  auto sent = decode_message(recorded("client_event_sent.json"), 32);
  REQUIRE(sent.kind == MessageKind::event);
  CHECK(sent.event.name == "client_event");
  CHECK(sent.event.args == Vector{std::string("from-python"), uint64_t{42}});
}

TEST_CASE("recorded rich_event: every kind of value, as the Broker transport has it") {
  auto m = decode_message(recorded("rich_event.json"), 32);
  REQUIRE(m.kind == MessageKind::event);
  Address v6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Vector expected{int64_t{-42},
                  3.25,
                  Timestamp{ns(1700000000, 500000000)},
                  Timespan{1500000000},
                  Address::v4(192, 168, 1, 1),
                  Subnet{Address::v4(10, 0, 0, 0), 8},
                  Port{443, Port::Protocol::tcp},
                  EnumValue{"GREEN"},
                  EnumValue{"udp"},
                  true,
                  Set{{std::string("x")}},
                  Vector{uint64_t{1}, uint64_t{2}, uint64_t{3}},
                  Table{{{std::string("k"), uint64_t{7}}}},
                  Vector{std::string("rec"), None{}, v6}};
  REQUIRE(m.event.args.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    CHECK_MESSAGE(m.event.args[i] == expected[i], "argument ", i, ": ", describe(m.event.args[i]));
}

TEST_CASE("recorded fmt_event: 6-decimal reals, millisecond times, timespans") {
  auto m = decode_message(recorded("fmt_event.json"), 32);
  REQUIRE(m.kind == MessageKind::event);
  const auto& a = m.event.args;
  REQUIRE(a.size() == 10);
  CHECK(a[0] == Value(0.333333));
  CHECK(a[1] == Value(0.0));  // 1e-9 as Zeek sends it
  CHECK(a[2] == Value(1e20));
  CHECK(a[4] == Value(Timestamp{ns(1700000000, 123000000)}));
  CHECK(a[5] == Value(Timestamp{ns(1300475167, 96000000)}));
  CHECK(a[6] == Value(Timespan{1500}));
  CHECK(a[7] == Value(Timespan{ns(7200)}));
  CHECK(a[8] == Value(Timespan{123456789}));
  CHECK(a[9] == Value(Timespan{ns(-3)}));
}

TEST_CASE("every kind of value survives Value -> JSON -> Value") {
  Address v6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Address v6_net = v6;
  v6_net.bytes[15] = 0;
  Vector all{None{},
             true,
             false,
             uint64_t{18446744073709551615ull},
             int64_t{-9223372036854775807LL - 1},
             3.25,
             0.1 + 0.2,
             -1e-300,
             std::string("a\"b\\c\n\x01"),
             std::string(),
             Address::v4(192, 168, 1, 1),
             v6,
             Subnet{Address::v4(10, 0, 0, 0), 8},
             Subnet{v6_net, 64},
             Port{443, Port::Protocol::tcp},
             Port{53, Port::Protocol::udp},
             Port{8, Port::Protocol::icmp},
             Port{0, Port::Protocol::unknown},
             Timestamp{ns(1700000000, 123456789)},
             Timestamp{ns(1300475167, 96000000)},
             Timestamp{0},
             Timespan{1500000},
             Timespan{-3},
             EnumValue{"Intel::ADDR"},
             Set{{uint64_t{1}, uint64_t{2}}},
             Table{{{std::string("k"), Vector{uint64_t{7}, None{}}}}},
             Vector{Vector{Vector{}}}};
  auto text = encode_event("zeek/redis/intel", "RedisBridge::intel_add", all);
  auto m = decode_message(text, 32);
  REQUIRE_MESSAGE(m.kind == MessageKind::event, m.reason, " ", m.text);
  CHECK(m.event.topic == "zeek/redis/intel");
  CHECK(m.event.name == "RedisBridge::intel_add");
  REQUIRE(m.event.args.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i)
    CHECK_MESSAGE(m.event.args[i] == all[i], "value ", i, ": ", describe(all[i]), " came back as ",
                  describe(m.event.args[i]));
}

TEST_CASE("texts of single values") {
  int64_t t = 0;
  CHECK(parse_timestamp("1970-01-01T00:00:00", t));
  CHECK(t == 0);
  CHECK(parse_timestamp("2023-11-14T22:13:20.5Z", t));
  CHECK(t == ns(1700000000, 500000000));
  CHECK(parse_timestamp("1969-12-31T23:59:59.999", t));
  CHECK(t == -1000000);
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20.", "2023-13-14T22:13:20",
                          "2023-11-14T22:13:20+01:00", "2023-11-14 22:13:20", "x023-11-14T22:13:20",
                          "2023-11-14T22:13:20.1234567891",
                          // Outside int64 nanoseconds (1677-2262): refused, not overflowed.
                          "0005-01-01T00:00:00", "9999-12-31T23:59:59"})
    CHECK_MESSAGE(!parse_timestamp(bad, t), bad);
  std::string s;
  append_timestamp(s, -1000000);
  CHECK(s == "1969-12-31T23:59:59.999");

  CHECK(parse_timespan("2min", t));
  CHECK(t == ns(120));
  CHECK(parse_timespan("1d", t));
  CHECK(t == ns(86400));
  for (const char* bad : {"", "ms", "1", "1 s", "1.5s", "1sec", "9223372036854775807s", "-s"})
    CHECK_MESSAGE(!parse_timespan(bad, t), bad);

  Port p;
  for (const char* bad : {"", "443", "/tcp", "65536/tcp", "443/sctp", "-1/tcp", "443/tcp "})
    CHECK_MESSAGE(!parse_port(bad, p), bad);
}

TEST_CASE("hostile and broken messages are refused with a reason, never thrown") {
  auto reason_of = [](std::string_view text) {
    auto m = decode_message(text, 8);
    return m.kind == MessageKind::invalid ? m.reason : std::string("(accepted)");
  };
  const std::string envelope_head =
      R"({"type":"data-message","topic":"t","@data-type":"vector","data":[)"
      R"({"@data-type":"count","data":1},{"@data-type":"count","data":1},)"
      R"({"@data-type":"vector","data":[{"@data-type":"string","data":"e"},)"
      R"({"@data-type":"vector","data":[)";
  auto event_with = [&](const std::string& args) { return envelope_head + args + "]}]}]}"; };

  CHECK(reason_of("") == "ws_bad_json");
  CHECK(reason_of("{") == "ws_bad_json");
  CHECK(reason_of("[1,2]") == "ws_bad_json");
  CHECK(reason_of("{\"type\":7}") == "ws_bad_json");
  CHECK(reason_of("{\"type\":\"hello\"}") == "ws_bad_json");
  CHECK(reason_of("{\"type\":\"data-message\"}") == "ws_bad_json");
  CHECK(reason_of(R"({"type":"data-message","topic":"t","@data-type":"count","data":1})") ==
        "not_an_event");
  CHECK(reason_of(R"({"type":"data-message","topic":"t","@data-type":"vector","data":[]})") ==
        "not_an_event");
  // A body with a name and no arguments.
  CHECK(reason_of(R"({"type":"data-message","topic":"t","@data-type":"vector","data":[)"
                  R"({"@data-type":"count","data":1},{"@data-type":"count","data":1},)"
                  R"({"@data-type":"vector","data":[{"@data-type":"string","data":"e"}]}]})") ==
        "not_an_event");
  CHECK(reason_of(event_with(R"({"@data-type":"count","data":1})")) == "(accepted)");
  CHECK(reason_of(event_with(R"({"@data-type":"count","data":-1})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"count","data":1.5})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"integer","data":"1"})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"port","data":"99999/tcp"})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"address","data":"1.2.3"})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"subnet","data":"10.0.0.0/33"})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"timestamp","data":"yesterday"})")) ==
        "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"table","data":[{"key":1}]})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"string"})")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"(17)")) == "ws_bad_value");
  CHECK(reason_of(event_with(R"({"@data-type":"pattern","data":"/x/"})")) == "ws_unknown_type");
  CHECK(reason_of(event_with(R"({"@data-type":"","data":1})")) == "ws_unknown_type");

  // Nesting: 8 levels pass, 9 are too deep; 100000 do not exhaust the stack.
  auto nested = [](size_t depth) {
    std::string s;
    for (size_t i = 0; i < depth; ++i) s += R"({"@data-type":"vector","data":[)";
    for (size_t i = 0; i < depth; ++i) s += "]}";
    return s;
  };
  CHECK(reason_of(event_with(nested(8))) == "(accepted)");
  CHECK(reason_of(event_with(nested(9))) == "too_deep");
  CHECK(reason_of(event_with(nested(100000))) != "(accepted)");

  auto err = decode_message(R"({"type":"error","code":"deserialization_failed","context":"x"})", 8);
  CHECK(err.kind == MessageKind::error);
  CHECK(err.text == "deserialization_failed: x");
}

TEST_CASE("the subscription message") {
  CHECK(encode_subscription({"zeek/redis/", "a\"b"}) == R"(["zeek/redis/","a\"b"])");
}

TEST_CASE("raw bytes in strings, as Zeek 8.0.10 sends them, decode to the string's bytes") {
  // Zeek 8.0.10 sent ev("\xc3\xb1\\x41\xff\x00\x01\x7f", ...) with the bytes
  // raw inside the JSON string (only '\' escaped): not JSON, yet the bytes
  // are all there.
  const std::string raw = std::string("\xc3\xb1\\\\x41\xff", 7) + std::string("\x00\x01\x7f", 3);
  const std::string msg =
      R"({"type":"data-message","topic":"zeek/redis/logs","@data-type":"vector","data":[)"
      R"({"@data-type":"count","data":1},{"@data-type":"count","data":1},)"
      R"({"@data-type":"vector","data":[{"@data-type":"string","data":"ev"},)"
      R"({"@data-type":"vector","data":[{"@data-type":"string","data":")" +
      raw + R"("},{"@data-type":"enum-value","data":"A)" + std::string("\xe9") + R"("}]}]}]})";
  auto m = decode_message(msg, 32);
  REQUIRE_MESSAGE(m.kind == MessageKind::event, m.reason, ": ", m.text);
  REQUIRE(m.event.args.size() == 2);
  CHECK(*m.event.args[0].get_if<std::string>() ==
        std::string("\xc3\xb1\\x41\xff", 6) + std::string("\x00\x01\x7f", 3));
  CHECK(m.event.args[1].get_if<EnumValue>()->name == "A\xe9");
}

TEST_CASE("latin1_bytes maps U+0000..U+00FF back to single bytes") {
  CHECK(latin1_bytes("abc") == "abc");
  CHECK(latin1_bytes("\xc3\xbf\xc2\x80") == "\xff\x80");
  CHECK(latin1_bytes("\xc3") == "\xc3");  // a lone lead byte stays
}

TEST_CASE("has_raw_bytes finds any byte below 0x20 or from 0x80 on, at every position") {
  // Against the byte-by-byte definition: every byte value at every position
  // of strings of 0 to 24 bytes (the word loop, the tail, and both), in
  // printable ASCII filler of every kind next to it (0x20, '~', 0x7f).
  auto raw = [](unsigned char c) { return c < 0x20 || c >= 0x80; };
  for (char fill : {' ', '~', '\x7f', 'A'}) {
    for (size_t len = 0; len <= 24; ++len) {
      std::string s(len, fill);
      CHECK_FALSE(has_raw_bytes(s));
      for (size_t pos = 0; pos < len; ++pos) {
        for (int c = 0; c < 256; ++c) {
          s[pos] = static_cast<char>(c);
          if (has_raw_bytes(s) != raw(static_cast<unsigned char>(c))) {
            FAIL("len " << len << " pos " << pos << " byte " << c);
          }
        }
        s[pos] = fill;
      }
    }
  }
}
