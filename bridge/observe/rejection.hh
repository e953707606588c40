// Refusing bad input the same way everywhere: one increment of
// rejected{reason} for every rejection, and a log line naming the reason and
// what was wrong. The reasons are listed in docs/protocol.md.
//
// A hostile or broken peer can send bad input as fast as the bridge reads,
// so the log lines are rate-limited per reason: at most `lines` per
// `interval`; when the interval ends, one line says how many were left out
// (also counted, as rejected_log_suppressed{reason}). The counters always
// count every rejection.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

namespace zrb {

void reject(std::string_view reason, std::string_view detail);

struct RejectionLogLimit {
  /// Log lines per reason per interval; 0: no limit.
  size_t lines = 20;
  std::chrono::seconds interval{60};
};

/// Logs the "N more were not logged" line of every reason whose interval
/// has ended, without waiting for its next rejection (the daemon calls this
/// about once a second, and at exit with `all`).
void report_suppressed_rejections(bool all = false);

/// Sets the limit (the daemon does, from its configuration).
void set_rejection_log_limit(RejectionLogLimit limit);

}  // namespace zrb
