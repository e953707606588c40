#include "transport/broker14/broker_data.hh"

#include <chrono>

namespace zrb {

namespace {

Port::Protocol from_broker_protocol(broker::port::protocol p) {
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

broker::port::protocol to_broker_protocol(Port::Protocol p) {
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

Address from_broker_address(const broker::address& a) {
  Address r;
  const auto& b = a.bytes();
  std::copy(b.begin(), b.end(), r.bytes.begin());
  return r;
}

broker::address to_broker_address(const Address& a) {
  broker::address r;
  std::copy(a.bytes.begin(), a.bytes.end(), r.bytes().begin());
  return r;
}

struct Decoder {
  size_t depth;
  size_t max_depth;
  DecodeError error = DecodeError::none;

  Value operator()(broker::none) { return None{}; }
  Value operator()(broker::boolean b) { return static_cast<bool>(b); }
  Value operator()(broker::count c) { return static_cast<uint64_t>(c); }
  Value operator()(broker::integer i) { return static_cast<int64_t>(i); }
  Value operator()(broker::real r) { return static_cast<double>(r); }
  Value operator()(const std::string& s) { return s; }
  Value operator()(const broker::address& a) { return from_broker_address(a); }
  Value operator()(const broker::subnet& s) {
    return Subnet{from_broker_address(s.network()), s.length()};
  }
  Value operator()(const broker::port& p) {
    return Port{p.number(), from_broker_protocol(p.type())};
  }
  Value operator()(const broker::timestamp& t) {
    return Timestamp{
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count()};
  }
  Value operator()(const broker::timespan& t) {
    return Timespan{std::chrono::duration_cast<std::chrono::nanoseconds>(t).count()};
  }
  Value operator()(const broker::enum_value& e) { return EnumValue{e.name}; }

  // Containers: one level deeper. The depth check sits here, before any
  // recursion, so a 100000-deep vector costs max_depth frames at most.
  bool enter() {
    if (depth >= max_depth) {
      error = DecodeError::too_deep;
      return false;
    }
    ++depth;
    return true;
  }
  Value convert(const broker::data& d) { return caf::visit(*this, d); }
  Value operator()(const broker::vector& v) {
    if (!enter()) return None{};
    Vector out;
    out.reserve(v.size());
    for (const auto& x : v) {
      out.push_back(convert(x));
      if (error != DecodeError::none) break;
    }
    --depth;
    return out;
  }
  Value operator()(const broker::set& s) {
    if (!enter()) return None{};
    Set out;
    out.elements.reserve(s.size());
    for (const auto& x : s) {
      out.elements.push_back(convert(x));
      if (error != DecodeError::none) break;
    }
    --depth;
    return out;
  }
  Value operator()(const broker::table& t) {
    if (!enter()) return None{};
    Table out;
    out.entries.reserve(t.size());
    for (const auto& [k, v] : t) {
      Value key = convert(k);
      Value value = convert(v);
      out.entries.emplace_back(std::move(key), std::move(value));
      if (error != DecodeError::none) break;
    }
    --depth;
    return out;
  }
};

struct Encoder {
  broker::data operator()(None) { return broker::nil; }
  broker::data operator()(bool b) { return broker::boolean{b}; }
  broker::data operator()(uint64_t c) { return broker::count{c}; }
  broker::data operator()(int64_t i) { return broker::integer{i}; }
  broker::data operator()(double r) { return broker::real{r}; }
  broker::data operator()(const std::string& s) { return s; }
  broker::data operator()(const Address& a) { return to_broker_address(a); }
  broker::data operator()(const Subnet& s) {
    return broker::subnet{to_broker_address(s.network), s.length};
  }
  broker::data operator()(const Port& p) {
    return broker::port{p.number, to_broker_protocol(p.protocol)};
  }
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
    for (const auto& x : s.elements) out.insert(to_broker(x));
    return out;
  }
  broker::data operator()(const Table& t) {
    broker::table out;
    for (const auto& [k, v] : t.entries) out.emplace(to_broker(k), to_broker(v));
    return out;
  }
  broker::data operator()(const Vector& v) {
    broker::vector out;
    out.reserve(v.size());
    for (const auto& x : v) out.push_back(to_broker(x));
    return out;
  }
};

}  // namespace

DecodeError from_broker(const broker::data& d, Value& out, size_t max_depth) {
  Decoder decoder{0, max_depth};
  Value v = decoder.convert(d);
  if (decoder.error != DecodeError::none) return decoder.error;
  out = std::move(v);
  return DecodeError::none;
}

ZeekEventView as_zeek_event(const broker::data& d) {
  constexpr broker::count zeek_message_event = 1;
  auto msg = caf::get_if<broker::vector>(&d);
  if (!msg || msg->size() < 3) return {};
  auto type = caf::get_if<broker::count>(&(*msg)[1]);
  auto body = caf::get_if<broker::vector>(&(*msg)[2]);
  if (!type || *type != zeek_message_event || !body || body->size() < 2) return {};
  auto name = caf::get_if<std::string>(&(*body)[0]);
  auto args = caf::get_if<broker::vector>(&(*body)[1]);
  if (!name || !args) return {};
  return {name, args};
}

broker::data to_broker(const Value& v) {
  return std::visit(Encoder{}, v.variant());
}

}  // namespace zrb
