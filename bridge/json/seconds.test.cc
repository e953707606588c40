#include "json/seconds.hh"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using namespace zrb;

namespace {

double round_trip(double seconds) {
  return seconds_from_ns(ns_from_seconds(seconds));
}

}  // namespace

TEST_CASE("seconds: Zeek's conversion truncates the product toward zero") {
  CHECK(ns_from_seconds(1.5) == 1500000000);
  CHECK(ns_from_seconds(-1.5) == -1500000000);
  CHECK(ns_from_seconds(1e-10) == 0);
  CHECK(ns_from_seconds(-1e-10) == 0);
  const double ts = 1300475167.096535;
  CHECK(ns_from_seconds(ts) == static_cast<int64_t>(ts * 1e9));
  CHECK(ns_from_seconds(ts) == 1300475167096535040);  // not ...535000: the product is rounded
  CHECK(ns_from_seconds(std::nan("")) == 0);
  CHECK(ns_from_seconds(1e300) == INT64_MAX);
  CHECK(ns_from_seconds(-1e300) == INT64_MIN);
}

TEST_CASE("seconds: whole microseconds come back (rule 1)") {
  CHECK(seconds_from_ns(0) == 0.0);
  for (double t : {1300475167.096535, 1300475168.853899, 1389719042.004547, 0.000435, 1.5, 0.0015,
                   300.0, 0.000001, 86400.000001, 4102444800.999999}) {
    CHECK(round_trip(t) == t);
    CHECK(round_trip(-t) == -t);
  }
  std::mt19937_64 rng(1);
  int failures = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto micros = static_cast<int64_t>(rng() % 4000000000000000ull);  // to 2096
    const double t = static_cast<double>(micros) / 1e6;
    if (round_trip(t) != t || round_trip(-t) != -t) ++failures;
  }
  CHECK(failures == 0);
}

TEST_CASE("seconds: differences of epoch times come back as intervals") {
  // Durations and round trips of the shared corpus, which are no whole
  // number of microseconds but multiples of 2^-22 s.
  for (double d : {0.016986846923828125, 2.3727710247039795, 74363.76156187057,
                   0.000032901763916015625, 3.6405909061431885, 17.492053985595703}) {
    CHECK(interval_from_ns(ns_from_seconds(d)) == d);
    CHECK(interval_from_ns(ns_from_seconds(-d)) == -d);
  }
  // Every difference of two packet timestamps of 2011 to 2014 comes back.
  std::mt19937_64 rng(2);
  int exact = 0;
  for (int i = 0; i < 100000; ++i) {
    const double a = 1.3e9 + static_cast<double>(rng() % 100000000000ull) / 1e6;
    const double b = a + static_cast<double>(rng() % 100000000ull) / 1e6;
    const double d = b - a;
    if (interval_from_ns(ns_from_seconds(d)) == d) ++exact;
  }
  CHECK(exact == 100000);
}

TEST_CASE("seconds: interval constants of whole microseconds come back almost always") {
  // The price of preferring durations: a constant like `1.5 msec` whose
  // window also holds a multiple of 2^-22 s (about 1 in 240) comes back as
  // that multiple, still right to the nanosecond.
  for (double d : {0.0015, 1.5, 300.0, 0.1, 3600.0, 0.000001})
    CHECK(interval_from_ns(ns_from_seconds(d)) == d);
  std::mt19937_64 rng(3);
  int exact = 0, to_the_ns = 0;
  constexpr int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double d = static_cast<double>(rng() % 100000000000ull) / 1e6;
    const int64_t ns = ns_from_seconds(d);
    const double r = interval_from_ns(ns);
    if (r == d) ++exact;
    if (ns_from_seconds(r) == ns) ++to_the_ns;
  }
  CHECK(to_the_ns == n);
  CHECK(exact > n * 99 / 100);
  MESSAGE("microsecond constants: ", exact, " of ", n, " exact");
}

TEST_CASE("seconds: other values come back to the nanosecond (rule 3)") {
  CHECK(seconds_from_ns(333333333) == 0.333333333);
  CHECK(seconds_from_ns(-333333333) == -0.333333333);
  CHECK(seconds_from_ns(1) == 1e-9);
  for (int64_t ns : {int64_t{1}, int64_t{7}, int64_t{333333333}, int64_t{123456789012345}}) {
    CHECK(ns_from_seconds(seconds_from_ns(ns)) == ns);
  }
}

TEST_CASE("seconds: the ends of the range") {
  const double max = seconds_from_ns(INT64_MAX);
  const double min = seconds_from_ns(INT64_MIN);
  CHECK(std::isfinite(max));
  CHECK(std::isfinite(min));
  CHECK(std::fabs(max - 9223372036.854775807) < 1e-5);
  CHECK(std::fabs(min + 9223372036.854775808) < 1e-5);
}
