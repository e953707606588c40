#include "transport/broker2/broker2_data.hh"

#include <doctest/doctest.h>

#include <broker/convert.hh>
#include <broker/data_envelope.hh>
#include <broker/zeek.hh>

#include "transport/broker/broker_tests.test.hh"

using namespace zrb;

namespace {

// A received message holds its data as a broker::variant view into an
// envelope; this makes one the way the wire does (serialized, then parsed).
broker::data_message wire(const broker::data& d) {
  return broker::data_envelope::make(broker::topic{"zeek/redis/test"}, d);
}

DecodeError decode(const broker::data& d, Value& out, size_t max_depth) {
  auto msg = wire(d);
  return from_broker(broker::get_data(msg), out, max_depth);
}

}  // namespace

TEST_CASE("every kind of value survives Value -> broker::data -> variant -> Value") {
  Vector all = test::every_kind_of_value();
  Value back;
  REQUIRE(decode(to_broker(Value(all)), back, 32) == DecodeError::none);
  test::check_same_values(all, back);
}

TEST_CASE("broker's own values decode as Zeek sends them") {
  // An IPv4 address made by Broker itself is v4-mapped, as Zeek sends it.
  broker::address a;
  REQUIRE(broker::convert(std::string("10.0.2.15"), a));
  Value v;
  REQUIRE(decode(a, v, 4) == DecodeError::none);
  REQUIRE(v.get_if<Address>() != nullptr);
  CHECK(*v.get_if<Address>() == Address::v4(10, 0, 2, 15));
  CHECK(v.get_if<Address>()->is_v4());
  // A /24 IPv4 subnet reports its IPv4 length.
  REQUIRE(decode(broker::subnet{a, 24}, v, 4) == DecodeError::none);
  CHECK(v.get_if<Subnet>()->length == 24);
}

TEST_CASE("nesting beyond the limit is refused without recursing into it") {
  broker::data d = broker::count{1};
  for (int i = 0; i < 1000; ++i) d = broker::vector{std::move(d)};
  Value v = "untouched";
  CHECK(decode(d, v, 32) == DecodeError::too_deep);
  CHECK(v == Value("untouched"));
  broker::data shallow = broker::vector{broker::vector{broker::count{1}}};
  CHECK(decode(shallow, v, 2) == DecodeError::none);
  CHECK(decode(shallow, v, 1) == DecodeError::too_deep);
}

TEST_CASE("the Zeek event envelope, with and without Zeek 8's metadata") {
  broker::vector args{std::string("zeek"), broker::count{7}};
  SUBCASE("without metadata (Zeek 5 and earlier)") {
    broker::zeek::Event ev("RedisBridge::log_batch", args);
    auto view = as_zeek_event(ev.raw());
    REQUIRE(view.args != nullptr);
    CHECK(view.name == "RedisBridge::log_batch");
    CHECK(view.args->size() == 2);
  }
  SUBCASE("Zeek 8's empty metadata") {
    broker::zeek::Event ev("RedisBridge::log_batch", args, broker::vector{});
    auto view = as_zeek_event(ev.raw());
    REQUIRE(view.args != nullptr);
    CHECK(view.name == "RedisBridge::log_batch");
  }
  SUBCASE("a network timestamp (Zeek 6-7, or 8 with network timestamps on)") {
    broker::zeek::Event ev("RedisBridge::log_batch", args, broker::timestamp{});
    auto view = as_zeek_event(ev.raw());
    REQUIRE(view.args != nullptr);
    CHECK(view.name == "RedisBridge::log_batch");
    Value first;
    REQUIRE(from_broker(view.args->front(), first, 4) == DecodeError::none);
    CHECK(first == Value("zeek"));
  }
  SUBCASE("on the wire: serialized and parsed back") {
    broker::data d =
        broker::vector{broker::count{1}, broker::count{1},
                       broker::vector{std::string("e"), broker::vector{}, broker::vector{}}};
    auto msg = wire(d);
    auto view = as_zeek_event(broker::get_data(msg));
    REQUIRE(view.args != nullptr);
    CHECK(view.name == "e");
    CHECK(view.args->empty());
  }
  SUBCASE("what is not an event") {
    for (const broker::data& d :
         {broker::data{std::string("not an event")}, broker::data{broker::vector{}},
          // log-write (type 3), not an event
          broker::data{broker::vector{broker::count{1}, broker::count{3},
                                      broker::vector{std::string("e"), broker::vector{}}}},
          // the type an integer, not a count
          broker::data{broker::vector{broker::count{1}, broker::integer{1},
                                      broker::vector{std::string("e"), broker::vector{}}}},
          // name not a string, args not a vector, body too short
          broker::data{broker::vector{broker::count{1}, broker::count{1},
                                      broker::vector{broker::count{1}, broker::vector{}}}},
          broker::data{broker::vector{broker::count{1}, broker::count{1},
                                      broker::vector{std::string("e"), broker::count{1}}}},
          broker::data{broker::vector{broker::count{1}, broker::count{1},
                                      broker::vector{std::string("e")}}}}) {
      auto msg = wire(d);
      CAPTURE(broker::to_string(d));
      CHECK(as_zeek_event(broker::get_data(msg)).args == nullptr);
    }
  }
}
