// Exponential backoff between reconnection attempts: the first delay, then
// twice the last, never more than the cap, until reset() after a success.
#pragma once

#include <algorithm>
#include <chrono>

namespace zrb {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap)
      : initial_(initial), cap_(cap), next_(initial) {}

  /// The delay to wait now; the following one doubles.
  std::chrono::milliseconds next() {
    auto delay = next_;
    next_ = std::min(next_ * 2, cap_);
    return delay;
  }
  /// After a success: start again from the first delay.
  void reset() { next_ = initial_; }

 private:
  std::chrono::milliseconds initial_, cap_, next_;
};

}  // namespace zrb
