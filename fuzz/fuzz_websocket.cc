// libFuzzer target: a message from Zeek's WebSocket API as the WebSocket
// transport decodes it (transport/websocket/ws_json.hh), raw bytes in
// strings included. The nesting limit is smaller than the default so that
// the fuzzer reaches it. A protocol 2 batch (RedisBridge::log_batch2) goes on
// through the log decoder and its exact text (logs/exact_text.hh) under a
// fixed schema with every kind of column the text serves, then to JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "json/record_json.hh"
#include "logs/exact_text.hh"
#include "logs/protocol.hh"
#include "transport/websocket/ws_json.hh"

namespace {

zrb::LogSchema fuzz_schema() {
  using zrb::TypeTag;
  using zrb::ZeekType;
  zrb::LogSchema s;
  s.node = "zeek";
  s.path = "fuzz";
  s.zeek_version = 80010;
  s.columns = {{"ts", ZeekType{TypeTag::time, TypeTag::none}, {0}},
               {"id.d", ZeekType{TypeTag::double_, TypeTag::none}, {1, 0}},
               {"id.s", ZeekType{TypeTag::string, TypeTag::none}, {1, 1}},
               {"i", ZeekType{TypeTag::interval, TypeTag::none}, {2}},
               {"ds", ZeekType{TypeTag::set, TypeTag::double_}, {3}},
               {"tv", ZeekType{TypeTag::vector, TypeTag::time}, {4}}};
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = zrb::ws::decode_message(std::string_view(reinterpret_cast<const char*>(data), size), 16);
  if (m.kind != zrb::ws::MessageKind::event) return 0;
  // What decodes must encode again (the publishing path) without trouble.
  (void)zrb::ws::encode_event(m.event.topic, m.event.name, m.event.args);
  if (m.event.name != zrb::log_batch2_event) return 0;
  auto decoded = zrb::decode_log_event(std::move(m.event), zrb::ProtocolLimits{});
  auto batch = std::get_if<zrb::BatchMessage>(&decoded);
  if (batch == nullptr) return 0;
  static const zrb::LogSchema schema = fuzz_schema();
  static const auto columns = zrb::exact_columns(schema);
  std::vector<std::string> errors;
  std::string why, out;
  if (!zrb::apply_exact_text(batch->text, schema, columns, batch->records, errors, why)) return 0;
  for (size_t i = 0; i < batch->records.size(); ++i) {
    auto record = batch->records[i].get_if<zrb::Vector>();
    if (record == nullptr || !errors[i].empty()) continue;
    out.clear();
    (void)zrb::record_to_json(*record, schema, zrb::TimeFormat::iso8601, zrb::ConvertLimits{}, out,
                              &why);
  }
  return 0;
}
