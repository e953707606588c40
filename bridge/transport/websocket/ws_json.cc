#include "transport/websocket/ws_json.hh"

#include <simdjson.h>

#include <charconv>
#include <cstring>

#include "json/address_text.hh"
#include "json/ip_text.hh"
#include "json/json_string.hh"

namespace zrb::ws {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// --- calendar: days since 1970-01-01 of a civil date and back (proleptic
// Gregorian, H. Hinnant's algorithms) ---

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

// Reads exactly `n` decimal digits at `pos`.
bool digits(std::string_view s, size_t& pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

void append_digits(std::string& out, uint64_t v, int width) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  for (int pad = width - static_cast<int>(r.ptr - buf); pad > 0; --pad) out.push_back('0');
  out.append(buf, r.ptr);
}

// --- decoding ---

struct Decoder {
  Decoder(size_t max, bool latin1_strings) : max_depth(max), latin1(latin1_strings) {}
  size_t max_depth;
  bool latin1;  // strings hold one code point per byte (escape_raw_bytes)
  size_t depth = 0;
  std::string reason;
  std::string why;

  bool fail(const char* r, std::string w) {
    if (reason.empty()) {
      reason = r;
      why = std::move(w);
    }
    return false;
  }

  bool value(element e, Value& out) {
    simdjson::dom::object obj;
    if (e.get_object().get(obj)) return fail("ws_bad_value", "a value that is not an object");
    std::string_view type;
    element data;
    if (obj["@data-type"].get_string().get(type) || obj["data"].get(data))
      return fail("ws_bad_value", "a value without @data-type or data");
    return typed(type, data, out);
  }

  bool typed(std::string_view type, element data, Value& out) {
    switch (type.empty() ? '\0' : type[0]) {
      case 'n':
        if (type == "none") return out = None{}, true;
        break;
      case 'b':
        if (type == "boolean") {
          bool b;
          if (data.get_bool().get(b)) return bad(type);
          return out = b, true;
        }
        break;
      case 'c':
        if (type == "count") {
          uint64_t c;
          if (data.get_uint64().get(c)) return bad(type);
          return out = c, true;
        }
        break;
      case 'i':
        if (type == "integer") {
          int64_t i;
          if (data.get_int64().get(i)) return bad(type);
          return out = i, true;
        }
        break;
      case 'r':
        if (type == "real") {
          double r;
          if (data.get_double().get(r)) {
            // Integral JSON numbers arrive as integers.
            int64_t i;
            uint64_t u;
            if (!data.get_int64().get(i))
              r = static_cast<double>(i);
            else if (!data.get_uint64().get(u))
              r = static_cast<double>(u);
            else
              return bad(type);
          }
          return out = r, true;
        }
        break;
      case 's':
        if (type == "string") {
          std::string_view s;
          if (data.get_string().get(s)) return bad(type);
          return out = latin1 ? latin1_bytes(s) : std::string(s), true;
        }
        if (type == "subnet") {
          std::string_view s;
          Subnet sn;
          if (data.get_string().get(s) || !parse_subnet(s, sn)) return bad(type);
          return out = sn, true;
        }
        if (type == "set") return set(data, out);
        break;
      case 'e':
        if (type == "enum-value") {
          std::string_view s;
          if (data.get_string().get(s)) return bad(type);
          return out = EnumValue{latin1 ? latin1_bytes(s) : std::string(s)}, true;
        }
        break;
      case 'a':
        if (type == "address") {
          std::string_view s;
          Address a;
          if (data.get_string().get(s) || !parse_address(s, a)) return bad(type);
          return out = a, true;
        }
        break;
      case 'p':
        if (type == "port") {
          std::string_view s;
          Port p;
          if (data.get_string().get(s) || !parse_port(s, p)) return bad(type);
          return out = p, true;
        }
        break;
      case 't':
        if (type == "timestamp") {
          std::string_view s;
          int64_t ns;
          if (data.get_string().get(s) || !parse_timestamp(s, ns)) return bad(type);
          return out = Timestamp{ns}, true;
        }
        if (type == "timespan") {
          std::string_view s;
          int64_t ns;
          if (data.get_string().get(s) || !parse_timespan(s, ns)) return bad(type);
          return out = Timespan{ns}, true;
        }
        if (type == "table") return table(data, out);
        break;
      case 'v':
        if (type == "vector") return vector(data, out);
        break;
      default:
        break;
    }
    return fail("ws_unknown_type", "unknown @data-type '" + std::string(type.substr(0, 40)) + "'");
  }

  bool bad(std::string_view type) {
    return fail("ws_bad_value", "data that is not a valid " + std::string(type));
  }

  // Containers: one level deeper. The depth check sits before any
  // recursion, so a hostile nesting costs max_depth frames at most.
  bool enter() {
    if (depth >= max_depth)
      return fail("too_deep", "values nested deeper than " + std::to_string(max_depth));
    ++depth;
    return true;
  }

  bool vector(element data, Value& out) {
    simdjson::dom::array xs;
    if (data.get_array().get(xs)) return bad("vector");
    if (!enter()) return false;
    Vector v;
    v.reserve(xs.size());
    for (element x : xs) {
      v.emplace_back();
      if (!value(x, v.back())) return false;
    }
    --depth;
    out = std::move(v);
    return true;
  }

  bool set(element data, Value& out) {
    simdjson::dom::array xs;
    if (data.get_array().get(xs)) return bad("set");
    if (!enter()) return false;
    Set s;
    s.elements.reserve(xs.size());
    for (element x : xs) {
      s.elements.emplace_back();
      if (!value(x, s.elements.back())) return false;
    }
    --depth;
    out = std::move(s);
    return true;
  }

  bool table(element data, Value& out) {
    simdjson::dom::array xs;
    if (data.get_array().get(xs)) return bad("table");
    if (!enter()) return false;
    Table t;
    t.entries.reserve(xs.size());
    for (element x : xs) {
      element k, v;
      if (x["key"].get(k) || x["value"].get(v))
        return fail("ws_bad_value", "a table entry without key or value");
      t.entries.emplace_back();
      if (!value(k, t.entries.back().first) || !value(v, t.entries.back().second)) return false;
    }
    --depth;
    out = std::move(t);
    return true;
  }
};

// Zeek's WebSocket API writes a string's bytes as they are (seen with Zeek
// 8.0.10): control bytes and bytes that are not UTF-8 arrive raw inside the
// JSON string, which JSON does not allow and simdjson refuses. So, inside
// strings, every byte below 0x20 or from 0x80 on becomes \u00XX: simdjson
// accepts the text, and each string decodes to code points U+0000..U+00FF,
// one per original byte, which latin1_bytes() turns back into the bytes.
void escape_raw_bytes(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (in_string && c == '\\' && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0x80) {
      out.push_back('\\');
      out.push_back(s[++i]);  // an escape: the next byte does not end the string
      continue;
    }
    if (c == '"') in_string = !in_string;
    if (in_string && (c < 0x20 || c >= 0x80)) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

}  // namespace

// Every message passes through here, most of them ASCII (conn records: about
// 1,500 bytes each), so eight bytes are tested at a time: a byte from 0x80
// on has its top bit set; for the others, subtracting 0x20 from every byte
// borrows into a byte's top bit exactly when some byte is below 0x20 (a
// borrow can reach a higher byte only from a lower one that is below 0x20,
// so the answer is exact even where the bit it sets is not that byte's).
bool has_raw_bytes(std::string_view s) {
  constexpr uint64_t ones = 0x0101010101010101ull;
  constexpr uint64_t tops = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & tops) != 0 || ((w - 0x20 * ones) & ~w & tops) != 0) return true;
  }
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x80) return true;
  }
  return false;
}

std::string latin1_bytes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if ((c == 0xc2 || c == 0xc3) && (next & 0xc0) == 0x80) {
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (next & 0x3f)));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

namespace {

// The parser and a padded copy of the text, reused per thread: simdjson
// reads up to SIMDJSON_PADDING bytes past the end of its input. `escaped`:
// the text had raw bytes in strings (escape_raw_bytes).
struct Parser {
  simdjson::dom::parser parser;
  std::string buffer;
  bool escaped = false;

  simdjson::error_code parse(std::string_view json, element& doc) {
    escaped = has_raw_bytes(json);
    size_t size = json.size();
    if (escaped) {
      buffer.clear();
      escape_raw_bytes(json, buffer);
      size = buffer.size();
      buffer.resize(size + simdjson::SIMDJSON_PADDING);
    } else {
      buffer.resize(size + simdjson::SIMDJSON_PADDING);
      if (size != 0) std::memcpy(buffer.data(), json.data(), size);
    }
    return parser.parse(buffer.data(), size, false).get(doc);
  }
};

Parser& thread_parser() {
  thread_local Parser p;
  return p;
}

std::string shorten(std::string_view s, size_t max = 60) {
  return std::string(s.substr(0, max)) + (s.size() > max ? "..." : "");
}

}  // namespace

// --- texts of single values ---

bool parse_timestamp(std::string_view s, int64_t& ns) {
  size_t pos = 0;
  unsigned year, month, day, hour, minute, second;
  if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, day) || !expect(s, pos, 'T') ||
      !digits(s, pos, 2, hour) || !expect(s, pos, ':') || !digits(s, pos, 2, minute) ||
      !expect(s, pos, ':') || !digits(s, pos, 2, second))
    return false;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return false;
  int64_t fraction = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && n < 9) {
      fraction = fraction * 10 + (s[pos] - '0');
      ++pos;
      ++n;
    }
    if (n == 0) return false;
    for (; n < 9; ++n) fraction *= 10;
  }
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size()) return false;
  int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  // Broker's timestamps are int64 nanoseconds: years 1677 to 2262. A time
  // outside that cannot be one (found by fuzz_websocket: year 0005).
  if (__builtin_mul_overflow(secs, int64_t{1000000000}, &ns) ||
      __builtin_add_overflow(ns, fraction, &ns))
    return false;
  return true;
}

bool parse_timespan(std::string_view s, int64_t& ns) {
  int64_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec != std::errc() || r.ptr == s.data()) return false;
  std::string_view unit(r.ptr, static_cast<size_t>(s.data() + s.size() - r.ptr));
  int64_t scale;
  if (unit == "ns")
    scale = 1;
  else if (unit == "us")
    scale = 1000;
  else if (unit == "ms")
    scale = 1000000;
  else if (unit == "s")
    scale = 1000000000;
  else if (unit == "min")
    scale = 60LL * 1000000000;
  else if (unit == "h")
    scale = 3600LL * 1000000000;
  else if (unit == "d")
    scale = 86400LL * 1000000000;
  else
    return false;
  if (__builtin_mul_overflow(n, scale, &ns)) return false;
  return true;
}

bool parse_port(std::string_view s, Port& out) {
  unsigned n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec != std::errc() || r.ptr == s.data() || n > 65535 || r.ptr == s.data() + s.size() ||
      *r.ptr != '/')
    return false;
  std::string_view proto(r.ptr + 1, static_cast<size_t>(s.data() + s.size() - r.ptr - 1));
  Port p;
  p.number = static_cast<uint16_t>(n);
  if (proto == "tcp")
    p.protocol = Port::Protocol::tcp;
  else if (proto == "udp")
    p.protocol = Port::Protocol::udp;
  else if (proto == "icmp")
    p.protocol = Port::Protocol::icmp;
  else if (proto == "?" || proto == "unknown")
    p.protocol = Port::Protocol::unknown;
  else
    return false;
  out = p;
  return true;
}

void append_timestamp(std::string& out, int64_t ns) {
  int64_t secs = ns / 1000000000, frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  append_digits(out, static_cast<uint64_t>(y < 0 ? 0 : y), 4);
  out += '-';
  append_digits(out, m, 2);
  out += '-';
  append_digits(out, d, 2);
  out += 'T';
  append_digits(out, static_cast<uint64_t>(rem / 3600), 2);
  out += ':';
  append_digits(out, static_cast<uint64_t>(rem / 60 % 60), 2);
  out += ':';
  append_digits(out, static_cast<uint64_t>(rem % 60), 2);
  out += '.';
  // Milliseconds, as Zeek writes them; more digits only when they are not 0.
  if (frac % 1000000 == 0)
    append_digits(out, static_cast<uint64_t>(frac / 1000000), 3);
  else
    append_digits(out, static_cast<uint64_t>(frac), 9);
}

void append_port(std::string& out, const Port& p) {
  append_digits(out, p.number, 1);
  switch (p.protocol) {
    case Port::Protocol::tcp:
      out += "/tcp";
      break;
    case Port::Protocol::udp:
      out += "/udp";
      break;
    case Port::Protocol::icmp:
      out += "/icmp";
      break;
    default:
      out += "/?";
      break;
  }
}

// --- messages ---

Message decode_message(std::string_view json, size_t max_depth) {
  Message m;
  auto invalid = [&](const char* reason, std::string text) {
    m.kind = MessageKind::invalid;
    m.reason = reason;
    m.text = std::move(text);
    return std::move(m);
  };
  element doc;
  if (auto err = thread_parser().parse(json, doc))
    return invalid("ws_bad_json", std::string("not JSON (") + simdjson::error_message(err) +
                                      "): " + shorten(json));
  std::string_view type;
  if (doc["type"].get_string().get(type))
    return invalid("ws_bad_json", "a message without a type: " + shorten(json));
  if (type == "ack") {
    std::string_view endpoint, version;
    if (doc["endpoint"].get_string().get(endpoint)) endpoint = "?";
    if (doc["version"].get_string().get(version)) version = "?";
    m.kind = MessageKind::ack;
    m.text = std::string(endpoint) + " " + std::string(version);
    return m;
  }
  if (type == "error") {
    std::string_view code, context;
    if (doc["code"].get_string().get(code)) code = "?";
    if (doc["context"].get_string().get(context)) context = "";
    m.kind = MessageKind::error;
    m.text = std::string(code) + ": " + shorten(context, 200);
    return m;
  }
  if (type != "data-message")
    return invalid("ws_bad_json", "a message of unknown type '" + shorten(type) + "'");
  std::string_view topic;
  if (doc["topic"].get_string().get(topic))
    return invalid("ws_bad_json", "a data message without a topic");

  // [count 1, count 1, [name, args, (metadata)]], each element typed. The
  // envelope is checked in place; only the arguments are converted.
  Decoder dec(max_depth, thread_parser().escaped);
  auto not_event = [&] {
    return invalid("not_an_event", "message on '" + shorten(topic) + "' is not a Zeek event");
  };
  std::string_view dtype;
  simdjson::dom::array envelope, body;
  if (doc["@data-type"].get_string().get(dtype) || dtype != "vector" ||
      doc["data"].get_array().get(envelope) || envelope.size() < 3)
    return not_event();
  uint64_t msg_type;
  element e1 = envelope.at(1).value_unsafe(), e2 = envelope.at(2).value_unsafe();
  if (e1["@data-type"].get_string().get(dtype) || dtype != "count" ||
      e1["data"].get_uint64().get(msg_type) || msg_type != 1)
    return not_event();
  if (e2["@data-type"].get_string().get(dtype) || dtype != "vector" ||
      e2["data"].get_array().get(body) || body.size() < 2)
    return not_event();
  element name_el = body.at(0).value_unsafe(), args_el = body.at(1).value_unsafe();
  std::string_view name;
  simdjson::dom::array args;
  if (name_el["@data-type"].get_string().get(dtype) || dtype != "string" ||
      name_el["data"].get_string().get(name) || args_el["@data-type"].get_string().get(dtype) ||
      dtype != "vector" || args_el["data"].get_array().get(args))
    return not_event();

  m.event.topic = std::string(topic);
  m.event.name = std::string(name);
  m.event.args.reserve(args.size());
  // The arguments sit at depth 3 of the message, as over Broker they sit
  // below the envelope; count from the arguments themselves.
  for (element a : args) {
    m.event.args.emplace_back();
    if (!dec.value(a, m.event.args.back()))
      return invalid(dec.reason.c_str(),
                     "event " + shorten(name) + " on '" + shorten(topic) + "': " + dec.why);
  }
  m.kind = MessageKind::event;
  return m;
}

bool decode_value_text(std::string_view json, size_t max_depth, Value& out, std::string& why) {
  element doc;
  if (auto err = thread_parser().parse(json, doc)) {
    why = simdjson::error_message(err);
    return false;
  }
  Decoder dec(max_depth, thread_parser().escaped);
  if (!dec.value(doc, out)) {
    why = dec.reason + ": " + dec.why;
    return false;
  }
  return true;
}

// --- encoding ---

namespace {

struct Encoder {
  std::string& out;

  void open(const char* type) {
    out += "{\"@data-type\":\"";
    out += type;
    out += "\",\"data\":";
  }
  void text(const char* type, std::string_view s) {
    open(type);
    append_json_string(out, s);
    out += '}';
  }
  template <class F>
  void quoted(const char* type, F write) {
    open(type);
    out += '"';
    write();
    out += "\"}";
  }

  void operator()(None) { out += "{\"@data-type\":\"none\",\"data\":{}}"; }
  void operator()(bool b) {
    open("boolean");
    out += b ? "true}" : "false}";
  }
  void operator()(uint64_t c) {
    open("count");
    append_digits(out, c, 1);
    out += '}';
  }
  void operator()(int64_t i) {
    open("integer");
    out += std::to_string(i);
    out += '}';
  }
  void operator()(double r) {
    open("real");
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, r);  // shortest round trip
    std::string_view t(buf, static_cast<size_t>(res.ptr - buf));
    // JSON has no NaN or infinity.
    if (t.find_first_of("ni") != std::string_view::npos)
      out += "0";
    else
      out += t;
    out += '}';
  }
  void operator()(const std::string& s) { text("string", s); }
  void operator()(const Address& a) {
    quoted("address", [&] { append_address(out, a); });
  }
  void operator()(const Subnet& s) {
    quoted("subnet", [&] { append_subnet(out, s); });
  }
  void operator()(const Port& p) {
    quoted("port", [&] { append_port(out, p); });
  }
  void operator()(Timestamp t) {
    quoted("timestamp", [&] { append_timestamp(out, t.ns); });
  }
  void operator()(Timespan t) {
    quoted("timespan", [&] {
      out += std::to_string(t.ns);
      out += "ns";
    });
  }
  void operator()(const EnumValue& e) { text("enum-value", e.name); }
  void operator()(const Set& s) { list("set", s.elements); }
  void operator()(const Vector& v) { list("vector", v); }
  void operator()(const Table& t) {
    open("table");
    out += '[';
    for (size_t i = 0; i < t.entries.size(); ++i) {
      if (i) out += ',';
      out += "{\"key\":";
      append_value(out, t.entries[i].first);
      out += ",\"value\":";
      append_value(out, t.entries[i].second);
      out += '}';
    }
    out += "]}";
  }
  void list(const char* type, const std::vector<Value>& xs) {
    open(type);
    out += '[';
    for (size_t i = 0; i < xs.size(); ++i) {
      if (i) out += ',';
      append_value(out, xs[i]);
    }
    out += "]}";
  }
};

}  // namespace

void append_value(std::string& out, const Value& v) {
  std::visit(Encoder{out}, v.variant());
}

std::string encode_subscription(const std::vector<std::string>& topics) {
  std::string out = "[";
  for (size_t i = 0; i < topics.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, topics[i]);
  }
  out += ']';
  return out;
}

std::string encode_event(std::string_view topic, std::string_view name, const Vector& args) {
  std::string out = "{\"type\":\"data-message\",\"topic\":";
  append_json_string(out, topic);
  out +=
      ",\"@data-type\":\"vector\",\"data\":[{\"@data-type\":\"count\",\"data\":1},"
      "{\"@data-type\":\"count\",\"data\":1},{\"@data-type\":\"vector\",\"data\":[";
  Encoder{out}.text("string", name);
  out += ',';
  Encoder{out}.list("vector", args);
  out += "]}]}";
  return out;
}

}  // namespace zrb::ws
