#include "commands/command_allowlist.hh"

#include <cctype>
#include <iterator>

namespace zrb {

namespace {

// Data commands: read and write values of keys named in the arguments.
constexpr std::string_view default_commands[] = {
    // strings and counters
    "APPEND", "DECR", "DECRBY", "GET", "GETDEL", "GETEX", "GETRANGE", "GETSET", "INCR", "INCRBY",
    "INCRBYFLOAT", "MGET", "MSET", "MSETNX", "PSETEX", "SET", "SETEX", "SETNX", "SETRANGE",
    "STRLEN",
    // keys
    "DEL", "EXISTS", "EXPIRE", "EXPIREAT", "EXPIRETIME", "PERSIST", "PEXPIRE", "PEXPIREAT",
    "PEXPIRETIME", "PTTL", "TOUCH", "TTL", "TYPE", "UNLINK",
    // hashes
    "HDEL", "HEXISTS", "HGET", "HGETALL", "HINCRBY", "HINCRBYFLOAT", "HKEYS", "HLEN", "HMGET",
    "HMSET", "HRANDFIELD", "HSCAN", "HSET", "HSETNX", "HSTRLEN", "HVALS",
    // sets
    "SADD", "SCARD", "SDIFF", "SDIFFSTORE", "SINTER", "SINTERCARD", "SINTERSTORE", "SISMEMBER",
    "SMEMBERS", "SMISMEMBER", "SMOVE", "SPOP", "SRANDMEMBER", "SREM", "SSCAN", "SUNION",
    "SUNIONSTORE",
    // sorted sets
    "ZADD", "ZCARD", "ZCOUNT", "ZINCRBY", "ZMSCORE", "ZPOPMAX", "ZPOPMIN", "ZRANGE",
    "ZRANGEBYSCORE", "ZRANK", "ZREM", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREVRANGE",
    "ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN", "ZSCORE",
    // lists
    "LINDEX", "LINSERT", "LLEN", "LPOP", "LPOS", "LPUSH", "LPUSHX", "LRANGE", "LREM", "LSET",
    "LTRIM", "RPOP", "RPUSH", "RPUSHX",
    // HyperLogLog
    "PFADD", "PFCOUNT", "PFMERGE",
    // streams (writing and reading; no consumer groups, whose reads block)
    "XADD", "XDEL", "XLEN", "XRANGE", "XREVRANGE", "XTRIM",
    // bitmaps
    "BITCOUNT", "BITPOS", "GETBIT", "SETBIT",
    // pub/sub: publishing only
    "PUBLISH",
    // harmless connection commands
    "ECHO", "PING",
    // geo
    "GEOADD", "GEODIST", "GEOHASH", "GEOPOS", "GEOSEARCH",
    // counting
    "DBSIZE", "TIME"};

// Commands that would break the shared connection (see the header).
constexpr std::string_view breaking_commands[] = {
    "AUTH",        "BLMOVE",   "BLMPOP",     "BLPOP",      "BRPOP",        "BRPOPLPUSH",
    "BZMPOP",      "BZPOPMAX", "BZPOPMIN",   "CLIENT",     "DISCARD",      "EXEC",
    "HELLO",       "MONITOR",  "MULTI",      "PSUBSCRIBE", "PUNSUBSCRIBE", "QUIT",
    "RESET",       "SELECT",   "SSUBSCRIBE", "SUBSCRIBE",  "SUNSUBSCRIBE", "SYNC",
    "UNSUBSCRIBE", "UNWATCH",  "WATCH"};

}  // namespace

CommandAllowlist::CommandAllowlist()
    : allowed_(std::begin(default_commands), std::end(default_commands)) {}

bool CommandAllowlist::make(const std::vector<std::string>& allow,
                            const std::vector<std::string>& deny, CommandAllowlist& out,
                            std::string* error) {
  CommandAllowlist list;
  for (const auto& name : allow) {
    if (name.empty() || never_allowed(name)) {
      if (error != nullptr)
        *error = "commands.allow: '" + name +
                 "' cannot be allowed: it would block or change the connection shared by all "
                 "requests";
      return false;
    }
    list.allowed_.insert(normalize(name));
  }
  for (const auto& name : deny) {
    auto found = list.allowed_.find(normalize(name));
    if (found != list.allowed_.end()) list.allowed_.erase(found);
  }
  out = std::move(list);
  return true;
}

bool CommandAllowlist::allows(std::string_view name) const {
  return allowed_.count(normalize(name)) > 0;
}

std::string CommandAllowlist::normalize(std::string_view name) {
  std::string upper(name);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

bool CommandAllowlist::never_allowed(std::string_view name) {
  auto upper = normalize(name);
  for (auto breaking : breaking_commands)
    if (upper == breaking) return true;
  return false;
}

}  // namespace zrb
