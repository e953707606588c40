// Named counters for everything the bridge counts: records in and out,
// rejections by reason, Redis errors. Each counter is an atomic that any
// thread may bump; looking one up takes a lock, so hot paths look theirs up
// once and keep the reference (references stay valid for the life of the
// registry).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "observe/named_atomics.hh"

namespace zrb {

class Counters {
 public:
  /// The counter `name{label}` (label may be empty), created at zero.
  std::atomic<uint64_t>& get(const std::string& name, const std::string& label = {});

  /// Current value, 0 if the counter does not exist.
  uint64_t value(const std::string& name, const std::string& label = {}) const;

  /// Every counter as ("name{label}" or "name", value), sorted by key.
  std::vector<std::pair<std::string, uint64_t>> snapshot() const;

  struct Entry {
    std::string name, label;
    uint64_t value;
  };
  /// Every counter with its name and label apart (for /metrics), sorted.
  std::vector<Entry> entries() const;

 private:
  NamedAtomics<uint64_t> atoms_;
};

/// The process-wide registry.
Counters& counters();

}  // namespace zrb
