#include "json/address_text.hh"

#include <cstdint>

namespace zrb {

namespace {

char* write_decimal_byte(uint8_t v, char* p) {
  if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
  if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

char* write_dotted_quad(const uint8_t* b, char* p) {
  for (int i = 0; i < 4; ++i) {
    if (i) *p++ = '.';
    p = write_decimal_byte(b[i], p);
  }
  return p;
}

char* write_hex_group(unsigned v, char* p) {
  static constexpr char hex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (v >> shift) & 15;
    if (nibble || started || shift == 0) {
      *p++ = hex[nibble];
      started = true;
    }
  }
  return p;
}

char* write_ipv6(const uint8_t* b, char* p) {
  unsigned groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = (unsigned{b[2 * i]} << 8) | b[2 * i + 1];

  // The longest run of zero groups; the first wins a tie; a run of one is
  // not worth "::".
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = -1;

  // The forms whose last 32 bits read as an IPv4 address, as Zeek's
  // inet_ntop lists them; the run-of-seven and v4-mapped cases never reach
  // the test (group 6 lies in the run; v4-mapped is printed above).
  const bool embedded_v4 = best == 0 && (best_len == 6 || (best_len == 7 && groups[7] != 1) ||
                                         (best_len == 5 && groups[5] == 0xffff) ||
                                         (best_len == 4 && groups[4] == 0xffff && groups[5] == 0));

  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *p++ = ':';
      continue;
    }
    if (i != 0) *p++ = ':';
    if (i == 6 && embedded_v4) return write_dotted_quad(b + 12, p);
    p = write_hex_group(groups[i], p);
  }
  if (best >= 0 && best + best_len == 8) *p++ = ':';
  return p;
}

}  // namespace

char* write_address(const Address& a, char* buf) {
  if (a.is_v4()) return write_dotted_quad(a.bytes.data() + 12, buf);
  return write_ipv6(a.bytes.data(), buf);
}

void append_address(std::string& out, const Address& a) {
  char buf[address_buffer_size];
  const char* end = write_address(a, buf);
  out.append(buf, static_cast<size_t>(end - buf));
}

bool append_subnet(std::string& out, const Subnet& s) {
  const bool v4 = s.network.is_v4();
  const unsigned width = v4 ? 32 : 128;
  if (s.length > width) return false;
  Address masked = s.network;
  const unsigned keep = (v4 ? 96 : 0) + s.length;  // bits of the 128 kept
  for (unsigned byte = 0; byte < 16; ++byte) {
    const unsigned first_bit = byte * 8;
    if (first_bit >= keep) {
      masked.bytes[byte] = 0;
    } else if (keep - first_bit < 8) {
      masked.bytes[byte] &= static_cast<uint8_t>(0xff00u >> (keep - first_bit));
    }
  }
  append_address(out, masked);
  out.push_back('/');
  char buf[4];
  char* end = write_decimal_byte(s.length, buf);
  out.append(buf, static_cast<size_t>(end - buf));
  return true;
}

}  // namespace zrb
