// Writes the seed corpora of the fuzz targets from the shared corpus of
// real Zeek logs (../shared/corpus), so that fuzzing starts from what Zeek
// really sends instead of from nothing:
//   <out>/broker_data/  schema + batch events of every TSV log, in Broker's
//                       binary format (CAF's serializer, as on the wire)
//   <out>/protocol/     the same events in value_codec.hh's format
//   <out>/intel/        intel JSON messages built from zeek-logs/intel.log
// Usage: make_seeds <corpus dir> <out dir>
#include <broker/zeek.hh>
#include <caf/binary_deserializer.hpp>  // with the serializer: see fuzz_broker_data.cc
#include <caf/binary_serializer.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "logs/protocol.hh"
#include "support/corpus_reader.hh"
#include "transport/broker14/broker_data.hh"
#include "value_codec.hh"

namespace fs = std::filesystem;
using namespace zrb;

namespace {

void write(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out << bytes;
}

void serialize(const Event& ev, std::string& out) {
  broker::vector args;
  for (const auto& a : ev.args) args.push_back(to_broker(a));
  std::vector<char> buf;
  caf::binary_serializer sink(nullptr, buf);
  auto err = sink(broker::zeek::Event(ev.name, std::move(args)).move_data());
  if (!err) out.append(buf.begin(), buf.end());
}

// The events a Zeek node sends for the first rows of `log`.
std::vector<Event> events_of(const TsvLog& log, uint64_t zeek_version) {
  LogSchema schema;
  std::string why;
  if (!schema_from_tsv(log, zeek_version, schema, &why)) return {};
  Vector columns;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    Vector index;
    for (auto k : schema.columns[i].index) index.emplace_back(uint64_t{k});
    columns.emplace_back(Vector{schema.columns[i].name, log.types[i], std::move(index)});
  }
  Event schema_ev{"zeek/redis/logs", std::string(log_schema_event),
                  Vector{protocol_version, zeek_version, "seed", log.path, std::move(columns)}};
  Vector records;
  for (size_t row = 0; row < log.rows.size() && records.size() < 4; ++row) {
    Vector record;
    if (tsv_row_to_record(log, schema, row, nullptr, record, &why))
      records.emplace_back(std::move(record));
  }
  Event batch_ev{"zeek/redis/logs", std::string(log_batch_event),
                 Vector{"seed", log.path, std::move(records)}};
  return {std::move(schema_ev), std::move(batch_ev)};
}

int intel_seeds(const fs::path& corpus, const fs::path& out) {
  TsvLog log;
  std::string why;
  int n = 0;
  if (!read_tsv_log((corpus / "zeek-logs" / "intel.log").string(), log, &why)) return 0;
  auto col = [&log](const std::string& name) {
    return std::find(log.fields.begin(), log.fields.end(), name) - log.fields.begin();
  };
  auto batch = nlohmann::json::array();
  for (const auto& row : log.rows) {
    nlohmann::json item = {{"indicator", row[col("seen.indicator")]},
                           {"type", row[col("seen.indicator_type")]},
                           {"meta", {{"source", row[col("sources")]}, {"desc", "seed"}}}};
    write(out / ("intel-" + std::to_string(n++)), item.dump());
    batch.push_back(item);
  }
  write(out / "intel-batch", batch.dump());
  write(out / "intel-remove",
        R"({"action": "remove", "indicator": "198.51.100.0/24", "type": "Intel::SUBNET"})");
  write(out / "intel-expire", R"([{"indicator": "198.51.100.7", "type": "ADDR", "expire": 3600.5,)"
                              R"( "meta": {"source": "feed", "url": "http://x/"}}])");
  return n + 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_seeds <corpus dir> <out dir>\n");
    return 2;
  }
  fs::path corpus = argv[1], out = argv[2];
  for (auto dir : {"broker_data", "protocol", "intel"}) fs::create_directories(out / dir);
  std::regex version_dir(R"(zeek-(\d+)\.(\d+)\.(\d+))");
  int logs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    const auto& p = entry.path();
    if (p.extension() != ".log" || p.parent_path().filename() != "tsv") continue;
    std::smatch m;
    auto version = p.parent_path().parent_path().parent_path().filename().string();
    if (!std::regex_match(version, m, version_dir)) continue;
    uint64_t zv = std::stoull(m[1]) * 10000 + std::stoull(m[2]) * 100 + std::stoull(m[3]);
    TsvLog log;
    std::string why;
    if (!read_tsv_log(p.string(), log, &why)) continue;
    auto events = events_of(log, zv);
    if (events.empty()) continue;
    std::string wire, codec;
    for (const auto& ev : events) {
      serialize(ev, wire);
      fuzz::encode_event(ev, codec);
    }
    auto name =
        version + "-" + p.parent_path().parent_path().filename().string() + "-" + p.stem().string();
    write(out / "broker_data" / name, wire);
    write(out / "protocol" / name, codec);
    ++logs;
  }
  int intel = intel_seeds(corpus, out / "intel");
  std::printf("make_seeds: %d logs, %d intel messages\n", logs, intel);
  return logs > 0 && intel > 0 ? 0 : 1;
}
