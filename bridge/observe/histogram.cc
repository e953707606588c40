#include "observe/histogram.hh"

#include <algorithm>

namespace zrb {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(bounds_.size() + 1) {}

void Histogram::observe(double value) {
  // Bucket i counts values <= bounds_[i] (Prometheus' `le`).
  auto i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
  // std::atomic<double> has no fetch_add before C++20.
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t running = 0;
  for (const auto& b : buckets_) {
    running += b.load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // The +Inf bucket and _count must agree for a scraper; take the buckets'
  // total rather than count_, which may have moved on meanwhile.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

Histogram& Histograms::get(const std::string& name, const std::vector<double>& upper_bounds) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto i = index_.find(name);
  if (i != index_.end()) return *i->second;
  auto& h = storage_.emplace_back(upper_bounds);
  index_.emplace(name, &h);
  return h;
}

std::vector<std::pair<std::string, Histogram::Snapshot>> Histograms::snapshot() const {
  std::lock_guard<std::mutex> guard(mutex_);
  std::vector<std::pair<std::string, Histogram::Snapshot>> out;
  for (const auto& [name, h] : index_) out.emplace_back(name, h->snapshot());
  return out;
}

Histograms& histograms() {
  static Histograms instance;
  return instance;
}

Histogram& redis_roundtrip_histogram() {
  static Histogram& h = histograms().get("redis_roundtrip_seconds", latency_buckets());
  return h;
}

}  // namespace zrb
