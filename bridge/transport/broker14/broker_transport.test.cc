// The transport against a real libbroker peer in the same process.
#include <doctest/doctest.h>

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <chrono>
#include <thread>

#include "observe/counters.hh"
#include "transport/broker.hh"
#include "transport/broker/broker_tests.test.hh"

using namespace zrb;
using namespace std::chrono_literals;

TEST_CASE("a Zeek event published by a Broker peer arrives decoded") {
  BrokerOptions opts;
  opts.listen = "127.0.0.1:0";
  opts.disable_ssl = true;
  opts.topic = "zeek/redis/";
  // Listening on port 0 needs the bound port; the transport logs it, and a
  // peer here learns it by peering with a second transport instead: the
  // bridge side peers out to a listening libbroker endpoint.
  broker::broker_options bo;
  bo.disable_ssl = true;
  bo.ignore_broker_conf = true;
  broker::endpoint zeek{broker::configuration{bo}};
  auto port = zeek.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  opts.listen.clear();
  opts.peers = {"127.0.0.1:" + std::to_string(port)};
  opts.retry_seconds = 1;
  auto transport = make_broker_transport(opts);
  size_t added = 0;
  transport->on_peer_change([&](const PeerChange& c) {
    if (c.kind == PeerChange::Kind::added) ++added;
  });
  auto status = zeek.make_status_subscriber(true);
  // Wait for the peering from the "Zeek" side, then until the bridge's
  // subscription has propagated (Broker drops publications that nobody is
  // known to want).
  std::vector<Event> got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (added == 0 && std::chrono::steady_clock::now() < deadline)
    transport->receive(got, 1, 20ms);
  REQUIRE(added == 1);
  CHECK(transport->peer_count() == 1);
  std::this_thread::sleep_for(300ms);

  auto before = counters().value("rejected", "not_an_event");
  zeek.publish("zeek/redis/logs", broker::zeek::Event("RedisBridge::log_batch",
                                                      {std::string("zeek"), std::string("conn"),
                                                       broker::vector{broker::count{7}}}));
  zeek.publish("zeek/redis/logs", broker::data{std::string("not an event")});
  zeek.publish("zeek/other/topic", broker::zeek::Event("ignored", {}));
  zeek.publish("zeek/redis/logs", broker::zeek::Event("RedisBridge::second", {broker::count{2}}));
  got = test::receive_n(*transport, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].topic == "zeek/redis/logs");
  CHECK(got[0].name == "RedisBridge::log_batch");
  REQUIRE(got[0].args.size() == 3);
  CHECK(got[0].args[0] == Value("zeek"));
  CHECK(got[0].args[2] == Value(Vector{uint64_t{7}}));
  CHECK(got[1].name == "RedisBridge::second");
  CHECK(counters().value("rejected", "not_an_event") == before + 1);
}
