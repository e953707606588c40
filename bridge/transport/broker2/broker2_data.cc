#include "transport/broker2/broker2_data.hh"

#include "transport/broker/broker_values.hh"

namespace zrb {

namespace {

using namespace broker_values;

// A variant_data holds its containers by pointer (std::list, std::set,
// std::map of variant_data) and strings and enum names as views into the
// envelope.
struct Decoder : DecoderBase<Decoder> {
  using DecoderBase::DecoderBase;
  using DecoderBase::operator();

  Value operator()(std::string_view s) { return std::string(s); }
  Value operator()(const broker::enum_value_view& e) { return EnumValue{std::string(e.name)}; }
  Value operator()(const broker::variant_data::list* v) { return vector_of(*v); }
  Value operator()(const broker::variant_data::set* s) { return set_of(*s); }
  Value operator()(const broker::variant_data::table* t) { return table_of(*t); }
  Value convert(const broker::variant_data& d) { return std::visit(*this, d.value); }
};

const broker::variant_data::list* as_list(const broker::variant_data& d) {
  auto p = std::get_if<broker::variant_data::list*>(&d.value);
  return p ? *p : nullptr;
}

}  // namespace

DecodeError from_broker(const broker::variant_data& d, Value& out, size_t max_depth) {
  Decoder decoder{max_depth};
  Value v = decoder.convert(d);
  if (decoder.error != DecodeError::none) return decoder.error;
  out = std::move(v);
  return DecodeError::none;
}

DecodeError from_broker(const broker::variant& d, Value& out, size_t max_depth) {
  return from_broker(*d.raw(), out, max_depth);
}

ZeekEventView as_zeek_event(const broker::variant& d) {
  namespace env = zeek_envelope;
  auto msg = as_list(*d.raw());
  if (!msg || msg->size() < env::outer_fields) return {};
  auto field = msg->begin();
  std::advance(field, env::type_index);
  auto type = std::get_if<broker::count>(&field->value);
  std::advance(field, env::body_index - env::type_index);
  auto body = as_list(*field);
  if (!type || *type != env::event_type || !body || body->size() < env::body_fields) return {};
  auto name = std::get_if<std::string_view>(&body->front().value);
  auto args = as_list(*std::next(body->begin()));
  if (!name || !args) return {};
  return {*name, args};
}

broker::data to_broker(const Value& v) {
  return Encoder{}.encode(v);
}

}  // namespace zrb
