// Waiting in tests for what another thread does: poll a condition until it
// holds or a bound passes (a test that fails must not hang the suite).
#pragma once

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

namespace zrb::test {

inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::steady_clock::duration limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

/// Polls `source` (anything with poll(std::vector<T>&, size_t max)) a few
/// items at a time until `n` arrived or `limit` passed; returns what came.
template <class T, class Source>
std::vector<T> take(Source& source, size_t n,
                    std::chrono::steady_clock::duration limit = std::chrono::seconds(10)) {
  std::vector<T> out;
  eventually(
      [&] {
        source.poll(out, 3);
        return out.size() >= n;
      },
      limit);
  return out;
}

}  // namespace zrb::test
