#include "transport/broker14/broker_data.hh"

#include <doctest/doctest.h>

#include <broker/zeek.hh>

using namespace zrb;

TEST_CASE("every kind of value survives Value -> broker::data -> Value") {
  Address v6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  // Broker masks a subnet's host bits, so the network given must have none.
  Address v6_net = v6;
  v6_net.bytes[15] = 0;
  Vector all{None{},
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
  Value back;
  REQUIRE(from_broker(to_broker(Value(all)), back, 32) == DecodeError::none);
  auto got = back.get_if<Vector>();
  REQUIRE(got != nullptr);
  REQUIRE(got->size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    INFO("element ", i, ": ", describe(all[i]), " came back as ", describe((*got)[i]));
    CHECK((*got)[i] == all[i]);
  }
}

TEST_CASE("broker's own values decode as Zeek sends them") {
  // An IPv4 address made by Broker itself is v4-mapped, as Zeek sends it.
  broker::address a;
  REQUIRE(broker::convert(std::string("10.0.2.15"), a));
  Value v;
  REQUIRE(from_broker(a, v, 4) == DecodeError::none);
  REQUIRE(v.get_if<Address>() != nullptr);
  CHECK(*v.get_if<Address>() == Address::v4(10, 0, 2, 15));
  CHECK(v.get_if<Address>()->is_v4());
  // A /24 IPv4 subnet reports its IPv4 length.
  REQUIRE(from_broker(broker::subnet{a, 24}, v, 4) == DecodeError::none);
  CHECK(v.get_if<Subnet>()->length == 24);
}

TEST_CASE("nesting beyond the limit is refused without recursing into it") {
  broker::data d = broker::count{1};
  for (int i = 0; i < 1000; ++i) d = broker::vector{std::move(d)};
  Value v = "untouched";
  CHECK(from_broker(d, v, 32) == DecodeError::too_deep);
  CHECK(v == Value("untouched"));
  broker::data shallow = broker::vector{broker::vector{broker::count{1}}};
  CHECK(from_broker(shallow, v, 2) == DecodeError::none);
  CHECK(from_broker(shallow, v, 1) == DecodeError::too_deep);
}
