// bench_decode_sink: Broker 1.4's own ceiling for a publisher. It receives
// what bench_publisher sends, exactly as the bridge does (a subscriber on
// the bridge's topic prefix, the same queue size), and only walks each
// event: checks that it is a Zeek event, visits every value of its
// arguments and counts the records of each log_batch. No conversion, no
// Redis: whatever rate this reaches is the most the bridge can reach
// through Broker with the same publisher.
//
//   bench_decode_sink (--listen HOST:PORT | --peer HOST:PORT) --records N
//
// stderr: "listening on HOST:PORT" (port 0 picks one), like the bridge.
// stdout: "first mono=<t>" at the first record, then once N records have
// arrived "done records=... seconds=... records_per_s=... end_mono=...
// cpu_s=..." (seconds from the first record to the Nth).

#include <broker/broker.hh>
#include <broker/zeek.hh>
#include <poll.h>

#include <cinttypes>
#include <cstdio>
#include <exception>
#include <string>

#include "bench_common.hh"

namespace {

using namespace zrb_bench;

// Visits every value, as a decoder must; the sum of sizes keeps the
// compiler from dropping the walk.
struct Walker {
  uint64_t touched = 0;
  void operator()(broker::none) { ++touched; }
  void operator()(broker::boolean b) { touched += b ? 1 : 2; }
  void operator()(broker::count c) { touched += c & 1; }
  void operator()(broker::integer i) { touched += static_cast<uint64_t>(i) & 1; }
  void operator()(broker::real r) { touched += r > 0; }
  void operator()(const std::string& s) { touched += s.size(); }
  void operator()(const broker::address& a) { touched += a.bytes()[15]; }
  void operator()(const broker::subnet& s) { touched += s.length(); }
  void operator()(const broker::port& p) { touched += p.number(); }
  void operator()(const broker::timestamp& t) {
    touched += static_cast<uint64_t>(t.time_since_epoch().count()) & 1;
  }
  void operator()(const broker::timespan& t) { touched += static_cast<uint64_t>(t.count()) & 1; }
  void operator()(const broker::enum_value& e) { touched += e.name.size(); }
  void operator()(const broker::vector& v) {
    for (const auto& x : v) caf::visit(*this, x);
  }
  void operator()(const broker::set& s) {
    for (const auto& x : s) caf::visit(*this, x);
  }
  void operator()(const broker::table& t) {
    for (const auto& [k, v] : t) {
      caf::visit(*this, k);
      caf::visit(*this, v);
    }
  }
};

struct Tally {
  uint64_t records = 0;
  uint64_t batches = 0;
  uint64_t schemas = 0;
  uint64_t other = 0;
  Walker walker;
};

// [version, type 1, [name, [args...], ...]] read in place: constructing a
// broker::zeek::Event would copy the whole message first.
void decode(const broker::data_message& msg, Tally& tally) {
  const auto& d = broker::get_data(msg);
  auto outer = caf::get_if<broker::vector>(&d);
  if (!outer || outer->size() < 3 || broker::zeek::Message::type(d) != broker::zeek::Message::Event) {
    ++tally.other;
    return;
  }
  auto body = caf::get_if<broker::vector>(&(*outer)[2]);
  auto name = body && body->size() >= 2 ? caf::get_if<std::string>(&(*body)[0]) : nullptr;
  auto args = body && body->size() >= 2 ? caf::get_if<broker::vector>(&(*body)[1]) : nullptr;
  if (!name || !args) {
    ++tally.other;
    return;
  }
  for (const auto& a : *args) caf::visit(tally.walker, a);
  if (*name == "RedisBridge::log_batch" && args->size() == 3) {
    if (auto records = caf::get_if<broker::vector>(&(*args)[2])) {
      tally.records += records->size();
      ++tally.batches;
      return;
    }
  } else if (*name == "RedisBridge::log_schema") {
    ++tally.schemas;
    return;
  }
  ++tally.other;
}

int run(const Options& o) {
  const uint64_t want = o.count("--records", 1000000);
  const double timeout_s = o.real("--timeout-s", 600);
  const auto queue = o.count("--queue", 1024);  // the bridge's --broker.queue default
  broker::broker_options bo;
  bo.disable_ssl = true;
  bo.forward = false;
  bo.ignore_broker_conf = true;
  broker::endpoint ep{broker::configuration{bo}};
  auto sub = ep.make_subscriber({broker::topic{o.str("--topic", "zeek/redis/")}}, queue);
  if (o.has("--listen")) {
    std::string host;
    uint16_t port = 0;
    split_host_port(o.str("--listen", ""), host, port);
    auto bound = ep.listen(host, port);
    if (bound == 0) {
      std::fprintf(stderr, "bench_decode_sink: cannot listen on %s\n",
                   o.str("--listen", "").c_str());
      return 1;
    }
    std::fprintf(stderr, "bench_decode_sink: listening on %s:%u\n", host.c_str(), bound);
  } else if (o.has("--peer")) {
    std::string host;
    uint16_t port = 0;
    split_host_port(o.str("--peer", ""), host, port);
    ep.peer_nosync(host, port, broker::timeout::seconds(1));
  } else {
    throw std::invalid_argument("give --listen HOST:PORT or --peer HOST:PORT");
  }

  Tally tally;
  double first = 0, cpu0 = 0;
  const double deadline = mono_seconds() + timeout_s;
  while (tally.records < want && !stop_requested && mono_seconds() < deadline) {
    if (sub.available() == 0) {
      pollfd fd{sub.fd(), POLLIN, 0};
      ::poll(&fd, 1, 50);
    }
    size_t n = sub.available();
    if (n == 0) continue;
    for (auto& msg : sub.get(n)) {
      decode(msg, tally);
      if (first == 0 && tally.records > 0) {
        first = mono_seconds();
        cpu0 = process_cpu_seconds();
        std::printf("first mono=%.6f\n", first);
        std::fflush(stdout);
      }
    }
  }
  const double end = mono_seconds();
  const double secs = end - first;
  std::printf("done records=%" PRIu64 " batches=%" PRIu64 " schemas=%" PRIu64 " other=%" PRIu64
              " seconds=%.3f records_per_s=%.0f end_mono=%.6f cpu_s=%.3f touched=%" PRIu64 "\n",
              tally.records, tally.batches, tally.schemas, tally.other, secs,
              first > 0 ? static_cast<double>(tally.records) / std::max(secs, 1e-9) : 0.0, end,
              process_cpu_seconds() - cpu0, tally.walker.touched);
  std::fflush(stdout);
  return tally.records >= want ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  StopSignals signals;
  try {
    Options o(argc, argv, {"--listen", "--peer", "--records", "--topic", "--queue", "--timeout-s"},
              {});
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_decode_sink: %s\n", e.what());
    return 2;
  }
}
