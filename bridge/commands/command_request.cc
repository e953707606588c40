#include "commands/command_request.hh"

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "redis/redis_command.hh"

namespace zrb {

namespace {

// What an argument must be on the wire.
enum class Kind {
  key,        // string; gets the namespace prefix
  bytes,      // string
  integer,    // int, or count up to 2^63-1 (Zeek scripts write counts for ints)
  count,      // count
  real,       // double, int or count
  ttl,        // interval >= 0; 0: no expiry
  lifetime,   // interval > 0
  condition,  // enum RedisBridge::SetCondition
  args,       // vector of string, not empty
};

struct Op {
  std::string_view name;
  std::vector<Kind> kinds;
};

const std::vector<Op>& vocabulary() {
  using K = Kind;
  static const std::vector<Op> ops = {
      {"set", {K::key, K::bytes, K::ttl, K::condition}},
      {"get", {K::key}},
      {"del", {K::key}},
      {"expire", {K::key, K::lifetime}},
      {"incrby", {K::key, K::integer}},
      {"hset", {K::key, K::bytes, K::bytes}},
      {"hincrby", {K::key, K::bytes, K::integer}},
      {"hget", {K::key, K::bytes}},
      {"hdel", {K::key, K::bytes}},
      {"sadd", {K::key, K::bytes}},
      {"srem", {K::key, K::bytes}},
      {"sismember", {K::key, K::bytes}},
      {"zincrby", {K::key, K::bytes, K::real}},
      {"pfadd", {K::key, K::bytes}},
      {"pfcount", {K::key}},
      {"lpush", {K::key, K::bytes, K::count}},
      {"command", {K::args}},
  };
  return ops;
}

std::string_view kind_text(Kind k) {
  switch (k) {
    case Kind::key:
    case Kind::bytes:
      return "string";
    case Kind::integer:
      return "int";
    case Kind::count:
      return "count";
    case Kind::real:
      return "double";
    case Kind::ttl:
      return "interval >= 0";
    case Kind::lifetime:
      return "interval > 0";
    case Kind::condition:
      return "RedisBridge::SetCondition";
    case Kind::args:
      return "vector of string (not empty)";
  }
  return "?";
}

// Milliseconds for PX/PEXPIRE, rounded up: a TTL of 0.4 ms must not become
// "no expiry" (0) or "expire now".
std::string milliseconds_text(int64_t ns) {
  return std::to_string(ns / 1000000 + (ns % 1000000 != 0 ? 1 : 0));
}

// Converts one argument to its Redis text; nullopt if it has the wrong type
// or value. The generic command's vector goes to `args`.
std::optional<std::string> convert(const Value& v, Kind kind, std::vector<std::string>& args) {
  switch (kind) {
    case Kind::key:
    case Kind::bytes:
      if (auto s = v.get_if<std::string>()) return *s;
      return std::nullopt;
    case Kind::integer:
      if (auto i = v.get_if<int64_t>()) return std::to_string(*i);
      if (auto c = v.get_if<uint64_t>(); c && *c <= uint64_t(std::numeric_limits<int64_t>::max()))
        return std::to_string(*c);
      return std::nullopt;
    case Kind::count:
      if (auto c = v.get_if<uint64_t>()) return std::to_string(*c);
      return std::nullopt;
    case Kind::real: {
      double d = 0;
      if (auto x = v.get_if<double>())
        d = *x;
      else if (auto i = v.get_if<int64_t>())
        d = static_cast<double>(*i);
      else if (auto c = v.get_if<uint64_t>())
        d = static_cast<double>(*c);
      else
        return std::nullopt;
      if (!std::isfinite(d)) return std::nullopt;
      char text[32];
      std::snprintf(text, sizeof(text), "%.17g", d);
      return std::string(text);
    }
    case Kind::ttl:
    case Kind::lifetime: {
      auto span = v.get_if<Timespan>();
      if (span == nullptr || span->ns < 0 || (kind == Kind::lifetime && span->ns == 0))
        return std::nullopt;
      return span->ns == 0 ? std::string() : milliseconds_text(span->ns);
    }
    case Kind::condition: {
      auto e = v.get_if<EnumValue>();
      if (e == nullptr) return std::nullopt;
      if (e->name == "RedisBridge::SET_ALWAYS") return std::string();
      if (e->name == "RedisBridge::SET_NX") return std::string("NX");
      if (e->name == "RedisBridge::SET_XX") return std::string("XX");
      return std::nullopt;
    }
    case Kind::args: {
      auto vec = v.get_if<Vector>();
      if (vec == nullptr || vec->empty()) return std::nullopt;
      for (const auto& element : *vec) {
        auto s = element.get_if<std::string>();
        if (s == nullptr) return std::nullopt;
        args.push_back(*s);
      }
      return std::string();
    }
  }
  return std::nullopt;
}

// The commands of a typed operation, from its converted arguments.
std::vector<std::vector<std::string_view>> build(std::string_view op,
                                                 const std::vector<std::string>& a) {
  using Argv = std::vector<std::string_view>;
  if (op == "set") {
    Argv argv{"SET", a[0], a[1]};
    if (!a[2].empty()) argv.insert(argv.end(), {"PX", a[2]});
    if (!a[3].empty()) argv.push_back(a[3]);
    return {argv};
  }
  if (op == "get") return {{"GET", a[0]}};
  if (op == "del") return {{"DEL", a[0]}};
  if (op == "expire") return {{"PEXPIRE", a[0], a[1]}};
  if (op == "incrby") return {{"INCRBY", a[0], a[1]}};
  if (op == "hset") return {{"HSET", a[0], a[1], a[2]}};
  if (op == "hincrby") return {{"HINCRBY", a[0], a[1], a[2]}};
  if (op == "hget") return {{"HGET", a[0], a[1]}};
  if (op == "hdel") return {{"HDEL", a[0], a[1]}};
  if (op == "sadd") return {{"SADD", a[0], a[1]}};
  if (op == "srem") return {{"SREM", a[0], a[1]}};
  if (op == "sismember") return {{"SISMEMBER", a[0], a[1]}};
  if (op == "zincrby") return {{"ZINCRBY", a[0], a[2], a[1]}};
  if (op == "pfadd") return {{"PFADD", a[0], a[1]}};
  if (op == "pfcount") return {{"PFCOUNT", a[0]}};
  // lpush: LTRIM keeps the newest max_len (0: no cap), as the log lists do.
  if (a[2] == "0") return {{"LPUSH", a[0], a[1]}};
  return {{"LPUSH", a[0], a[1]}, {"LTRIM", a[0], "0", a[3]}};
}

}  // namespace

bool is_command_event(std::string_view name) {
  return name.substr(0, command_event_prefix.size()) == command_event_prefix;
}

CommandCheck check_command(const Event& event, const CommandAllowlist& allowlist,
                           std::string_view key_prefix) {
  CommandCheck check;
  auto refuse = [&](std::string reason, std::string detail, std::string_view code) {
    check.reason = std::move(reason);
    check.detail = "event " + event.name + ": " + detail;
    check.error_reply = std::string(code) + " " + check.detail;
    return check;
  };
  const auto& args = event.args;
  // The id and the reply topic first: with them, every later refusal can
  // be answered.
  if (args.size() >= 2) {
    auto id = args[args.size() - 2].get_if<uint64_t>();
    auto topic = args.back().get_if<std::string>();
    if (id == nullptr || topic == nullptr)
      return refuse("bad_command",
                    "the last two arguments must be the request id (count) and "
                    "the reply topic (string)",
                    "BADARG");
    check.id = *id;
    check.reply_topic = *topic;
  }
  std::string_view op_name = std::string_view(event.name).substr(command_event_prefix.size());
  const Op* op = nullptr;
  for (const auto& candidate : vocabulary())
    if (candidate.name == op_name) op = &candidate;
  if (op == nullptr) return refuse("bad_command", "no such operation", "BADARG");
  if (args.size() != op->kinds.size() + 2)
    return refuse("bad_command",
                  "expects " + std::to_string(op->kinds.size() + 2) +
                      " arguments (with id and "
                      "reply topic), got " +
                      std::to_string(args.size()),
                  "BADARG");

  std::vector<std::string> texts, generic;
  for (size_t i = 0; i < op->kinds.size(); ++i) {
    auto text = convert(args[i], op->kinds[i], generic);
    if (!text)
      return refuse("bad_command",
                    "argument " + std::to_string(i + 1) + " must be " +
                        std::string(kind_text(op->kinds[i])) + ", got " + describe(args[i], 60),
                    "BADARG");
    if (op->kinds[i] == Kind::key) text->insert(0, key_prefix);
    texts.push_back(std::move(*text));
  }

  CommandRequest request;
  request.op = std::string(op->name);
  request.id = check.id;
  request.reply_topic = check.reply_topic;
  if (op->name == "command") {
    if (!allowlist.allows(generic[0]))
      return refuse("command_refused",
                    "command " + describe(generic[0], 40) + " is not on the allowlist", "REFUSED");
    const std::vector<std::string_view> views(generic.begin(), generic.end());
    format_command(request.resp, views.data(), views.size());
    request.commands = 1;
  } else {
    if (op->name == "lpush" && texts[2] != "0")
      texts.push_back(std::to_string(std::stoull(texts[2]) - 1));
    for (const auto& argv : build(op->name, texts)) {
      format_command(request.resp, argv.data(), argv.size());
      ++request.commands;
    }
  }
  check.request = std::move(request);
  return check;
}

}  // namespace zrb
