#include "value_codec.hh"

#include <cstring>
#include <type_traits>

namespace zrb::fuzz {

namespace {

void put_varint(uint64_t n, std::string& out) {
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  out += static_cast<char>(n);
}

void put_fixed(uint64_t n, size_t width, std::string& out) {
  for (size_t i = 0; i < width; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
}

template <class T>
uint64_t bits_of(T x) {
  uint64_t u = 0;
  std::memcpy(&u, &x, sizeof x);
  return u;
}

template <class T>
T from_bits(uint64_t u) {
  T x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

void put_string(const std::string& s, std::string& out) {
  put_varint(s.size(), out);
  out += s;
}

}  // namespace

void encode_value(const Value& v, std::string& out) {
  out += static_cast<char>(v.variant().index());
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          out += static_cast<char>(x);
        } else if constexpr (std::is_same_v<T, uint64_t> || std::is_same_v<T, int64_t> ||
                             std::is_same_v<T, double>) {
          put_fixed(bits_of(x), 8, out);
        } else if constexpr (std::is_same_v<T, Timestamp> || std::is_same_v<T, Timespan>) {
          put_fixed(bits_of(x.ns), 8, out);
        } else if constexpr (std::is_same_v<T, std::string>) {
          put_string(x, out);
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          put_string(x.name, out);
        } else if constexpr (std::is_same_v<T, Address>) {
          out.append(reinterpret_cast<const char*>(x.bytes.data()), 16);
        } else if constexpr (std::is_same_v<T, Subnet>) {
          out.append(reinterpret_cast<const char*>(x.network.bytes.data()), 16);
          out += static_cast<char>(x.length);
        } else if constexpr (std::is_same_v<T, Port>) {
          put_fixed(x.number, 2, out);
          out += static_cast<char>(x.protocol);
        } else if constexpr (std::is_same_v<T, Set>) {
          put_varint(x.elements.size(), out);
          for (const auto& e : x.elements) encode_value(e, out);
        } else if constexpr (std::is_same_v<T, Table>) {
          put_varint(x.entries.size(), out);
          for (const auto& [k, val] : x.entries) {
            encode_value(k, out);
            encode_value(val, out);
          }
        } else if constexpr (std::is_same_v<T, Vector>) {
          put_varint(x.size(), out);
          for (const auto& e : x) encode_value(e, out);
        }
      },
      v.variant());
}

void encode_event(const Event& ev, std::string& out) {
  put_string(ev.name, out);
  encode_value(Value(ev.args), out);
}

uint64_t ValueReader::varint() {
  uint64_t n = 0;
  for (int shift = 0; !in_.empty() && shift < 64; shift += 7) {
    auto b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    n |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return n;
}

uint64_t ValueReader::fixed(size_t n) {
  uint64_t out = 0;
  for (size_t i = 0; i < n && !in_.empty(); ++i) {
    out |= static_cast<uint64_t>(static_cast<uint8_t>(in_[0])) << (8 * i);
    in_.remove_prefix(1);
  }
  return out;
}

std::string ValueReader::bytes(size_t n) {
  n = std::min(n, in_.size());
  std::string out(in_.substr(0, n));
  in_.remove_prefix(n);
  return out;
}

Value ValueReader::value(size_t max_depth) {
  if (in_.empty()) return {};
  auto tag = static_cast<uint8_t>(in_[0]) % std::variant_size_v<Value::Variant>;
  in_.remove_prefix(1);
  // Element counts are bounded by the input left: every element takes at
  // least its tag byte, so a huge count cannot allocate much.
  auto count = [this] { return std::min<uint64_t>(varint(), in_.size()); };
  switch (tag) {
    case 0:
      return {};
    case 1:
      return fixed(1) != 0;
    case 2:
      return fixed(8);
    case 3:
      return from_bits<int64_t>(fixed(8));
    case 4:
      return from_bits<double>(fixed(8));
    case 5:
      return bytes(varint());
    case 6:
    case 7: {
      Address a;
      auto raw = bytes(16);
      std::memcpy(a.bytes.data(), raw.data(), raw.size());
      if (tag == 6) return a;
      return Subnet{a, static_cast<uint8_t>(fixed(1))};
    }
    case 8: {
      auto number = static_cast<uint16_t>(fixed(2));
      return Port{number, static_cast<Port::Protocol>(fixed(1) % 4)};
    }
    case 9:
      return Timestamp{from_bits<int64_t>(fixed(8))};
    case 10:
      return Timespan{from_bits<int64_t>(fixed(8))};
    case 11:
      return EnumValue{bytes(varint())};
    default:
      break;
  }
  if (max_depth == 0) return {};
  auto n = count();
  if (tag == 12) {
    Set s;
    for (uint64_t i = 0; i < n && !in_.empty(); ++i) s.elements.push_back(value(max_depth - 1));
    return s;
  }
  if (tag == 13) {
    Table t;
    for (uint64_t i = 0; i < n && !in_.empty(); ++i) {
      auto k = value(max_depth - 1);
      t.entries.emplace_back(std::move(k), value(max_depth - 1));
    }
    return t;
  }
  Vector xs;
  for (uint64_t i = 0; i < n && !in_.empty(); ++i) xs.push_back(value(max_depth - 1));
  return xs;
}

Event ValueReader::event(size_t max_depth) {
  Event ev;
  ev.topic = "zeek/redis/logs";
  ev.name = bytes(varint());
  auto args = value(max_depth);
  if (auto xs = args.get_if<Vector>()) ev.args = std::move(*xs);
  return ev;
}

}  // namespace zrb::fuzz
