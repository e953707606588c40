// bench_command_publisher: a Broker 1.4 peer that plays Zeek scripts using
// Redis through the bridge (docs/protocol.md, "Commands"), at the speed of
// libbroker rather than of python3-broker. Peer it with a running bridge;
// bench/commands.py --cpp starts Redis and the bridge and runs it.
//
//   bench_command_publisher --peer HOST:PORT [--ops N] [--round-trips R] [--window W]
//
// Phases, one "key=value ..." line each, as in bench/commands.py:
//   fire_and_forget  N RedisBridge::op_incrby without an id (one message,
//                    built once and published N times, as endpoint::publish
//                    of Zeek's Broker::publish would), then one op_get with
//                    an id; done when its reply arrives, which is after
//                    every incrby ran (requests run in order).
//   round_trip_1     R op_get, one outstanding at a time.
//   round_trip_W     4R op_get, W outstanding at a time.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <cinttypes>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "bench_common.hh"
#include "broker_peer.hh"

namespace {

using namespace zrb_bench;

const std::string commands_topic = "zeek/redis/commands";
const std::string replies_topic = "zeek/redis/replies/cbench/";

broker::data_message op(const std::string& name, broker::vector args, uint64_t id) {
  args.emplace_back(broker::count{id});
  args.emplace_back(id == 0 ? std::string() : replies_topic);
  return broker::make_data_message(
      broker::topic{commands_topic},
      broker::zeek::Event("RedisBridge::op_" + name, std::move(args)).move_data());
}

// Replies that arrived within `timeout`.
uint64_t take_replies(broker::subscriber& replies, std::chrono::milliseconds timeout) {
  uint64_t n = 0;
  if (replies.available() == 0) {
    auto one = replies.get(timeout);
    if (!one) return 0;
    n = 1;
  }
  return n + replies.get(replies.available()).size();
}

double round_trips(broker::endpoint& ep, broker::subscriber& replies, uint64_t total,
                   uint64_t window) {
  uint64_t sent = 0, answered = 0;
  double start = mono_seconds();
  while (answered < total && !stop_requested) {
    for (; sent < total && sent - answered < window; ++sent)
      ep.publish(op("get", {std::string("rt")}, 1000 + sent));
    answered += take_replies(replies, std::chrono::milliseconds(1000));
  }
  return mono_seconds() - start;
}

int run(const Options& o) {
  const uint64_t ops = o.count("--ops", 1000000);
  const uint64_t trips = o.count("--round-trips", 5000);
  const uint64_t window = o.count("--window", 100);
  broker::endpoint ep{peer_configuration()};
  // Before peering, so that the subscription travels with the handshake.
  auto replies = ep.make_subscriber({broker::topic{replies_topic}});
  reach(ep, "", o.str("--peer", ""), "bench_command_publisher");

  // Up when a request is answered: peered, the bridge subscribed to our
  // commands, our subscription known to the bridge, Redis connected.
  double deadline = mono_seconds() + 30;
  while (take_replies(replies, std::chrono::milliseconds(200)) == 0) {
    if (stop_requested || mono_seconds() > deadline) {
      std::fprintf(stderr, "bench_command_publisher: no reply from %s within 30 s\n",
                   o.str("--peer", "").c_str());
      return 1;
    }
    ep.publish(op("get", {std::string("rt")}, 1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  take_replies(replies, std::chrono::milliseconds(0));
  std::printf("ready\n");

  auto incr = op("incrby", {std::string("n"), broker::integer{1}}, 0);
  double start = mono_seconds();
  for (uint64_t i = 0; i < ops; ++i) ep.publish(incr);
  double sent = mono_seconds() - start;
  ep.publish(op("get", {std::string("n")}, 2));
  while (take_replies(replies, std::chrono::milliseconds(1000)) == 0 && !stop_requested) {
  }
  double seconds = mono_seconds() - start;
  std::printf("fire_and_forget ops=%" PRIu64 " seconds=%.3f ops_per_s=%.0f publish_s=%.3f\n",
              ops + 1, seconds, static_cast<double>(ops + 1) / seconds, sent);

  seconds = round_trips(ep, replies, trips, 1);
  std::printf("round_trip_1 trips=%" PRIu64 " seconds=%.3f trips_per_s=%.0f mean_us=%.0f\n", trips,
              seconds, static_cast<double>(trips) / seconds,
              seconds / static_cast<double>(trips) * 1e6);
  seconds = round_trips(ep, replies, trips * 4, window);
  std::printf("round_trip_%" PRIu64 " trips=%" PRIu64 " seconds=%.3f trips_per_s=%.0f\n", window,
              trips * 4, seconds, static_cast<double>(trips * 4) / seconds);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  StopSignals signals;
  try {
    return run(Options(argc, argv, {"--peer", "--ops", "--round-trips", "--window"}, {}));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_command_publisher: %s\n", e.what());
    return 2;
  }
}
