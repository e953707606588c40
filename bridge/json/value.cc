#include "json/value.hh"

#include <cstdio>

namespace zrb {

bool Address::is_v4() const {
  static constexpr std::array<uint8_t, 12> prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  for (size_t i = 0; i < prefix.size(); ++i)
    if (bytes[i] != prefix[i]) return false;
  return true;
}

Address Address::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  Address r;
  r.bytes[10] = r.bytes[11] = 0xff;
  r.bytes[12] = a;
  r.bytes[13] = b;
  r.bytes[14] = c;
  r.bytes[15] = d;
  return r;
}

bool operator==(const Value& x, const Value& y) {
  return x.v_ == y.v_;
}
bool operator==(const Set& x, const Set& y) {
  return x.elements == y.elements;
}
bool operator==(const Table& x, const Table& y) {
  return x.entries == y.entries;
}

std::string_view kind_name(const Value& v) {
  static constexpr std::string_view names[] = {
      "none", "bool",      "count",    "int",  "real", "string", "address", "subnet",
      "port", "timestamp", "timespan", "enum", "set",  "table",  "vector"};
  return names[v.variant().index()];
}

namespace {

void describe_into(std::string& out, const Value& v, size_t max_bytes) {
  if (out.size() >= max_bytes) return;
  struct Visitor {
    std::string& out;
    size_t max;
    void operator()(None) { out += "nil"; }
    void operator()(bool b) { out += b ? "T" : "F"; }
    void operator()(uint64_t c) { out += std::to_string(c); }
    void operator()(int64_t i) { out += std::to_string(i); }
    void operator()(double d) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      out += buf;
    }
    void operator()(const std::string& s) {
      out += '"';
      for (unsigned char ch : s) {
        if (out.size() >= max) break;
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
          out += static_cast<char>(ch);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", ch);
          out += buf;
        }
      }
      out += '"';
    }
    void operator()(const Address&) { out += "<addr>"; }
    void operator()(const Subnet&) { out += "<subnet>"; }
    void operator()(const Port& p) { out += std::to_string(p.number) + "/port"; }
    void operator()(Timestamp t) { out += std::to_string(t.ns) + "ns@"; }
    void operator()(Timespan t) { out += std::to_string(t.ns) + "ns"; }
    void operator()(const EnumValue& e) { out += e.name; }
    void list(const std::vector<Value>& xs, char open, char close) {
      out += open;
      for (size_t i = 0; i < xs.size(); ++i) {
        if (out.size() >= max) {
          out += "...";
          break;
        }
        if (i) out += ", ";
        describe_into(out, xs[i], max);
      }
      out += close;
    }
    void operator()(const Set& s) { list(s.elements, '{', '}'); }
    void operator()(const Table& t) { out += "table(" + std::to_string(t.entries.size()) + ")"; }
    void operator()(const Vector& v) { list(v, '[', ']'); }
  };
  std::visit(Visitor{out, max_bytes}, v.variant());
}

}  // namespace

std::string describe(const Value& v, size_t max_bytes) {
  std::string out;
  describe_into(out, v, max_bytes);
  if (out.size() > max_bytes) {
    out.resize(max_bytes);
    out += "...";
  }
  return out;
}

}  // namespace zrb
