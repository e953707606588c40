#include "json/zeek_double.hh"

#include <doctest/doctest.h>
#include <rapidjson/internal/dtoa.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

using namespace zrb;

namespace {

std::string text(double d, bool rounded) {
  std::string s;
  append_zeek_double(s, d, rounded);
  return s;
}

// Both variants agree on these.
void check_both(double d, const char* want) {
  CHECK(text(d, false) == want);
  CHECK(text(d, true) == want);
}

double from_bits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

}  // namespace

TEST_CASE("zeek_double: not a number and the infinities are null") {
  check_both(std::numeric_limits<double>::quiet_NaN(), "null");
  check_both(std::numeric_limits<double>::infinity(), "null");
  check_both(-std::numeric_limits<double>::infinity(), "null");
}

TEST_CASE("zeek_double: rapidjson's layout") {
  check_both(0.0, "0.0");
  check_both(-0.0, "-0.0");
  check_both(100.0, "100.0");  // whole values keep ".0"
  check_both(-3.0, "-3.0");
  check_both(1215620010.54321, "1215620010.54321");  // no trailing zeros
  check_both(0.1, "0.1");
  check_both(0.000001, "0.000001");             // down to 1e-6 as a decimal
  check_both(1e-7, "1e-7");                     // below, an exponent
  check_both(1e20, "100000000000000000000.0");  // up to 21 digits as a decimal
  check_both(123456789012345680000.0, "123456789012345680000.0");
  check_both(1e21, "1e21");
  check_both(1.5e300, "1.5e300");
  check_both(-1.5e-300, "-1.5e-300");
  check_both(5e-324, "5e-324");  // the smallest subnormal
  check_both(2.2250738585072014e-308, "2.2250738585072014e-308");
  check_both(std::numeric_limits<double>::max(), "1.7976931348623157e308");
  check_both(1300475167.096535, "1300475167.096535");
}

TEST_CASE("zeek_double: Zeek before 5.0 can end one off in the 17th digit") {
  // The first pair was observed with both Zeeks for the same double; the
  // others are values of the shared corpus as Zeek 3.2.4 and 8.0.10 printed
  // them.
  CHECK(text(2153226000.1234565, false) == "2153226000.1234567");
  CHECK(text(2153226000.1234565, true) == "2153226000.1234565");
  CHECK(text(0.016986846923828125, false) == "0.016986846923828126");
  CHECK(text(0.016986846923828125, true) == "0.016986846923828125");
  CHECK(text(74363.76156187057, false) == "74363.76156187058");
  CHECK(text(74363.76156187057, true) == "74363.76156187057");
}

TEST_CASE("zeek_double: Grisu2 is not always the shortest text") {
  // std::to_chars would write 3639817991.510288 (16 digits); Zeek 8 writes
  // 17, which is why the bridge runs Grisu2 rather than to_chars.
  CHECK(text(3639817991.5102878, true) == "3639817991.5102878");
  CHECK(text(3639817991.5102878, false) == "3639817991.5102879");
  CHECK(std::strtod("3639817991.510288", nullptr) == 3639817991.5102878);
}

TEST_CASE("zeek_double: this file's Grisu2 is rapidjson's (pre-5.0 variant)") {
  // The pre-5.0 variant of detail::grisu2_text must write what Debian's
  // rapidjson 1.1 dtoa writes; the rounded variant shares all its code but
  // one constant. Random bit patterns cover every exponent.
  std::mt19937_64 rng(20240601);
  long compared = 0, differing = 0;
  for (int i = 0; i < 300000; ++i) {
    double d = from_bits(rng());
    if (i % 2)
      d = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 64)) +
          static_cast<double>(rng() % 4000000000u);
    if (!std::isfinite(d)) continue;
    char mine[zeek_double_buffer_size], theirs[zeek_double_buffer_size];
    const char* mine_end = detail::grisu2_text(d, false, mine);
    const char* theirs_end = rapidjson::internal::dtoa(d, theirs);
    ++compared;
    const std::string a(mine, static_cast<size_t>(mine_end - mine));
    const std::string b(theirs, static_cast<size_t>(theirs_end - theirs));
    if (a != b && ++differing < 5) FAIL_CHECK(d, ": ", a, " vs rapidjson ", b);
  }
  CHECK(compared > 250000);
  CHECK(differing == 0);
}

TEST_CASE("zeek_double: both variants read back as the same double") {
  std::mt19937_64 rng(7);
  int failures = 0;
  for (int i = 0; i < 200000; ++i) {
    const double d = from_bits(rng());
    if (!std::isfinite(d)) continue;
    for (bool rounded : {false, true}) {
      char buf[zeek_double_buffer_size + 1];
      char* end = write_zeek_double(d, rounded, buf);
      REQUIRE(end - buf <= 25);
      *end = '\0';
      if (std::strtod(buf, nullptr) != d && ++failures < 5) FAIL_CHECK(buf);
    }
  }
  CHECK(failures == 0);
}
