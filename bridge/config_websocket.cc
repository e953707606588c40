#include "config_websocket.hh"

#include <boost/program_options.hpp>

#include <fstream>

#include "config.hh"

namespace po = boost::program_options;

namespace zrb {

po::options_description describe_websocket(RawWebSocket& r, const Config& d) {
  const auto& w = d.websocket;
  po::options_description o("Transport, and Zeek's WebSocket API (transport.kind=websocket)");
  o.add_options()("transport.kind", po::value(&r.kind)->default_value("broker"),
                  "how Zeek reaches the bridge: broker (the [broker] options) or websocket (the "
                  "bridge connects to Zeek's WebSocket API, Cluster::listen_websocket)")(
      "websocket.url", po::value(&r.urls)->composing(),
      "Zeek WebSocket endpoint, ws://host:port/v1/messages/json or wss://...; repeatable, one "
      "connection to each")("websocket.topic", po::value(&r.topics)->composing(),
                            "topic prefix to subscribe to; repeatable (default zeek/redis/)")(
      "websocket.ca-file", po::value(&r.ca_file),
      "PEM CA certificates to verify Zeek's certificate with (wss://; default: the system's)")(
      "websocket.ca-path", po::value(&r.ca_path), "directory of CA certificates, likewise")(
      "websocket.certificate", po::value(&r.certificate),
      "PEM client certificate the bridge presents; needs websocket.key")(
      "websocket.key", po::value(&r.key), "PEM private key of that certificate")(
      "websocket.no-verify", po::bool_switch(&r.no_verify),
      "do not verify Zeek's certificate (tests only)")(
      "websocket.retry-max-ms",
      po::value(&r.retry_max_ms)->default_value(static_cast<unsigned>(w.retry_max.count())),
      "longest wait between connection attempts (backoff from 250 ms)")(
      "websocket.idle-timeout-s",
      po::value(&r.idle_timeout_s)->default_value(static_cast<unsigned>(w.idle_timeout.count())),
      "silence after which the bridge pings Zeek; no answer within as long again: reconnect")(
      "websocket.max-message-bytes",
      po::value(&r.max_message_bytes)->default_value(w.max_message_bytes),
      "longest message accepted from Zeek (longer: rejected, reconnect)")(
      "websocket.queue", po::value(&r.queue)->default_value(w.queue_size),
      "decoded events held for the daemon before the bridge stops reading from Zeek");
  return o;
}

bool validate_websocket(RawWebSocket& r, Config& c, std::string& error) {
  auto fail = [&](std::string text) {
    error = std::move(text);
    return false;
  };
  if (r.kind == "broker")
    c.transport = TransportKind::broker;
  else if (r.kind == "websocket")
    c.transport = TransportKind::websocket;
  else
    return fail("transport.kind: '" + r.kind + "' is not broker or websocket");
  auto& w = c.websocket;
  w.urls = r.urls;
  if (!r.topics.empty()) w.topics = r.topics;
  for (const auto& t : w.topics)
    if (t.empty()) return fail("websocket.topic: must not be empty");
  for (const auto& u : w.urls) {
    WebSocketUrl parts;
    if (!parse_websocket_url(u, parts))
      return fail("websocket.url: '" + u + "' is not ws[s]://host[:port][/path]");
  }
  if (c.transport == TransportKind::websocket && w.urls.empty())
    return fail("transport.kind=websocket: give at least one websocket.url");
  if (r.certificate.empty() != r.key.empty())
    return fail("websocket.certificate and websocket.key: give both or neither");
  for (const auto* file : {&r.certificate, &r.key, &r.ca_file})
    if (!file->empty() && !std::ifstream(*file))
      return fail("websocket: cannot read '" + *file + "'");
  w.ca_file = r.ca_file;
  w.ca_path = r.ca_path;
  w.certificate = r.certificate;
  w.key = r.key;
  w.verify_peer = !r.no_verify;
  if (r.retry_max_ms == 0) return fail("websocket.retry-max-ms: must be at least 1");
  w.retry_max = std::chrono::milliseconds(r.retry_max_ms);
  w.retry_initial = std::min(w.retry_initial, w.retry_max);
  if (r.idle_timeout_s == 0) return fail("websocket.idle-timeout-s: must be at least 1");
  w.idle_timeout = std::chrono::seconds(r.idle_timeout_s);
  if (r.max_message_bytes < 1024) return fail("websocket.max-message-bytes: at least 1024");
  w.max_message_bytes = r.max_message_bytes;
  if (r.queue == 0) return fail("websocket.queue: must be at least 1");
  w.queue_size = r.queue;
  w.max_depth = c.broker.max_depth;
  return true;
}

}  // namespace zrb
