// "host:port" as operators write it in configs and on the command line.
#pragma once

#include <cstdint>
#include <string>

namespace zrb {

/// Splits "host:port" or "[v6addr]:port". False (and nothing written) if
/// malformed or the port is not 0-65535.
bool split_host_port(const std::string& text, std::string& host, uint16_t& port);

}  // namespace zrb
