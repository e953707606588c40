#include "redis/redis_command.hh"

#include <hiredis/hiredis.h>

#include <array>
#include <memory>
#include <new>
#include <stdexcept>

namespace zrb {

namespace {

struct CommandDeleter {
  void operator()(char* command) const { redisFreeCommand(command); }
};

// The longest command built here: XADD key MAXLEN ~ N * field json.
constexpr size_t max_args = 8;

// Accounts for one record of `commands` commands just formatted into the
// batch, extending the last run if it is of the same path and key.
void count_record(CommandBatch& batch, std::string_view path, std::string_view key,
                  size_t commands) {
  if (batch.runs.empty() || batch.runs.back().key != key || batch.runs.back().path != path ||
      batch.runs.back().commands_per_record != commands) {
    batch.runs.push_back(CommandBatch::Run{std::string(path), std::string(key), commands, 0});
  }
  ++batch.runs.back().records;
  batch.commands += commands;
  ++batch.records;
}

}  // namespace

void CommandBatch::clear() {
  resp.clear();
  commands = 0;
  records = 0;
  runs.clear();
}

void format_command(std::string& out, std::initializer_list<std::string_view> argv) {
  format_command(out, argv.begin(), argv.size());
}

void format_command(std::string& out, const std::string_view* argv, size_t argc) {
  // The log path's commands have a handful of arguments: no allocation for
  // them; only a longer generic command pays for vectors.
  std::array<const char*, max_args> small_pointers{};
  std::array<size_t, max_args> small_lengths{};
  std::vector<const char*> large_pointers;
  std::vector<size_t> large_lengths;
  const char** pointers = small_pointers.data();
  size_t* lengths = small_lengths.data();
  if (argc > max_args) {
    large_pointers.resize(argc);
    large_lengths.resize(argc);
    pointers = large_pointers.data();
    lengths = large_lengths.data();
  }
  for (size_t i = 0; i < argc; ++i) {
    pointers[i] = argv[i].data();
    lengths[i] = argv[i].size();
  }
  char* raw = nullptr;
  int length = redisFormatCommandArgv(&raw, static_cast<int>(argc), pointers, lengths);
  std::unique_ptr<char, CommandDeleter> command(raw);
  if (length < 0 || !command) throw std::bad_alloc();
  out.append(command.get(), static_cast<size_t>(length));
}

size_t append_record(CommandBatch& batch, const Route& route, std::string_view json) {
  size_t commands = route.commands_per_record();
  if (commands == 0) return 0;
  switch (route.kind) {
    case RouteKind::stream:
      // MAXLEN ~ lets Redis trim whole macro nodes only, which is what keeps
      // trimming cheap; the stream may hold a little more than N entries.
      if (route.stream_maxlen.empty())
        format_command(batch.resp, {"XADD", route.key, "*", route.stream_field, json});
      else
        format_command(batch.resp, {"XADD", route.key, "MAXLEN", "~", route.stream_maxlen, "*",
                                    route.stream_field, json});
      break;
    case RouteKind::list:
      format_command(batch.resp, {route.list_left ? "LPUSH" : "RPUSH", route.key, json});
      // One LTRIM per push keeps the list at its cap at every moment; LTRIM
      // of one surplus element is O(1).
      if (commands == 2)
        format_command(batch.resp, {"LTRIM", route.key, route.trim_start, route.trim_stop});
      break;
    case RouteKind::pubsub:
      format_command(batch.resp, {"PUBLISH", route.key, json});
      break;
    case RouteKind::drop:
      return 0;
  }
  count_record(batch, route.path, route.key, commands);
  return commands;
}

void append_command(CommandBatch& batch, std::string_view path, std::string_view key,
                    std::initializer_list<std::string_view> argv) {
  format_command(batch.resp, argv);
  count_record(batch, path, key, 1);
}

}  // namespace zrb
