// A Prometheus-style histogram with fixed buckets, safe to observe from any
// thread without a lock: the writer's thread observes every Redis round
// trip while the metrics thread reads. A reader may see a count that is one
// observation ahead of the sum (they are separate atomics); Prometheus
// tolerates that, a lock on the hot path would cost more.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace zrb {

class Histogram {
 public:
  /// `upper_bounds` must be sorted ascending; a +Inf bucket is implied.
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    /// Cumulative counts, one per bound, then the +Inf bucket (== count).
    std::vector<uint64_t> cumulative;
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> buckets_;  // not cumulative; last is +Inf
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

/// Bucket bounds for Redis round trips, in seconds: 100 us to 10 s.
std::vector<double> latency_buckets();

/// Named histograms; like Counters, references stay valid for the life of
/// the registry and lookups take a lock (look up once, keep the reference).
class Histograms {
 public:
  /// The histogram `name`, created with `upper_bounds` the first time.
  Histogram& get(const std::string& name, const std::vector<double>& upper_bounds);

  /// Every histogram as (name, snapshot), sorted by name.
  std::vector<std::pair<std::string, Histogram::Snapshot>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Histogram*> index_;
  std::deque<Histogram> storage_;
};

/// The process-wide registry.
Histograms& histograms();

/// The Redis round-trip histogram (seconds, latency_buckets()).
Histogram& redis_roundtrip_histogram();

}  // namespace zrb
