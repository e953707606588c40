// Signals, taken by one thread of their own with sigwait(), which only sets
// flags that the daemon's loop acts on. A handler running on an arbitrary
// thread could interrupt a libbroker/CAF wait, which Broker 1.4 does not
// survive (bench/RESULTS.md notes it).
#pragma once

#include <atomic>

namespace zrb {

struct SignalFlags {
  /// SIGTERM or SIGINT: stop.
  std::atomic<bool> stop{false};
  /// SIGHUP: reopen the log file.
  std::atomic<bool> reopen_log{false};
};

/// Blocks SIGTERM, SIGINT and SIGHUP in this thread (and so in every thread
/// started after it: threads inherit the mask), starts the thread that
/// takes them, and ignores SIGPIPE (a Redis that goes away mid-write must be
/// an error return, not a kill). Call before any other thread starts; the
/// flags live for the rest of the process.
SignalFlags& take_signals_on_own_thread();

}  // namespace zrb
