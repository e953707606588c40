// Addresses and subnets read from text, as producers of intel write them.
//
// The parsers are strict where Zeek's own text readers are lenient (Zeek
// reads a prefix length with atoi): an indicator that is not exactly an
// address or `net/len` is refused rather than guessed at. Addresses come
// out as the bridge holds them (IPv4 v4-mapped, see value.hh).
//
// Subnets follow Zeek's subnet literals: a length after an IPv4 network
// counts 0-32 bits of the IPv4 address, a length after a network written
// in IPv6 notation counts 0-128 bits of the whole 128-bit address, so
// `::ffff:10.1.2.3/104` is 10.0.0.0/8. Host bits are accepted and masked
// off, as Zeek masks them (it never holds an unmasked subnet).
#pragma once

#include <string_view>

#include "json/value.hh"

namespace zrb {

/// Reads an IPv4 (dotted quad) or IPv6 address. False, `out` untouched, for
/// anything else, including surrounding space, a `/len` and an IPv6 zone.
bool parse_address(std::string_view text, Address& out);

/// Reads `net/len` (see above), masking host bits. False, `out` untouched,
/// for anything else: a missing or non-decimal length, one beyond 32 after
/// an IPv4 network or beyond 128 after an IPv6 one.
bool parse_subnet(std::string_view text, Subnet& out);

}  // namespace zrb
