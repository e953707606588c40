// Addresses and subnets as Zeek's log writers print them.
//
// Zeek keeps IPv4 addresses v4-mapped (::ffff:a.b.c.d) like Broker, and its
// formatter prints a v4-mapped address as a plain dotted quad. Every other
// address goes through Zeek's own inet_ntop (the OpenBSD one): the longest
// run of two or more zero groups, the first of equal runs, becomes "::",
// groups are lower-case hex without leading zeros, and two forms print
// their last 32 bits as a dotted quad: ::a.b.c.d when exactly the first six
// groups are zero (IPv4-compatible; ::2 stays ::2), and ::ffff:0:a.b.c.d
// (IPv4-translated). A subnet is its network address, '/', and its prefix
// length counted in the address's own family.
#pragma once

#include <string>

#include "json/value.hh"

namespace zrb {

/// Room write_address needs: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
constexpr size_t address_buffer_size = 48;

/// Writes `a` into `buf` (at least address_buffer_size bytes) as Zeek does;
/// returns the end of the text (no terminating NUL).
char* write_address(const Address& a, char* buf);

/// Appends `a` to `out` as Zeek prints it.
void append_address(std::string& out, const Address& a);

/// Appends `s` to `out` as Zeek prints it: the network address masked to the
/// prefix length (Zeek never holds an unmasked subnet), '/', the length.
/// Returns false, appending nothing, for a length beyond the family's width
/// (32 for IPv4, 128 for IPv6).
bool append_subnet(std::string& out, const Subnet& s);

}  // namespace zrb
