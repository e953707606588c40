// The daemon's configuration: every option, its default, and where it comes
// from (command line first, then the INI file given with --config).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "commands/commands.hh"
#include "intel/redis_inbound.hh"
#include "json/record_json.hh"
#include "logs/protocol.hh"
#include "observe/log.hh"
#include "observe/rejection.hh"
#include "redis/redis_writer.hh"
#include "redis/route.hh"
#include "transport/broker.hh"
#include "transport/websocket.hh"

namespace zrb {

/// How Zeek reaches the bridge.
enum class TransportKind { broker, websocket };

struct Config {
  BrokerOptions broker;
  TransportKind transport = TransportKind::broker;
  /// The WebSocket transport's options (transport = websocket).
  WebSocketOptions websocket;
  RoutingConfig routing;
  WriterOptions writer;
  TimeFormat timestamps = TimeFormat::epoch;
  ConvertLimits convert_limits;
  ProtocolLimits protocol_limits;
  /// Redis -> Zeek: channels and patterns read (generic messages); the
  /// intel channels are in `inbound`.
  std::vector<std::string> inbound_channels;
  std::vector<std::string> inbound_patterns;
  InboundOptions inbound;
  /// Zeek scripts' Redis operations.
  CommandsOptions commands;
  Level log_level = Level::info;
  std::string log_file;
  /// Seconds between one-line summaries in the log; 0: none.
  unsigned stats_interval_s = 60;
  /// How long shutdown may take to write what is buffered.
  std::chrono::milliseconds shutdown_timeout{10000};
  /// "address:port" of the /metrics endpoint; empty: none (metrics.hh).
  std::string metrics_listen;
  /// Rate limit of rejection log lines (rejection.hh).
  RejectionLogLimit rejection_log;
};

enum class ConfigOutcome {
  run,    // start the daemon
  exit,   // --help or --version was printed
  error,  // invalid configuration; message says why
};

/// Parses and validates. On `exit`, `message` holds the text to print to
/// stdout; on `error`, a one-paragraph explanation for stderr.
ConfigOutcome parse_config(int argc, const char* const* argv, Config& config, std::string& message);

}  // namespace zrb
