// What the tests of both Broker transports share (broker_*.test.cc for
// Broker 1.4, broker2_*.test.cc for the C++20 Broker): a value of every kind
// for round trips, and receiving from a transport with a deadline.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "json/value.hh"
#include "transport/broker.hh"

namespace zrb::test {

/// One value of every kind the converters handle, as Broker keeps them (a
/// subnet's host bits already masked).
inline Vector every_kind_of_value() {
  Address v6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Address v6_net = v6;
  v6_net.bytes[15] = 0;
  return Vector{None{},
                true,
                uint64_t{18446744073709551615ull},
                int64_t{-42},
                3.25,
                std::string("a\0b\xff", 4),
                Address::v4(192, 168, 1, 1),
                v6,
                Subnet{Address::v4(10, 0, 0, 0), 8},
                Subnet{v6_net, 64},
                Port{443, Port::Protocol::tcp},
                Port{53, Port::Protocol::udp},
                Port{8, Port::Protocol::icmp},
                Timestamp{-1234567890123456789},
                Timespan{1500000},
                EnumValue{"Intel::ADDR"},
                Set{{uint64_t{1}, uint64_t{2}}},
                Table{{{Value("k"), Value(uint64_t{7})}}},
                Vector{Vector{uint64_t{1}}, Vector{}}};
}

/// Checks that `back` is the vector `all`, element by element.
inline void check_same_values(const Vector& all, const Value& back) {
  auto got = back.get_if<Vector>();
  REQUIRE(got != nullptr);
  REQUIRE(got->size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    INFO("element ", i, ": ", describe(all[i]), " came back as ", describe((*got)[i]));
    CHECK((*got)[i] == all[i]);
  }
}

/// Receives until `want` events arrived or 10 s passed.
inline std::vector<Event> receive_n(Transport& t, size_t want) {
  using namespace std::chrono_literals;
  std::vector<Event> out;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) t.receive(out, 64, 50ms);
  return out;
}

}  // namespace zrb::test
