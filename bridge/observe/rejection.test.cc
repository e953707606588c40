#include "observe/rejection.hh"

#include <doctest/doctest.h>

#include <thread>

#include "support/test_observe.hh"

using namespace zrb;

TEST_CASE("rejection: every one counted, log lines limited per reason per interval") {
  test::LogCapture log;
  test::Delta counted("rejected", "test_flood");
  test::Delta other("rejected", "test_other");
  test::Delta left_out("rejected_log_suppressed", "test_flood");
  set_rejection_log_limit({3, std::chrono::seconds(1)});
  for (int i = 0; i < 10; ++i) reject("test_flood", "bad thing " + std::to_string(i));
  reject("test_other", "another reason has its own budget");
  CHECK(counted() == 10);
  CHECK(other() == 1);
  CHECK(left_out() == 7);
  CHECK(log.count("rejected test_flood: bad thing") == 3);
  CHECK(log.count("bad thing 3") == 0);
  CHECK(log.count("rejected test_flood: more than 3 in 1 s") == 1);
  CHECK(log.count("rejected test_other: another reason") == 1);
  // After the interval: one line says how many were left out, then logging resumes.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  reject("test_flood", "bad thing again");
  CHECK(log.count("rejected test_flood: 7 more rejections were not logged") == 1);
  CHECK(log.count("bad thing again") == 1);
  // 1 logged above, 2 more logged, 3 left out; without another rejection the
  // report is due once the interval ends.
  for (int i = 0; i < 5; ++i) reject("test_flood", "quiet after this");
  report_suppressed_rejections();
  CHECK(log.count("rejected test_flood: 3 more rejections") == 0);  // interval not over
  report_suppressed_rejections(true);
  CHECK(log.count("rejected test_flood: 3 more rejections") == 1);
  report_suppressed_rejections(true);
  CHECK(log.count("more rejections were not logged") == 2);  // nothing new to report
  set_rejection_log_limit({0, std::chrono::seconds(60)});
  for (int i = 0; i < 30; ++i) reject("test_flood", "unlimited");
  CHECK(log.count("unlimited") == 30);
  set_rejection_log_limit({});
}
