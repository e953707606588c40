#include "json/seconds.hh"

#include <cmath>
#include <cstring>

namespace zrb {

namespace {

constexpr double two_to_64 = 18446744073709551616.0;

// trunc(d * 1e9) as Zeek computes it, for d >= 0, saturating.
uint64_t truncated_ns(double d) {
  const double product = d * 1e9;
  if (!(product < two_to_64)) return UINT64_MAX;
  return static_cast<uint64_t>(product);
}

// Neighbours of a positive finite double.
double next_up(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  ++bits;
  std::memcpy(&d, &bits, sizeof bits);
  return d;
}

double next_down(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  --bits;
  std::memcpy(&d, &bits, sizeof bits);
  return d;
}

// The window's edges lie within a few units in the last place of n / 1e9
// (both the product and the quotient are correctly rounded), so the walks
// below are short; this bounds them regardless.
constexpr int max_steps = 64;

// Rule 1: the double nearest a whole number of microseconds. Only one such
// double can lie in a window (the window is at most one product spacing
// wide, far less than a microsecond for any time before 2255).
bool whole_microseconds(uint64_t ns, double& out) {
  const uint64_t nearest = (ns + 500) / 1000;
  const uint64_t candidates[3] = {nearest, nearest - 1, nearest + 1};
  for (uint64_t micros : candidates) {
    if (micros == UINT64_MAX) continue;  // nearest - 1 for nearest == 0
    const double d = static_cast<double>(micros) / 1e6;
    if (truncated_ns(d) == ns) {
      out = d;
      return true;
    }
  }
  return false;
}

// The smallest and largest doubles whose product truncates to `ns`, found
// by walking from `near_low` (close to ns / 1e9) and `near_high` (close to
// (ns + 1) / 1e9). False if the walk does not settle or the window is empty.
bool window(uint64_t ns, double near_low, double near_high, double& lo, double& hi) {
  int steps = 0;
  lo = near_low;
  if (truncated_ns(lo) >= ns) {
    while (lo > 0 && truncated_ns(next_down(lo)) >= ns) {
      lo = next_down(lo);
      if (++steps > max_steps) return false;
    }
  } else {
    while (truncated_ns(lo) < ns) {
      lo = next_up(lo);
      if (++steps > max_steps) return false;
    }
  }
  steps = 0;
  hi = near_high;
  if (truncated_ns(hi) <= ns) {
    while (truncated_ns(next_up(hi)) <= ns) {
      hi = next_up(hi);
      if (++steps > max_steps) return false;
    }
  } else {
    while (hi > 0 && truncated_ns(hi) > ns) {
      hi = next_down(hi);
      if (++steps > max_steps) return false;
    }
  }
  return lo <= hi;
}

// Rule 2: the multiple of the largest power of two, 2^-24 s or more, in
// [lo, hi]. In units of 2^-24 s that is the integer of [L, H] with the most
// trailing zero bits: keep the bits L - 1 and H share, then H's highest
// differing bit, and clear the rest. (Two multiples of 2^e in the window
// would put a multiple of 2^(e+1) between them, so it is unique.) Every
// window of an int64_t count of nanoseconds lies below 2^34 s, so L and H
// fit in 58 bits, and the result, lying between two doubles of the window
// with no more significant bits than they have, is a double itself.
bool coarsest_multiple(double lo, double hi, double& out) {
  constexpr double units_per_second = 16777216.0;  // 2^24
  const double low = std::ceil(lo * units_per_second);
  const double high = std::floor(hi * units_per_second);
  if (low > high) return false;
  const auto first = static_cast<uint64_t>(low);
  auto best = static_cast<uint64_t>(high);
  if (first < best) {
    uint64_t differing = (first - 1) ^ best;
    int top = 0;
    while (differing >>= 1) ++top;
    best = (best >> top) << top;
  }
  out = std::ldexp(static_cast<double>(best), -24);
  return true;
}

// A multiple of 2^-22 s: the unit in the last place of epoch times from
// 2004 to 2038, so every difference of two such times is one.
bool is_duration_of_epoch_times(double d) {
  return std::ldexp(d, 22) == std::floor(std::ldexp(d, 22));
}

double recover_positive(uint64_t ns, bool interval) {
  const double nearest = static_cast<double>(ns) / 1e9;
  double lo, hi, dyadic;
  const bool have_dyadic = window(ns, nearest, static_cast<double>(ns + 1) / 1e9, lo, hi) &&
                           coarsest_multiple(lo, hi, dyadic);
  // Intervals: a duration measured between two packet timestamps first.
  // Such a window also holds a whole microsecond about once in 240 times;
  // preferring the microsecond there would render a real duration wrongly,
  // where preferring the multiple of 2^-22 s mis-renders only a constant
  // like `1.5 msec` with the same small odds, and durations are what logs
  // are full of.
  if (interval && have_dyadic && is_duration_of_epoch_times(dyadic)) return dyadic;
  double d;
  if (whole_microseconds(ns, d)) return d;
  if (have_dyadic) return dyadic;
  return nearest;  // rule 3
}

double recover(int64_t ns, bool interval) {
  if (ns == 0) return 0.0;
  if (ns > 0) return recover_positive(static_cast<uint64_t>(ns), interval);
  // -(ns + 1) + 1 is |ns| without overflowing for INT64_MIN.
  return -recover_positive(static_cast<uint64_t>(-(ns + 1)) + 1, interval);
}

}  // namespace

double seconds_from_ns(int64_t ns) {
  return recover(ns, false);
}

double interval_from_ns(int64_t ns) {
  return recover(ns, true);
}

int64_t ns_from_seconds(double seconds) {
  const double product = seconds * 1e9;
  if (std::isnan(product)) return 0;
  if (product >= 9223372036854775808.0) return INT64_MAX;
  if (product < -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(product);
}

}  // namespace zrb
