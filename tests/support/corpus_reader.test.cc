#include "support/corpus_reader.hh"

#include <doctest/doctest.h>

#include <string>

#include "json/seconds.hh"

using namespace zrb;

namespace {
const std::string logs_dir = ZRB_SHARED_DIR "/corpus/zeek-logs/";
}

TEST_CASE("corpus_reader: a TSV header becomes a schema with nested records") {
  TsvLog log;
  std::string why;
  REQUIRE_MESSAGE(read_tsv_log(logs_dir + "conn.log", log, &why), why);
  CHECK(log.path == "conn");
  CHECK(log.set_separator == ',');
  CHECK(log.rows.size() > 10);
  LogSchema schema;
  REQUIRE_MESSAGE(schema_from_tsv(log, 80010, schema, &why), why);
  CHECK(schema.zeek_version == 80010);
  REQUIRE(schema.columns.size() == log.fields.size());
  CHECK(schema.columns[0].name == "ts");
  CHECK(schema.columns[0].index == std::vector<uint32_t>{0});
  CHECK(schema.columns[2].name == "id.orig_h");
  CHECK(schema.columns[2].index == std::vector<uint32_t>{2, 0});
  CHECK(schema.columns[5].name == "id.resp_p");
  CHECK(schema.columns[5].index == std::vector<uint32_t>{2, 3});
  CHECK(schema.columns[6].name == "proto");
  CHECK(schema.columns[6].index == std::vector<uint32_t>{3});  // after the 4 id columns: 3
  CHECK(schema.columns[6].type == ZeekType{TypeTag::enum_, TypeTag::none});
}

TEST_CASE("corpus_reader: rows become the values a Zeek node sends") {
  TsvLog log;
  std::string why;
  REQUIRE(read_tsv_log(logs_dir + "conn.log", log, &why));
  LogSchema schema;
  REQUIRE(schema_from_tsv(log, 30204, schema, &why));
  Vector record;
  REQUIRE_MESSAGE(tsv_row_to_record(log, schema, 0, nullptr, record, &why), why);
  REQUIRE(record.size() == schema.columns.size() - 3);  // id's 4 columns are one record
  CHECK(record[0] == Value(Timestamp{0}));              // masked in Zeek's baselines
  REQUIRE(record[2].get_if<Vector>() != nullptr);
  CHECK(record[2].get_if<Vector>()->size() == 4);
  CHECK(record[3].get_if<EnumValue>() != nullptr);

  // Exact values given for the time column replace the TSV text.
  RowReals reals(schema.columns.size());
  reals[0] = std::vector<double>{1300475167.096535};
  REQUIRE(tsv_row_to_record(log, schema, 0, &reals, record, &why));
  CHECK(record[0] == Value(Timestamp{ns_from_seconds(1300475167.096535)}));
  reals[0] = std::vector<double>{1.0, 2.0};  // one value per element: this is no container
  CHECK_FALSE(tsv_row_to_record(log, schema, 0, &reals, record, &why));
  CHECK(why.find("'ts'") != std::string::npos);
}

TEST_CASE("corpus_reader: missing files and bad headers are reported") {
  TsvLog log;
  std::string why;
  CHECK_FALSE(read_tsv_log(logs_dir + "no-such.log", log, &why));
  CHECK(why.find("cannot open") != std::string::npos);
  log.fields = {"a", "b"};
  log.types = {"count", "record conn_id"};
  LogSchema schema;
  CHECK_FALSE(schema_from_tsv(log, 80010, schema, &why));
  CHECK(why.find("unknown type") != std::string::npos);
  log.types = {"count", "count"};
  log.fields = {"a", "a.b"};
  CHECK_FALSE(schema_from_tsv(log, 80010, schema, &why));
  CHECK(why.find("clashes") != std::string::npos);
}
