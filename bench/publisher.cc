// bench_publisher: a Broker peer (1.4, or the C++20 Broker of Zeek 6.2+;
// broker_peer.hh) that publishes conn log records the way
// the Zeek package does (docs/protocol.md), as fast as Broker takes them.
//
// It publishes with endpoint::publish, as Zeek's Broker::publish does:
// the message is queued at the endpoint's core at once and Broker ships it
// as fast as the peer's flow control allows, so the rate that counts is the
// receiver's. (libbroker 1.4's broker::publisher, the API with a bounded
// queue, stalled at a few hundred records/s here: unusable as a load source.)
// CAF runs with Zeek 3.2's scheduler settings unless told otherwise
// (broker_peer.hh).
//
//   bench_publisher (--peer HOST:PORT | --listen HOST:PORT) [--records N]
//                   [--batch B] [--shape conn|string300]
//                   [--caf-policy sharing|stealing|default] [--caf-threads T]
//                   [--distinct R] [--node NAME] [--topic T] [--wait-s S] [--linger-s S]
//
// It waits until the peering is up and the receiver's subscription has
// reached this endpoint (Broker drops what is published before that), sends
// one log_schema, then N records in log_batch events of B records. The
// events are built before the clock starts and reused (a Broker data_message
// is copy-on-write, so republishing one costs a reference count), so the
// figure measures Broker and the receiver, not this program building values.
// --distinct R (default 100,000) records are distinct; past that the same
// batches are sent again (the stream entries still get new IDs), which keeps
// the pool's memory near 200 MB.
//
// Output on stdout, one "key=value ..." line per step, for bench/run.py:
//   ready ...                      peered, subscription seen
//   start mono=<t>                 CLOCK_MONOTONIC when sending began
//   sent records=... seconds=... records_per_s=... (send side)
// Then it stays connected (a receiver may still be reading what Broker
// buffered) until SIGTERM/SIGINT, the peer going away, or --linger-s.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hh"
#include "broker_peer.hh"
#include "conn_corpus.hh"

namespace {

using namespace zrb_bench;

constexpr const char* schema_event_name = "RedisBridge::log_schema";
constexpr const char* batch_event = "RedisBridge::log_batch";
// Version::number of the Zeek whose conn.log the records come from.
constexpr uint64_t zeek_version = 30204;

broker::address to_address(const std::array<uint8_t, 16>& bytes) {
  broker::address a;
  std::copy(bytes.begin(), bytes.end(), a.bytes().begin());
  return a;
}

broker::data opt_count(int64_t v) {
  if (v < 0) return broker::nil;
  return broker::count{static_cast<uint64_t>(v)};
}

broker::data opt_string(const char* s) {
  if (s == nullptr) return broker::nil;
  return std::string(s);
}

broker::port::protocol port_protocol(const char* proto) {
  std::string p = proto;
  if (p == "tcp") return broker::port::protocol::tcp;
  if (p == "udp") return broker::port::protocol::udp;
  if (p == "icmp") return broker::port::protocol::icmp;
  return broker::port::protocol::unknown;
}

// Conn::Info as Zeek 3.2 sends it: a positional vector, conn_id nested,
// unset &optional fields nil.
broker::data conn_record_data(uint64_t k) {
  auto r = conn_record(k);
  auto proto = port_protocol(r.proto);
  broker::vector id{to_address(r.orig_h), broker::port{r.orig_p, proto}, to_address(r.resp_h),
                    broker::port{r.resp_p, proto}};
  broker::data duration = broker::nil;
  if (r.duration_ns) duration = broker::timespan{*r.duration_ns};
  return broker::vector{
      broker::timestamp{broker::timespan{r.ts_ns}},
      std::move(r.uid),
      std::move(id),
      broker::enum_value{r.proto},
      opt_string(r.service),
      std::move(duration),
      opt_count(r.orig_bytes),
      opt_count(r.resp_bytes),
      std::string(r.conn_state),
      broker::boolean{r.local_orig},
      broker::boolean{r.local_resp},
      broker::count{r.missed_bytes},
      opt_string(r.history),
      broker::count{r.orig_pkts},
      broker::count{r.orig_ip_bytes},
      broker::count{r.resp_pkts},
      broker::count{r.resp_ip_bytes},
      broker::nil,  // tunnel_parents: unset in every corpus record
  };
}

broker::data string300_record_data(uint64_t k) {
  return broker::vector{string300_record(k)};
}

broker::data_message schema_event(const broker::topic& topic, const std::string& node,
                                  const std::string& path,
                                  const std::vector<SchemaColumn>& columns) {
  broker::vector cols;
  for (const auto& c : columns) {
    broker::vector index;
    for (auto i : c.index) index.emplace_back(broker::count{i});
    cols.emplace_back(broker::vector{std::string(c.name), std::string(c.ztype), std::move(index)});
  }
  return broker::make_data_message(
      topic, broker::zeek::Event(schema_event_name, {broker::count{1}, broker::count{zeek_version},
                                                     node, path, std::move(cols)})
                 .move_data());
}

// One log_batch event of the records first .. first+n-1.
broker::data_message batch_message(const broker::topic& topic, const std::string& node,
                                   const std::string& path, bool conn, uint64_t first, uint64_t n) {
  broker::vector records;
  records.reserve(n);
  for (uint64_t k = first; k < first + n; ++k)
    records.emplace_back(conn ? conn_record_data(k) : string300_record_data(k));
  return broker::make_data_message(
      topic, broker::zeek::Event(batch_event, {node, path, std::move(records)}).move_data());
}

struct Settings {
  std::string peer, listen;
  uint64_t records = 1000000;
  uint64_t batch = 100;
  uint64_t distinct = 100000;
  std::string shape = "conn";
  std::string node = "bench";
  std::string topic = "zeek/redis/logs";
  double wait_s = 30;
  double linger_s = 600;
  // Zeek 3.2's Broker::scheduler_policy and Broker::max_threads.
  std::string caf_policy = "sharing";
  uint64_t caf_threads = 1;
};

int run(const Settings& s) {
  // Every message of the run, the schema and some slack for Broker's own.
  const uint64_t messages = (s.records + s.batch - 1) / s.batch + 64;
  broker::endpoint ep{peer_configuration(s.caf_policy, s.caf_threads, messages)};
  auto status = ep.make_status_subscriber(true);
  if (!reach(ep, s.listen, s.peer, "bench_publisher")) return 1;
  auto peered = wait_peered(status, s.wait_s, "bench_publisher");
  if (!peered) {
    std::fprintf(stderr, "bench_publisher: no peer within %.0f s\n", s.wait_s);
    return 1;
  }
  if (!wait_subscribed(ep, *peered, s.topic, s.wait_s)) {
    std::fprintf(stderr, "bench_publisher: no subscription to %s within %.0f s\n", s.topic.c_str(),
                 s.wait_s);
    return 1;
  }

  // Build the distinct batches once; the send loop cycles through them.
  const bool conn = s.shape == "conn";
  const std::string path = conn ? "conn" : "string300";
  const uint64_t distinct = std::min(s.records, s.distinct);
  const uint64_t pool_size = std::max<uint64_t>(1, (distinct + s.batch - 1) / s.batch);
  const broker::topic topic{s.topic};
  std::vector<broker::data_message> pool;
  pool.reserve(pool_size);
  double build_start = mono_seconds();
  for (uint64_t b = 0; b < pool_size; ++b)
    pool.emplace_back(batch_message(topic, s.node, path, conn, b * s.batch, s.batch));
  // A run whose record count is not a multiple of the batch size ends with
  // a shorter batch, built here too.
  const uint64_t tail = s.records % s.batch;
  auto last = batch_message(topic, s.node, path, conn, 0, tail > 0 ? tail : 1);
  std::printf("ready shape=%s path=%s records=%" PRIu64 " batch=%" PRIu64 " pool_batches=%" PRIu64
              " build_s=%.3f\n",
              s.shape.c_str(), path.c_str(), s.records, s.batch, pool_size,
              mono_seconds() - build_start);
  std::fflush(stdout);

  auto schema = schema_event(topic, s.node, path, conn ? conn_schema() : string300_schema());

  const double cpu0 = process_cpu_seconds();
  const double t0 = mono_seconds();
  std::printf("start mono=%.6f\n", t0);
  std::fflush(stdout);
  uint64_t sent = 0, batches = 0;
  // endpoint::publish is what Zeek 3.2's Broker::publish calls: the
  // message goes to the core actor's mailbox at once, without waiting for
  // the network, so the send-side figure is only how fast we enqueue.
  ep.publish(std::move(schema));
  while (sent < s.records && !stop_requested) {
    const auto& msg = pool[batches % pool_size];
    uint64_t n = std::min(s.batch, s.records - sent);
    ep.publish(n == s.batch ? msg : last);
    sent += n;
    ++batches;
  }
  const double t1 = mono_seconds();
  const double cpu1 = process_cpu_seconds();
  std::printf("sent records=%" PRIu64 " batches=%" PRIu64
              " seconds=%.3f records_per_s=%.0f cpu_s=%.3f end_mono=%.6f\n",
              sent, batches, t1 - t0, static_cast<double>(sent) / std::max(t1 - t0, 1e-9),
              cpu1 - cpu0, t1);
  std::fflush(stdout);

  // Stay peered: closing now could cut off messages Broker still holds.
  auto deadline = mono_seconds() + s.linger_s;
  while (!stop_requested && mono_seconds() < deadline && !peer_gone(status)) {
  }
  std::printf("done cpu_s=%.3f\n", process_cpu_seconds() - cpu0);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  StopSignals signals;
  try {
    Options o(argc, argv,
              {"--peer", "--listen", "--records", "--batch", "--distinct", "--shape", "--node",
               "--topic", "--wait-s", "--linger-s", "--caf-policy", "--caf-threads"},
              {});
    Settings s;
    s.peer = o.str("--peer", "");
    s.listen = o.str("--listen", "");
    s.records = o.count("--records", s.records);
    s.batch = o.count("--batch", s.batch);
    s.distinct = o.count("--distinct", s.distinct);
    s.shape = o.str("--shape", s.shape);
    s.node = o.str("--node", s.node);
    s.topic = o.str("--topic", s.topic);
    s.wait_s = o.real("--wait-s", s.wait_s);
    s.linger_s = o.real("--linger-s", s.linger_s);
    s.caf_policy = o.str("--caf-policy", s.caf_policy);
    s.caf_threads = o.count("--caf-threads", s.caf_threads);
    if (s.peer.empty() == s.listen.empty())
      throw std::invalid_argument("give exactly one of --peer HOST:PORT, --listen HOST:PORT");
    if (s.batch == 0 || s.records == 0)
      throw std::invalid_argument("--batch and --records must be at least 1");
    if (s.shape != "conn" && s.shape != "string300")
      throw std::invalid_argument("--shape: conn or string300");
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_publisher: %s\n", e.what());
    return 2;
  }
}
