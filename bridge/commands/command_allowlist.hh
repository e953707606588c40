// Which Redis commands the generic command event may run.
//
// Zeek scripts are trusted less than the operator: a script (or whoever can
// publish on the bridge's Broker topic) must not be able to wipe Redis,
// reconfigure it, run Lua in it or stall it. So the generic event runs only
// commands on an allowlist. The default admits the data commands on
// strings, hashes, sets, sorted sets, lists, HyperLogLogs, streams and
// bitmaps, and nothing else: no administration (FLUSHALL, CONFIG,
// SHUTDOWN, DEBUG, ACL, ...), no scripting (EVAL, SCRIPT, FUNCTION), no
// whole-keyspace walks (KEYS, SCAN). The operator may add and remove
// commands (commands.allow, commands.deny).
//
// A few commands can never be allowed, whatever the configuration, because
// they would break the shared, pipelined connection that runs every
// request: blocking reads (BLPOP ...) stall every request behind them,
// SUBSCRIBE/MONITOR turn the connection into a push stream, SELECT, MULTI,
// WATCH, CLIENT, RESET, AUTH and QUIT change the connection's state for
// every later request.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zrb {

class CommandAllowlist {
 public:
  /// The default allowlist.
  CommandAllowlist();

  /// The default plus `allow` minus `deny` (names in any case). Returns
  /// false and says why in `error` if `allow` names a command that can
  /// never be allowed.
  static bool make(const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                   CommandAllowlist& out, std::string* error);

  /// Whether `name` (any case) may run.
  bool allows(std::string_view name) const;

  /// The allowed commands, upper case, sorted.
  const std::set<std::string, std::less<>>& commands() const { return allowed_; }

  /// Upper case of `name` (ASCII), as the allowlist keeps command names.
  static std::string normalize(std::string_view name);

  /// True for the commands that break the shared connection (see above).
  static bool never_allowed(std::string_view name);

 private:
  std::set<std::string, std::less<>> allowed_;
};

}  // namespace zrb
