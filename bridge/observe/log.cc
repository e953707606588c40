#include "observe/log.hh"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace zrb {

namespace {

std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
FILE* g_file = nullptr;  // nullptr: stderr

const char* level_name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "?";
}

// What a message may hold of a peer's text (a log path, a node name, a
// Redis channel) must not forge log lines or flood the log: control bytes
// are written as \xNN, and a message is cut at max_message_bytes.
constexpr size_t max_message_bytes = 16 * 1024;

bool needs_care(std::string_view m) {
  if (m.size() > max_message_bytes) return true;
  for (unsigned char c : m)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string made_safe(std::string_view m) {
  std::string out;
  size_t n = std::min(m.size(), max_message_bytes);
  out.reserve(n + 64);
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(m[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (m.size() > n) out += " [" + std::to_string(m.size() - n) + " bytes cut]";
  return out;
}

}  // namespace

std::string log_safe(std::string_view message) {
  return needs_care(message) ? made_safe(message) : std::string(message);
}

void set_log_level(Level level) {
  g_level = level;
}
Level log_level() {
  return g_level;
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warning, Level::error})
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  return false;
}

bool set_log_file(const std::string& path) {
  std::lock_guard<std::mutex> guard(g_mutex);
  FILE* f = nullptr;
  if (!path.empty()) {
    f = std::fopen(path.c_str(), "a");
    if (f == nullptr) return false;
  }
  if (g_file != nullptr) std::fclose(g_file);
  g_file = f;
  return true;
}

void log_line(Level level, std::string_view message) {
  if (level < g_level) return;
  std::string safe;
  if (needs_care(message)) {
    safe = made_safe(message);
    message = safe;
  }
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard<std::mutex> guard(g_mutex);
  FILE* out = g_file != nullptr ? g_file : stderr;
  std::fprintf(out, "%s.%03dZ %s %.*s\n", stamp, static_cast<int>(ms), level_name(level),
               static_cast<int>(message.size()), message.data());
  std::fflush(out);
}

}  // namespace zrb
