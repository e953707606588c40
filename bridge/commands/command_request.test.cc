#include "commands/command_request.hh"

#include <doctest/doctest.h>

#include <string>

namespace zrb {

namespace {

using namespace std::string_literals;

// The RESP of one command, as redisFormatCommandArgv writes it.
std::string resp(std::initializer_list<std::string> argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

Event op(std::string name, Vector args, uint64_t id = 7, std::string topic = "replies") {
  args.emplace_back(id);
  args.emplace_back(std::move(topic));
  return Event{"zeek/redis/commands", "RedisBridge::op_" + name, std::move(args)};
}

CommandCheck check(const Event& event) {
  static const CommandAllowlist allowlist;
  return check_command(event, allowlist, "ns:");
}

const Value always = EnumValue{"RedisBridge::SET_ALWAYS"};
const Value nx = EnumValue{"RedisBridge::SET_NX"};
const Value xx = EnumValue{"RedisBridge::SET_XX"};

}  // namespace

TEST_CASE("command_request: each typed operation becomes its commands, keys prefixed") {
  struct Case {
    std::string name;
    Vector args;
    std::string want;
  };
  const Case cases[] = {
      {"set", {"k", "v", Timespan{0}, always}, resp({"SET", "ns:k", "v"})},
      {"set", {"k", "v", Timespan{1500000000}, nx}, resp({"SET", "ns:k", "v", "PX", "1500", "NX"})},
      {"set", {"k", "v", Timespan{400000}, xx}, resp({"SET", "ns:k", "v", "PX", "1", "XX"})},
      {"get", {"k"}, resp({"GET", "ns:k"})},
      {"del", {"k"}, resp({"DEL", "ns:k"})},
      {"expire", {"k", Timespan{60000000000}}, resp({"PEXPIRE", "ns:k", "60000"})},
      {"incrby", {"k", int64_t{-3}}, resp({"INCRBY", "ns:k", "-3"})},
      {"incrby", {"k", uint64_t{3}}, resp({"INCRBY", "ns:k", "3"})},
      {"hset", {"k", "f", "v"}, resp({"HSET", "ns:k", "f", "v"})},
      {"hincrby", {"k", "f", int64_t{2}}, resp({"HINCRBY", "ns:k", "f", "2"})},
      {"hget", {"k", "f"}, resp({"HGET", "ns:k", "f"})},
      {"hdel", {"k", "f"}, resp({"HDEL", "ns:k", "f"})},
      {"sadd", {"k", "m"}, resp({"SADD", "ns:k", "m"})},
      {"srem", {"k", "m"}, resp({"SREM", "ns:k", "m"})},
      {"sismember", {"k", "m"}, resp({"SISMEMBER", "ns:k", "m"})},
      {"zincrby", {"k", "m", 0.5}, resp({"ZINCRBY", "ns:k", "0.5", "m"})},
      {"pfadd", {"k", "e"}, resp({"PFADD", "ns:k", "e"})},
      {"pfcount", {"k"}, resp({"PFCOUNT", "ns:k"})},
      {"lpush", {"k", "v", uint64_t{0}}, resp({"LPUSH", "ns:k", "v"})},
      {"lpush",
       {"k", "v", uint64_t{100}},
       resp({"LPUSH", "ns:k", "v"}) + resp({"LTRIM", "ns:k", "0", "99"})},
      {"command", {Vector{"HSET", "raw", "f", "v"}}, resp({"HSET", "raw", "f", "v"})},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto result = check(op(c.name, c.args));
    REQUIRE(result.request);
    CHECK(result.request->op == c.name);
    CHECK(result.request->resp == c.want);
    CHECK(result.request->id == 7);
    CHECK(result.request->reply_topic == "replies");
    CHECK(result.request->wants_reply());
  }
  auto lpush = check(op("lpush", {"k", "v", uint64_t{100}}));
  CHECK(lpush.request->commands == 2);
}

TEST_CASE("command_request: keys and values are bytes") {
  std::string key = "a\0b\r\n"s, value = "\xff\0\r\n$3\r\n"s;
  auto result = check(op("set", {key, value, Timespan{0}, always}));
  REQUIRE(result.request);
  CHECK(result.request->resp == resp({"SET", "ns:" + key, value}));
}

TEST_CASE("command_request: id 0 or no topic is fire-and-forget") {
  CHECK(!check(op("get", {"k"}, 0, "replies")).request->wants_reply());
  CHECK(!check(op("get", {"k"}, 5, "")).request->wants_reply());
}

TEST_CASE("command_request: wrong arity, types and values are refused with a reason") {
  struct Case {
    std::string name;
    Vector args;
    std::string reason;
    std::string says;
  };
  const Case cases[] = {
      {"set", {uint64_t{1}, "v", Timespan{0}, always}, "bad_command", "argument 1 must be string"},
      {"set", {"k", "v", Timespan{-1}, always}, "bad_command", "argument 3"},
      {"set", {"k", "v", 5.0, always}, "bad_command", "argument 3"},
      {"set", {"k", "v", Timespan{0}, EnumValue{"Intel::ADDR"}}, "bad_command", "argument 4"},
      {"set", {"k", "v", Timespan{0}, "NX"}, "bad_command", "argument 4"},
      {"get", {"k", "extra"}, "bad_command", "expects 3 arguments"},
      {"get", {}, "bad_command", "expects 3 arguments"},
      {"expire", {"k", Timespan{0}}, "bad_command", "interval > 0"},
      {"incrby", {"k", 1.5}, "bad_command", "argument 2 must be int"},
      {"incrby", {"k", uint64_t{1} << 63}, "bad_command", "argument 2"},
      {"zincrby", {"k", "m", std::numeric_limits<double>::infinity()}, "bad_command", "argument 3"},
      {"lpush", {"k", "v", int64_t{3}}, "bad_command", "argument 3 must be count"},
      {"command", {Vector{}}, "bad_command", "not empty"},
      {"command", {Vector{"SET", uint64_t{1}}}, "bad_command", "argument 1"},
      {"command", {"GET"}, "bad_command", "argument 1"},
      {"command", {Vector{"FLUSHALL"}}, "command_refused", "not on the allowlist"},
      {"command", {Vector{"eval", "return 1", "0"}}, "command_refused", "not on the allowlist"},
      {"frobnicate", {"k"}, "bad_command", "no such operation"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CAPTURE(describe(Value(c.args)));
    auto result = check(op(c.name, c.args));
    CHECK(!result.request);
    CHECK(result.reason == c.reason);
    CHECK(result.detail.find(c.says) != std::string::npos);
    CHECK(result.detail.find("RedisBridge::op_" + c.name) != std::string::npos);
    // The requester can be answered.
    CHECK(result.id == 7);
    CHECK(result.reply_topic == "replies");
    CHECK(result.error_reply.rfind(c.reason == "command_refused" ? "REFUSED " : "BADARG ", 0) == 0);
  }
}

TEST_CASE("command_request: without a readable id and topic there is no one to answer") {
  Event no_trailer{"t", "RedisBridge::op_get", Vector{"k"}};
  auto result = check(no_trailer);
  CHECK(!result.request);
  CHECK(result.id == 0);
  Event bad_id{"t", "RedisBridge::op_get", Vector{"k", "seven", "replies"}};
  result = check(bad_id);
  CHECK(!result.request);
  CHECK(result.reason == "bad_command");
  CHECK(result.detail.find("request id") != std::string::npos);
  CHECK(result.id == 0);
}

TEST_CASE("command_request: the vocabulary is recognised by name") {
  CHECK(is_command_event("RedisBridge::op_set"));
  CHECK(is_command_event("RedisBridge::op_whatever"));
  CHECK(!is_command_event("RedisBridge::log_batch"));
  CHECK(!is_command_event("RedisBridge::op"));
}

}  // namespace zrb
