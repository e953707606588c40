// A Zeek value as the bridge sees it, independent of any transport.
//
// The transports (libbroker today, Zeek's WebSocket API later) decode what
// they receive into this type, and everything downstream of them
// (protocol, conversion, Redis) works on it alone. That is the boundary
// that lets the bridge be built against another Broker without touching
// conversion code.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace zrb {

/// An IPv4 or IPv6 address; IPv4 is stored v4-mapped (::ffff:a.b.c.d), as
/// Broker stores it.
struct Address {
  std::array<uint8_t, 16> bytes{};

  /// True for a v4-mapped address.
  bool is_v4() const;
  /// Builds the v4-mapped form of a.b.c.d (network byte order).
  static Address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  friend bool operator==(const Address& x, const Address& y) { return x.bytes == y.bytes; }
};

/// A subnet: network address and prefix length (0-32 for IPv4, 0-128 for IPv6).
struct Subnet {
  Address network;
  uint8_t length = 0;
  friend bool operator==(const Subnet& x, const Subnet& y) {
    return x.network == y.network && x.length == y.length;
  }
};

/// A transport-layer port.
struct Port {
  enum class Protocol : uint8_t { unknown, tcp, udp, icmp };
  uint16_t number = 0;
  Protocol protocol = Protocol::unknown;
  friend bool operator==(const Port& x, const Port& y) {
    return x.number == y.number && x.protocol == y.protocol;
  }
};

/// A Zeek `time`: nanoseconds since the epoch, as Broker carries it.
struct Timestamp {
  int64_t ns = 0;
  friend bool operator==(Timestamp x, Timestamp y) { return x.ns == y.ns; }
};

/// A Zeek `interval`: nanoseconds, as Broker carries it.
struct Timespan {
  int64_t ns = 0;
  friend bool operator==(Timespan x, Timespan y) { return x.ns == y.ns; }
};

/// A Zeek enum value by its full name ("Intel::ADDR", "tcp").
struct EnumValue {
  std::string name;
  friend bool operator==(const EnumValue& x, const EnumValue& y) { return x.name == y.name; }
};

class Value;

/// A Zeek set: its members, in the order the transport delivered them.
struct Set {
  std::vector<Value> elements;
};

/// A Zeek table: key/value pairs.
struct Table {
  std::vector<std::pair<Value, Value>> entries;
};

/// A Zeek vector, and also a record (positional, one element per field).
using Vector = std::vector<Value>;

/// Nil: an unset field.
using None = std::monostate;

/// One Zeek value. Integers keep Zeek's distinction between `count`
/// (uint64_t) and `int` (int64_t); strings are byte strings.
class Value {
 public:
  using Variant = std::variant<None, bool, uint64_t, int64_t, double, std::string, Address, Subnet,
                               Port, Timestamp, Timespan, EnumValue, Set, Table, Vector>;

  // --- constructors ---
  Value() = default;
  template <class T, class = std::enable_if_t<!std::is_same_v<std::decay_t<T>, Value>>>
  Value(T&& x) : v_(std::forward<T>(x)) {}  // NOLINT: implicit on purpose, like broker::data
  Value(const char* s) : v_(std::string(s)) {}

  // --- accessors ---
  /// The underlying variant.
  const Variant& variant() const { return v_; }
  Variant& variant() { return v_; }
  /// True for nil.
  bool is_none() const { return std::holds_alternative<None>(v_); }
  /// Pointer to the alternative T, or nullptr.
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }
  template <class T>
  T* get_if() {
    return std::get_if<T>(&v_);
  }

  friend bool operator==(const Value& x, const Value& y);
  friend bool operator!=(const Value& x, const Value& y) { return !(x == y); }

 private:
  Variant v_;
};

bool operator==(const Set& x, const Set& y);
bool operator==(const Table& x, const Table& y);

/// Name of the kind of value held, for log lines ("count", "string", ...).
std::string_view kind_name(const Value& v);

/// A short, bounded rendering of a value for log lines (never the whole of a
/// large value).
std::string describe(const Value& v, size_t max_bytes = 120);

}  // namespace zrb
