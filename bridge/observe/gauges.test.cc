#include "observe/gauges.hh"

#include <doctest/doctest.h>

using namespace zrb;

TEST_CASE("gauges: stored and sourced values, sorted; a source ends with its handle") {
  Gauges g;
  g.get("b_depth") = 7;
  g.get("b_depth") -= 2;
  double seen = 3.5;
  {
    auto source = g.add_source("a_bytes", "x", [&seen] { return seen; });
    auto s = g.snapshot();
    REQUIRE(s.size() == 2);
    CHECK(s[0].name == "a_bytes");
    CHECK(s[0].label == "x");
    CHECK(s[0].value == 3.5);
    CHECK(s[1].name == "b_depth");
    CHECK(s[1].value == 5);
    auto moved = std::move(source);  // the moved-from handle must not unregister
    CHECK(g.snapshot().size() == 2);
  }
  auto s = g.snapshot();
  REQUIRE(s.size() == 1);
  CHECK(s[0].name == "b_depth");
}
