#include "broker_data.hh"

#include "broker_values.hh"

namespace zrb {

namespace {

using namespace broker_values;

struct Decoder : ContainerDecoder<Decoder> {
  using ContainerDecoder::ContainerDecoder;

  Value operator()(broker::none) { return None{}; }
  Value operator()(broker::boolean b) { return static_cast<bool>(b); }
  Value operator()(broker::count c) { return static_cast<uint64_t>(c); }
  Value operator()(broker::integer i) { return static_cast<int64_t>(i); }
  Value operator()(broker::real r) { return static_cast<double>(r); }
  Value operator()(const std::string& s) { return s; }
  Value operator()(const broker::address& a) { return from_address(a); }
  Value operator()(const broker::subnet& s) { return from_subnet(s); }
  Value operator()(const broker::port& p) { return from_port(p); }
  Value operator()(const broker::timestamp& t) { return from_timestamp(t); }
  Value operator()(const broker::timespan& t) { return from_timespan(t); }
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
  return {name, args};
}

broker::data to_broker(const Value& v) {
  return Encoder{}.encode(v);
}

}  // namespace zrb
