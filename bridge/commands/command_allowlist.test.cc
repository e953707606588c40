#include "commands/command_allowlist.hh"

#include <doctest/doctest.h>

namespace zrb {

TEST_CASE("command_allowlist: the default admits data commands and refuses the rest") {
  CommandAllowlist list;
  for (auto name : {"GET", "set", "HINCRBY", "zincrby", "PFCOUNT", "LRANGE", "XADD", "PUBLISH"})
    CHECK_MESSAGE(list.allows(name), name);
  for (auto name : {"FLUSHALL",  "flushdb", "CONFIG",       "EVAL",     "EVALSHA",   "SCRIPT",
                    "FUNCTION",  "MODULE",  "ACL",          "SHUTDOWN", "DEBUG",     "KEYS",
                    "SCAN",      "MIGRATE", "MONITOR",      "SYNC",     "REPLICAOF", "SLAVEOF",
                    "SAVE",      "BGSAVE",  "BGREWRITEAOF", "SELECT",   "MULTI",     "BLPOP",
                    "SUBSCRIBE", "CLIENT",  "SWAPDB",       "RENAME",   ""})
    CHECK_MESSAGE(!list.allows(name), name);
}

TEST_CASE("command_allowlist: allow and deny change the default") {
  CommandAllowlist list;
  std::string error;
  REQUIRE(CommandAllowlist::make({"rename", "OBJECT"}, {"del", "PUBLISH"}, list, &error));
  CHECK(list.allows("RENAME"));
  CHECK(list.allows("object"));
  CHECK(!list.allows("DEL"));
  CHECK(!list.allows("publish"));
  CHECK(list.allows("GET"));
}

TEST_CASE("command_allowlist: commands that break the shared connection cannot be allowed") {
  CommandAllowlist list;
  std::string error;
  for (auto name : {"select", "MULTI", "BLPOP", "subscribe", "MONITOR", "CLIENT", "QUIT", ""}) {
    CHECK_MESSAGE(!CommandAllowlist::make({name}, {}, list, &error), name);
    CHECK(error.find("commands.allow") != std::string::npos);
  }
  // Whereas the operator may allow administration knowingly.
  CHECK(CommandAllowlist::make({"FLUSHALL"}, {}, list, &error));
  CHECK(list.allows("flushall"));
}

}  // namespace zrb
