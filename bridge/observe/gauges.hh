// Values that go up and down (buffer depth, peers connected), for /metrics
// and the summary line. Two kinds: a stored gauge its owner sets (an atomic,
// like a counter), and a source read at scrape time (a callback its owner
// registers and that is removed when the returned handle dies, so the
// metrics thread never calls into an object that is gone).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "observe/named_atomics.hh"

namespace zrb {

class Gauges {
 public:
  /// Unregisters its source when destroyed.
  class Source {
   public:
    Source() = default;
    Source(Source&& other) noexcept;
    Source& operator=(Source&& other) noexcept;
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;
    ~Source();

   private:
    friend class Gauges;
    Source(Gauges* owner, uint64_t id) : owner_(owner), id_(id) {}
    Gauges* owner_ = nullptr;
    uint64_t id_ = 0;
  };

  /// The stored gauge `name{label}`, created at zero.
  std::atomic<int64_t>& get(const std::string& name, const std::string& label = {});

  /// Registers `read`, called from the metrics thread at every scrape (it
  /// must be thread-safe and quick), as gauge `name{label}`.
  [[nodiscard]] Source add_source(const std::string& name, const std::string& label,
                                  std::function<double()> read);

  struct Sample {
    std::string name, label;
    double value;
  };
  /// Every gauge, stored and sourced, sorted by (name, label).
  std::vector<Sample> snapshot() const;

 private:
  void remove(uint64_t id);

  mutable std::mutex mutex_;
  NamedAtomics<int64_t> stored_;
  struct Callback {
    std::string name, label;
    std::function<double()> read;
  };
  std::map<uint64_t, Callback> sources_;
  uint64_t next_id_ = 1;
};

/// The process-wide registry.
Gauges& gauges();

}  // namespace zrb
