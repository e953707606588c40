// The storage behind Counters and Gauges: atomics named (name, label),
// created on first lookup, at stable addresses so that hot paths can look
// theirs up once and keep the reference.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace zrb {

template <typename T>
class NamedAtomics {
 public:
  std::atomic<T>& get(const std::string& name, const std::string& label) {
    std::lock_guard<std::mutex> guard(mutex_);
    auto key = std::make_pair(name, label);
    auto i = index_.find(key);
    if (i != index_.end()) return *i->second;
    auto& a = storage_.emplace_back(0);
    index_.emplace(std::move(key), &a);
    return a;
  }

  /// The current value, 0 if there is no such atomic (none is created).
  T value(const std::string& name, const std::string& label) const {
    std::lock_guard<std::mutex> guard(mutex_);
    auto i = index_.find(std::make_pair(name, label));
    return i == index_.end() ? T{} : i->second->load();
  }

  /// Calls f(name, label, value) for each, sorted by (name, label).
  template <typename F>
  void for_each(F&& f) const {
    std::lock_guard<std::mutex> guard(mutex_);
    for (const auto& [key, a] : index_) f(key.first, key.second, a->load());
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::atomic<T>*> index_;
  std::deque<std::atomic<T>> storage_;  // deque: stable addresses
};

}  // namespace zrb
