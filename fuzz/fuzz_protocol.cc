// libFuzzer target: the protocol decoder and the JSON conversion, on
// zrb::Values built from the input (value_codec.hh): any sequence of
// events, log_schema and log_batch or not, must be decoded or rejected,
// never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "log_path.hh"
#include "value_codec.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zrb::fuzz::ValueReader in(std::string_view(reinterpret_cast<const char*>(data), size));
  zrb::fuzz::LogPath path;
  // Deeper than ConvertLimits::max_depth, so too_deep is reached.
  for (int i = 0; i < 16 && !in.done(); ++i) path.handle(in.event(48));
  return 0;
}
