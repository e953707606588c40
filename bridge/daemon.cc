#include "daemon.hh"

#include <poll.h>

#include <csignal>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "commands.hh"
#include "counters.hh"
#include "gauges.hh"
#include "histogram.hh"
#include "host_port.hh"
#include "intel_replay.hh"
#include "intel_stream_reader.hh"
#include "log.hh"
#include "log_forwarder.hh"
#include "metrics.hh"
#include "metrics_server.hh"
#include "redis_inbound.hh"
#include "redis_subscriber.hh"
#include "rejection.hh"

namespace zrb {

namespace {

// Signals are blocked in every thread and taken by one thread of their own
// with sigwait(), which only sets flags that the loop below acts on. A
// handler running on an arbitrary thread could interrupt a libbroker/CAF
// wait, which Broker 1.4 does not survive (bench/RESULTS.md notes it). The
// loop wakes at least every loop_tick, so a signal is seen within that time.
std::atomic<bool> g_stop{false};
std::atomic<bool> g_reopen_log{false};
constexpr auto loop_tick = std::chrono::milliseconds(50);
constexpr size_t events_per_turn = 256;

// Must run before any other thread starts: threads inherit the mask.
void take_signals_on_own_thread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Detached: it may still wait in sigwait() when the process exits.
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        g_reopen_log = true;
      } else {
        g_stop = true;
      }
    }
  }).detach();
  // A Redis that goes away mid-write must be an error return, not a kill.
  signal(SIGPIPE, SIG_IGN);
}

std::string counters_line() {
  std::ostringstream os;
  os << "counters:";
  for (const auto& [name, value] : counters().snapshot()) os << ' ' << name << '=' << value;
  // Gauges too (peers connected, buffer depth): the line is the summary.
  for (const auto& g : gauges().snapshot())
    os << ' ' << g.name << (g.label.empty() ? "" : "{" + g.label + "}") << '=' << g.value;
  return os.str();
}

}  // namespace

int run_daemon(const Config& config) {
  take_signals_on_own_thread();
  set_rejection_log_limit(config.rejection_log);
  // /metrics first, so that it answers for the whole life of the bridge,
  // shutdown included. It reads only the process-wide registries.
  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics_listen.empty()) {
    MetricsServerOptions mo;
    mo.listen = config.metrics_listen;
    metrics = std::make_unique<MetricsServer>(mo, [] { return render_metrics(); });
    std::string host;
    uint16_t port = 0;
    split_host_port(mo.listen, host, port);
    log_info("metrics: serving http://", host, ":", metrics->port(), "/metrics");
  }
  std::string why;
  auto router = Router::make(config.routing, &why);
  if (!router) {
    log_error("route: ", why);
    return 2;
  }
  // A signal must end a wait for room in the writer's buffer (block
  // policy during an outage), or shutdown would wait for Redis forever.
  WriterOptions writer_options = config.writer;
  writer_options.stop_flag = &g_stop;
  writer_options.on_round_trip = [&h = redis_roundtrip_histogram()](std::chrono::nanoseconds d) {
    h.observe(std::chrono::duration<double>(d).count());
  };
  RedisWriter writer(writer_options);
  // Read at scrape time from the writer's atomics (thread-safe, no lock).
  Gauges::Source writer_levels[] = {
      gauges().add_source("buffer_records", "",
                          [&writer] { return static_cast<double>(writer.buffered_records()); }),
      gauges().add_source("buffer_bytes", "",
                          [&writer] { return static_cast<double>(writer.buffered_bytes()); }),
      gauges().add_source("spool_records", "",
                          [&writer] { return static_cast<double>(writer.spooled_records()); }),
      gauges().add_source("spool_bytes", "",
                          [&writer] { return static_cast<double>(writer.spooled_bytes()); })};
  LogForwarder forwarder(*router, writer, config.timestamps, config.convert_limits,
                         config.protocol_limits);
  auto transport = make_broker_transport(config.broker);

  // Redis -> Zeek: a connection of its own, subscribed to the generic
  // channels and patterns and to the intel channels.
  std::unique_ptr<RedisSubscriber> subscriber;
  std::unique_ptr<RedisInbound> inbound;
  {
    SubscriberOptions so;
    so.url = config.writer.url;
    so.channels = config.inbound_channels;
    so.channels.insert(so.channels.end(), config.inbound.intel_channels.begin(),
                       config.inbound.intel_channels.end());
    so.patterns = config.inbound_patterns;
    if (!so.channels.empty() || !so.patterns.empty()) {
      inbound = std::make_unique<RedisInbound>(config.inbound, *transport, writer);
      subscriber = std::make_unique<RedisSubscriber>(std::move(so));
    }
  }
  std::vector<RedisMessage> messages;

  // Intel beyond pub/sub: the snapshot replayed to every Zeek peer that
  // connects (intel_replay.hh), and intel streams read through a consumer
  // group (intel_stream_reader.hh); each on a connection of its own.
  std::unique_ptr<IntelReplay> replay;
  std::unique_ptr<IntelStreamReader> intel_streams;
  {
    const auto& in = config.inbound;
    bool intel = !in.intel_channels.empty() || !in.streams.streams.empty();
    if (intel && !inbound) inbound = std::make_unique<RedisInbound>(in, *transport, writer);
    WorkerOptions wo;
    wo.url = config.writer.url;
    wo.backoff_max = config.writer.backoff_max;
    if (intel && in.snapshot.enabled) {
      replay = std::make_unique<IntelReplay>(ReplayOptions{wo, in.snapshot});
      transport->on_peer_change([&replay](const PeerChange& change) {
        if (change.kind == PeerChange::Kind::added) replay->request();
      });
    }
    if (!in.streams.streams.empty()) {
      IntelStreamOptions so = in.streams;
      so.redis = wo;
      intel_streams = std::make_unique<IntelStreamReader>(std::move(so));
    }
  }
  std::vector<IntelUpdate> replayed;
  std::vector<IntelStreamEntry> entries;

  // Zeek scripts' Redis operations: a connection of its own, made on the
  // first request.
  Commands commands(config.commands, config.writer.url, *transport);
  log_info("zeek-redis-bridge ", ZRB_VERSION, " running; writing to ", config.writer.url.masked());

  std::vector<Event> events;
  events.reserve(events_per_turn);
  auto handle = [&](Event&& ev) {
    if (is_log_event(ev.name))
      forwarder.handle(std::move(ev));
    else if (is_command_event(ev.name))
      commands.handle(std::move(ev));
    else
      reject("unknown_event", "event " + ev.name + " on '" + ev.topic + "'");
  };
  using clock = std::chrono::steady_clock;
  auto next_stats = clock::now() + std::chrono::seconds(config.stats_interval_s);
  auto next_rejection_report = clock::now();
  while (!g_stop) {
    // Wait for input no longer than the open batch may wait for Redis.
    auto timeout = loop_tick;
    if (auto due = writer.flush_due()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*due - clock::now());
      timeout = std::clamp(left, std::chrono::milliseconds(0), loop_tick);
    }
    // Wait on Broker and on the subscribed Redis connection together, so
    // that a message from either is handled as soon as it arrives.
    pollfd fds[5] = {
        {transport->fd(), POLLIN, 0},
        {commands.fd(), POLLIN, 0},
        {subscriber ? subscriber->fd() : -1, POLLIN, 0},
        {replay ? replay->fd() : -1, POLLIN, 0},
        {intel_streams && transport->peer_count() > 0 ? intel_streams->fd() : -1, POLLIN, 0}};
    ::poll(fds, 5, static_cast<int>(timeout.count()));
    events.clear();
    transport->receive(events, events_per_turn, std::chrono::milliseconds(0));
    for (auto& ev : events) handle(std::move(ev));
    if (subscriber) {
      messages.clear();
      subscriber->poll(messages, events_per_turn);
      for (auto& m : messages) inbound->handle(std::move(m));
    }
    if (replay) {
      replayed.clear();
      replay->poll(replayed, events_per_turn);
      for (const auto& u : replayed) inbound->replay(u);
    }
    // Stream intel is taken only while a Zeek peer listens: until then it
    // stays unacknowledged in Redis (and in the reader's bounded queue).
    if (intel_streams && transport->peer_count() > 0) {
      entries.clear();
      intel_streams->poll(entries, events_per_turn);
      for (const auto& e : entries) inbound->handle(e);
    }
    commands.poll();
    writer.poll();
    if (g_reopen_log.exchange(false)) {
      if (!set_log_file(config.log_file)) log_error("cannot reopen log file ", config.log_file);
      log_info("log file reopened");
    }
    if (clock::now() >= next_rejection_report) {
      next_rejection_report = clock::now() + std::chrono::seconds(1);
      report_suppressed_rejections();
    }
    if (config.stats_interval_s > 0 && clock::now() >= next_stats) {
      next_stats += std::chrono::seconds(config.stats_interval_s);
      log_info(counters_line());
    }
  }

  // Shutdown: take what Broker already delivered to us (it was accepted by
  // this process), then stop reading, then write everything out.
  log_info("stopping: taking queued messages, then writing buffered records to Redis");
  auto deadline = clock::now() + config.shutdown_timeout;
  // At most what Broker's queue for us can hold: that much was delivered
  // before the signal; more would be reading on while the peers still send.
  size_t budget = config.broker.queue_size;
  while (budget > 0 && clock::now() < deadline) {
    events.clear();
    size_t got =
        transport->receive(events, std::min(events_per_turn, budget), std::chrono::milliseconds(0));
    if (got == 0) break;
    budget -= std::min(got, budget);
    for (auto& ev : events) handle(std::move(ev));
  }
  if (subscriber) subscriber->stop();
  // Entries queued but not handled stay pending in their group: the next
  // start delivers them.
  if (intel_streams) intel_streams->stop();
  if (replay) replay->stop();
  // Requests already taken are run and answered while Broker is still up.
  if (auto unrun = commands.finish(deadline); unrun > 0)
    log_error("shutdown deadline passed with ", unrun, " Redis operations of Zeek not run");
  inbound.reset();
  transport.reset();
  auto left = writer.drain(deadline);
  auto stopped = writer.stop();
  if (left > 0)
    log_error("shutdown deadline passed with ", left,
              " records not written to Redis: ", stopped.spooled,
              " kept in the spool for the next start, ", stopped.lost, " lost");
  else
    log_info("all records written to Redis");
  report_suppressed_rejections(true);
  log_info(counters_line());
  return 0;
}

}  // namespace zrb
