// bench_ws_publisher: a WebSocket server standing in for Zeek 8.0.10's
// WebSocket API (docs/protocol.md, "Over Zeek's WebSocket API"), to measure
// the bridge's own WebSocket path without Zeek as the limit.
//
//   bench_ws_publisher --listen HOST:PORT [--records N] [--batch B]
//                      [--distinct R] [--node NAME] [--path P]
//                      [--expected-file F]
//
// It accepts one connection (the bridge), reads its subscription, answers
// the ack as Zeek 8.0.10 does (../shared/corpus/zeek-8.0.10/websocket/
// ack.json), sends one protocol-2 log_schema and then N conn records in
// log_batch2 events of B records, as text frames shaped like Zeek's data
// messages. The frames are built before the clock starts and reused past
// --distinct R records (default 100,000), so the figure measures the bridge.
// With --expected-file, the `text` object (Zeek's to_json) of every record
// of the pool goes there, one per line, prefixed by its number in the pool,
// so bench/ws_run.py can check sampled Redis entries byte for byte.
//
// Output on stdout, one "key=value ..." line per step, for bench/ws_run.py:
//   listening port=<p> frames=<F> bytes=<b>   the pool: F * B records, b bytes
//   ready                        subscription read, ack sent
//   start mono=<t>               CLOCK_MONOTONIC when sending began
//   sent records=... seconds=... records_per_s=...
// Then it keeps the connection open (reading, so pings are answered) until
// SIGTERM or the bridge closes it.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cinttypes>
#include <cstdio>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hh"
#include "conn_corpus.hh"
#include "json/zeek_double.hh"

namespace {

using namespace zrb_bench;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string typed(const char* type, const std::string& data) {
  return std::string("{\"@data-type\":\"") + type + "\",\"data\":" + data + "}";
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

std::string count(uint64_t v) {
  return typed("count", std::to_string(v));
}

const std::string none = typed("none", "{}");

std::string address_text(const std::array<uint8_t, 16>& a) {
  static constexpr uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN];
  if (std::memcmp(a.data(), v4_prefix, 12) == 0)
    inet_ntop(AF_INET, a.data() + 12, out, sizeof out);
  else
    inet_ntop(AF_INET6, a.data(), out, sizeof out);
  return out;
}

/// A time as Zeek's WebSocket API writes it: ISO 8601 UTC cut to milliseconds.
std::string iso_ms(int64_t ns) {
  const time_t secs = static_cast<time_t>(ns / 1000000000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03d\"", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(ns % 1000000000 / 1000000));
  return buf;
}

/// A double as to_json writes it: Zeek 8's rapidjson Writer::Double, the
/// same digits as its log writer (docs/protocol.md, "Protocol version 2").
/// The bridge's own Grisu2 writes them (checked against Zeek's logs by the
/// corpus test); mostly the shortest digits, in a few cases one more.
std::string real(double v) {
  std::string out;
  zrb::append_zeek_double(out, v, /*rounded_grisu=*/true);
  return out;
}

/// A timespan as Zeek 8.0.10's Broker writes it into the WebSocket JSON
/// (broker/format/json.hh): "0s", else the coarsest of ns, us, ms, s that
/// holds the value as an integer.
std::string timespan(int64_t ns) {
  if (ns == 0) return typed("timespan", quoted("0s"));
  static constexpr const char* units[] = {"ns", "us", "ms"};
  for (const char* unit : units) {
    if (ns % 1000 != 0) return typed("timespan", quoted(std::to_string(ns) + unit));
    ns /= 1000;
  }
  return typed("timespan", quoted(std::to_string(ns) + "s"));
}

/// The IP protocol number of a transport protocol name (conn_id's `proto`
/// and Conn::Info's `ip_proto` in Zeek 8).
uint64_t ip_proto(const char* proto) {
  if (std::strcmp(proto, "tcp") == 0) return 6;
  if (std::strcmp(proto, "udp") == 0) return 17;
  if (std::strcmp(proto, "icmp") == 0) return 1;
  throw std::invalid_argument(std::string("no protocol number for ") + proto);
}

/// The record as Zeek 8.0.10's WebSocket API sends its Conn::Info (captured
/// from a real run, dns-edns-ecs.pcap): a positional vector of 19 fields,
/// conn_id a vector that also holds `proto` (count) and `ctx` (an empty
/// record: an empty vector), unset fields as none, `ip_proto` last.
std::string typed_record(const ConnRecord& r) {
  const char* proto = r.proto;
  std::string id =
      typed("vector", "[" + typed("address", quoted(address_text(r.orig_h))) + "," +
                          typed("port", quoted(std::to_string(r.orig_p) + "/" + proto)) + "," +
                          typed("address", quoted(address_text(r.resp_h))) + "," +
                          typed("port", quoted(std::to_string(r.resp_p) + "/" + proto)) + "," +
                          count(ip_proto(proto)) + "," + typed("vector", "[]") + "]");
  auto opt_count = [](int64_t v) { return v < 0 ? none : count(static_cast<uint64_t>(v)); };
  std::vector<std::string> f = {
      typed("timestamp", iso_ms(r.ts_ns)),
      typed("string", quoted(r.uid)),
      id,
      typed("enum-value", quoted(proto)),
      r.service ? typed("string", quoted(r.service)) : none,
      r.duration_ns ? timespan(*r.duration_ns) : none,
      opt_count(r.orig_bytes),
      opt_count(r.resp_bytes),
      typed("string", quoted(r.conn_state)),
      typed("boolean", r.local_orig ? "true" : "false"),
      typed("boolean", r.local_resp ? "true" : "false"),
      count(r.missed_bytes),
      typed("string", quoted(r.history)),
      count(r.orig_pkts),
      count(r.orig_ip_bytes),
      count(r.resp_pkts),
      count(r.resp_ip_bytes),
      none,  // tunnel_parents: unset
      count(ip_proto(proto)),
  };
  std::string out = "[";
  for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
  return typed("vector", out + "]");
}

/// A port as to_json writes it.
std::string json_port(uint16_t port, const char* proto) {
  return "{\"port\":" + std::to_string(port) + ",\"proto\":" + quoted(proto) + "}";
}

/// The record as Zeek 8.0.10's to_json(records, T, /^-/, T) writes it (as
/// captured): &log fields only, unset ones left out; conn_id an object with
/// ports as {"port":N,"proto":P} and the empty `ctx` as {}; `ip_proto` last.
std::string json_record(uint64_t k, const ConnRecord& r) {
  const ConnRow& row = conn_rows[k % conn_row_count];
  // The double Zeek had, as conn_record derives ts_ns from it.
  const auto ts_us = static_cast<int64_t>(std::llround(row.ts * 1e6)) +
                     static_cast<int64_t>(k / conn_row_count) * 137;
  const double ts = static_cast<double>(ts_us) / 1e6;
  std::string o = "{\"ts\":" + real(ts) + ",\"uid\":" + quoted(r.uid) +
                  ",\"id\":{\"orig_h\":" + quoted(address_text(r.orig_h)) +
                  ",\"orig_p\":" + json_port(r.orig_p, r.proto) +
                  ",\"resp_h\":" + quoted(address_text(r.resp_h)) +
                  ",\"resp_p\":" + json_port(r.resp_p, r.proto) +
                  ",\"ctx\":{}},\"proto\":" + quoted(r.proto);
  if (r.service) o += ",\"service\":" + quoted(r.service);
  if (r.duration_ns) o += ",\"duration\":" + real(row.duration);
  if (r.orig_bytes >= 0) o += ",\"orig_bytes\":" + std::to_string(r.orig_bytes);
  if (r.resp_bytes >= 0) o += ",\"resp_bytes\":" + std::to_string(r.resp_bytes);
  o += ",\"conn_state\":" + quoted(r.conn_state);
  o += std::string(",\"local_orig\":") + (r.local_orig ? "true" : "false");
  o += std::string(",\"local_resp\":") + (r.local_resp ? "true" : "false");
  o += ",\"missed_bytes\":" + std::to_string(r.missed_bytes);
  o += ",\"history\":" + quoted(r.history);
  o += ",\"orig_pkts\":" + std::to_string(r.orig_pkts);
  o += ",\"orig_ip_bytes\":" + std::to_string(r.orig_ip_bytes);
  o += ",\"resp_pkts\":" + std::to_string(r.resp_pkts);
  o += ",\"resp_ip_bytes\":" + std::to_string(r.resp_ip_bytes);
  o += ",\"ip_proto\":" + std::to_string(ip_proto(r.proto));
  return o + "}";
}

/// A JSON string literal of `s` (only quotes and backslashes occur here).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// A Zeek event as Zeek 8.0.10's WebSocket API sends it.
std::string event(const char* name, const std::string& args) {
  return "{\"type\":\"data-message\",\"topic\":\"zeek/redis/logs\",\"@data-type\":\"vector\","
         "\"data\":[" +
         count(1) + "," + count(1) + "," +
         typed("vector", "[" + typed("string", quoted(name)) + "," +
                             typed("vector", "[" + args + "]") + "]") +
         "]}";
}

std::string schema_event(const std::string& node, const std::string& path) {
  std::string cols;
  // Zeek 8.0.10's conn.log: Zeek 3.2.4's columns and `ip_proto`.
  auto columns = conn_schema();
  columns.push_back({"ip_proto", "count", {18}});
  for (const auto& c : columns) {
    std::string index;
    for (auto i : c.index) index += (index.empty() ? "" : ",") + count(i);
    cols +=
        (cols.empty() ? "" : ",") + typed("vector", "[" + typed("string", quoted(c.name)) + "," +
                                                        typed("string", quoted(c.ztype)) + "," +
                                                        typed("vector", "[" + index + "]") + "]");
  }
  // version 2 (protocol_version_exact), Zeek 8.0.10.
  return event("RedisBridge::log_schema",
               count(2) + "," + count(80010) + "," + typed("string", quoted(node)) + "," +
                   typed("string", quoted(path)) + "," + typed("vector", "[" + cols + "]"));
}

/// Sends `m` framed as Zeek's WebSocket server (IXWebSocket,
/// WebSocketTransport::sendData) does: under 32 KiB one frame, else
/// size / 32 KiB frames, all of 32 KiB but the last, which takes the rest
/// (a captured 63,205-byte message came as one frame, one of 70,561 bytes as
/// 32,768 + 37,793).
template <class Stream>
void send_message(Stream& ws, const std::string& m) {
  constexpr size_t chunk = 32768;
  const size_t steps = m.size() < chunk ? 1 : m.size() / chunk;
  for (size_t i = 0; i < steps; ++i) {
    const bool last = i + 1 == steps;
    const size_t begin = i * chunk;
    ws.write_some(last, asio::buffer(m.data() + begin, last ? m.size() - begin : chunk));
  }
}

int run(const Options& opt) {
  std::string host;
  uint16_t port = 0;
  split_host_port(opt.str("--listen", "127.0.0.1:0"), host, port);
  const uint64_t n = opt.count("--records", 1000000);
  const uint64_t batch = opt.count("--batch", 100);
  const uint64_t distinct = opt.count("--distinct", 100000);
  const std::string node = opt.str("--node", "zeek"), path = opt.str("--path", "conn");
  if (batch == 0 || distinct < batch) throw std::invalid_argument("--batch 1..--distinct");

  // The frames: batch b holds records b*B .. b*B+B-1 of the distinct pool.
  std::vector<std::string> frames;
  std::ofstream expected;
  if (opt.has("--expected-file")) expected.open(opt.str("--expected-file", ""));
  for (uint64_t first = 0; first + batch <= distinct; first += batch) {
    std::string records, text;
    for (uint64_t k = first; k < first + batch; ++k) {
      const ConnRecord r = conn_record(k);
      const std::string obj = json_record(k, r);
      records += (records.empty() ? "" : ",") + typed_record(r);
      text += (text.empty() ? "" : ",") + obj;
      if (expected.is_open()) expected << k << " " << obj << "\n";
    }
    frames.push_back(event("RedisBridge::log_batch2",
                           typed("string", quoted(node)) + "," + typed("string", quoted(path)) +
                               "," + typed("vector", "[" + records + "]") + "," +
                               typed("string", json_string("[" + text + "]"))));
  }
  if (expected.is_open()) {
    expected.close();
    if (expected.fail()) throw std::runtime_error("cannot write --expected-file");
  }

  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(host), port));
  size_t bytes = 0;
  for (const auto& f : frames) bytes += f.size();
  std::printf("listening port=%u frames=%zu bytes=%zu\n", acceptor.local_endpoint().port(),
              frames.size(), bytes);
  std::fflush(stdout);
  tcp::socket socket(io);
  acceptor.accept(socket);
  socket.set_option(tcp::no_delay(true));
  beast::websocket::stream<tcp::socket> ws(std::move(socket));
  ws.auto_fragment(false);  // send_message makes the frames
  ws.accept();
  beast::flat_buffer buffer;
  ws.read(buffer);  // the bridge's subscription (its topic prefixes)
  ws.text(true);
  ws.write(asio::buffer(std::string(
      "{\"type\":\"ack\",\"endpoint\":\"bench-ws-publisher\",\"version\":\"8.0.10\"}")));
  ws.write(asio::buffer(schema_event(node, path)));
  std::printf("ready\n");

  const double start = mono_seconds();
  std::printf("start mono=%.6f\n", start);
  std::fflush(stdout);
  const uint64_t batches = n / batch;
  for (uint64_t b = 0; b < batches; ++b) send_message(ws, frames[b % frames.size()]);
  const double seconds = mono_seconds() - start;
  std::printf("sent records=%" PRIu64 " seconds=%.3f records_per_s=%.0f\n", batches * batch,
              seconds, static_cast<double>(batches * batch) / seconds);
  std::fflush(stdout);
  // Reading answers the bridge's pings until it goes away or SIGTERM ends us.
  beast::error_code ec;
  while (!ec) {
    buffer.clear();
    ws.read(buffer, ec);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options opt(
        argc, argv,
        {"--listen", "--records", "--batch", "--distinct", "--node", "--path", "--expected-file"},
        {});
    return run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ws_publisher: %s\n", e.what());
    return 1;
  }
}
