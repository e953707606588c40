#include "redis/spool.hh"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hh"
#include "support/test_observe.hh"

namespace zrb {

namespace {

// A batch of `records` list pushes numbered from `first`, one run.
CommandBatch batch_of(size_t first, size_t records, const std::string& path = "conn") {
  RoutingConfig config;
  config.default_kind = RouteKind::list;
  std::string error;
  auto router = Router::make(config, &error);
  REQUIRE(router);
  CommandBatch batch;
  for (size_t i = first; i < first + records; ++i)
    append_record(batch, router->route(path), "{\"i\":" + std::to_string(i) + "}");
  return batch;
}

bool same(const CommandBatch& a, const CommandBatch& b) {
  if (a.resp != b.resp || a.records != b.records || a.commands != b.commands ||
      a.runs.size() != b.runs.size())
    return false;
  for (size_t i = 0; i < a.runs.size(); ++i)
    if (a.runs[i].path != b.runs[i].path || a.runs[i].key != b.runs[i].key ||
        a.runs[i].records != b.runs[i].records ||
        a.runs[i].commands_per_record != b.runs[i].commands_per_record)
      return false;
  return true;
}

std::unique_ptr<Spool> open_spool(const test::TempDir& dir, uint64_t max_bytes = 1 << 20,
                                  uint64_t segment_bytes = 1 << 20) {
  SpoolOptions options;
  options.dir = dir.path() + "/spool";
  options.max_bytes = max_bytes;
  options.segment_bytes = segment_bytes;
  std::string error;
  auto spool = Spool::open(options, &error);
  REQUIRE_MESSAGE(spool, error);
  return spool;
}

// Takes every entry, marking each done; returns them in order.
std::vector<CommandBatch> take_all(Spool& spool) {
  std::vector<CommandBatch> out;
  CommandBatch batch;
  while (spool.take(batch)) {
    out.push_back(batch);
    spool.done();
  }
  return out;
}

std::vector<std::string> segments(const test::TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/spool"))
    if (e.path().extension() == ".spool") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

void chop(const std::string& file, uint64_t bytes) {
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - bytes);
}

void flip_byte(const std::string& file, uint64_t from_end) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  auto at = static_cast<std::streamoff>(std::filesystem::file_size(file) - from_end);
  f.seekg(at);
  char c = 0;
  f.get(c);
  f.seekp(at);
  f.put(static_cast<char>(c ^ 0x55));
}

}  // namespace

TEST_CASE("spool: a second process cannot open a spool in use") {
  test::TempDir dir;
  auto first = open_spool(dir);
  SpoolOptions options;
  options.dir = dir.path() + "/spool";
  std::string error;
  // flock() locks belong to the open file description: a second open in
  // this process conflicts just as another process would.
  CHECK_FALSE(Spool::open(options, &error));
  CHECK(error.find("in use") != std::string::npos);
  first.reset();
  CHECK(Spool::open(options, &error));
}

TEST_CASE("spool: CRC-32 is the IEEE one") {
  CHECK(crc32("123456789", 9) == 0xCBF43926u);
  CHECK(crc32("", 0) == 0);
}

TEST_CASE("spool: entries come back exactly and in order; files go once written") {
  test::TempDir dir;
  auto spool = open_spool(dir, 1 << 20, 600);  // small segments: several files
  std::vector<CommandBatch> in;
  for (size_t b = 0; b < 10; ++b) {
    in.push_back(batch_of(b * 7, 7, b % 2 ? "dns" : "conn"));
    REQUIRE(spool->append(in.back()));
  }
  CHECK(spool->records() == 70);
  CHECK(segments(dir).size() > 1);
  auto out = take_all(*spool);
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) CHECK(same(in[i], out[i]));
  CHECK(spool->empty());
  CHECK(spool->records() == 0);
  CHECK(spool->bytes() == 0);
  CHECK(segments(dir).empty());
}

TEST_CASE("spool: a restart replays what was not done, in order, and nothing else") {
  test::TempDir dir;
  std::vector<CommandBatch> in;
  {
    auto spool = open_spool(dir);
    for (size_t b = 0; b < 5; ++b) {
      in.push_back(batch_of(b * 3, 3));
      REQUIRE(spool->append(in.back()));
    }
    CommandBatch batch;
    REQUIRE(spool->take(batch));
    spool->done();                // batch 0 written
    REQUIRE(spool->take(batch));  // batch 1 in flight when the process ends
  }
  auto spool = open_spool(dir);
  CHECK(spool->records() == 12);
  REQUIRE(spool->append(batch_of(100, 2)));  // new data goes behind
  auto out = take_all(*spool);
  REQUIRE(out.size() == 5);
  for (size_t i = 0; i < 4; ++i) CHECK(same(out[i], in[i + 1]));
  CHECK(same(out[4], batch_of(100, 2)));
}

TEST_CASE("spool: a torn last entry is detected, counted, cut off and never replayed") {
  test::Delta torn("spool_torn_entries");
  test::LogCapture log;
  for (uint64_t cut : {1, 5, 13, 40}) {
    CAPTURE(cut);
    test::TempDir dir;
    auto first = batch_of(0, 3), second = batch_of(3, 3);
    {
      auto spool = open_spool(dir);
      REQUIRE(spool->append(first));
      REQUIRE(spool->append(second));
    }
    chop(segments(dir).front(), cut);  // a crash mid-append of the second
    auto spool = open_spool(dir);
    CHECK(spool->records() == 3);
    REQUIRE(spool->append(batch_of(6, 1)));  // appends continue cleanly
    auto out = take_all(*spool);
    REQUIRE(out.size() == 2);
    CHECK(same(out[0], first));
    CHECK(same(out[1], batch_of(6, 1)));
  }
  CHECK(torn() == 4);
  CHECK(log.text().find("torn") != std::string::npos);
}

TEST_CASE("spool: a bad checksum drops the last entry, and skips one in the middle") {
  test::Delta torn("spool_torn_entries");
  test::LogCapture log;
  test::TempDir dir;
  {
    auto spool = open_spool(dir);
    for (size_t b = 0; b < 3; ++b) REQUIRE(spool->append(batch_of(b * 2, 2)));
  }
  flip_byte(segments(dir).front(), 3);  // inside the last entry's RESP
  {
    auto spool = open_spool(dir);
    CHECK(spool->records() == 4);
    CHECK(torn() == 1);
  }
  // Now damage the first of the two left: the second is still replayed.
  auto file = segments(dir).front();
  auto size = std::filesystem::file_size(file);
  flip_byte(file, size - 20);  // in the first entry's payload
  auto spool = open_spool(dir);
  CHECK(torn() == 2);
  auto out = take_all(*spool);
  REQUIRE(out.size() == 1);
  CHECK(same(out[0], batch_of(2, 2)));
}

TEST_CASE("spool: max_bytes bounds it; drop_oldest makes room; prepend goes first") {
  test::TempDir dir;
  auto probe = batch_of(20, 10);  // as large as any batch below
  auto spool = open_spool(dir, 1 << 20);
  REQUIRE(spool->append(probe));
  uint64_t entry = spool->bytes();
  take_all(*spool);
  spool.reset();  // one process (here: one object) per spool
  spool = open_spool(dir, entry * 3);
  for (size_t b = 0; b < 3; ++b) REQUIRE(spool->append(batch_of(b * 10, 10)));
  CHECK_FALSE(spool->append(batch_of(30, 10)));  // full: nothing written
  CHECK(spool->records() == 30);
  CommandBatch taken;
  REQUIRE(spool->take(taken));        // batch 0 in flight
  CHECK(spool->drop_oldest() == 10);  // drops batch 1, not the one in flight
  REQUIRE(spool->append(batch_of(30, 10)));
  spool->untake();
  std::deque<CommandBatch> older{batch_of(1000, 1)};
  spool->drop_oldest();  // batch 0
  REQUIRE(spool->prepend(older));
  auto out = take_all(*spool);
  REQUIRE(out.size() == 3);
  CHECK(same(out[0], older.front()));
  CHECK(same(out[1], batch_of(20, 10)));
  CHECK(same(out[2], batch_of(30, 10)));
}

}  // namespace zrb
