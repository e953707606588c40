// Builds every part of the daemon from the configuration and connects them,
// each capability in one place: observation (/metrics), Zeek -> Redis
// (routes, the writer, the log forwarder), the transport, Redis -> Zeek
// (intel/redis_to_zeek.hh) and Zeek scripts' Redis operations
// (commands/commands.hh). The daemon's loop (daemon.cc) only moves events
// between the parts.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "commands/commands.hh"
#include "config.hh"
#include "intel/redis_to_zeek.hh"
#include "logs/drain.hh"
#include "logs/log_forwarder.hh"
#include "observe/gauges.hh"
#include "observe/metrics_server.hh"
#include "redis/redis_writer.hh"
#include "redis/route.hh"
#include "transport/transport.hh"

namespace zrb {

/// The parts, in the order they are built; they are destroyed in reverse,
/// so each outlives what refers to it.
struct Parts {
  /// Serves /metrics for the whole life of the bridge, shutdown included.
  std::unique_ptr<MetricsServer> metrics;
  std::unique_ptr<Router> router;
  std::unique_ptr<RedisWriter> writer;
  /// The writer's buffer and spool levels in /metrics.
  std::vector<Gauges::Source> writer_levels;
  std::unique_ptr<LogForwarder> forwarder;
  std::unique_ptr<Transport> transport;
  /// Answers the end-of-run drain requests of Zeek nodes.
  std::unique_ptr<Drain> drain;
  std::unique_ptr<RedisToZeek> redis_to_zeek;
  std::unique_ptr<Commands> commands;
};

/// Builds the parts. `stop` ends a wait for room in the writer's buffer, so
/// that a signal is not stuck behind an outage. Returns null after logging
/// why if the configuration cannot be assembled (the exit code is then 2);
/// throws what a part throws when it cannot start (Broker cannot listen).
std::unique_ptr<Parts> assemble(const Config& config, const std::atomic<bool>* stop);

}  // namespace zrb
