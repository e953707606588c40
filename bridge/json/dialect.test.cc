#include "json/dialect.hh"

#include <doctest/doctest.h>

#include <initializer_list>

using namespace zrb;

TEST_CASE("dialect: Zeek 3.x writes like the old writer in every respect") {
  for (uint64_t v : {0u, 30100u, 30204u, 40103u, 40199u}) {
    const Dialect d = dialect_for(v);
    CHECK_FALSE(d.whole_string_escaping);
    CHECK_FALSE(d.rounded_grisu);
    CHECK_FALSE(d.signed_millis);
  }
}

TEST_CASE("dialect: each change starts at its release") {
  const Dialect d42 = dialect_for(40200);
  CHECK(d42.whole_string_escaping);
  CHECK_FALSE(d42.rounded_grisu);
  CHECK_FALSE(d42.signed_millis);

  CHECK_FALSE(dialect_for(49999).rounded_grisu);
  const Dialect d50 = dialect_for(50000);
  CHECK(d50.whole_string_escaping);
  CHECK(d50.rounded_grisu);
  CHECK_FALSE(d50.signed_millis);

  CHECK_FALSE(dialect_for(70200).signed_millis);
  const Dialect d80 = dialect_for(80000);
  CHECK(d80.whole_string_escaping);
  CHECK(d80.rounded_grisu);
  CHECK(d80.signed_millis);

  const Dialect d8010 = dialect_for(80010);
  CHECK(d8010.rounded_grisu);
  CHECK(d8010.signed_millis);
}
