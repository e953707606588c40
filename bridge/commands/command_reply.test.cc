#include "commands/command_reply.hh"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace zrb {

namespace {

using namespace std::string_literals;

struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};

// Parses RESP with hiredis's own reader: the replies are real hiredis replies.
Value parse(const std::string& resp) {
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  REQUIRE(redisReaderFeed(reader.get(), resp.data(), resp.size()) == REDIS_OK);
  void* raw = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &raw) == REDIS_OK);
  REQUIRE(raw != nullptr);
  std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                     freeReplyObject);
  return reply_value(*reply);
}

Value kind(const char* name) {
  return EnumValue{std::string("RedisBridge::REPLY_") + name};
}

}  // namespace

TEST_CASE("command_reply: each reply type becomes its Reply record") {
  CHECK(parse("$-1\r\n") == Value(Vector{kind("NIL"), None{}, None{}, None{}}));
  CHECK(parse(":-42\r\n") == Value(Vector{kind("INTEGER"), int64_t{-42}, None{}, None{}}));
  CHECK(parse("+OK\r\n") == Value(Vector{kind("STRING"), None{}, "OK", None{}}));
  CHECK(parse("$5\r\na\0b\r\n\r\n"s) == Value(Vector{kind("STRING"), None{}, "a\0b\r\n"s, None{}}));
  CHECK(parse("-WRONGTYPE no\r\n") == Value(Vector{kind("ERROR"), None{}, "WRONGTYPE no", None{}}));
  CHECK(parse("*-1\r\n") == Value(Vector{kind("NIL"), None{}, None{}, None{}}));
  CHECK(parse("*0\r\n") == Value(Vector{kind("ARRAY"), int64_t{0}, None{}, Vector{}}));
}

TEST_CASE("command_reply: arrays are flat, nested arrays in pre-order with their sizes") {
  // [1, ["a", nil], "b"]
  auto v = parse("*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n$1\r\nb\r\n");
  Vector elements{
      Vector{kind("INTEGER"), int64_t{1}, None{}}, Vector{kind("ARRAY"), int64_t{2}, None{}},
      Vector{kind("STRING"), None{}, "a"},         Vector{kind("NIL"), None{}, None{}},
      Vector{kind("STRING"), None{}, "b"},
  };
  CHECK(v == Value(Vector{kind("ARRAY"), int64_t{3}, None{}, elements}));
}

TEST_CASE("command_reply: the bridge's own error replies") {
  CHECK(error_reply_value("REFUSED x") ==
        Value(Vector{kind("ERROR"), None{}, "REFUSED x", None{}}));
}

}  // namespace zrb
