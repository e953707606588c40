// A compact byte format for zrb::Value, so that libFuzzer can mutate the
// values the protocol decoder sees without going through Broker (the
// fuzz_broker_data target covers Broker's own format). Every byte string
// decodes to something: a truncated input ends in nils, so no input is
// wasted. The encoder writes the seed corpus.
//
// value  := tag payload      tag: one byte, taken modulo 15 (Value's alternatives in order)
// count, int, double, time, interval: 8 bytes little-endian; bool: 1 byte
// string, enum: length (varint) + bytes; address: 16 bytes; subnet: 16 + 1
// port: 2 bytes + protocol byte; set, vector: n (varint) + n values;
// table: n (varint) + n key/value pairs
// input  := { string (event name) vector (arguments) }*
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json/value.hh"
#include "transport/transport.hh"

namespace zrb::fuzz {

void encode_value(const Value& v, std::string& out);
void encode_event(const Event& ev, std::string& out);

class ValueReader {
 public:
  explicit ValueReader(std::string_view bytes) : in_(bytes) {}
  bool done() const { return in_.empty(); }
  /// The next value; nesting stops at `max_depth` (a deeper value is nil).
  Value value(size_t max_depth);
  /// The next event (name, then arguments).
  Event event(size_t max_depth);

 private:
  uint64_t varint();
  uint64_t fixed(size_t n);
  std::string bytes(size_t n);
  std::string_view in_;
};

}  // namespace zrb::fuzz
