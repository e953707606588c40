#include "json/zeek_time.hh"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace zrb {

namespace {

// Seconds of 1000-01-01T00:00:00 and 9999-12-31T23:59:59 since the epoch:
// between them every year has four digits (glibc's %Y does not pad) and the
// fast path below applies.
constexpr int64_t first_fast_second = -30610224000;
constexpr int64_t last_fast_second = 253402300799;

void put_two(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// "YYYY-MM-DDTHH:MM:SS" for a second in the fast range: the proleptic
// Gregorian calendar counted in 400-year eras of 146097 days, with years
// starting in March so that the leap day comes last.
void put_date_time(char* p, int64_t second) {
  int64_t days = second / 86400;
  int64_t rest = second % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  const int64_t shifted = days + 719468;  // days since 0000-03-01
  const int64_t era = (shifted >= 0 ? shifted : shifted - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(shifted - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned month_index = (5 * day_of_year + 2) / 153;  // 0 is March
  const unsigned day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const unsigned month = month_index < 10 ? month_index + 3 : month_index - 9;
  const auto year = static_cast<unsigned>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));

  put_two(p, year / 100);
  put_two(p + 2, year % 100);
  p[4] = '-';
  put_two(p + 5, month);
  p[7] = '-';
  put_two(p + 8, day);
  p[10] = 'T';
  const auto secs = static_cast<unsigned>(rest);
  put_two(p + 11, secs / 3600);
  p[13] = ':';
  put_two(p + 14, secs / 60 % 60);
  p[16] = ':';
  put_two(p + 17, secs % 60);
}

// Zeek's own path for what the fast path does not cover, and its failure
// text (without the "Z", as Zeek writes it).
void append_via_libc(std::string& out, double t, double floored) {
  constexpr double two_to_63 = 9223372036854775808.0;
  char date[40];
  struct tm parts;
  time_t the_time = 0;
  if (floored >= -two_to_63 && floored < two_to_63) the_time = static_cast<time_t>(floored);
  if (!(floored >= -two_to_63 && floored < two_to_63) || !gmtime_r(&the_time, &parts) ||
      !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &parts)) {
    out += "2000-01-01T00:00:00.000000";
    return;
  }
  double whole;
  double fraction = std::modf(t, &whole);
  if (fraction < 0) fraction += 1;
  char text[64];
  const int n = std::snprintf(text, sizeof text, "%s.%06.0fZ", date, std::fabs(fraction) * 1000000);
  if (n > 0) out.append(text, static_cast<size_t>(n));
}

}  // namespace

void append_iso8601(std::string& out, double t) {
  const double floored = std::floor(t);
  if (!(floored >= static_cast<double>(first_fast_second) &&
        floored <= static_cast<double>(last_fast_second))) {
    append_via_libc(out, t, floored);
    return;
  }
  char text[32];
  put_date_time(text, static_cast<int64_t>(floored));
  text[19] = '.';

  double whole;
  double fraction = std::modf(t, &whole);
  if (fraction < 0) fraction += 1;
  // "%06.0f": round to nearest, ties to even, as printf does (and so does
  // nearbyint in the default rounding mode); at least six digits.
  auto micros = static_cast<uint32_t>(std::nearbyint(std::fabs(fraction) * 1000000));
  char* p = text + 20;
  if (micros >= 1000000) {  // the fraction rounded up to a whole second
    *p++ = static_cast<char>('0' + micros / 1000000);
    micros %= 1000000;
  }
  for (int i = 5; i >= 0; --i) {
    p[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  p += 6;
  *p++ = 'Z';
  out.append(text, static_cast<size_t>(p - text));
}

void append_millis(std::string& out, double t, bool signed_millis) {
  // Conversions as x86-64 performs them (cvttsd2si), where C++ leaves
  // out-of-range values undefined.
  constexpr double two_to_63 = 9223372036854775808.0;
  const double product = t * 1000;
  const bool fits_int64 = product >= -two_to_63 && product < two_to_63;
  const int64_t as_int64 = fits_int64 ? static_cast<int64_t>(product) : INT64_MIN;
  char text[24];
  std::to_chars_result r;
  if (signed_millis) {
    r = std::to_chars(text, text + sizeof text, as_int64);
  } else {
    uint64_t as_uint64;
    if (product < two_to_63 || std::isnan(product))
      as_uint64 = static_cast<uint64_t>(as_int64);
    else if (product < 2 * two_to_63)
      as_uint64 = static_cast<uint64_t>(product);
    else
      as_uint64 = 0;
    r = std::to_chars(text, text + sizeof text, as_uint64);
  }
  out.append(text, static_cast<size_t>(r.ptr - text));
}

}  // namespace zrb
