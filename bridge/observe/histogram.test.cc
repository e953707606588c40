#include "observe/histogram.hh"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace zrb;

TEST_CASE("histogram: buckets are cumulative, `le` is inclusive, +Inf counts all") {
  Histogram h({0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 2.0, 100.0}) h.observe(v);
  auto s = h.snapshot();
  CHECK(s.upper_bounds == std::vector<double>{0.01, 0.1, 1});
  CHECK(s.cumulative == std::vector<uint64_t>{2, 3, 4, 6});
  CHECK(s.count == 6);
  CHECK(s.sum == doctest::Approx(102.565));
}

TEST_CASE("histogram: observations from several threads are all counted") {
  Histogram h(latency_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.observe(0.001);
    });
  for (auto& t : threads) t.join();
  auto s = h.snapshot();
  CHECK(s.count == 40000);
  CHECK(s.sum == doctest::Approx(40.0));
}

TEST_CASE("histograms: one instance per name") {
  Histograms r;
  auto& a = r.get("x_seconds", {1, 2});
  auto& b = r.get("x_seconds", {5});
  CHECK(&a == &b);
  a.observe(1.5);
  auto all = r.snapshot();
  REQUIRE(all.size() == 1);
  CHECK(all[0].first == "x_seconds");
  CHECK(all[0].second.cumulative == std::vector<uint64_t>{0, 1, 1});
}
