#include "redis/redis_command.hh"

#include <charconv>
#include <stdexcept>

namespace zrb {

namespace {

// Digits of the largest size_t.
constexpr size_t max_digits = 20;

// "<kind><n>\r\n": a RESP array or bulk string header.
void append_header(std::string& out, char kind, size_t n) {
  char text[1 + max_digits + 2];
  text[0] = kind;
  auto end = std::to_chars(text + 1, text + 1 + max_digits, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out.append(text, static_cast<size_t>(end - text));
}

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
  // RESP written straight into the batch: the same bytes as hiredis'
  // redisFormatCommandArgv (length-prefixed, so binary-safe), without its
  // malloc, sprintf per argument and second copy of every record's JSON
  // (its printf alone was 6.7 % of the bridge's CPU samples at 360,000
  // records/s; bench/RESULTS.md).
  append_header(out, '*', argc);
  for (size_t i = 0; i < argc; ++i) {
    append_header(out, '$', argv[i].size());
    out.append(argv[i]);
    out.append("\r\n", 2);
  }
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
