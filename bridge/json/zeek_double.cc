#include "json/zeek_double.hh"

#include <rapidjson/internal/dtoa.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace zrb {

namespace {

using rapidjson::internal::DiyFp;

// rapidjson's Writer keeps its default of 324 decimal places, which never
// truncates a double: Zeek's writer does not change it.
constexpr int max_decimal_places = 324;

// 10^0 to 10^19, every power of ten a uint64_t holds.
constexpr std::array<uint64_t, 20> powers_of_ten = [] {
  std::array<uint64_t, 20> p{};
  uint64_t v = 1;
  for (auto& x : p) {
    x = v;
    v *= 10;  // wraps after 10^19, which is never stored
  }
  return p;
}();

// Decimal digits of the integral part, at most 9: Grisu2's choice of cached
// power keeps that part below 2^32, and rapidjson counts no further.
int integral_digits(uint32_t n) {
  int digits = 1;
  while (digits < 9 && n >= powers_of_ten[digits]) ++digits;
  return digits;
}

// Grisu2's weeding step. The digits so far are the upper bound of the
// interval of texts that read back as the double, cut short; `rest` is how
// far that text lies below the upper bound, `distance` how far the double
// lies below it and `delta` the interval's width, all in the same
// fixed-point units, and `unit` is one step of the last digit. While the
// text is above the double, a step down stays in the interval and brings
// the text closer to the double, step down.
void weed(char* digits, int length, uint64_t delta, uint64_t rest, uint64_t unit,
          uint64_t distance) {
  while (rest < distance && delta - rest >= unit &&
         (rest + unit < distance || distance - rest > rest + unit - distance)) {
    --digits[length - 1];
    rest += unit;
  }
}

// Generates the digits of `upper` (a fixed-point number with -upper.e
// fractional bits) until the remainder falls inside the interval of width
// `delta`, then weeds. `w` is the double itself on the same scale.
//
// The one difference between the two Zeek variants is here: rapidjson
// before bb062110 scaled the distance for the weeding step only while fewer
// than nine fractional digits had been generated, and passed zero (no
// weeding) beyond that.
void generate_digits(const DiyFp& w, const DiyFp& upper, uint64_t delta, bool rounded, char* digits,
                     int* length, int* exponent) {
  const int shift = -upper.e;
  const uint64_t one = uint64_t{1} << shift;
  const uint64_t distance = upper.f - w.f;
  uint32_t integral = static_cast<uint32_t>(upper.f >> shift);
  uint64_t fraction = upper.f & (one - 1);
  int kappa = integral_digits(integral);
  *length = 0;

  while (kappa > 0) {
    const auto divisor = static_cast<uint32_t>(powers_of_ten[kappa - 1]);
    const uint32_t digit = integral / divisor;
    integral %= divisor;
    if (digit != 0 || *length != 0) digits[(*length)++] = static_cast<char>('0' + digit);
    --kappa;
    const uint64_t rest = (static_cast<uint64_t>(integral) << shift) + fraction;
    if (rest <= delta) {
      *exponent += kappa;
      weed(digits, *length, delta, rest, powers_of_ten[kappa] << shift, distance);
      return;
    }
  }

  const int scale_limit = rounded ? 20 : 9;
  for (;;) {
    fraction *= 10;
    delta *= 10;
    const auto digit = static_cast<char>(fraction >> shift);
    if (digit != 0 || *length != 0) digits[(*length)++] = static_cast<char>('0' + digit);
    fraction &= one - 1;
    --kappa;
    if (fraction < delta) {
      *exponent += kappa;
      const int places = -kappa;
      const uint64_t scale = places < scale_limit ? powers_of_ten[places] : 0;
      weed(digits, *length, delta, fraction, one, distance * scale);
      return;
    }
  }
}

// Digits and decimal exponent of a positive finite double: value ~=
// digits * 10^exponent.
void grisu2(double value, bool rounded, char* digits, int* length, int* exponent) {
  const DiyFp v(value);
  DiyFp lower, upper;
  v.NormalizedBoundaries(&lower, &upper);
  const DiyFp cached = rapidjson::internal::GetCachedPower(upper.e, exponent);
  const DiyFp w = v.Normalize() * cached;
  DiyFp hi = upper * cached;
  DiyFp lo = lower * cached;
  // Shrink the interval by one unit at each end: the products are rounded,
  // so only its inner part is certain to read back as `value`.
  ++lo.f;
  --hi.f;
  generate_digits(w, hi, hi.f - lo.f, rounded, digits, length, exponent);
}

char* write_null(char* buf) {
  std::memcpy(buf, "null", 4);
  return buf + 4;
}

}  // namespace

namespace detail {

char* grisu2_text(double d, bool rounded_grisu, char* buf) {
  if (d == 0) {
    if (std::signbit(d)) *buf++ = '-';
    std::memcpy(buf, "0.0", 3);
    return buf + 3;
  }
  if (d < 0) {
    *buf++ = '-';
    d = -d;
  }
  int length = 0;
  int exponent = 0;
  grisu2(d, rounded_grisu, buf, &length, &exponent);
  return rapidjson::internal::Prettify(buf, length, exponent, max_decimal_places);
}

}  // namespace detail

char* write_zeek_double(double d, bool rounded_grisu, char* buf) {
  if (!std::isfinite(d)) return write_null(buf);
  if (rounded_grisu) return detail::grisu2_text(d, true, buf);
  // Zeek 3.1 to 4.2 bundled this very code: rapidjson dfbe1db9, whose dtoa is
  // Debian's rapidjson 1.1.0 but for int/unsigned spelling.
  return rapidjson::internal::dtoa(d, buf, max_decimal_places);
}

void append_zeek_double(std::string& out, double d, bool rounded_grisu) {
  char buf[zeek_double_buffer_size];
  const char* end = write_zeek_double(d, rounded_grisu, buf);
  out.append(buf, static_cast<size_t>(end - buf));
}

}  // namespace zrb
