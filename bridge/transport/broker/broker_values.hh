// zrb::Value <-> Broker's scalar types, and zrb::Value -> broker::data.
//
// Addresses, subnets, ports, timestamps, timespans and broker::data itself
// have the same C++ API in Broker 1.4 and in the C++20 Broker of Zeek 6.2+;
// what differs is how a received message is read (broker::data there, a
// broker::variant view here). So both converters (broker_data.cc,
// broker2_data.cc) share this header and differ only in their decoders.
#pragma once

#include <broker/data.hh>

#include <algorithm>
#include <chrono>

#include "json/value.hh"
#include "transport/broker/transport_support.hh"

namespace zrb::broker_values {

inline Port::Protocol from_protocol(broker::port::protocol p) {
  switch (p) {
    case broker::port::protocol::tcp:
      return Port::Protocol::tcp;
    case broker::port::protocol::udp:
      return Port::Protocol::udp;
    case broker::port::protocol::icmp:
      return Port::Protocol::icmp;
    default:
      return Port::Protocol::unknown;
  }
}

inline broker::port::protocol to_protocol(Port::Protocol p) {
  switch (p) {
    case Port::Protocol::tcp:
      return broker::port::protocol::tcp;
    case Port::Protocol::udp:
      return broker::port::protocol::udp;
    case Port::Protocol::icmp:
      return broker::port::protocol::icmp;
    default:
      return broker::port::protocol::unknown;
  }
}

inline Address from_address(const broker::address& a) {
  Address r;
  const auto& b = a.bytes();
  std::copy(b.begin(), b.end(), r.bytes.begin());
  return r;
}

inline broker::address to_address(const Address& a) {
  broker::address r;
  std::copy(a.bytes.begin(), a.bytes.end(), r.bytes().begin());
  return r;
}

inline Value from_subnet(const broker::subnet& s) {
  return Subnet{from_address(s.network()), s.length()};
}

inline Value from_port(const broker::port& p) {
  return Port{p.number(), from_protocol(p.type())};
}

inline Value from_timestamp(const broker::timestamp& t) {
  return Timestamp{
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count()};
}

inline Value from_timespan(const broker::timespan& t) {
  return Timespan{std::chrono::duration_cast<std::chrono::nanoseconds>(t).count()};
}

/// A decoder from Broker's values to Value: the scalars both APIs share, and
/// containers whatever their element type. `Derived` adds strings, enum
/// values and the containers of its API, and `convert(element)`. Each
/// container is one level deeper; the depth check sits before any
/// recursion, so a 100000-deep vector costs max_depth frames at most.
template <class Derived>
struct DecoderBase {
  explicit DecoderBase(size_t max) : max_depth(max) {}

  size_t depth = 0;
  size_t max_depth;
  DecodeError error = DecodeError::none;

  Value operator()(broker::none) { return None{}; }
  Value operator()(broker::boolean b) { return static_cast<bool>(b); }
  Value operator()(broker::count c) { return static_cast<uint64_t>(c); }
  Value operator()(broker::integer i) { return static_cast<int64_t>(i); }
  Value operator()(broker::real r) { return static_cast<double>(r); }
  Value operator()(const broker::address& a) { return from_address(a); }
  Value operator()(const broker::subnet& s) { return from_subnet(s); }
  Value operator()(const broker::port& p) { return from_port(p); }
  Value operator()(const broker::timestamp& t) { return from_timestamp(t); }
  Value operator()(const broker::timespan& t) { return from_timespan(t); }

  template <class Range>
  Value vector_of(const Range& xs) {
    if (!enter()) return None{};
    Vector out;
    out.reserve(xs.size());
    for (const auto& x : xs) {
      out.push_back(self().convert(x));
      if (error != DecodeError::none) break;
    }
    --depth;
    return out;
  }

  template <class Range>
  Value set_of(const Range& xs) {
    if (!enter()) return None{};
    Set out;
    out.elements.reserve(xs.size());
    for (const auto& x : xs) {
      out.elements.push_back(self().convert(x));
      if (error != DecodeError::none) break;
    }
    --depth;
    return out;
  }

  template <class Range>
  Value table_of(const Range& xs) {
    if (!enter()) return None{};
    Table out;
    out.entries.reserve(xs.size());
    for (const auto& [k, v] : xs) {
      Value key = self().convert(k);
      Value value = self().convert(v);
      out.entries.emplace_back(std::move(key), std::move(value));
      if (error != DecodeError::none) break;
    }
    --depth;
    return out;
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  bool enter() {
    if (depth >= max_depth) {
      error = DecodeError::too_deep;
      return false;
    }
    ++depth;
    return true;
  }
};

/// Value -> broker::data.
struct Encoder {
  broker::data operator()(None) { return broker::nil; }
  broker::data operator()(bool b) { return broker::boolean{b}; }
  broker::data operator()(uint64_t c) { return broker::count{c}; }
  broker::data operator()(int64_t i) { return broker::integer{i}; }
  broker::data operator()(double r) { return broker::real{r}; }
  broker::data operator()(const std::string& s) { return s; }
  broker::data operator()(const Address& a) { return to_address(a); }
  broker::data operator()(const Subnet& s) {
    return broker::subnet{to_address(s.network), s.length};
  }
  broker::data operator()(const Port& p) { return broker::port{p.number, to_protocol(p.protocol)}; }
  broker::data operator()(Timestamp t) {
    return broker::timestamp{
        std::chrono::duration_cast<broker::timespan>(std::chrono::nanoseconds{t.ns})};
  }
  broker::data operator()(Timespan t) {
    return std::chrono::duration_cast<broker::timespan>(std::chrono::nanoseconds{t.ns});
  }
  broker::data operator()(const EnumValue& e) { return broker::enum_value{e.name}; }
  broker::data operator()(const Set& s) {
    broker::set out;
    for (const auto& x : s.elements) out.insert(encode(x));
    return out;
  }
  broker::data operator()(const Table& t) {
    broker::table out;
    for (const auto& [k, v] : t.entries) out.emplace(encode(k), encode(v));
    return out;
  }
  broker::data operator()(const Vector& v) {
    broker::vector out;
    out.reserve(v.size());
    for (const auto& x : v) out.push_back(encode(x));
    return out;
  }
  broker::data encode(const Value& v) { return std::visit(*this, v.variant()); }
};

}  // namespace zrb::broker_values
