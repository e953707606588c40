#include "json/ip_text.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace zrb {

namespace {

// Longest text of an address plus its NUL: "ffff:...:255.255.255.255".
constexpr size_t address_text_room = INET6_ADDRSTRLEN;

// The IPv4 subnet lengths count the last 32 of the 128 bits.
constexpr unsigned v4_mapped_prefix_bits = 96;

// Clears every bit of `a` after the first `bits`.
void mask(Address& a, unsigned bits) {
  for (unsigned i = 0; i < a.bytes.size(); ++i) {
    const unsigned first_bit = i * 8;
    if (bits >= first_bit + 8) continue;
    const unsigned keep = bits > first_bit ? bits - first_bit : 0;
    a.bytes[i] &= static_cast<uint8_t>(0xff00u >> keep);
  }
}

}  // namespace

bool parse_address(std::string_view text, Address& out) {
  // inet_pton wants a NUL-terminated string, and would stop at a NUL inside
  // the text and accept what comes before it.
  if (text.empty() || text.size() >= address_text_room) return false;
  if (text.find('\0') != std::string_view::npos) return false;
  char buf[address_text_room];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';

  Address a;
  if (text.find(':') == std::string_view::npos) {
    uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) != 1) return false;
    a = Address::v4(v4[0], v4[1], v4[2], v4[3]);
  } else if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) {
    return false;
  }
  out = a;
  return true;
}

bool parse_subnet(std::string_view text, Subnet& out) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  const auto net_text = text.substr(0, slash);
  const auto length_text = text.substr(slash + 1);
  // Plain decimal only: no sign, no space, no second '/'. Three digits
  // hold every valid length; the limit also keeps the value small.
  if (length_text.empty() || length_text.size() > 3) return false;
  if (!std::all_of(length_text.begin(), length_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  unsigned length = 0;
  for (char c : length_text) length = length * 10 + static_cast<unsigned>(c - '0');

  Address network;
  if (!parse_address(net_text, network)) return false;
  const bool ipv6_notation = net_text.find(':') != std::string_view::npos;
  const unsigned max_length = ipv6_notation ? 128 : 32;
  if (length > max_length) return false;
  const unsigned bits = ipv6_notation ? length : length + v4_mapped_prefix_bits;
  mask(network, bits);

  // A network that is still v4-mapped after masking kept all 96 prefix
  // bits, so its length in IPv4 terms is bits - 96.
  Subnet s;
  s.network = network;
  s.length = static_cast<uint8_t>(network.is_v4() ? bits - v4_mapped_prefix_bits : bits);
  out = s;
  return true;
}

}  // namespace zrb
