// The WebSocket transport's options and its constructor
// (transport/websocket/): the bridge as a client of Zeek's WebSocket API
// (`Cluster::listen_websocket`, Zeek 7.2 and later; `Broker::listen_websocket`
// from 5.0), for ZeroMQ clusters and for Zeeks the bridge is not built
// against.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "transport/transport.hh"

namespace zrb {

/// Options of the WebSocket transport.
struct WebSocketOptions {
  /// Endpoints, `ws://host:port/v1/messages/json` or `wss://...`; one
  /// connection to each.
  std::vector<std::string> urls;
  /// Topic prefixes subscribed to (the first message of each connection).
  std::vector<std::string> topics = {"zeek/redis/"};
  /// TLS (wss://): CA file and directory to verify Zeek's certificate with
  /// (none: the system's CAs), a client certificate and its key (PEM), and
  /// whether to verify at all (off only for tests).
  std::string ca_file, ca_path, certificate, key;
  bool verify_peer = true;
  /// First and longest wait between connection attempts.
  std::chrono::milliseconds retry_initial{250}, retry_max{5000};
  /// Longest message accepted; a longer one closes the connection (then
  /// re-established).
  size_t max_message_bytes = 64 * 1024 * 1024;
  /// Silence after which the bridge pings; a server that does not answer
  /// within as long again is dropped and reconnected.
  std::chrono::seconds idle_timeout{30};
  /// Maximum nesting of a received value (deeper: rejected as too_deep).
  size_t max_depth = 32;
  /// Events decoded but not yet received by the daemon; when full the
  /// transport stops reading from Zeek.
  size_t queue_size = 1024;
};

/// Parts of a ws:// or wss:// URL.
struct WebSocketUrl {
  bool tls = false;
  std::string host, port, target;
};
/// Parses `url`; false for anything but ws[s]://host[:port][/path].
bool parse_websocket_url(const std::string& url, WebSocketUrl& out);

/// Starts the transport: connects in the background and keeps reconnecting.
/// Throws std::runtime_error for a bad URL or unreadable TLS files.
std::unique_ptr<Transport> make_websocket_transport(const WebSocketOptions& options);

}  // namespace zrb
