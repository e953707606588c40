#include "json/zeek_time.hh"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

using namespace zrb;

namespace {

std::string iso(double t) {
  std::string s;
  append_iso8601(s, t);
  return s;
}

std::string millis(double t, bool signed_millis) {
  std::string s;
  append_millis(s, t, signed_millis);
  return s;
}

// What Zeek's JSON formatter does for JSON::TS_ISO8601, with the C library
// it runs on: the oracle for the random test.
std::string zeek_iso(double t) {
  char date[40];
  char full[48];
  const auto the_time = static_cast<time_t>(std::floor(t));
  struct tm parts;
  if (!gmtime_r(&the_time, &parts) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &parts))
    return "2000-01-01T00:00:00.000000";
  double whole;
  double fraction = std::modf(t, &whole);
  if (fraction < 0) fraction += 1;
  std::snprintf(full, sizeof full, "%s.%06.0fZ", date, std::fabs(fraction) * 1000000);
  return full;
}

}  // namespace

TEST_CASE("zeek_time: ISO 8601 like Zeek's writer") {
  CHECK(iso(1300475168.853899) == "2011-03-18T19:06:08.853899Z");
  CHECK(iso(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(iso(-0.0) == "1970-01-01T00:00:00.000000Z");
  CHECK(iso(951782400) == "2000-02-29T00:00:00.000000Z");    // a leap day
  CHECK(iso(-2203891200) == "1900-03-01T00:00:00.000000Z");  // 1900 was no leap year
  CHECK(iso(4102444799.5) == "2099-12-31T23:59:59.500000Z");
}

TEST_CASE("zeek_time: times before 1970 count the fraction up from the floor") {
  CHECK(iso(-1.5) == "1969-12-31T23:59:58.500000Z");
  CHECK(iso(-0.000001) == "1969-12-31T23:59:59.999999Z");
  CHECK(iso(-86400) == "1969-12-31T00:00:00.000000Z");
}

TEST_CASE("zeek_time: a fraction that rounds to a whole second prints 1000000") {
  CHECK(iso(-1e-7) == "1969-12-31T23:59:59.1000000Z");
  CHECK(iso(1.9999996) == "1970-01-01T00:00:01.1000000Z");
  CHECK(iso(1.9999994) == "1970-01-01T00:00:01.999999Z");
}

TEST_CASE("zeek_time: the whole range of nanosecond timestamps") {
  CHECK(iso(-9223372036.854775808) == "1677-09-21T00:12:43.145224Z");
  CHECK(iso(9223372036.854775807) == "2262-04-11T23:47:16.854776Z");
}

TEST_CASE("zeek_time: beyond four-digit years, and failures, as the C library has it") {
  CHECK(iso(-30610224001.0) == zeek_iso(-30610224001.0));  // year 999: no padding
  CHECK(iso(253402300800.0) == zeek_iso(253402300800.0));  // year 10000
  CHECK(iso(1e300) == "2000-01-01T00:00:00.000000");       // gmtime fails: Zeek's text
  CHECK(iso(std::nan("")) == "2000-01-01T00:00:00.000000");
}

TEST_CASE("zeek_time: agrees with gmtime_r, strftime and printf") {
  std::mt19937_64 rng(3);
  int failures = 0;
  for (int i = 0; i < 200000; ++i) {
    double t;
    switch (i % 3) {
      case 0:  // microsecond times, 1653 to 2286
        t = static_cast<double>(static_cast<int64_t>(rng() % 20000000000ull) - 10000000000ll) +
            static_cast<double>(rng() % 1000000) / 1e6;
        break;
      case 1:  // arbitrary fractions, ties included
        t = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 40)) *
            ((rng() & 1) ? -1 : 1);
        break;
      default:  // from nanoseconds
        t = static_cast<double>(static_cast<int64_t>(rng())) / 1e9;
        break;
    }
    if (iso(t) != zeek_iso(t) && ++failures < 5) FAIL_CHECK(t, ": ", iso(t), " vs ", zeek_iso(t));
  }
  CHECK(failures == 0);
}

TEST_CASE("zeek_time: milliseconds") {
  CHECK(millis(1300475168.853899, true) == "1300475168853");
  CHECK(millis(1300475168.853899, false) == "1300475168853");
  CHECK(millis(0, true) == "0");
  CHECK(millis(-0.0005, true) == "0");  // truncated toward zero
  CHECK(millis(-1.5, true) == "-1500");
  // Before Zeek 8.0 a negative count went through uint64_t.
  CHECK(millis(-1.5, false) == "18446744073709550116");
  CHECK(millis(-9223372036.854775808, true) == "-9223372036854");
}
