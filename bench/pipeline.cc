// bench_pipeline: the bridge without Broker. Decoded events (zrb::Event, as
// the transport hands them over) go straight into the real LogForwarder
// (decode, schema lookup, record_to_json) and the real RedisWriter (RESP
// formatting on this thread, pipelined writes on its own thread) into a
// real Redis stream.
//
//   bench_pipeline --redis redis://127.0.0.1:PORT [--records N] [--batch B]
//                  [--shape conn|string300] [--writer-batch 512]
//
// All N records are built as events before the clock starts (about 1 KiB
// of memory per conn record: a million records take about 1 GiB), so the
// figure is the bridge's cost from a decoded event to a record in Redis.
// Phases, each printed as one "key=value ..." line:
//   convert   record_to_json alone over the same records: pure conversion
//   pipeline  LogForwarder::handle for every event, then RedisWriter::drain;
//             done when the writer has every reply and XLEN says N.
//             main_cpu_s is the feeding thread (decode + JSON + RESP
//             formatting), writer_cpu_s the rest of the process (the
//             writer thread's socket I/O and reply parsing).

#include <cinttypes>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "bench_common.hh"
#include "conn_corpus.hh"
#include "json/record_json.hh"
#include "json/value.hh"
#include "logs/log_forwarder.hh"
#include "logs/protocol.hh"
#include "observe/counters.hh"
#include "observe/log.hh"
#include "redis/redis_context.hh"
#include "redis/redis_writer.hh"
#include "redis/route.hh"
#include "transport/transport.hh"

namespace {

using namespace zrb_bench;

constexpr uint64_t zeek_version = 30204;

zrb::Address to_address(const std::array<uint8_t, 16>& bytes) {
  zrb::Address a;
  a.bytes = bytes;
  return a;
}

zrb::Value opt_count(int64_t v) {
  if (v < 0) return zrb::None{};
  return static_cast<uint64_t>(v);
}

zrb::Value opt_string(const char* s) {
  if (s == nullptr) return zrb::None{};
  return std::string(s);
}

zrb::Port::Protocol port_protocol(const std::string& proto) {
  if (proto == "tcp") return zrb::Port::Protocol::tcp;
  if (proto == "udp") return zrb::Port::Protocol::udp;
  if (proto == "icmp") return zrb::Port::Protocol::icmp;
  return zrb::Port::Protocol::unknown;
}

// The same record bench_publisher sends, as the Broker transport decodes it.
zrb::Value conn_record_value(uint64_t k) {
  auto r = conn_record(k);
  auto proto = port_protocol(r.proto);
  zrb::Vector id{to_address(r.orig_h), zrb::Port{r.orig_p, proto}, to_address(r.resp_h),
                 zrb::Port{r.resp_p, proto}};
  zrb::Value duration = zrb::None{};
  if (r.duration_ns) duration = zrb::Timespan{*r.duration_ns};
  return zrb::Vector{
      zrb::Timestamp{r.ts_ns},
      std::move(r.uid),
      std::move(id),
      zrb::EnumValue{r.proto},
      opt_string(r.service),
      std::move(duration),
      opt_count(r.orig_bytes),
      opt_count(r.resp_bytes),
      std::string(r.conn_state),
      r.local_orig,
      r.local_resp,
      r.missed_bytes,
      opt_string(r.history),
      r.orig_pkts,
      r.orig_ip_bytes,
      r.resp_pkts,
      r.resp_ip_bytes,
      zrb::None{},  // tunnel_parents: unset in every corpus record
  };
}

zrb::Value string300_record_value(uint64_t k) {
  return zrb::Vector{string300_record(k)};
}

zrb::Event schema_event(const std::string& node, const std::string& path,
                        const std::vector<SchemaColumn>& columns) {
  zrb::Vector cols;
  for (const auto& c : columns) {
    zrb::Vector index;
    for (auto i : c.index) index.emplace_back(static_cast<uint64_t>(i));
    cols.emplace_back(zrb::Vector{std::string(c.name), std::string(c.ztype), std::move(index)});
  }
  zrb::Event ev;
  ev.topic = "zeek/redis/logs";
  ev.name = std::string(zrb::log_schema_event);
  ev.args = zrb::Vector{uint64_t{1}, zeek_version, node, path, std::move(cols)};
  return ev;
}

zrb::Event batch_event(const std::string& node, const std::string& path, zrb::Vector records) {
  zrb::Event ev;
  ev.topic = "zeek/redis/logs";
  ev.name = std::string(zrb::log_batch_event);
  ev.args = zrb::Vector{node, path, std::move(records)};
  return ev;
}

// The schema as LogForwarder decodes it, for the convert-only phase.
zrb::LogSchema decoded_schema(const zrb::Event& ev) {
  zrb::Event copy = ev;
  auto decoded = zrb::decode_log_event(std::move(copy), zrb::ProtocolLimits{});
  auto msg = std::get_if<zrb::SchemaMessage>(&decoded);
  if (!msg) throw std::runtime_error("the benchmark's own schema was rejected");
  return std::move(msg->schema);
}

int64_t xlen(zrb::RedisContext& redis, const std::string& key) {
  auto reply = redis.command({"XLEN", key});
  if (!reply || reply->type != REDIS_REPLY_INTEGER)
    throw std::runtime_error("XLEN " + key + " failed: " + redis.error());
  return reply->integer;
}

int run(const Options& o) {
  const uint64_t records = o.count("--records", 1000000);
  const uint64_t batch = o.count("--batch", 100);
  const std::string shape = o.str("--shape", "conn");
  const double timeout_s = o.real("--timeout-s", 600);
  if (shape != "conn" && shape != "string300")
    throw std::invalid_argument("--shape: conn or string300");
  if (records == 0 || batch == 0) throw std::invalid_argument("--records, --batch: at least 1");
  const bool conn = shape == "conn";
  const std::string node = "bench";
  const std::string path = conn ? "conn" : "string300";

  std::string why;
  auto url = zrb::RedisUrl::parse(o.str("--redis", "redis://127.0.0.1:6379"), &why);
  if (!url) throw std::invalid_argument("--redis: " + why);
  zrb::RoutingConfig routing;
  // Untrimmed, as bench/run.py runs the bridge: XLEN then counts every record.
  routing.stream_maxlen = o.count("--maxlen", 0);
  auto router = zrb::Router::make(routing, &why);
  if (!router) throw std::invalid_argument("routing: " + why);
  const std::string key = router->route(path).key;

  // A connection of our own for DEL and XLEN.
  auto admin =
      zrb::RedisContext::connect(*url, std::chrono::seconds(2), std::chrono::seconds(10), &why);
  if (!admin) throw std::runtime_error("redis: " + why);
  admin->command({"DEL", key});

  // --- build every event ---
  const double build0 = mono_seconds();
  auto schema = schema_event(node, path, conn ? conn_schema() : string300_schema());
  std::vector<zrb::Event> events;
  events.reserve((records + batch - 1) / batch);
  for (uint64_t k = 0; k < records;) {
    zrb::Vector recs;
    uint64_t n = std::min(batch, records - k);
    recs.reserve(n);
    for (uint64_t i = 0; i < n; ++i, ++k)
      recs.push_back(conn ? conn_record_value(k) : string300_record_value(k));
    events.push_back(batch_event(node, path, std::move(recs)));
  }
  std::printf("built events=%zu records=%" PRIu64 " batch=%" PRIu64 " shape=%s seconds=%.3f\n",
              events.size(), records, batch, shape.c_str(), mono_seconds() - build0);
  std::fflush(stdout);

  // --- phase 1: conversion alone ---
  {
    auto ls = decoded_schema(schema);
    zrb::ConvertLimits limits;
    std::string json, err;
    uint64_t bytes = 0, ok = 0;
    const double c0 = thread_cpu_seconds(), t0 = mono_seconds();
    for (const auto& ev : events) {
      const auto& recs = std::get<zrb::Vector>(ev.args[2].variant());
      for (const auto& r : recs) {
        json.clear();
        auto st = zrb::record_to_json(std::get<zrb::Vector>(r.variant()), ls,
                                      zrb::TimeFormat::epoch, limits, json, &err);
        ok += st == zrb::ConvertStatus::ok;
        bytes += json.size();
      }
    }
    const double t1 = mono_seconds(), c1 = thread_cpu_seconds();
    std::printf("convert records=%" PRIu64 " ok=%" PRIu64
                " seconds=%.3f records_per_s=%.0f cpu_s=%.3f us_per_record=%.3f "
                "json_bytes_per_record=%.1f\n",
                records, ok, t1 - t0, static_cast<double>(records) / std::max(t1 - t0, 1e-9),
                c1 - c0, (c1 - c0) * 1e6 / static_cast<double>(records),
                static_cast<double>(bytes) / static_cast<double>(records));
    std::fflush(stdout);
    if (ok != records) {
      std::fprintf(stderr, "bench_pipeline: %" PRIu64 " records failed to convert: %s\n",
                   records - ok, err.c_str());
      return 1;
    }
  }

  // --- phase 2: LogForwarder + RedisWriter into Redis ---
  zrb::WriterOptions wo;
  wo.url = *url;
  wo.batch_size = o.count("--writer-batch", wo.batch_size);
  zrb::RedisWriter writer(wo);
  zrb::LogForwarder forwarder(*router, writer, zrb::TimeFormat::epoch, zrb::ConvertLimits{},
                              zrb::ProtocolLimits{});
  forwarder.handle(std::move(schema));

  const double deadline = mono_seconds() + timeout_s;
  const double p0 = process_cpu_seconds(), m0 = thread_cpu_seconds(), t0 = mono_seconds();
  std::printf("start mono=%.6f\n", t0);
  std::fflush(stdout);
  // The daemon's loop: handle what arrived, then let the writer hand off a
  // batch whose delay passed.
  for (auto& ev : events) {
    forwarder.handle(std::move(ev));
    writer.poll();
    if (zrb_bench::stop_requested) break;
  }
  const double fed = mono_seconds(), m1 = thread_cpu_seconds();
  auto left = writer.drain(zrb::RedisWriter::Clock::now() +
                           std::chrono::milliseconds(static_cast<int64_t>(
                               std::max(0.0, deadline - mono_seconds()) * 1000)));
  int64_t len = xlen(*admin, key);
  while (len < static_cast<int64_t>(records) && mono_seconds() < deadline && !stop_requested) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    len = xlen(*admin, key);
  }
  const double t1 = mono_seconds(), p1 = process_cpu_seconds();
  const double main_cpu = m1 - m0, all_cpu = p1 - p0;
  std::printf("pipeline records=%" PRIu64 " xlen=%" PRId64
              " unwritten=%zu seconds=%.3f "
              "records_per_s=%.0f feed_seconds=%.3f main_cpu_s=%.3f writer_cpu_s=%.3f "
              "cpu_s=%.3f main_us_per_record=%.3f writer_us_per_record=%.3f end_mono=%.6f\n",
              records, len, left, t1 - t0, static_cast<double>(len) / std::max(t1 - t0, 1e-9),
              fed - t0, main_cpu, all_cpu - main_cpu, all_cpu,
              main_cpu * 1e6 / static_cast<double>(records),
              (all_cpu - main_cpu) * 1e6 / static_cast<double>(records), t1);
  std::fflush(stdout);
  writer.stop();
  return len >= static_cast<int64_t>(records) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  StopSignals signals;
  try {
    Options o(
        argc, argv,
        {"--redis", "--records", "--batch", "--shape", "--writer-batch", "--maxlen", "--timeout-s"},
        {});
    zrb::set_log_level(zrb::Level::warning);
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pipeline: %s\n", e.what());
    return 2;
  }
}
