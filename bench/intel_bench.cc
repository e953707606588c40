// Redis -> Zeek intel, measured at a Zeek-like Broker peer (bench/RESULTS.md,
// "Redis to Zeek intel"). A libbroker 1.4 endpoint subscribed to the intel
// topic peers with a running bridge and measures, on one CLOCK_MONOTONIC:
//
//   --mode latency: a second thread PUBLISHes one intel message every
//     1/--rate s (absolute schedule) carrying its send time in meta.desc;
//     latency = arrival of the event at this peer - send time, for each of
//     --messages messages after --warmup ones; prints p50, p90, p99, max.
//   --mode replay: writes --indicators indicators into the snapshot (as the
//     bridge writes it: intel_snapshot.hh), then peers; the bridge replays
//     them; throughput = indicators / (last event - peer added).
//
// Redis is reached with the bridge's own RedisContext (binary-safe argv).
#include <poll.h>

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hh"
#include "broker_peer.hh"
#include "intel/intel_snapshot.hh"
#include "redis/redis_context.hh"
#include "redis/redis_url.hh"

namespace {

using namespace zrb_bench;

uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

zrb::RedisContext redis_client(const std::string& url_text) {
  std::string why;
  auto url = zrb::RedisUrl::parse(url_text, &why);
  if (!url) throw std::invalid_argument("--redis: " + why);
  auto conn =
      zrb::RedisContext::connect(*url, std::chrono::seconds(2), std::chrono::seconds(30), &why);
  if (!conn) throw std::runtime_error("Redis: " + why);
  return std::move(*conn);
}

// The event's name and arguments, or false for anything else.
bool event_of(const broker::data_message& msg, const std::string** name,
              const broker::vector** args) {
  const auto& d = broker::get_data(msg);
  auto outer = caf::get_if<broker::vector>(&d);
  if (!outer || outer->size() < 3) return false;
  auto body = caf::get_if<broker::vector>(&(*outer)[2]);
  if (!body || body->size() < 2) return false;
  *name = caf::get_if<std::string>(&(*body)[0]);
  *args = caf::get_if<broker::vector>(&(*body)[1]);
  return *name && *args;
}

struct Peer {
  broker::endpoint ep;
  broker::subscriber sub;
  broker::status_subscriber status;

  Peer(const Options& o, broker::configuration config)
      : ep(std::move(config)),
        sub(ep.make_subscriber({broker::topic{"zeek/redis/intel"}}, o.count("--queue", 1024))),
        status(ep.make_status_subscriber(true)) {}

  // Peers (subscribed first, so the subscription travels with the
  // handshake) and returns the time of peer_added.
  uint64_t connect(const std::string& where) {
    reach(ep, "", where, "bench_intel");
    if (!wait_peered(status, 30, "bench_intel"))
      throw std::runtime_error("no peering with the bridge at " + where);
    return mono_ns();
  }

  // Calls f(name, args) for each event until f returns false or `until`.
  template <class F>
  void receive(double until, F f) {
    receive_until(sub, until, [&](const broker::data_message& msg) {
      const std::string* name = nullptr;
      const broker::vector* args = nullptr;
      return !event_of(msg, &name, &args) || f(*name, *args);
    });
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int latency(const Options& o, Peer& peer) {
  const uint64_t rate = std::max<uint64_t>(o.count("--rate", 1000), 1);
  const uint64_t messages = o.count("--messages", 10000), warmup = o.count("--warmup", 1000);
  const uint64_t total = messages + warmup;
  const std::string channel = o.str("--channel", "zeek:intel");
  peer.connect(o.str("--peer", ""));
  // Until a probe arrives, the bridge may not know our subscription yet.
  auto probe = redis_client(o.str("--redis", ""));
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    probe.command({"PUBLISH", channel,
                   R"({"indicator":"probe.example","type":"DOMAIN","meta":{"source":"bench"}})"});
    peer.receive(mono_seconds() + 0.1, [&](const std::string&, const broker::vector&) {
      up = true;
      return false;
    });
  }
  if (!up) throw std::runtime_error("no probe event arrived");
  peer.receive(mono_seconds() + 0.3, [](auto&, auto&) { return true; });  // drain

  std::thread publisher([&] {
    auto conn = redis_client(o.str("--redis", ""));
    const uint64_t start = mono_ns() + 10000000, step = 1000000000 / rate;
    for (uint64_t i = 0; i < total && !stop_requested; ++i) {
      const uint64_t due = start + i * step;
      while (mono_ns() < due) {
        uint64_t left = due - mono_ns();
        if (left > 200000) std::this_thread::sleep_for(std::chrono::nanoseconds(left - 100000));
      }
      std::string json = R"({"indicator":"i)" + std::to_string(i) +
                         R"(.example","type":"DOMAIN","meta":{"source":"bench-latency","desc":")" +
                         std::to_string(mono_ns()) + R"("}})";
      conn.command({"PUBLISH", channel, json});
    }
  });
  std::vector<double> ms;
  ms.reserve(messages);
  uint64_t seen = 0;
  peer.receive(mono_seconds() + static_cast<double>(total) / rate + 30,
               [&](const std::string& name, const broker::vector& args) {
                 // intel_add(indicator, type, source, desc, url, expire)
                 if (name != "RedisBridge::intel_add" || args.size() != 6) return true;
                 auto desc = caf::get_if<std::string>(&args[3]);
                 if (!desc || desc->empty()) return true;
                 uint64_t now = mono_ns(), sent = std::stoull(*desc);
                 if (++seen > warmup) ms.push_back(static_cast<double>(now - sent) / 1e6);
                 return seen < total;
               });
  publisher.join();
  std::printf("latency rate=%" PRIu64 "/s messages=%zu (of %" PRIu64 " after %" PRIu64
              " warm-up) p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
              rate, ms.size(), messages, warmup, percentile(ms, 0.5), percentile(ms, 0.9),
              percentile(ms, 0.99), percentile(ms, 1.0));
  return ms.size() == messages ? 0 : 1;
}

int replay(const Options& o, Peer& peer) {
  const uint64_t n = o.count("--indicators", 100000);
  const uint64_t sources = std::max<uint64_t>(o.count("--sources", 4), 1);
  auto conn = redis_client(o.str("--redis", ""));
  // As the bridge writes it: a hash per source, the set of sources.
  const double fill0 = mono_seconds();
  const double now = zrb::unix_now();
  for (uint64_t s = 0; s < sources; ++s) {
    std::string source = "bench-" + std::to_string(s), key = "zeek:intel:snapshot:" + source;
    conn.command({"SADD", "zeek:intel:sources", source});
    std::vector<std::string> args{"HSET", key};
    for (uint64_t i = s; i < n; i += sources) {
      zrb::IntelUpdate u;
      u.source = source;
      if (i % 2 == 0) {  // half addresses, half domains
        u.type = "Intel::ADDR";
        u.indicator = zrb::Address::v4(10, static_cast<uint8_t>(i >> 16),
                                       static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
      } else {
        u.type = "Intel::DOMAIN";
        u.indicator = "d" + std::to_string(i) + ".example";
        u.expire = 86400;
      }
      args.push_back(zrb::snapshot_field(u));
      args.push_back(zrb::snapshot_value(u, now));
      if (args.size() >= 2002 || i + sources >= n) {
        std::vector<std::string_view> argv(args.begin(), args.end());
        auto reply = conn.command(argv);
        if (!reply || reply->type == REDIS_REPLY_ERROR) throw std::runtime_error("HSET failed");
        args.resize(2);
      }
    }
  }
  std::fprintf(stderr, "bench_intel: wrote %" PRIu64 " indicators in %.2f s\n", n,
               mono_seconds() - fill0);
  const uint64_t added = peer.connect(o.str("--peer", ""));
  uint64_t seen = 0, first = 0, last = 0;
  peer.receive(mono_seconds() + o.real("--timeout-s", 120), [&](auto&, auto&) {
    last = mono_ns();
    if (seen++ == 0) first = last;
    return seen < n;
  });
  const double secs = static_cast<double>(last - added) / 1e9;
  std::printf("replay indicators=%" PRIu64 " of %" PRIu64
              " seconds_from_peer_added=%.3f first_event_ms=%.1f indicators_per_s=%.0f\n",
              seen, n, secs, static_cast<double>(first - added) / 1e6,
              static_cast<double>(seen) / std::max(secs, 1e-9));
  return seen == n ? 0 : 1;
}

int run(const Options& o) {
  // Zeek's CAF settings by default, as the bridge and the other benches.
  auto config = peer_configuration(o.str("--caf-policy", "sharing"), o.count("--caf-threads", 1));
  // CAF's stream batching on this side (default: CAF's 5 ms, as a Zeek
  // peer has it); it delays delivery to our subscriber when traffic is light.
  if (o.has("--batch-delay-us"))
    config.set("stream.max-batch-delay",
               caf::timespan(std::chrono::microseconds(o.count("--batch-delay-us", 0))));
  Peer peer(o, std::move(config));
  std::string mode = o.str("--mode", "latency");
  if (mode == "latency") return latency(o, peer);
  if (mode == "replay") return replay(o, peer);
  throw std::invalid_argument("--mode: latency or replay");
}

}  // namespace

int main(int argc, char** argv) {
  StopSignals signals;
  try {
    Options o(argc, argv,
              {"--mode", "--peer", "--redis", "--channel", "--rate", "--messages", "--warmup",
               "--indicators", "--sources", "--queue", "--timeout-s", "--caf-policy",
               "--caf-threads", "--batch-delay-us"},
              {});
    if (!o.has("--peer") || !o.has("--redis"))
      throw std::invalid_argument("give --peer HOST:PORT (the bridge) and --redis URL");
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_intel: %s\n", e.what());
    return 2;
  }
}
