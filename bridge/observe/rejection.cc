#include "observe/rejection.hh"

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "observe/counters.hh"
#include "observe/log.hh"

namespace zrb {

namespace {

using clock = std::chrono::steady_clock;

struct Window {
  clock::time_point start;
  size_t logged = 0;
  uint64_t suppressed = 0;
};

// Rejections come from the main loop and from the Redis subscriber's
// consumer; both are rare next to good records, so one lock is fine.
struct Limiter {
  std::mutex mutex;
  RejectionLogLimit limit;
  std::map<std::string, Window, std::less<>> windows;  // reasons are a fixed set
};

Limiter& limiter() {
  static Limiter instance;
  return instance;
}

}  // namespace

void set_rejection_log_limit(RejectionLogLimit limit) {
  auto& l = limiter();
  std::lock_guard<std::mutex> guard(l.mutex);
  l.limit = limit;
  l.windows.clear();
}

namespace {

void log_left_out(std::string_view reason, uint64_t left_out, std::chrono::seconds interval) {
  log_warning("rejected ", reason, ": ", left_out, " more rejections were not logged in the last ",
              interval.count(), " s (see the counter rejected{", reason, "})");
}

}  // namespace

void report_suppressed_rejections(bool all) {
  auto& l = limiter();
  std::vector<std::pair<std::string, uint64_t>> due;
  std::unique_lock<std::mutex> guard(l.mutex);
  auto now = clock::now();
  auto interval = l.limit.interval;
  for (auto& [reason, w] : l.windows) {
    if (w.suppressed == 0 || (!all && now - w.start < interval)) continue;
    due.emplace_back(reason, w.suppressed);
    w = Window{now};
  }
  guard.unlock();
  for (const auto& [reason, n] : due) log_left_out(reason, n, interval);
}

void reject(std::string_view reason, std::string_view detail) {
  // The counter lookup takes a lock; rejections are rare next to good
  // records, so this is not on the hot path.
  ++counters().get("rejected", std::string(reason));
  auto& l = limiter();
  std::unique_lock<std::mutex> guard(l.mutex);
  if (l.limit.lines == 0) {
    guard.unlock();
    log_warning("rejected ", reason, ": ", detail);
    return;
  }
  auto now = clock::now();
  auto limit = l.limit;
  auto it = l.windows.find(reason);
  if (it == l.windows.end()) it = l.windows.emplace(std::string(reason), Window{now}).first;
  auto& w = it->second;
  uint64_t left_out = 0;
  if (now - w.start >= limit.interval) {
    left_out = w.suppressed;
    w = Window{now};
  }
  bool log = w.logged < limit.lines;
  if (log)
    ++w.logged;
  else
    ++w.suppressed;
  bool first_left_out = !log && w.suppressed == 1;
  guard.unlock();
  if (left_out > 0) log_left_out(reason, left_out, limit.interval);
  if (log) {
    log_warning("rejected ", reason, ": ", detail);
    return;
  }
  ++counters().get("rejected_log_suppressed", std::string(reason));
  if (first_left_out)
    log_warning("rejected ", reason, ": more than ", limit.lines, " in ", limit.interval.count(),
                " s; the rest of this interval is counted, not logged");
}

}  // namespace zrb
