// libFuzzer target: intel JSON as producers put it on Redis
// (intel_message.hh). Limits are smaller than the defaults so that the
// fuzzer reaches them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "intel/intel_message.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zrb::IntelLimits limits;
  limits.max_message_bytes = 64 * 1024;
  limits.max_batch = 64;
  limits.max_indicator_bytes = 256;
  limits.max_depth = 16;
  auto parsed =
      zrb::parse_intel_message(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  (void)parsed;
  return 0;
}
