// The Redis commands that write log records, formatted ahead of time.
//
// Records are turned into commands on the daemon's main thread and collected
// in a CommandBatch: one contiguous buffer of RESP plus what the writer
// thread needs to account for the replies. The writer thread then hands the
// whole buffer to hiredis at once (one redisAppendFormattedCommand) and
// reads one reply per command, so the cost per record is one formatting
// into memory and no system call. Every command is formatted from an argv as
// RESP length-prefixed bulk strings (the bytes redisFormatCommandArgv
// writes): JSON with NUL bytes or CRLF cannot break framing.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "redis/route.hh"

namespace zrb {

struct CommandBatch {
  /// Consecutive records of one route. Replies are matched to records by
  /// walking the runs: run.records * run.commands_per_record replies each.
  /// A run copies what error messages and counters need, so a batch never
  /// points into the Router.
  struct Run {
    std::string path;
    std::string key;
    size_t commands_per_record = 1;
    size_t records = 0;
  };

  /// The commands, RESP-encoded, back to back.
  std::string resp;
  /// How many commands and records `resp` holds.
  size_t commands = 0;
  size_t records = 0;
  std::vector<Run> runs;

  bool empty() const { return records == 0; }
  /// Empties the batch but keeps its buffers' capacity for reuse.
  void clear();
};

/// Appends one command to `out` as RESP (the bytes redisFormatCommandArgv
/// writes, without its allocation and sprintf).
void format_command(std::string& out, std::initializer_list<std::string_view> argv);
/// The same for `argc` arguments of any number (the generic command of
/// Zeek scripts).
void format_command(std::string& out, const std::string_view* argv, size_t argc);

/// Appends the commands that write `json` along `route` (XADD, LPUSH/RPUSH
/// and LTRIM, or PUBLISH; nothing for drop) to `batch`. Returns how many
/// commands it appended.
size_t append_record(CommandBatch& batch, const Route& route, std::string_view json);

/// Appends one arbitrary command to `batch` as one record of `path` (for
/// counters and error messages) on `key`: the intel snapshot's HSET/HDEL
/// and the intel stream's XACK, which must be written in order with the
/// records before them.
void append_command(CommandBatch& batch, std::string_view path, std::string_view key,
                    std::initializer_list<std::string_view> argv);

}  // namespace zrb
