// Zeek scripts' Redis operations, end to end (docs/protocol.md,
// "Commands"): op events from Broker are checked (command_request.hh),
// run by the executor on its own connection (command_executor.hh), and
// their replies published back to Zeek as RedisBridge::reply events on the
// topic each request named.
//
// A refused request (bad arguments, a command off the allowlist, a full
// queue) is logged and counted as rejected{reason}, never run, and, if it
// carried an id and a reply topic, answered with an error reply.
//
// Counters: commands_received{op} (accepted), command_replies (published), and
// rejected{bad_command|command_refused|command_queue_full}.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "commands/command_allowlist.hh"
#include "commands/command_executor.hh"
#include "redis/redis_url.hh"
#include "transport/transport.hh"

namespace zrb {

struct CommandsOptions {
  /// Prepended to the keys of the typed operations.
  std::string key_prefix = "zeek:kv:";
  CommandAllowlist allowlist;
  /// Requests waiting for Redis at most.
  size_t max_queued = 100000;
  /// Requests per round trip at most.
  size_t max_batch = 1000;
};

class Commands {
 public:
  Commands(CommandsOptions options, const RedisUrl& url, Transport& transport);

  /// Handles one RedisBridge::op_* event.
  void handle(Event&& event);
  /// Publishes the replies that are ready.
  void poll();
  /// Readable while replies are ready.
  int fd() const { return executor_.fd(); }
  /// Shutdown: waits for the queued requests until `deadline`, publishes
  /// their replies, stops; returns how many requests did not run.
  size_t finish(std::chrono::steady_clock::time_point deadline);

 private:
  void answer(uint64_t id, const std::string& topic, Value reply);

  const CommandsOptions options_;
  Transport& transport_;
  CommandExecutor executor_;
  std::vector<CommandOutcome> outcomes_;
  std::atomic<uint64_t>& replies_;
};

}  // namespace zrb
