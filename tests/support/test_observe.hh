// Test support shared by the unit tests that watch what the bridge reports:
// a counter's growth (Delta) and its log lines (LogCapture). A header for
// tests only (the .test.hh suffix keeps it out of the library).
#pragma once

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "observe/counters.hh"
#include "observe/log.hh"

namespace zrb::test {

// A counter's growth since construction (the registry is process-wide).
class Delta {
 public:
  Delta(std::string name, std::string label = {})
      : name_(std::move(name)), label_(std::move(label)), start_(value()) {}
  uint64_t operator()() const { return value() - start_; }

 private:
  uint64_t value() const { return counters().value(name_, label_); }
  std::string name_, label_;
  uint64_t start_;
};

// Sends the bridge's log lines to a file for the life of the object.
class LogCapture {
 public:
  LogCapture() {
    // Unique per process: several test binaries may run at once.
    std::string pattern = (std::filesystem::temp_directory_path() / "zrb-log-XXXXXX").string();
    int fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    path_ = pattern;
    REQUIRE(set_log_file(path_.string()));
  }
  ~LogCapture() {
    set_log_file("");
    std::filesystem::remove(path_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const {
    std::ifstream in(path_);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }
  // How many times `needle` occurs in the log so far.
  size_t count(std::string_view needle) const {
    std::string all = text();
    size_t n = 0;
    for (size_t at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace zrb::test
