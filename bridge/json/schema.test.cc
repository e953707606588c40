#include "json/schema.hh"

#include <doctest/doctest.h>

using namespace zrb;

namespace {

ZeekType type(TypeTag tag, TypeTag element = TypeTag::none) {
  return ZeekType{tag, element};
}

}  // namespace

TEST_CASE("schema: atomic types as record_fields() names them") {
  CHECK(parse_zeek_type("bool") == type(TypeTag::bool_));
  CHECK(parse_zeek_type("count") == type(TypeTag::count));
  CHECK(parse_zeek_type("counter") == type(TypeTag::count));  // Zeek 3.1
  CHECK(parse_zeek_type("int") == type(TypeTag::int_));
  CHECK(parse_zeek_type("double") == type(TypeTag::double_));
  CHECK(parse_zeek_type("time") == type(TypeTag::time));
  CHECK(parse_zeek_type("interval") == type(TypeTag::interval));
  CHECK(parse_zeek_type("string") == type(TypeTag::string));
  CHECK(parse_zeek_type("addr") == type(TypeTag::addr));
  CHECK(parse_zeek_type("subnet") == type(TypeTag::subnet));
  CHECK(parse_zeek_type("port") == type(TypeTag::port));
  CHECK(parse_zeek_type("pattern") == type(TypeTag::pattern));
  CHECK(parse_zeek_type("func") == type(TypeTag::func));
  CHECK(parse_zeek_type("file") == type(TypeTag::file));
}

TEST_CASE("schema: enums, with and without their name (Zeek 5.2 on names them)") {
  CHECK(parse_zeek_type("enum") == type(TypeTag::enum_));
  CHECK(parse_zeek_type("enum transport_proto") == type(TypeTag::enum_));
  CHECK(parse_zeek_type("enum Notice::Type") == type(TypeTag::enum_));
  CHECK(parse_zeek_type("enum ") == type(TypeTag::enum_));  // an anonymous enum
  CHECK(parse_zeek_type("set[enum Notice::Action]") == type(TypeTag::set, TypeTag::enum_));
  CHECK(parse_zeek_type("vector of enum Log::ID") == type(TypeTag::vector, TypeTag::enum_));
}

TEST_CASE("schema: containers in both spellings") {
  CHECK(parse_zeek_type("set[string]") == type(TypeTag::set, TypeTag::string));
  CHECK(parse_zeek_type("set[enum]") == type(TypeTag::set, TypeTag::enum_));
  CHECK(parse_zeek_type("set[addr]") == type(TypeTag::set, TypeTag::addr));
  CHECK(parse_zeek_type("vector of interval") == type(TypeTag::vector, TypeTag::interval));
  CHECK(parse_zeek_type("vector[string]") == type(TypeTag::vector, TypeTag::string));
  CHECK(parse_zeek_type("vector[interval]") == type(TypeTag::vector, TypeTag::interval));
  CHECK(parse_zeek_type("table[string] of count") == type(TypeTag::table, TypeTag::count));
  CHECK(parse_zeek_type("table[addr,port] of string") == type(TypeTag::table, TypeTag::string));
}

TEST_CASE("schema: anything else is refused") {
  for (const char* bad : {"",
                          "Count",
                          "count ",
                          " count",
                          "any",
                          "void",
                          "record conn_id",
                          "set[addr,port]",
                          "set[string",
                          "set[]",
                          "set[record conn_id]",
                          "vector of record Files::Info",
                          "vector of vector of string",
                          "vector of ",
                          "vector[]",
                          "table[string]",
                          "table[string] of ",
                          "table[record x] of count",
                          "enum Foo[",
                          "enumx",
                          "opaque of md5"}) {
    INFO("type name '", bad, "'");
    CHECK_FALSE(parse_zeek_type(bad).has_value());
  }
}
