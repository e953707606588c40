#include "commands/command_reply.hh"

namespace zrb {

namespace {

EnumValue kind_of(int type) {
  switch (type) {
    case REDIS_REPLY_INTEGER:
      return EnumValue{"RedisBridge::REPLY_INTEGER"};
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return EnumValue{"RedisBridge::REPLY_STRING"};
    case REDIS_REPLY_ARRAY:
      return EnumValue{"RedisBridge::REPLY_ARRAY"};
    case REDIS_REPLY_ERROR:
      return EnumValue{"RedisBridge::REPLY_ERROR"};
    default:
      return EnumValue{"RedisBridge::REPLY_NIL"};
  }
}

// [kind, integer, str]: the fields a Reply and a ReplyElement share.
Vector scalar_fields(const redisReply& reply) {
  Vector fields{kind_of(reply.type), None{}, None{}};
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      fields[1] = static_cast<int64_t>(reply.integer);
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      fields[2] = std::string(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      fields[1] = static_cast<int64_t>(reply.elements);
      break;
    default:
      break;
  }
  return fields;
}

// Pre-order: the array element, then what it holds. hiredis bounds the
// nesting (7 levels), so the recursion is bounded too.
void flatten(const redisReply& array, Vector& out) {
  for (size_t i = 0; i < array.elements; ++i) {
    const redisReply* element = array.element[i];
    if (element == nullptr) {
      out.emplace_back(Vector{EnumValue{"RedisBridge::REPLY_NIL"}, None{}, None{}});
      continue;
    }
    out.emplace_back(scalar_fields(*element));
    if (element->type == REDIS_REPLY_ARRAY) flatten(*element, out);
  }
}

}  // namespace

Value reply_value(const redisReply& reply) {
  Vector fields = scalar_fields(reply);
  if (reply.type == REDIS_REPLY_ARRAY) {
    Vector elements;
    elements.reserve(reply.elements);
    flatten(reply, elements);
    fields.emplace_back(std::move(elements));
  } else {
    fields.emplace_back(None{});
  }
  return Value(std::move(fields));
}

Value error_reply_value(std::string text) {
  return Value(Vector{EnumValue{"RedisBridge::REPLY_ERROR"}, None{}, std::move(text), None{}});
}

}  // namespace zrb
