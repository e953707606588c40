#include "rejection.hh"

#include <string>

#include "counters.hh"
#include "log.hh"

namespace zrb {

void reject(std::string_view reason, std::string_view detail) {
  // The lookup takes a lock; rejections are rare next to good records, so
  // this is not on the hot path.
  ++counters().get("rejected", std::string(reason));
  log_warning("rejected ", reason, ": ", detail);
}

}  // namespace zrb
