#include "transport/broker14/broker_data.hh"

#include "transport/broker/broker_values.hh"

namespace zrb {

namespace {

using namespace broker_values;

struct Decoder : DecoderBase<Decoder> {
  using DecoderBase::DecoderBase;
  using DecoderBase::operator();

  Value operator()(const std::string& s) { return s; }
  Value operator()(const broker::enum_value& e) { return EnumValue{e.name}; }
  Value operator()(const broker::vector& v) { return vector_of(v); }
  Value operator()(const broker::set& s) { return set_of(s); }
  Value operator()(const broker::table& t) { return table_of(t); }
  Value convert(const broker::data& d) { return caf::visit(*this, d); }
};

}  // namespace

DecodeError from_broker(const broker::data& d, Value& out, size_t max_depth) {
  Decoder decoder{max_depth};
  Value v = decoder.convert(d);
  if (decoder.error != DecodeError::none) return decoder.error;
  out = std::move(v);
  return DecodeError::none;
}

ZeekEventView as_zeek_event(const broker::data& d) {
  constexpr broker::count zeek_message_event = 1;
  auto msg = caf::get_if<broker::vector>(&d);
  if (!msg || msg->size() < 3) return {};
  auto type = caf::get_if<broker::count>(&(*msg)[1]);
  auto body = caf::get_if<broker::vector>(&(*msg)[2]);
  if (!type || *type != zeek_message_event || !body || body->size() < 2) return {};
  auto name = caf::get_if<std::string>(&(*body)[0]);
  auto args = caf::get_if<broker::vector>(&(*body)[1]);
  if (!name || !args) return {};
  return {*name, args};
}

broker::data to_broker(const Value& v) {
  return Encoder{}.encode(v);
}

}  // namespace zrb
