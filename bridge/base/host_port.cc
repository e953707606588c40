#include "base/host_port.hh"

#include <charconv>

namespace zrb {

bool split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  std::string h;
  std::string rest;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return false;
    h = text.substr(1, close - 1);
    rest = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return false;
    h = text.substr(0, colon);
    rest = text.substr(colon + 1);
  }
  if (h.empty() || rest.empty()) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || end != rest.data() + rest.size() || value > 65535) return false;
  host = std::move(h);
  port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace zrb
