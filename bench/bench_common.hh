// Small pieces every benchmark program uses: "--name value" options, the
// monotonic clock that bench/run.py shares with the programs, host:port,
// and a stop flag for SIGTERM/SIGINT.
#pragma once

#include <pthread.h>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

namespace zrb_bench {

/// Seconds on CLOCK_MONOTONIC: the clock of Python's time.monotonic() too,
/// so run.py can compare instants printed by different processes.
inline double mono_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// CPU seconds (user + system) this process has used so far.
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// This process's peak resident set (VmHWM of /proc/self/status) in KiB;
/// 0 if it cannot be read.
inline uint64_t peak_rss_kib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

/// CPU seconds the calling thread has used so far.
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// "--name value" and "--flag" options. Unknown names are an error, so a
/// typo in run.py fails loudly instead of benchmarking the default.
class Options {
 public:
  Options(int argc, char** argv, std::set<std::string> valued, std::set<std::string> flags) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (flags.count(arg)) {
        values_[arg] = "1";
      } else if (valued.count(arg)) {
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        values_[arg] = argv[++i];
      } else {
        throw std::invalid_argument("unknown option " + arg);
      }
    }
  }

  bool has(const std::string& name) const { return values_.count(name) != 0; }

  std::string str(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }

  uint64_t count(const std::string& name, uint64_t fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    size_t used = 0;
    auto v = std::stoull(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument(name + ": not a number");
    return v;
  }

  double real(const std::string& name, double fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : std::stod(it->second);
  }

 private:
  std::map<std::string, std::string> values_;
};

/// Splits "host:port"; throws std::invalid_argument otherwise.
inline void split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw std::invalid_argument("not host:port: " + text);
  host = text.substr(0, colon);
  auto p = std::stoul(text.substr(colon + 1));
  if (p > 65535) throw std::invalid_argument("port out of range: " + text);
  port = static_cast<uint16_t>(p);
}

/// Set once SIGTERM or SIGINT arrived; loops poll it.
inline std::atomic<bool> stop_requested{false};

/// Turns SIGTERM/SIGINT into stop_requested without a signal handler.
///
/// libbroker 1.4 calls std::terminate when a wait of its own (a subscriber's
/// get with a timeout) is interrupted by a signal (poll() failing with
/// EINTR), so no thread may take these signals. Constructed first thing in
/// main, before Broker starts its threads: the signals are blocked here and
/// every thread created later inherits the mask; one thread of ours takes
/// them with sigtimedwait.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] {
      // Bounded by done_: the destructor ends the loop within one timeout.
      const timespec tick{0, 100 * 1000 * 1000};
      while (!done_) {
        if (sigtimedwait(&set_, nullptr, &tick) > 0) stop_requested = true;
      }
    });
  }
  ~StopSignals() {
    done_ = true;
    thread_.join();
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  sigset_t set_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace zrb_bench
