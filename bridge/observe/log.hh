// The bridge's own log: one line per event worth an operator's attention,
// to stderr or a file, with a level and a UTC timestamp.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace zrb {

enum class Level { debug, info, warning, error };

/// Writes one line. Thread-safe. Whatever the message holds, it stays one
/// line: control bytes (CR, LF, ...) are written as \xNN, and a message
/// over 16 KiB is cut (the line says how many bytes), since messages carry
/// text that peers chose (log paths, node names, channels).
void log_line(Level level, std::string_view message);

/// The message as log_line writes it (for tests and for other sinks).
std::string log_safe(std::string_view message);

/// Lines below this level are dropped. Default: info.
void set_log_level(Level level);
Level log_level();

/// Sends lines to this file instead of stderr (empty: stderr). Returns false
/// if the file cannot be opened. Calling it again reopens (for SIGHUP).
bool set_log_file(const std::string& path);

/// Parses "debug", "info", "warning", "error".
bool parse_level(std::string_view text, Level& out);

namespace detail {
template <class... Ts>
std::string concat(const Ts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}
}  // namespace detail

template <class... Ts>
void log_debug(const Ts&... parts) {
  if (log_level() <= Level::debug) log_line(Level::debug, detail::concat(parts...));
}
template <class... Ts>
void log_info(const Ts&... parts) {
  if (log_level() <= Level::info) log_line(Level::info, detail::concat(parts...));
}
template <class... Ts>
void log_warning(const Ts&... parts) {
  log_line(Level::warning, detail::concat(parts...));
}
template <class... Ts>
void log_error(const Ts&... parts) {
  log_line(Level::error, detail::concat(parts...));
}

}  // namespace zrb
