#include "transport/broker14/broker_data.hh"

#include <doctest/doctest.h>

#include <broker/zeek.hh>

#include "transport/broker/broker_tests.test.hh"

using namespace zrb;

TEST_CASE("every kind of value survives Value -> broker::data -> Value") {
  Vector all = test::every_kind_of_value();
  Value back;
  REQUIRE(from_broker(to_broker(Value(all)), back, 32) == DecodeError::none);
  test::check_same_values(all, back);
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
