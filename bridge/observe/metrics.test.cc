#include "observe/metrics.hh"

#include <doctest/doctest.h>

#include <string>

using namespace zrb;

TEST_CASE("metrics: label values escape backslash, quote and newline, and stay UTF-8") {
  CHECK(escape_label_value("conn") == "conn");
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_label_value("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 kept
  CHECK(escape_label_value("x\xff"
                           "y") == "x\\\\xffy");                         // not UTF-8
  CHECK(escape_label_value("\xe2\x82") == "\\\\xe2\\\\x82");             // truncated
  CHECK(escape_label_value("\xed\xa0\x80") == "\\\\xed\\\\xa0\\\\x80");  // surrogate
}

TEST_CASE("metrics: counters with their labels, help, type, sorted; histograms in full") {
  Counters c;
  Gauges g;
  Histograms h;
  c.get("records_received") += 3;
  c.get("records_received", "dns") += 1;
  c.get("records_received", "conn") += 2;
  c.get("rejected", "too_deep") += 4;
  c.get("path_records_written", "we\"ird\\\n") += 5;
  c.get("some_new_counter", "v") += 6;
  g.get("broker_peers_connected") = 2;
  h.get("redis_roundtrip_seconds", {0.001, 0.5}).observe(0.25);
  auto page = render_metrics(c, g, h);
  CHECK(page ==
        "# HELP zrb_broker_peers_connected Zeek peers connected now.\n"
        "# TYPE zrb_broker_peers_connected gauge\n"
        "zrb_broker_peers_connected 2\n"
        "# HELP zrb_path_records_received_total Log records received from Zeek, per log path.\n"
        "# TYPE zrb_path_records_received_total counter\n"
        "zrb_path_records_received_total{path=\"conn\"} 2\n"
        "zrb_path_records_received_total{path=\"dns\"} 1\n"
        "# HELP zrb_path_records_written_total Records Redis acknowledged, per log path.\n"
        "# TYPE zrb_path_records_written_total counter\n"
        "zrb_path_records_written_total{path=\"we\\\"ird\\\\\\n\"} 5\n"
        "# HELP zrb_records_received_total Log records received from Zeek.\n"
        "# TYPE zrb_records_received_total counter\n"
        "zrb_records_received_total 3\n"
        "# HELP zrb_redis_roundtrip_seconds Seconds from sending a pipelined batch to Redis to "
        "its last reply.\n"
        "# TYPE zrb_redis_roundtrip_seconds histogram\n"
        "zrb_redis_roundtrip_seconds_bucket{le=\"0.001\"} 0\n"
        "zrb_redis_roundtrip_seconds_bucket{le=\"0.5\"} 1\n"
        "zrb_redis_roundtrip_seconds_bucket{le=\"+Inf\"} 1\n"
        "zrb_redis_roundtrip_seconds_sum 0.25\n"
        "zrb_redis_roundtrip_seconds_count 1\n"
        "# HELP zrb_rejected_total Rejected input, by reason (docs/protocol.md).\n"
        "# TYPE zrb_rejected_total counter\n"
        "zrb_rejected_total{reason=\"too_deep\"} 4\n"
        "# HELP zrb_some_new_counter_total Counter some_new_counter.\n"
        "# TYPE zrb_some_new_counter_total counter\n"
        "zrb_some_new_counter_total{label=\"v\"} 6\n");
}
