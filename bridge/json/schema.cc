#include "json/schema.hh"

namespace zrb {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// An atomic type name. Zeek's record_fields() spells enums "enum" up to
// 5.1 and "enum <name>" from 5.2 on ("enum transport_proto", "enum " for an
// anonymous enum); "counter" is Zeek 3.1's alias of count, removed in 3.2.
std::optional<TypeTag> parse_atomic(std::string_view name) {
  struct Entry {
    std::string_view name;
    TypeTag tag;
  };
  static constexpr Entry atomic[] = {
      {"bool", TypeTag::bool_},        {"count", TypeTag::count},    {"counter", TypeTag::count},
      {"int", TypeTag::int_},          {"double", TypeTag::double_}, {"time", TypeTag::time},
      {"interval", TypeTag::interval}, {"string", TypeTag::string},  {"addr", TypeTag::addr},
      {"subnet", TypeTag::subnet},     {"port", TypeTag::port},      {"enum", TypeTag::enum_},
      {"pattern", TypeTag::pattern},   {"func", TypeTag::func},      {"file", TypeTag::file},
  };
  for (const auto& e : atomic)
    if (name == e.name) return e.tag;
  if (starts_with(name, "enum ") && name.find_first_of("[], ", 5) == std::string_view::npos)
    return TypeTag::enum_;
  return std::nullopt;
}

// "a,b,c" where each part is atomic.
bool all_atomic(std::string_view list) {
  for (;;) {
    const size_t comma = list.find(',');
    if (!parse_atomic(list.substr(0, comma))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<ZeekType> parse_zeek_type(std::string_view name) {
  if (auto tag = parse_atomic(name)) return ZeekType{*tag, TypeTag::none};

  // set[T] (both spellings); a set of several indices ("set[addr,port]")
  // has vectors for elements, which Zeek cannot log.
  if (starts_with(name, "set[") && ends_with(name, "]")) {
    auto element = parse_atomic(name.substr(4, name.size() - 5));
    if (!element) return std::nullopt;
    return ZeekType{TypeTag::set, *element};
  }
  // vector of T (record_fields), vector[T] (the TSV #types line).
  if (starts_with(name, "vector of ")) {
    auto element = parse_atomic(name.substr(10));
    if (!element) return std::nullopt;
    return ZeekType{TypeTag::vector, *element};
  }
  if (starts_with(name, "vector[") && ends_with(name, "]")) {
    auto element = parse_atomic(name.substr(7, name.size() - 8));
    if (!element) return std::nullopt;
    return ZeekType{TypeTag::vector, *element};
  }
  // table[K1,K2] of V: the element is the yield type.
  if (starts_with(name, "table[")) {
    const size_t close = name.find("] of ");
    if (close == std::string_view::npos || !all_atomic(name.substr(6, close - 6)))
      return std::nullopt;
    auto yield = parse_atomic(name.substr(close + 5));
    if (!yield) return std::nullopt;
    return ZeekType{TypeTag::table, *yield};
  }
  return std::nullopt;
}

}  // namespace zrb
