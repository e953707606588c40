// The bridge against real Zeek: every record of the shared corpus (logs that
// Zeek 3.2.4 and 8.0.10 wrote for the same traces as TSV, JSON and JSON
// with ISO 8601 times) is rebuilt as the Zeek value a node would send,
// rendered, and compared byte for byte with the line Zeek wrote.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "json/record_json.hh"
#include "support/corpus_reader.hh"

namespace fs = std::filesystem;
using namespace zrb;

namespace {

const fs::path shared_dir = ZRB_SHARED_DIR;

std::vector<std::string> read_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

bool is_real(TypeTag tag) {
  return tag == TypeTag::double_ || tag == TypeTag::time || tag == TypeTag::interval;
}

// The exact doubles Zeek held for a row, from its JSON line: the TSV has
// them only to six decimals.
RowReals reals_from_json(const nlohmann::json& line, const LogSchema& schema) {
  RowReals reals(schema.columns.size());
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const Column& col = schema.columns[i];
    const bool container = col.type.tag == TypeTag::set || col.type.tag == TypeTag::vector;
    if (!is_real(container ? col.type.element : col.type.tag)) continue;
    auto it = line.find(col.name);
    if (it == line.end()) continue;
    std::vector<double> values;
    if (it->is_array()) {
      for (const auto& x : *it) values.push_back(x.get<double>());
    } else {
      values.push_back(it->get<double>());
    }
    reals[i] = std::move(values);
  }
  return reals;
}

// Where two texts first differ, with some context, for a readable failure.
std::string first_difference(const std::string& want, const std::string& got) {
  size_t at = 0;
  while (at < want.size() && at < got.size() && want[at] == got[at]) ++at;
  const size_t from = at > 40 ? at - 40 : 0;
  return "first difference at byte " + std::to_string(at) + "\n  zeek:   ..." +
         want.substr(from, 100) + "\n  bridge: ..." + got.substr(from, 100);
}

struct Tally {
  size_t logs = 0;
  size_t epoch_lines = 0;
  size_t iso_lines = 0;
  size_t mismatches = 0;
};

// Renders every row of one TSV log and compares with Zeek's JSON lines.
void check_log(const fs::path& tsv_file, uint64_t zeek_version, Tally& tally) {
  const fs::path trace = tsv_file.parent_path().parent_path();
  const fs::path json_file = trace / "json" / tsv_file.filename();
  const fs::path iso_file = trace / "json-iso" / tsv_file.filename();
  INFO("log ", tsv_file.string());

  TsvLog log;
  std::string why;
  REQUIRE_MESSAGE(read_tsv_log(tsv_file.string(), log, &why), why);
  LogSchema schema;
  REQUIRE_MESSAGE(schema_from_tsv(log, zeek_version, schema, &why), why);
  const auto json_lines = read_lines(json_file);
  const auto iso_lines = read_lines(iso_file);
  REQUIRE(json_lines.size() == log.rows.size());
  REQUIRE(iso_lines.size() == log.rows.size());
  ++tally.logs;

  bool reported = false;  // the first mismatch of a log says enough
  for (size_t row = 0; row < log.rows.size(); ++row) {
    const auto parsed = nlohmann::json::parse(json_lines[row]);
    const RowReals reals = reals_from_json(parsed, schema);
    Vector record;
    REQUIRE_MESSAGE(tsv_row_to_record(log, schema, row, &reals, record, &why), why);

    struct Expectation {
      TimeFormat format;
      const std::string& line;
      size_t& counter;
    };
    for (const Expectation& e :
         {Expectation{TimeFormat::epoch, json_lines[row], tally.epoch_lines},
          Expectation{TimeFormat::iso8601, iso_lines[row], tally.iso_lines}}) {
      std::string got;
      const auto status = record_to_json(record, schema, e.format, ConvertLimits{}, got, &why);
      REQUIRE_MESSAGE(status == ConvertStatus::ok, why);
      ++e.counter;
      if (got != e.line) {
        ++tally.mismatches;
        if (!reported) {
          reported = true;
          FAIL_CHECK("line ", row + 1, " (", to_string(e.format), ") differs from Zeek ",
                     zeek_version, "'s: ", first_difference(e.line, got));
        }
      }
    }
  }
}

Tally check_corpus(const std::string& version_dir, uint64_t zeek_version) {
  Tally tally;
  const fs::path root = shared_dir / "corpus" / version_dir;
  REQUIRE_MESSAGE(fs::is_directory(root), root.string(), " is missing");
  for (const auto& trace : sorted_entries(root)) {
    if (trace.filename() == "websocket" || !fs::is_directory(trace / "tsv")) continue;
    for (const auto& tsv : sorted_entries(trace / "tsv")) check_log(tsv, zeek_version, tally);
  }
  MESSAGE("Zeek ", version_dir, ": ", tally.logs, " logs, ", tally.epoch_lines, " epoch lines and ",
          tally.iso_lines, " ISO 8601 lines compared, ", tally.mismatches, " differ");
  return tally;
}

}  // namespace

TEST_CASE("corpus: every line Zeek 3.2.4 wrote, byte for byte") {
  const Tally t = check_corpus("zeek-3.2.4", 30204);
  CHECK(t.logs >= 20);
  CHECK(t.epoch_lines >= 300);
  CHECK(t.mismatches == 0);
}

TEST_CASE("corpus: every line Zeek 8.0.10 wrote, byte for byte") {
  const Tally t = check_corpus("zeek-8.0.10", 80010);
  CHECK(t.logs >= 20);
  CHECK(t.epoch_lines >= 300);
  CHECK(t.mismatches == 0);
}

TEST_CASE("corpus: Zeek test-baseline TSV logs convert") {
  // No JSON for these: each row must convert under both dialects and come
  // out as one JSON object.
  const fs::path dir = shared_dir / "corpus" / "zeek-logs";
  REQUIRE(fs::is_directory(dir));
  size_t logs = 0, lines = 0;
  for (const auto& file : sorted_entries(dir)) {
    if (file.extension() != ".log") continue;
    INFO("log ", file.string());
    TsvLog log;
    std::string why;
    REQUIRE_MESSAGE(read_tsv_log(file.string(), log, &why), why);
    ++logs;
    for (uint64_t version : {30204u, 80010u}) {
      LogSchema schema;
      REQUIRE_MESSAGE(schema_from_tsv(log, version, schema, &why), why);
      for (size_t row = 0; row < log.rows.size(); ++row) {
        Vector record;
        REQUIRE_MESSAGE(tsv_row_to_record(log, schema, row, nullptr, record, &why), why);
        for (TimeFormat tf : {TimeFormat::epoch, TimeFormat::iso8601, TimeFormat::millis}) {
          std::string got;
          REQUIRE_MESSAGE(
              record_to_json(record, schema, tf, ConvertLimits{}, got, &why) == ConvertStatus::ok,
              why);
          const auto parsed = nlohmann::json::parse(got, nullptr, false);
          REQUIRE_MESSAGE(parsed.is_object(), got);
          ++lines;
        }
      }
    }
  }
  MESSAGE("zeek-logs: ", logs, " logs, ", lines, " renderings checked");
  CHECK(logs >= 10);
  CHECK(lines > 0);
}
