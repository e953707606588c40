// seq_publisher: a Broker 1.4 peer for the fault tests that publishes log
// records carrying a sequence number, so a test can count loss, order and
// duplicates in Redis exactly. A python3-broker peer is too slow for a
// million records; this one is not.
//
//   seq_publisher --peer HOST:PORT [--records N] [--first F] [--batch B]
//                 [--rate R] [--node NODE] [--path PATH] [--linger-s S]
//
// The log has one column, `seq` (count); records F .. F+N-1 go out in
// log_batch events of B records (docs/protocol.md) after one log_schema,
// at most R records per second (0: as fast as Broker takes them). It waits
// for the peering and for the bridge's subscription first (Broker drops
// what is published before that). Stdout: "ready", then "sent N" at the
// end; then it stays peered for --linger-s seconds (Broker may still be
// shipping what was published) or until killed.
//
// Builds against Broker 1.4 and against the C++20 Broker of Zeek 6.2+ (the
// three differences are in the "Broker API" block below), so the fault and
// end-to-end tests run in both build flavours.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

namespace {

// --- Broker API ---
#if __has_include(<broker/variant.hh>)
template <class T>
const T* get_if(const broker::status_subscriber::value_type& x) {
  return std::get_if<T>(&x);
}
void configure(broker::broker_options& bo) {
  bo.disable_forwarding = true;
}
void configure(broker::configuration& config) {
  // Zeek's own CAF settings: one sharing worker leaves the CPU to the bridge.
  config.set("caf.scheduler.policy", std::string("sharing"));
  config.set("caf.scheduler.max-threads", uint64_t{1});
}
void publish(broker::endpoint& ep, const std::string& topic, broker::zeek::Event ev) {
  ep.publish(std::string_view{topic}, ev);
}
// peer_subscriptions() fails in this Broker ("unexpected message");
// await_peer waits until the peer's subscriptions reached this endpoint.
bool await_subscription(broker::endpoint& ep, const broker::status& peer_added, const std::string&,
                        std::chrono::steady_clock::time_point deadline) {
  auto info = peer_added.context();
  return info && ep.await_peer(info->node, deadline - std::chrono::steady_clock::now());
}
#else
template <class T>
const T* get_if(const broker::status_subscriber::value_type& x) {
  return caf::get_if<T>(&x);
}
void configure(broker::broker_options& bo) {
  bo.forward = false;
}
void configure(broker::configuration& config) {
  config.set("scheduler.policy", caf::atom("sharing"));
  config.set("scheduler.max-threads", 1);
}
void publish(broker::endpoint& ep, const std::string& topic, broker::zeek::Event ev) {
  ep.publish(topic, std::move(ev).move_data());
}
bool await_subscription(broker::endpoint& ep, const broker::status&, const std::string& topic,
                        std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& t : ep.peer_subscriptions())
      if (topic.compare(0, t.string().size(), t.string()) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}
#endif

using Clock = std::chrono::steady_clock;

struct Settings {
  std::string host;
  uint16_t port = 0;
  uint64_t records = 1000000, first = 0, batch = 1000;
  double rate = 0, linger_s = 600;
  std::string node = "fault", path = "seq";
};

bool parse(int argc, char** argv, Settings& s) {
  std::map<std::string, std::string> v;
  for (int i = 1; i + 1 < argc; i += 2) v[argv[i]] = argv[i + 1];
  if (argc % 2 == 0 || !v.count("--peer")) return false;
  auto peer = v["--peer"];
  auto colon = peer.rfind(':');
  if (colon == std::string::npos) return false;
  s.host = peer.substr(0, colon);
  s.port = static_cast<uint16_t>(std::stoul(peer.substr(colon + 1)));
  if (v.count("--records")) s.records = std::stoull(v["--records"]);
  if (v.count("--first")) s.first = std::stoull(v["--first"]);
  if (v.count("--batch")) s.batch = std::max<uint64_t>(1, std::stoull(v["--batch"]));
  if (v.count("--rate")) s.rate = std::stod(v["--rate"]);
  if (v.count("--linger-s")) s.linger_s = std::stod(v["--linger-s"]);
  if (v.count("--node")) s.node = v["--node"];
  if (v.count("--path")) s.path = v["--path"];
  return true;
}

bool wait_ready(broker::endpoint& ep, broker::status_subscriber& status, const std::string& topic) {
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    auto item = status.get(std::chrono::milliseconds(100));
    if (auto st = get_if<broker::status>(item); st && st->code() == broker::sc::peer_added)
      return await_subscription(ep, *st, topic, deadline);
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  if (!parse(argc, argv, s)) {
    std::fprintf(stderr, "usage: seq_publisher --peer HOST:PORT [--records N] [--first F] ...\n");
    return 2;
  }
  broker::broker_options bo;
  bo.disable_ssl = true;
  bo.ignore_broker_conf = true;
  configure(bo);
  broker::configuration config{bo};
  configure(config);
  broker::endpoint ep{std::move(config)};
  auto status = ep.make_status_subscriber(true);
  ep.peer_nosync(s.host, s.port, broker::timeout::seconds(1));
  const std::string topic = "zeek/redis/logs";
  if (!wait_ready(ep, status, topic)) {
    std::fprintf(stderr, "seq_publisher: no peering with %s:%u\n", s.host.c_str(), s.port);
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);

  broker::vector columns{
      broker::vector{std::string("seq"), std::string("count"), broker::vector{broker::count{0}}}};
  publish(ep, topic,
          broker::zeek::Event("RedisBridge::log_schema", {broker::count{1}, broker::count{30204},
                                                          s.node, s.path, std::move(columns)}));
  const auto start = Clock::now();
  uint64_t sent = 0;
  while (sent < s.records) {
    uint64_t n = std::min(s.batch, s.records - sent);
    broker::vector records;
    records.reserve(n);
    for (uint64_t i = 0; i < n; ++i)
      records.emplace_back(broker::vector{broker::count{s.first + sent + i}});
    publish(ep, topic,
            broker::zeek::Event("RedisBridge::log_batch", {s.node, s.path, std::move(records)}));
    sent += n;
    if (s.rate > 0) {
      auto due = start + std::chrono::duration<double>(static_cast<double>(sent) / s.rate);
      std::this_thread::sleep_until(std::chrono::time_point_cast<Clock::duration>(due));
    }
  }
  std::printf("sent %llu\n", static_cast<unsigned long long>(sent));
  std::fflush(stdout);
  // Broker ships what was published in the background: stay peered.
  auto until = Clock::now() + std::chrono::duration<double>(s.linger_s);
  while (Clock::now() < until) {
    auto item = status.get(std::chrono::milliseconds(200));
    if (auto st = get_if<broker::status>(item))
      if (st->code() == broker::sc::peer_lost || st->code() == broker::sc::peer_removed) break;
  }
  return 0;
}
