#include "assembly.hh"

#include "base/host_port.hh"
#include "observe/histogram.hh"
#include "observe/log.hh"
#include "observe/metrics.hh"
#include "transport/broker.hh"
#include "transport/websocket.hh"

namespace zrb {

namespace {

// Observation: /metrics first, so that it answers for the whole life of the
// bridge, shutdown included. It reads only the process-wide registries.
std::unique_ptr<MetricsServer> make_metrics_server(const std::string& listen) {
  if (listen.empty()) return nullptr;
  MetricsServerOptions mo;
  mo.listen = listen;
  auto server = std::make_unique<MetricsServer>(mo, [] { return render_metrics(); });
  std::string host;
  uint16_t port = 0;
  split_host_port(mo.listen, host, port);
  log_info("metrics: serving http://", host, ":", server->port(), "/metrics");
  return server;
}

// Zeek -> Redis: the writer, its levels in /metrics, the log forwarder.
void make_log_path(const Config& config, const std::atomic<bool>* stop, Parts& parts) {
  WriterOptions wo = config.writer;
  wo.stop_flag = stop;
  wo.on_round_trip = [&h = redis_roundtrip_histogram()](std::chrono::nanoseconds d) {
    h.observe(std::chrono::duration<double>(d).count());
  };
  parts.writer = std::make_unique<RedisWriter>(wo);
  // Read at scrape time from the writer's atomics (thread-safe, no lock).
  RedisWriter& w = *parts.writer;
  auto level = [&](const char* name, auto read) {
    parts.writer_levels.push_back(
        gauges().add_source(name, "", [&w, read] { return static_cast<double>((w.*read)()); }));
  };
  level("buffer_records", &RedisWriter::buffered_records);
  level("buffer_bytes", &RedisWriter::buffered_bytes);
  level("spool_records", &RedisWriter::spooled_records);
  level("spool_bytes", &RedisWriter::spooled_bytes);
  parts.forwarder = std::make_unique<LogForwarder>(*parts.router, w, config.timestamps,
                                                   config.convert_limits, config.protocol_limits);
}

}  // namespace

std::unique_ptr<Parts> assemble(const Config& config, const std::atomic<bool>* stop) {
  auto parts = std::make_unique<Parts>();
  parts->metrics = make_metrics_server(config.metrics_listen);
  std::string why;
  auto router = Router::make(config.routing, &why);
  if (!router) {
    log_error("route: ", why);
    return nullptr;
  }
  parts->router = std::make_unique<Router>(std::move(*router));
  make_log_path(config, stop, *parts);
  parts->transport = config.transport == TransportKind::websocket
                         ? make_websocket_transport(config.websocket)
                         : make_broker_transport(config.broker);
  parts->drain =
      std::make_unique<Drain>([&w = *parts->writer] { return w.progress(); }, *parts->transport);

  // Redis -> Zeek: subscriptions, snapshot replay, intel streams.
  RedisToZeekOptions ro;
  ro.channels = config.inbound_channels;
  ro.patterns = config.inbound_patterns;
  ro.inbound = config.inbound;
  ro.redis.url = config.writer.url;
  ro.redis.backoff_max = config.writer.backoff_max;
  parts->redis_to_zeek = std::make_unique<RedisToZeek>(ro, *parts->transport, *parts->writer);

  // Zeek scripts' Redis operations: a connection of their own, made on the
  // first request.
  parts->commands =
      std::make_unique<Commands>(config.commands, config.writer.url, *parts->transport);
  return parts;
}

}  // namespace zrb
