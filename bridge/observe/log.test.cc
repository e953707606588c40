#include "observe/log.hh"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "support/temp_dir.hh"

namespace zrb {

TEST_CASE("log: a message stays one line whatever a peer put in it") {
  CHECK(log_safe("plain text, \"quotes\" and \\ stay") == "plain text, \"quotes\" and \\ stay");
  CHECK(log_safe("path 'a\r\n2026-12-04T00:00:00.000Z error forged'") ==
        "path 'a\\x0d\\x0a2026-12-04T00:00:00.000Z error forged'");
  CHECK(log_safe(std::string("nul\0tab\tdel\x7f", 12)) == "nul\\x00tab\\x09del\\x7f");
  // UTF-8 and other bytes >= 0x80 are left alone.
  CHECK(log_safe("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("log: a huge message is cut and says how much") {
  std::string huge(2 * 1024 * 1024, 'n');
  auto safe = log_safe(huge);
  CHECK(safe.size() < 17 * 1024);
  CHECK(safe.find(" [2080768 bytes cut]") != std::string::npos);
}

TEST_CASE("log: log_line writes the safe form, one line") {
  test::TempDir dir;
  auto file = dir.path() + "/log";
  REQUIRE(set_log_file(file));
  log_line(Level::error, "node 'x\nforged line'");
  set_log_file("");
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("error node 'x\\x0aforged line'\n") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
}

}  // namespace zrb
