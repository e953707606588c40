// seq_publisher: a Broker peer for the fault tests that publishes log
// records carrying a sequence number, so a test can count loss, order and
// duplicates in Redis exactly. A python3-broker peer is too slow for a
// million records; this one is not.
//
//   seq_publisher (--peer HOST:PORT | --listen HOST:PORT) [--records N]
//                 [--first F] [--batch B] [--rate R] [--node NODE]
//                 [--path PATH] [--linger-s S] [--wait-s W] [--tls]
//                 [--ssl-certificate PEM --ssl-key PEM [--ssl-passphrase P]
//                  --ssl-cafile PEM]
//
// The log has one column, `seq` (count); records F .. F+N-1 go out in
// log_batch events of B records (docs/protocol.md) after one log_schema,
// at most R records per second (0: as fast as Broker takes them). With
// --peer it peers with the bridge (retrying every second); with --listen it
// waits for the bridge to peer with it (the bridge's --broker.peer). It
// waits for the peering and for the bridge's subscription first (Broker
// drops what is published before that; at most --wait-s seconds each, 30 by
// default, then it exits with 1). Stdout: "ready", then "sent N" at
// the end; then it stays peered for --linger-s seconds (Broker may still be
// shipping what was published) or until the bridge goes away or it is
// killed.
//
// TLS as a Zeek node sets it (Broker::disable_ssl, Broker::ssl_*): off by
// default, as the bridge's --broker.disable-ssl; --tls alone is Broker's
// anonymous TLS (no certificate); the --ssl-* files (any of them turns TLS
// on) make a peer with a certificate that checks the bridge's against the
// CA file.
//
// Builds against Broker 1.4 and against the C++20 Broker of Zeek 6.2+, so
// the fault and end-to-end tests run in both build flavours; the API
// differences are the benchmark peers' (bench/broker_peer.hh).

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "broker_peer.hh"

namespace {

using namespace zrb_bench;

const std::string topic = "zeek/redis/logs";

struct Settings {
  std::string peer, listen;
  uint64_t records = 1000000, first = 0, batch = 1000;
  double rate = 0, linger_s = 600, wait_s = 30;
  std::string node = "fault", path = "seq";
  PeerTls tls;
};

void publish(broker::endpoint& ep, broker::data msg) {
  ep.publish(broker::topic{topic}, std::move(msg));
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  try {
    Options o(argc, argv,
              {"--peer", "--listen", "--records", "--first", "--batch", "--rate", "--node",
               "--path", "--linger-s", "--wait-s", "--ssl-certificate", "--ssl-key",
               "--ssl-passphrase", "--ssl-cafile"},
              {"--tls"});
    s.peer = o.str("--peer", "");
    s.listen = o.str("--listen", "");
    s.records = o.count("--records", s.records);
    s.first = o.count("--first", s.first);
    s.batch = std::max<uint64_t>(1, o.count("--batch", s.batch));
    s.rate = o.real("--rate", s.rate);
    s.linger_s = o.real("--linger-s", s.linger_s);
    s.wait_s = o.real("--wait-s", s.wait_s);
    s.node = o.str("--node", s.node);
    s.path = o.str("--path", s.path);
    s.tls.certificate = o.str("--ssl-certificate", "");
    s.tls.key = o.str("--ssl-key", "");
    s.tls.passphrase = o.str("--ssl-passphrase", "");
    s.tls.cafile = o.str("--ssl-cafile", "");
    s.tls.enabled = o.has("--tls") ||
                    !(s.tls.certificate + s.tls.key + s.tls.passphrase + s.tls.cafile).empty();
    if (s.peer.empty() == s.listen.empty())
      throw std::invalid_argument("one of --peer HOST:PORT and --listen HOST:PORT is required");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seq_publisher: %s\n", e.what());
    return 2;
  }
  broker::endpoint ep{peer_configuration("sharing", 1, 0, s.tls)};
  auto status = ep.make_status_subscriber(true);
  if (!reach(ep, s.listen, s.peer, "seq_publisher")) return 1;
  auto added = wait_peered(status, s.wait_s, "seq_publisher");
  if (!added || !wait_subscribed(ep, *added, topic, s.wait_s)) {
    std::fprintf(stderr, "seq_publisher: no peering with the bridge\n");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);

  broker::vector columns{
      broker::vector{std::string("seq"), std::string("count"), broker::vector{broker::count{0}}}};
  publish(ep, zeek_event("RedisBridge::log_schema", {broker::count{1}, broker::count{30204}, s.node,
                                                     s.path, std::move(columns)}));
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  uint64_t sent = 0;
  while (sent < s.records) {
    uint64_t n = std::min(s.batch, s.records - sent);
    broker::vector records;
    records.reserve(n);
    for (uint64_t i = 0; i < n; ++i)
      records.emplace_back(broker::vector{broker::count{s.first + sent + i}});
    publish(ep, zeek_event("RedisBridge::log_batch", {s.node, s.path, std::move(records)}));
    sent += n;
    if (s.rate > 0) {
      auto due = start + std::chrono::duration<double>(static_cast<double>(sent) / s.rate);
      std::this_thread::sleep_until(std::chrono::time_point_cast<Clock::duration>(due));
    }
  }
  std::printf("sent %llu\n", static_cast<unsigned long long>(sent));
  std::fflush(stdout);
  // Broker ships what was published in the background: stay peered.
  const double until = mono_seconds() + s.linger_s;
  while (mono_seconds() < until && !peer_gone(status)) {
  }
  return 0;
}
