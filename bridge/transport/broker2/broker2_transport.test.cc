// The transport against a real libbroker peer (the C++20 Broker of Zeek
// 6.2+) in the same process.
#include <doctest/doctest.h>

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <chrono>
#include <optional>
#include <thread>

#include "observe/counters.hh"
#include "transport/broker.hh"
#include "transport/broker/broker_tests.test.hh"

using namespace zrb;
using namespace std::chrono_literals;

namespace {

broker::configuration peer_configuration() {
  broker::broker_options bo;
  bo.disable_ssl = true;
  bo.ignore_broker_conf = true;
  return broker::configuration{bo};
}

// A "Zeek" endpoint listening on a free port, and the bridge's transport
// peered with it (the bridge side peers out, so the test knows the port).
struct Peered {
  broker::endpoint zeek{peer_configuration()};
  std::unique_ptr<Transport> transport;
  size_t added = 0, lost = 0;

  // Subscribed before the peering: its subscription travels with it.
  broker::subscriber intel = zeek.make_subscriber({broker::topic{"zeek/intel/"}});

  explicit Peered(size_t max_depth = 32) {
    auto status = zeek.make_status_subscriber(true);
    auto port = zeek.listen("127.0.0.1", 0);
    REQUIRE(port != 0);
    BrokerOptions opts;
    opts.listen.clear();
    opts.disable_ssl = true;
    opts.topic = "zeek/redis/";
    opts.peers = {"127.0.0.1:" + std::to_string(port)};
    opts.retry_seconds = 1;
    opts.max_depth = max_depth;
    transport = make_broker_transport(opts);
    transport->on_peer_change(
        [this](const PeerChange& c) { (c.kind == PeerChange::Kind::added ? added : lost)++; });
    std::vector<Event> got;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (added == 0 && std::chrono::steady_clock::now() < deadline)
      transport->receive(got, 1, 20ms);
    REQUIRE(added == 1);
    // Then until the bridge's subscription has reached the "Zeek" side
    // (Broker drops publications that nobody is known to want). This
    // Broker's peer_subscriptions() fails; await_peer waits for exactly that.
    std::optional<broker::endpoint_id> bridge;
    while (!bridge && std::chrono::steady_clock::now() < deadline) {
      auto item = status.get(100ms);
      if (auto st = std::get_if<broker::status>(&item);
          st && st->code() == broker::sc::peer_added && st->context())
        bridge = st->context()->node;
    }
    REQUIRE(bridge.has_value());
    REQUIRE(zeek.await_peer(*bridge, 10s));
  }
};

}  // namespace

TEST_CASE("a Zeek event published by a Broker peer arrives decoded") {
  Peered p;
  CHECK(p.transport->peer_count() == 1);
  auto before = counters().value("rejected", "not_an_event");
  p.zeek.publish("zeek/redis/logs",
                 broker::zeek::Event("RedisBridge::log_batch",
                                     broker::vector{std::string("zeek"), std::string("conn"),
                                                    broker::vector{broker::count{7}}}));
  p.zeek.publish(broker::topic{"zeek/redis/logs"}, broker::data{std::string("not an event")});
  p.zeek.publish("zeek/other/topic", broker::zeek::Event("ignored", broker::vector{}));
  // As Zeek 8 sends it: with (empty) metadata.
  p.zeek.publish("zeek/redis/logs",
                 broker::zeek::Event("RedisBridge::second", broker::vector{broker::count{2}},
                                     broker::vector{}));
  auto got = test::receive_n(*p.transport, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].topic == "zeek/redis/logs");
  CHECK(got[0].name == "RedisBridge::log_batch");
  REQUIRE(got[0].args.size() == 3);
  CHECK(got[0].args[0] == Value("zeek"));
  CHECK(got[0].args[2] == Value(Vector{uint64_t{7}}));
  CHECK(got[1].name == "RedisBridge::second");
  CHECK(got[1].args == Vector{uint64_t{2}});
  CHECK(counters().value("rejected", "not_an_event") == before + 1);
}

TEST_CASE("an event nesting deeper than max_depth is rejected, the next one arrives") {
  Peered p(4);
  auto before = counters().value("rejected", "too_deep");
  broker::data deep = broker::count{1};
  for (int i = 0; i < 10; ++i) deep = broker::vector{std::move(deep)};
  p.zeek.publish("zeek/redis/logs", broker::zeek::Event("deep", broker::vector{deep}));
  p.zeek.publish("zeek/redis/logs", broker::zeek::Event("shallow", broker::vector{}));
  auto got = test::receive_n(*p.transport, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].name == "shallow");
  CHECK(counters().value("rejected", "too_deep") == before + 1);
}

TEST_CASE("the transport publishes Zeek events a peer receives") {
  Peered p;
  auto& sub = p.intel;
  // The bridge learns the new subscription asynchronously (and drops what
  // nobody is known to want): publish until one arrives.
  std::optional<broker::data_message> msg;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!msg && std::chrono::steady_clock::now() < deadline) {
    p.transport->publish("zeek/intel/insert", "RedisBridge::intel_insert",
                         Vector{std::string("10.0.0.1"), EnumValue{"Intel::ADDR"},
                                Port{443, Port::Protocol::tcp}, Set{{uint64_t{1}}}});
    msg = sub.get(200ms);
  }
  REQUIRE(msg.has_value());
  CHECK(broker::get_topic(*msg) == "zeek/intel/insert");
  broker::zeek::Event ev(*msg);
  CHECK(ev.name() == "RedisBridge::intel_insert");
  auto args = ev.args();
  REQUIRE(args.size() == 4);
  CHECK(args[0].to_string() == "10.0.0.1");
  CHECK(args[1].to_enum_value().name == "Intel::ADDR");
  CHECK(args[2].to_port() == broker::port{443, broker::port::protocol::tcp});
  CHECK(args[3].to_set().size() == 1);
}

TEST_CASE("a peer that goes away is reported lost") {
  auto p = std::make_unique<Peered>();
  auto& transport = *p->transport;
  // Tear down the Zeek side only.
  p->zeek.shutdown();
  std::vector<Event> got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (p->lost == 0 && std::chrono::steady_clock::now() < deadline)
    transport.receive(got, 1, 20ms);
  CHECK(p->lost == 1);
  CHECK(transport.peer_count() == 0);
}

TEST_CASE("listening on a port in use is a clear error") {
  broker::endpoint other{peer_configuration()};
  auto port = other.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  BrokerOptions opts;
  opts.disable_ssl = true;
  opts.listen = "127.0.0.1:" + std::to_string(port);
  CHECK_THROWS_WITH_AS(make_broker_transport(opts), doctest::Contains("cannot listen on"),
                       std::runtime_error);
  opts.listen = "nonsense";
  CHECK_THROWS_WITH_AS(make_broker_transport(opts), doctest::Contains("broker.listen"),
                       std::runtime_error);
}
