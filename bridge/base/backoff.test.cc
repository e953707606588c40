#include "base/backoff.hh"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

TEST_CASE("backoff: doubles up to the cap, starts over after reset") {
  zrb::Backoff b(100ms, 1000ms);
  CHECK(b.next() == 100ms);
  CHECK(b.next() == 200ms);
  CHECK(b.next() == 400ms);
  CHECK(b.next() == 800ms);
  CHECK(b.next() == 1000ms);
  CHECK(b.next() == 1000ms);
  b.reset();
  CHECK(b.next() == 100ms);
}
