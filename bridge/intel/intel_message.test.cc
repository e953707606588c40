#include "intel/intel_message.hh"

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace zrb;
using json = nlohmann::json;

namespace {

IntelParse parse(std::string_view payload, const IntelLimits& limits = {}) {
  return parse_intel_message(payload, limits);
}

// The one update of a message that must be valid.
IntelUpdate update_of(std::string_view payload) {
  auto p = parse(payload);
  for (const auto& r : p.rejections) FAIL_CHECK(r.reason << ": " << r.detail);
  REQUIRE(p.updates.size() == 1);
  return p.updates[0];
}

// The one rejection of a message that must be refused.
IntelRejection rejection_of(std::string_view payload, const IntelLimits& limits = {}) {
  auto p = parse(payload, limits);
  CHECK(p.updates.empty());
  REQUIRE(p.rejections.size() == 1);
  return p.rejections[0];
}

std::string reason_of(std::string_view payload) {
  return rejection_of(payload).reason;
}

// A valid item to vary: `{"indicator": ..., "type": ..., "meta": {"source": "feed-a"}}`.
json item(const std::string& indicator, const std::string& type) {
  return json{{"indicator", indicator}, {"type", type}, {"meta", {{"source", "feed-a"}}}};
}

std::string with(json j, const json::json_pointer& where, json value) {
  j[where] = std::move(value);
  return j.dump();
}

std::string without(json j, const json::json_pointer& where) {
  j[where.parent_pointer()].erase(where.back());
  return j.dump();
}

Address v6(const char* text) {
  Address a;
  REQUIRE(inet_pton(AF_INET6, text, a.bytes.data()) == 1);
  return a;
}

bool is_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

bool is_one_printable_line(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

const json::json_pointer indicator_ptr("/indicator");
const json::json_pointer type_ptr("/type");
const json::json_pointer action_ptr("/action");
const json::json_pointer meta_ptr("/meta");
const json::json_pointer source_ptr("/meta/source");
const json::json_pointer desc_ptr("/meta/desc");
const json::json_pointer url_ptr("/meta/url");
const json::json_pointer expire_ptr("/meta/expire");

const std::vector<std::string> all_types{"ADDR",        "SUBNET",    "URL",       "SOFTWARE",
                                         "EMAIL",       "DOMAIN",    "USER_NAME", "CERT_HASH",
                                         "PUBKEY_HASH", "FILE_HASH", "FILE_NAME"};

}  // namespace

TEST_CASE("intel: the example of docs/protocol.md, every field") {
  auto u = update_of(R"({"action": "add", "indicator": "198.51.100.7", "type": "ADDR",
    "meta": {"source": "feed-a", "desc": "C2 server", "url": "https://example.org/r/1",
             "expire": 86400}})");
  CHECK(u.action == IntelAction::add);
  CHECK(u.type == "Intel::ADDR");
  REQUIRE(u.indicator.get_if<Address>());
  CHECK(*u.indicator.get_if<Address>() == Address::v4(198, 51, 100, 7));
  CHECK(u.source == "feed-a");
  CHECK(u.desc == "C2 server");
  CHECK(u.url == "https://example.org/r/1");
  CHECK(u.expire == 86400);
}

TEST_CASE("intel: the batch example of docs/protocol.md") {
  auto p = parse(
      R"([{"indicator": "evil.example", "type": "Intel::DOMAIN", "meta": {"source": "feed-a"}},
    {"action": "remove", "indicator": "203.0.113.0/24", "type": "SUBNET", "meta": {"source": "feed-b"}}])");
  CHECK(p.rejections.empty());
  REQUIRE(p.updates.size() == 2);
  CHECK(p.updates[0].action == IntelAction::add);
  CHECK(p.updates[0].type == "Intel::DOMAIN");
  CHECK(p.updates[0].indicator == Value(std::string("evil.example")));
  CHECK(p.updates[0].source == "feed-a");
  CHECK(p.updates[1].action == IntelAction::remove);
  CHECK(p.updates[1].type == "Intel::SUBNET");
  CHECK(p.updates[1].indicator == Value(Subnet{Address::v4(203, 0, 113, 0), 24}));
  CHECK(p.updates[1].source == "feed-b");
}

TEST_CASE("intel: defaults") {
  auto u = update_of(item("evil.example", "DOMAIN").dump());
  CHECK(u.action == IntelAction::add);
  CHECK(u.desc.empty());
  CHECK(u.url.empty());
  CHECK(u.expire == 0);

  // null counts as absent, for optional fields...
  u = update_of(R"({"action": null, "indicator": "x", "type": "URL",
                    "meta": {"source": "s", "desc": null, "url": null, "expire": null}})");
  CHECK(u.action == IntelAction::add);
  CHECK(u.desc.empty());
  CHECK(u.url.empty());
  CHECK(u.expire == 0);
  // ...and for required ones.
  CHECK(reason_of(with(item("x", "URL"), indicator_ptr, nullptr)) == "missing_field");

  // Fields the protocol does not name are ignored.
  u = update_of(R"({"indicator": "x", "type": "URL", "confidence": [1, {"a": 2}],
                    "meta": {"source": "s", "tags": ["c2"]}})");
  CHECK(u.indicator == Value(std::string("x")));
}

TEST_CASE("intel: every Intel::Type, with and without the prefix") {
  for (const auto& name : all_types) {
    CAPTURE(name);
    CHECK(is_intel_type(name));
    const std::string indicator = name == "ADDR"     ? "192.0.2.1"
                                  : name == "SUBNET" ? "192.0.2.0/24"
                                                     : "value-of-" + name;
    for (const auto& written : {name, "Intel::" + name}) {
      auto u = update_of(item(indicator, written).dump());
      CHECK(u.type == "Intel::" + name);
      if (name == "ADDR") {
        CHECK(u.indicator == Value(Address::v4(192, 0, 2, 1)));
      } else if (name == "SUBNET") {
        CHECK(u.indicator == Value(Subnet{Address::v4(192, 0, 2, 0), 24}));
      } else {
        CHECK(u.indicator == Value(indicator));
      }
    }
  }
  CHECK(!is_intel_type(""));
  CHECK(!is_intel_type("addr"));
  CHECK(!is_intel_type("Intel::ADDR"));  // the function takes the name without prefix
  CHECK(!is_intel_type("JA3"));
  CHECK(!is_intel_type("ADDR "));
}

TEST_CASE("intel: unknown_type") {
  for (const char* type : {"addr", "Addr", "intel::ADDR", "Intel::Intel::ADDR", "Intel::", "", "IP",
                           "JA3", " ADDR", "Intel:ADDR"}) {
    CAPTURE(type);
    auto r = rejection_of(item("x", type).dump());
    CHECK(r.reason == "unknown_type");
    CHECK(r.detail.find("type") != std::string::npos);
  }
}

TEST_CASE("intel: addresses") {
  auto addr = [](const char* text) {
    auto u = update_of(item(text, "ADDR").dump());
    REQUIRE(u.indicator.get_if<Address>());
    return *u.indicator.get_if<Address>();
  };
  CHECK(addr("203.0.113.9") == Address::v4(203, 0, 113, 9));
  CHECK(addr("2001:db8::7") == v6("2001:db8::7"));
  CHECK(addr("::ffff:203.0.113.9") == Address::v4(203, 0, 113, 9));  // v4-mapped is IPv4
  CHECK(addr("::ffff:203.0.113.9").is_v4());
  CHECK(!addr("::203.0.113.9").is_v4());

  for (const char* bad : {"203.0.113", "203.0.113.256", "203.0.113.9/32", " 203.0.113.9",
                          "fe80::1%eth0", "evil.example", "2001:db8:::7"}) {
    CAPTURE(bad);
    auto r = rejection_of(item(bad, "ADDR").dump());
    CHECK(r.reason == "bad_address");
    CHECK(r.detail.find("indicator") != std::string::npos);
  }
  // A NUL inside the string ends the address for inet_pton, not for us.
  CHECK(reason_of(R"({"indicator": "203.0.113.9\u0000x", "type": "ADDR",
                      "meta": {"source": "s"}})") == "bad_address");
  // An address is not a valid SUBNET and a subnet not a valid ADDR.
  CHECK(reason_of(item("203.0.113.9", "SUBNET").dump()) == "bad_subnet");
}

TEST_CASE("intel: subnets, host bits masked like Zeek") {
  auto net = [](const char* text) {
    auto u = update_of(item(text, "SUBNET").dump());
    REQUIRE(u.indicator.get_if<Subnet>());
    return *u.indicator.get_if<Subnet>();
  };
  CHECK(net("203.0.113.0/24") == Subnet{Address::v4(203, 0, 113, 0), 24});
  CHECK(net("203.0.113.77/24") == Subnet{Address::v4(203, 0, 113, 0), 24});
  CHECK(net("2001:db8:1:2::5/48") == Subnet{v6("2001:db8:1::"), 48});
  CHECK(net("::ffff:203.0.113.77/120") == Subnet{Address::v4(203, 0, 113, 0), 24});
  CHECK(net("0.0.0.0/0") == Subnet{Address::v4(0, 0, 0, 0), 0});

  for (const char* bad : {"203.0.113.0", "203.0.113.0/33", "2001:db8::/129", "203.0.113.0/",
                          "203.0.113.0/x", "203.0.113.0/-8", "/24", "evil.example/24"}) {
    CAPTURE(bad);
    CHECK(reason_of(item(bad, "SUBNET").dump()) == "bad_subnet");
  }
}

TEST_CASE("intel: actions") {
  auto u = update_of(with(item("x", "EMAIL"), action_ptr, "remove"));
  CHECK(u.action == IntelAction::remove);
  u = update_of(with(item("x", "EMAIL"), action_ptr, "add"));
  CHECK(u.action == IntelAction::add);
  for (const char* bad : {"ADD", "Remove", "delete", "", "add "}) {
    CAPTURE(bad);
    auto r = rejection_of(with(item("x", "EMAIL"), action_ptr, bad));
    CHECK(r.reason == "unknown_action");
    CHECK(r.detail.find("action") != std::string::npos);
  }
  CHECK(reason_of(with(item("x", "EMAIL"), action_ptr, 1)) == "wrong_type");
  CHECK(reason_of(with(item("x", "EMAIL"), action_ptr, json::array({"add"}))) == "wrong_type");
}

TEST_CASE("intel: missing_field") {
  const auto good = item("x", "SOFTWARE");
  struct Case {
    std::string payload;
    const char* field;
  };
  for (const auto& c : std::vector<Case>{
           {without(good, indicator_ptr), "indicator"},
           {without(good, type_ptr), "type"},
           {without(good, meta_ptr), "meta.source"},
           {without(good, source_ptr), "meta.source"},
           {with(good, source_ptr, ""), "meta.source"},
           {with(good, source_ptr, nullptr), "meta.source"},
           {R"({})", "type"},
       }) {
    CAPTURE(c.payload);
    auto r = rejection_of(c.payload);
    CHECK(r.reason == "missing_field");
    CHECK(r.detail.find(c.field) != std::string::npos);
  }
}

TEST_CASE("intel: wrong_type names the field") {
  const auto good = item("x", "SOFTWARE");
  struct Case {
    std::string payload;
    const char* field;
  };
  for (const auto& c : std::vector<Case>{
           {with(good, indicator_ptr, 42), "indicator"},
           {with(good, indicator_ptr, json::array({"x"})), "indicator"},
           {with(good, type_ptr, true), "type"},
           {with(good, meta_ptr, "feed-a"), "meta"},
           {with(good, meta_ptr, json::array()), "meta"},
           {with(good, source_ptr, 5), "meta.source"},
           {with(good, desc_ptr, 5), "meta.desc"},
           {with(good, url_ptr, json::object()), "meta.url"},
           {with(good, expire_ptr, "86400"), "meta.expire"},
           {with(good, expire_ptr, true), "meta.expire"},
       }) {
    CAPTURE(c.payload);
    auto r = rejection_of(c.payload);
    CHECK(r.reason == "wrong_type");
    CHECK(r.detail.rfind(std::string(c.field) + " is ", 0) == 0);
  }
}

TEST_CASE("intel: not_an_object") {
  for (const char* payload :
       {"42", R"("198.51.100.7")", "null", "true", "[42]", "[[{}]]", R"(["x"])", "[null]"}) {
    CAPTURE(payload);
    auto r = rejection_of(payload);
    CHECK(r.reason == "not_an_object");
    CHECK(r.detail.find("not an object") != std::string::npos);
  }
  auto r = rejection_of("[[1, 2]]");
  CHECK(r.item == "[1,2]");  // the item, not the message
  CHECK(parse("[]").updates.empty());
  CHECK(parse("[]").rejections.empty());
}

TEST_CASE("intel: empty_indicator, and the length limit") {
  auto r = rejection_of(item("", "DOMAIN").dump());
  CHECK(r.reason == "empty_indicator");
  CHECK(r.detail.find("indicator") != std::string::npos);

  const std::string longest(4096, 'a');
  CHECK(update_of(item(longest, "DOMAIN").dump()).indicator == Value(longest));
  r = rejection_of(item(longest + "a", "DOMAIN").dump());
  CHECK(r.reason == "empty_indicator");
  CHECK(r.detail.find("4097") != std::string::npos);

  IntelLimits small;
  small.max_indicator_bytes = 3;
  CHECK(parse(item("abc", "DOMAIN").dump(), small).updates.size() == 1);
  CHECK(rejection_of(item("abcd", "DOMAIN").dump(), small).reason == "empty_indicator");
}

TEST_CASE("intel: expire") {
  const auto good = item("x", "FILE_HASH");
  CHECK(update_of(with(good, expire_ptr, 86400)).expire == 86400);
  CHECK(update_of(with(good, expire_ptr, 0.5)).expire == 0.5);
  CHECK(update_of(with(good, expire_ptr, 1e-6)).expire == 1e-6);
  CHECK(update_of(with(good, expire_ptr, 9223372036)).expire == 9223372036.0);

  for (const char* bad : {"0", "-0", "-1", "0.0", "-86400", "1e-10", "1e-400", "9223372037",
                          "1e300", "99999999999999999999999", "18446744073709551615"}) {
    CAPTURE(bad);
    auto r = rejection_of(R"({"indicator": "x", "type": "FILE_HASH",
                              "meta": {"source": "s", "expire": )" +
                          std::string(bad) + "}}");
    CHECK(r.reason == "bad_expire");
    CHECK(r.detail.find("meta.expire") != std::string::npos);
  }
  // Given with remove, whatever its value.
  auto removal = with(good, action_ptr, "remove");
  CHECK(update_of(removal).action == IntelAction::remove);
  CHECK(reason_of(with(json::parse(removal), expire_ptr, 86400)) == "bad_expire");
  CHECK(reason_of(with(json::parse(removal), expire_ptr, "soon")) == "bad_expire");
  // Beyond what a double holds, the number is not JSON nlohmann accepts.
  CHECK(reason_of(R"({"indicator": "x", "type": "FILE_HASH",
                      "meta": {"source": "s", "expire": 1e400}})") == "invalid_json");
}

TEST_CASE("intel: invalid_json for the whole message") {
  for (const char* bad :
       {"", " ", "{", "}", "[", R"({"indicator": "x",})", "nope", "{} {}", R"({"indicator": 'x'})",
        "[1,]", R"({"a" 1})", "NaN", "Infinity", R"("\ud800")", R"({"a": "\x41"})"}) {
    CAPTURE(bad);
    auto r = rejection_of(bad);
    CHECK(r.reason == "invalid_json");
    CHECK(r.item == bad);  // the message as it came
    CHECK(is_one_printable_line(r.detail));
  }
  // A good item does not save a batch that is not JSON.
  auto p = parse("[" + item("x", "URL").dump() + ", }");
  CHECK(p.updates.empty());
  REQUIRE(p.rejections.size() == 1);
  CHECK(p.rejections[0].reason == "invalid_json");
}

TEST_CASE("intel: bytes that are not UTF-8 are invalid_json") {
  for (const char* bad : {"\xff", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80" /* a surrogate */,
                          "\xc0\xaf" /* overlong */}) {
    const std::string payload =
        R"({"indicator": "a)" + std::string(bad) + R"(b", "type": "URL", "meta": {"source": "s"}})";
    CAPTURE(payload);
    auto r = rejection_of(payload);
    CHECK(r.reason == "invalid_json");
    CHECK(r.item == payload);
    CHECK(is_one_printable_line(r.detail));  // the parser quotes the bad byte; we escape it
  }
  // Valid UTF-8 passes through, byte for byte.
  auto u = update_of(item("b\xc3\xbc"
                          "cher.example",
                          "DOMAIN")
                         .dump());
  CHECK(u.indicator == Value(std::string("b\xc3\xbc"
                                         "cher.example")));
}

TEST_CASE("intel: too_large is checked before parsing") {
  // Not JSON, yet too_large: the size is checked first.
  const std::string big(IntelLimits{}.max_message_bytes + 1, '{');
  auto r = rejection_of(big);
  CHECK(r.reason == "too_large");
  CHECK(r.item == big.substr(0, 4096));
  CHECK(r.detail.find("1048577") != std::string::npos);

  // Exactly the limit is parsed.
  std::string padded = item("x", "URL").dump();
  padded.resize(IntelLimits{}.max_message_bytes, ' ');
  CHECK(update_of(padded).indicator == Value(std::string("x")));
  padded += ' ';
  CHECK(reason_of(padded) == "too_large");

  IntelLimits small;
  small.max_message_bytes = 10;
  CHECK(rejection_of(R"({"a": "bc"})", small).reason == "too_large");  // 11 bytes
}

TEST_CASE("intel: too_many") {
  auto batch = [](size_t n) {
    json j = json::array();
    for (size_t i = 0; i < n; ++i) j.push_back(item("host" + std::to_string(i), "DOMAIN"));
    return j.dump();
  };
  auto p = parse(batch(10000));
  CHECK(p.rejections.empty());
  REQUIRE(p.updates.size() == 10000);
  CHECK(p.updates[9999].indicator == Value(std::string("host9999")));

  const auto too_many = batch(10001);
  auto r = rejection_of(too_many);
  CHECK(r.reason == "too_many");
  CHECK(r.detail.find("10001") != std::string::npos);
  CHECK(r.item == too_many.substr(0, 4096));

  IntelLimits small;
  small.max_batch = 2;
  CHECK(parse(batch(2), small).updates.size() == 2);
  CHECK(rejection_of(batch(3), small).reason == "too_many");
  // One object is one item, never a batch.
  CHECK(parse(item("x", "URL").dump(), small).updates.size() == 1);
}

TEST_CASE("intel: deep nesting cannot crash the process") {
  for (size_t depth : {size_t{100000}, IntelLimits{}.max_message_bytes / 2}) {
    CAPTURE(depth);
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    auto r = rejection_of(deep);
    CHECK(r.reason == "invalid_json");
    CHECK(r.detail.find("nested deeper than 32") != std::string::npos);
  }
  // Unbalanced too: the depth is checked before the syntax error is seen.
  CHECK(reason_of(std::string(200000, '{')) == "invalid_json");
  const std::string deep_objects = [] {
    std::string s;
    for (int i = 0; i < 50000; ++i) s += R"({"a":)";
    s += "1";
    s += std::string(50000, '}');
    return s;
  }();
  CHECK(reason_of(deep_objects) == "invalid_json");

  // The limit is exact: an item whose unknown field nests to depth 32 is
  // accepted, to 33 the whole message is refused.
  auto nested = [](size_t total_depth) {
    // batch (1) > item (2) > "extra" arrays (3 .. total_depth)
    const size_t arrays = total_depth - 2;
    json j = item("x", "URL");
    std::string text = j.dump();
    text.pop_back();  // the closing brace of the item
    text += R"(,"extra":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
    return "[" + text + "]";
  };
  CHECK(parse(nested(32)).updates.size() == 1);
  CHECK(reason_of(nested(33)) == "invalid_json");
  IntelLimits shallow;
  shallow.max_depth = 3;
  CHECK(parse(R"([{"indicator": "x", "type": "URL", "meta": {"source": "s"}}])", shallow)
            .updates.size() == 1);
  CHECK(rejection_of(nested(4), shallow).reason == "invalid_json");
}

TEST_CASE("intel: a batch keeps its good items in order") {
  json batch = json::array({
      item("198.51.100.1", "ADDR"),
      42,
      item("good.example", "DOMAIN"),
      item("198.51.100.300", "ADDR"),
      item("x", "NOPE"),
      item("2001:db8::/32", "Intel::SUBNET"),
      json::parse(with(item("y", "URL"), expire_ptr, -5)),
      json::parse(with(item("z", "URL"), action_ptr, "remove")),
  });
  auto p = parse(batch.dump());
  REQUIRE(p.updates.size() == 4);
  CHECK(p.updates[0].indicator == Value(Address::v4(198, 51, 100, 1)));
  CHECK(p.updates[1].indicator == Value(std::string("good.example")));
  CHECK(p.updates[2].indicator == Value(Subnet{v6("2001:db8::"), 32}));
  CHECK(p.updates[3].indicator == Value(std::string("z")));
  CHECK(p.updates[3].action == IntelAction::remove);

  REQUIRE(p.rejections.size() == 4);
  CHECK(p.rejections[0].reason == "not_an_object");
  CHECK(p.rejections[0].item == "42");
  CHECK(p.rejections[1].reason == "bad_address");
  CHECK(p.rejections[1].item == batch[3].dump());
  CHECK(p.rejections[2].reason == "unknown_type");
  CHECK(p.rejections[2].item == batch[4].dump());
  CHECK(p.rejections[3].reason == "bad_expire");
  CHECK(p.rejections[3].item == batch[6].dump());
}

TEST_CASE("intel: the item of a rejection is cut to 4096 bytes") {
  // Item-level: the re-printed item.
  auto big = item(std::string(10000, 'a'), "DOMAIN");
  auto r = rejection_of(with(big, type_ptr, "NOPE"));
  const auto full = json::parse(with(big, type_ptr, "NOPE")).dump();
  CHECK(r.item.size() == 4096);
  CHECK(r.item == full.substr(0, 4096));

  // A cut never splits a UTF-8 character of an item: "é" is 2 bytes, "€"
  // 3, and the cut falls inside one of them at every offset.
  for (size_t shift = 0; shift < 3; ++shift) {
    for (const char* wide : {"\xc3\xa9", "\xe2\x82\xac"}) {
      std::string text(shift, 'a');
      while (text.size() < 5000) text += wide;
      const auto item_text = with(item(text, "NOPE"), desc_ptr, "d");
      auto cut = rejection_of(item_text).item;
      CAPTURE(shift);
      CHECK(cut.size() <= 4096);
      CHECK(cut.size() >= 4094);
      CHECK(is_utf8(cut));
      CHECK(json::parse(item_text).dump().rfind(cut, 0) == 0);  // a prefix
    }
  }
  // Whole-message: the bytes as they came, even when not UTF-8.
  const std::string garbage = "\xff" + std::string(5000, 'x');
  r = rejection_of(garbage);
  CHECK(r.reason == "invalid_json");
  CHECK(r.item == garbage.substr(0, 4096));
  // Short items are whole.
  CHECK(rejection_of(item("x", "NOPE").dump()).item == item("x", "NOPE").dump());
}

TEST_CASE("intel: details are one bounded printable line") {
  const std::string nasty = "line1\nline2\x1b[31m\"quoted\"\\" + std::string(100000, 'z');
  std::vector<std::string> payloads{
      item("x", nasty).dump(),                                    // unknown_type
      item(nasty, "ADDR").dump(),                                 // empty_indicator (too long)
      item(nasty.substr(0, 3000), "ADDR").dump(),                 // bad_address
      item(nasty.substr(0, 3000), "SUBNET").dump(),               // bad_subnet
      with(item("x", "URL"), action_ptr, nasty),                  // unknown_action
      "{\"a\": \"\x01\n" + std::string(100000, '\x7f') + "\xff",  // invalid_json
  };
  for (const auto& p : payloads) {
    auto r = rejection_of(p);
    CAPTURE(r.reason);
    CHECK(r.detail.size() <= intel_detail_max_bytes);
    CHECK(is_one_printable_line(r.detail));
    CHECK(r.item.size() <= intel_item_max_bytes);
  }
  auto r = rejection_of(item("x", "bad\ntype").dump());
  CHECK(r.detail == R"(type "bad\x0atype" is not an Intel::Type name)");
  r = rejection_of(item("x", std::string(100, 'T')).dump());
  CHECK(r.detail ==
        "type \"" + std::string(64, 'T') + "\"... (100 bytes) is not an Intel::Type name");
}

TEST_CASE("intel: never throws") {
  std::vector<std::string> inputs{
      "",
      std::string(1, '\0'),
      std::string("\0{}", 3),
      R"({"meta": {"source": {"x": 1}}, "type": "URL", "indicator": "i"})",
      R"([{"type": "ADDR", "indicator": "::", "meta": {"source": "s"}}])",
      R"({"indicator": "x", "type": "URL", "meta": {"source": "s", "expire": -1e308}})",
      R"({"type": "Intel::", "indicator": "x"})",
      "[" + std::string(40, '[') + "]",
      "18446744073709551616",
      "-9223372036854775809"};
  for (const auto& in : inputs) {
    CAPTURE(in);
    IntelParse p;
    CHECK_NOTHROW(p = parse(in));
    CHECK(p.updates.size() + p.rejections.size() >= 1);
  }
}
