// Zeek's Redis operation events, checked and turned into Redis commands
// (docs/protocol.md, "Commands").
//
// Every operation is an event `RedisBridge::op_<name>` whose arguments are
// the operation's own, then the request id (count; 0: no reply wanted) and
// the reply topic (string). Nothing is trusted: wrong arity, a wrong type,
// a negative TTL, or a generic command that is not on the allowlist makes
// a refusal with a reason, never a command. Keys of the typed operations
// get the namespace prefix; keys and values are bytes, formatted as argv
// (format_command: length-prefixed RESP), so NUL and CRLF are data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commands/command_allowlist.hh"
#include "transport/transport.hh"

namespace zrb {

/// Prefix of the operation events' names.
inline constexpr std::string_view command_event_prefix = "RedisBridge::op_";

/// True for an event of this vocabulary (by name; its arguments may still be wrong).
bool is_command_event(std::string_view name);

/// One checked request, ready for the executor.
struct CommandRequest {
  /// The operation, e.g. "set" or "command" (counter label, log lines).
  std::string op;
  /// The Redis commands, RESP-encoded back to back. The reply of the first
  /// is the request's reply; the others (LTRIM after LPUSH, PEXPIRE ...)
  /// only keep the data in shape.
  std::string resp;
  size_t commands = 0;
  /// Request id; 0: fire-and-forget.
  uint64_t id = 0;
  /// Where the reply goes; empty: nowhere.
  std::string reply_topic;

  bool wants_reply() const { return id != 0 && !reply_topic.empty(); }
};

/// The outcome of checking one event: a request, or a refusal. A refusal
/// keeps the id and reply topic when they could be read, so that the
/// requester can be answered with an error reply.
struct CommandCheck {
  std::optional<CommandRequest> request;
  /// Refusal: rejected{reason} (bad_command or command_refused), a log
  /// detail, and the text of the error reply ("BADARG ...", "REFUSED ...").
  std::string reason;
  std::string detail;
  std::string error_reply;
  uint64_t id = 0;
  std::string reply_topic;
};

/// Checks `event` and builds its commands; `key_prefix` is prepended to the
/// keys of the typed operations (not to the generic command's arguments).
CommandCheck check_command(const Event& event, const CommandAllowlist& allowlist,
                           std::string_view key_prefix);

}  // namespace zrb
