#include "json/dialect.hh"

namespace zrb {

namespace {
// Thresholds explained in dialect.hh.
constexpr uint64_t whole_string_escaping_since = 40200;
constexpr uint64_t rounded_grisu_since = 50000;
constexpr uint64_t signed_millis_since = 80000;
}  // namespace

Dialect dialect_for(uint64_t zeek_version) {
  Dialect d;
  d.whole_string_escaping = zeek_version >= whole_string_escaping_since;
  d.rounded_grisu = zeek_version >= rounded_grisu_since;
  d.signed_millis = zeek_version >= signed_millis_since;
  return d;
}

}  // namespace zrb
