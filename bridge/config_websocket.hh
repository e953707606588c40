// The options of the transport choice and of the WebSocket transport
// ([transport] and [websocket] in the INI file), apart from config.cc's
// Broker, Redis and daemon options.
#pragma once

#include <boost/program_options/options_description.hpp>

#include <string>
#include <vector>

namespace zrb {

struct Config;

/// Raw values of these options, validated into Config by validate_websocket.
struct RawWebSocket {
  std::string kind;
  std::vector<std::string> urls, topics;
  std::string ca_file, ca_path, certificate, key;
  bool no_verify = false;
  unsigned retry_max_ms = 0, idle_timeout_s = 0;
  size_t max_message_bytes = 0, queue = 0;
};

boost::program_options::options_description describe_websocket(RawWebSocket& r,
                                                               const Config& defaults);

/// Checks and moves the values into `c` (after the Broker options: the
/// nesting limit is shared). False with `error` set if they are invalid.
bool validate_websocket(RawWebSocket& r, Config& c, std::string& error);

}  // namespace zrb
