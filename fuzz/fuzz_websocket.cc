// libFuzzer target: a message from Zeek's WebSocket API as the WebSocket
// transport decodes it (transport/websocket/ws_json.hh). The nesting limit
// is smaller than the default so that the fuzzer reaches it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/websocket/ws_json.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = zrb::ws::decode_message(std::string_view(reinterpret_cast<const char*>(data), size), 16);
  // What decodes must encode again (the publishing path) without trouble.
  if (m.kind == zrb::ws::MessageKind::event)
    (void)zrb::ws::encode_event(m.event.topic, m.event.name, m.event.args);
  return 0;
}
