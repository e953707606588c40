// Waiting in tests for what another thread does: poll a condition until it
// holds or a bound passes (a test that fails must not hang the suite).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

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

}  // namespace zrb::test
