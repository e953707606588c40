#include "observe/metrics.hh"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

namespace zrb {

namespace {

enum class Type { counter, gauge };

// One exported family: a registry name (with or without a label) and what
// Prometheus sees.
struct Family {
  std::string_view source;  // name in counters.hh / gauges.hh
  bool labelled;            // the entry for name{label} (else for bare name)
  std::string_view metric;  // without the zrb_ prefix and _total suffix
  std::string_view label;   // label name
  std::string_view help;
  Type type = Type::counter;
};

// Registry names are those used in the code that counts (grep for them).
// A counter that exists both bare and labelled (records_received) is two
// families, so that sum() over a family never counts a record twice.
constexpr Family families[] = {
    {"records_received", false, "records_received", "", "Log records received from Zeek."},
    {"records_received", true, "path_records_received", "path",
     "Log records received from Zeek, per log path."},
    {"batches_received", false, "batches_received", "", "log_batch events received."},
    {"bytes_converted", false, "bytes_converted", "",
     "Bytes of JSON converted from received records and handed to the Redis writer."},
    {"records_written", false, "records_written", "", "Records Redis acknowledged."},
    {"path_records_written", true, "path_records_written", "path",
     "Records Redis acknowledged, per log path."},
    {"commands_written", false, "commands_written", "", "Redis commands acknowledged."},
    {"batches_written", false, "batches_written", "", "Pipelined batches Redis acknowledged."},
    {"bytes_written", false, "bytes_written", "",
     "Bytes of Redis commands (RESP) in batches Redis acknowledged."},
    {"records_failed", false, "records_failed", "",
     "Records Redis refused with an error reply (not retried)."},
    {"redis_errors", true, "redis_errors", "reason", "Redis error replies, by error prefix."},
    {"redis_reconnects", false, "redis_reconnects", "", "Reconnections of the Redis writer."},
    {"redis_connect_failures", false, "redis_connect_failures", "",
     "Failed connection attempts of the Redis writer."},
    {"writer_queue_full", false, "writer_queue_full", "",
     "Times the writer queue was full and the bridge stopped reading from Broker."},
    {"records_dropped", true, "records_dropped", "reason",
     "Records not written on purpose, by reason (route: a drop route; shutdown: deadline)."},
    {"rejected", true, "rejected", "reason", "Rejected input, by reason (docs/protocol.md)."},
    {"rejected_log_suppressed", true, "rejected_log_suppressed", "reason",
     "Rejection log lines left out by the rate limit (each was still counted)."},
    {"broker_messages_received", false, "broker_messages_received", "",
     "Broker messages received."},
    {"redis_in_messages", true, "redis_in_messages", "channel",
     "Messages read from subscribed Redis channels, by channel or pattern."},
    {"redis_in_dropped", true, "redis_in_dropped", "reason",
     "Redis messages dropped before publishing, by reason."},
    {"redis_in_reconnects", false, "redis_in_reconnects", "",
     "Reconnections of the Redis subscriber."},
    {"redis_in_connect_failures", false, "redis_in_connect_failures", "",
     "Failed connection attempts of the Redis subscriber."},
    {"redis_in_published", true, "redis_in_published", "kind",
     "Redis messages published to Zeek as events."},
    {"intel_published", true, "intel_published", "action",
     "Intel indicators published to Zeek, by action."},
    {"broker_peers_connected", false, "broker_peers_connected", "", "Zeek peers connected now.",
     Type::gauge},
    {"buffer_records", false, "buffer_records", "", "Records buffered for Redis (in memory) now.",
     Type::gauge},
    {"buffer_bytes", false, "buffer_bytes", "", "Bytes buffered for Redis (in memory) now.",
     Type::gauge},
    {"spool_records", false, "spool_records", "", "Records spilled to the disk spool now.",
     Type::gauge},
    {"spool_bytes", false, "spool_bytes", "", "Bytes of the disk spool not yet written to Redis.",
     Type::gauge},
    {"records_spooled", false, "records_spooled", "", "Records written to the disk spool."},
    {"spool_torn_entries", false, "spool_torn_entries", "",
     "Damaged or torn spool entries found and skipped."},
    {"commands_received", true, "commands_received", "op",
     "Redis operations of Zeek scripts accepted, by operation."},
    {"commands_executed", true, "commands_executed", "op",
     "Redis operations of Zeek scripts answered by Redis, by operation."},
    {"command_errors", true, "command_errors", "op",
     "Redis error replies to operations of Zeek scripts, by operation."},
    {"command_replies", false, "command_replies", "", "Reply events published to Zeek."},
    {"drain_requests", false, "drain_requests", "", "End-of-run drain requests accepted."},
    {"drain_answers", true, "drain_answers", "outcome",
     "drained answers published, by outcome (confirmed, timeout)."},
    {"commands_resent", false, "commands_resent", "",
     "Operations sent again after a lost connection."},
    {"commands_reconnects", false, "commands_reconnects", "",
     "Reconnections of the operations' Redis connection."},
    {"commands_connect_failures", false, "commands_connect_failures", "",
     "Failed connection attempts of the operations' Redis connection."},
    {"intel_replays", false, "intel_replays", "", "Snapshot replays to Zeek peers."},
    {"intel_replayed", false, "intel_replayed", "", "Indicators published by snapshot replays."},
    {"intel_replay_skipped", true, "intel_replay_skipped", "reason",
     "Snapshot entries not replayed, by reason."},
    {"intel_snapshot_pruned", false, "intel_snapshot_pruned", "",
     "Expired snapshot entries deleted by a replay."},
    {"intel_stream_entries", true, "intel_stream_entries", "stream",
     "Entries read from intel streams, by stream."},
    {"intel_stream_acks", false, "intel_stream_acks", "", "Intel stream entries acknowledged."},
    {"intel_stream_reconnects", false, "intel_stream_reconnects", "",
     "Reconnections of the intel stream reader."},
    {"log_streams", false, "log_streams", "", "(node, log path) schemas known now.", Type::gauge},
};

const Family* find_family(std::string_view source, bool labelled) {
  for (const auto& f : families)
    if (f.source == source && f.labelled == labelled) return &f;
  return nullptr;
}

// Metric names are [a-zA-Z_:][a-zA-Z0-9_:]*; registry names already are,
// but a counter added without a table entry must not break the page.
std::string sanitize_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// The shortest text that reads back as the same double (le="0.005", not
// le="0.0050000000000000001").
std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

struct Sample {
  std::string suffix;  // `{labels}`, `_bucket{le=...}`, `_sum`... or empty
  std::string value;
};

struct Page {
  struct Entry {
    std::string help;
    std::string type;
    std::vector<Sample> samples;
  };
  std::map<std::string, Entry> entries;  // sorted by metric name

  void add(const std::string& metric, std::string_view help, std::string_view type, Sample sample) {
    auto& e = entries[metric];
    if (e.type.empty()) {
      e.help = escape_help(help);
      e.type = std::string(type);
    }
    e.samples.push_back(std::move(sample));
  }

  std::string text() const {
    std::string out;
    for (const auto& [name, e] : entries) {
      out += "# HELP " + name + " " + e.help + "\n";
      out += "# TYPE " + name + " " + e.type + "\n";
      for (const auto& s : e.samples) out += name + s.suffix + " " + s.value + "\n";
    }
    return out;
  }
};

std::string one_label(std::string_view name, std::string_view value) {
  return "{" + std::string(name) + "=\"" + escape_label_value(value) + "\"}";
}

// Adds a registry value (counter or gauge) under its family.
void add_value(Page& page, const std::string& name, const std::string& label, std::string value,
               Type default_type) {
  const Family* f = find_family(name, !label.empty());
  Type type = f ? f->type : default_type;
  std::string metric = "zrb_" + sanitize_name(f ? f->metric : name);
  if (type == Type::counter) metric += "_total";
  std::string help = f ? std::string(f->help)
                       : (default_type == Type::counter ? "Counter " : "Gauge ") + name + ".";
  std::string labels = label.empty() ? "" : one_label(f ? f->label : "label", label);
  page.add(metric, help, type == Type::counter ? "counter" : "gauge",
           Sample{std::move(labels), std::move(value)});
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  size_t i = 0;
  while (i < value.size()) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // Copy a whole well-formed UTF-8 sequence; otherwise one `\xNN`.
      size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
      bool ok = len > 0 && i + len <= value.size();
      for (size_t k = 1; ok && k < len; ++k)
        ok = (static_cast<unsigned char>(value[i + k]) & 0xc0) == 0x80;
      if (ok && len == 3) {
        auto c1 = static_cast<unsigned char>(value[i + 1]);
        ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogate
      } else if (ok && len == 4) {
        auto c1 = static_cast<unsigned char>(value[i + 1]);
        ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);  // overlong, > U+10FFFF
      }
      if (ok) {
        out.append(value.substr(i, len));
        i += len;
        continue;
      }
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\\\x%02x", c);
      out += buf;
    }
    ++i;
  }
  return out;
}

std::string render_metrics(const Counters& counters, const Gauges& gauges,
                           const Histograms& histograms) {
  Page page;
  for (const auto& [name, label, value] : counters.entries())
    add_value(page, name, label, std::to_string(value), Type::counter);
  for (const auto& g : gauges.snapshot())
    add_value(page, g.name, g.label, format_double(g.value), Type::gauge);
  for (const auto& [name, h] : histograms.snapshot()) {
    std::string metric = "zrb_" + sanitize_name(name);
    std::string help = name == "redis_roundtrip_seconds"
                           ? "Seconds from sending a pipelined batch to Redis to its last reply."
                           : "Histogram " + name + ".";
    for (size_t i = 0; i < h.cumulative.size(); ++i) {
      auto le = i < h.upper_bounds.size() ? format_double(h.upper_bounds[i]) : "+Inf";
      page.add(metric, help, "histogram",
               Sample{"_bucket{le=\"" + le + "\"}", std::to_string(h.cumulative[i])});
    }
    page.add(metric, help, "histogram", Sample{"_sum", format_double(h.sum)});
    page.add(metric, help, "histogram", Sample{"_count", std::to_string(h.count)});
  }
  return page.text();
}

std::string render_metrics() {
  return render_metrics(counters(), gauges(), histograms());
}

}  // namespace zrb
