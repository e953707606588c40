// bad_input_peer: a Broker peer that sends the bridge malformed messages of
// every kind its Broker's C++ API can express, each between good numbered
// records, for tests/integration/test_cpp_bad_input.py.
//
//   bad_input_peer --peer HOST:PORT [--huge-bytes N] [--large-bytes N]
//                  [--big-ok-bytes N] [--depth N] [--flood N] [--linger-s S]
//
// With --flood N it sends instead N bad messages of four reasons in turn,
// each followed by good records: the bridge must count every one and log
// only --log.rejected-lines of each reason.
//
// Built against the bridge's own Broker (1.4, or the C++20 Broker of Zeek
// 6.2+), so bad input over Zeek 8's Broker is tested where python3-broker
// (1.4 only) cannot peer. The Broker API differences are those of the
// benchmark peers (bench/broker_peer.hh). Every message is built as the
// Broker value Zeek puts on the wire ([1, 1, [name, args]]), so a malformed
// envelope is as easy to send as a good one.
//
// Stdout, one line each: "ready" once peered; then per message, after it is
// published, "good <JSON line>" for every record that must reach Redis (in
// order), "bad <reason> <what>" for every rejection it must cause and
// "reply-wanted <id> <code>" for a refused Redis operation whose error reply
// (docs/protocol.md, "Replies") must come back; then "reply <event>" for
// each reply event that arrived within --reply-wait-s, and "sent <messages>".
// It stays peered for --linger-s seconds (Broker ships in the background) or
// until the bridge goes away.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "broker_peer.hh"

namespace {

using namespace zrb_bench;

const std::string topic = "zeek/redis/logs";
const std::string schema_event = "RedisBridge::log_schema";
const std::string batch_event = "RedisBridge::log_batch";
const std::string node = "cpp-bad-input";
// Where the bridge answers this peer's Redis operations: subscribed before
// the peering, so that the subscription reaches the bridge.
const std::string reply_topic = "zeek/redis/cpp-bad-input/reply";
const std::string path = "seq";
// The schema says Zeek 8.0.10: strings are rendered as that Zeek escapes them.
constexpr uint64_t zeek_version = 80010;

struct Sizes {
  uint64_t huge = 64u << 20;   // over --limits.max-string-bytes: string_too_long
  uint64_t large = 20u << 20;  // under it, but its JSON over --limits.max-record-bytes
  uint64_t big_ok = 1u << 20;  // under both: written
  uint64_t depth = 1000;       // over --limits.max-depth (default 64)
};

broker::vector column(const std::string& name, const std::string& type, broker::vector index) {
  return broker::vector{name, type, std::move(index)};
}

// The log: seq (count) and an optional note (string).
broker::vector columns() {
  return broker::vector{column("seq", "count", broker::vector{broker::count{0}}),
                        column("note", "string", broker::vector{broker::count{1}})};
}

broker::data schema(const std::string& node_name, const std::string& log_path, broker::vector cols,
                    broker::data version = broker::count{1}) {
  return zeek_event(schema_event, {std::move(version), broker::count{zeek_version}, node_name,
                                   log_path, std::move(cols)});
}

broker::data batch(const std::string& log_path, broker::vector records) {
  return zeek_event(batch_event, {node, log_path, std::move(records)});
}

class Plan {
 public:
  explicit Plan(broker::endpoint& ep) : ep_(ep) {}

  /// A good record with the next number; `note` set if given.
  /// `note_json` is how Zeek 8's JSON writer writes that note.
  broker::data good(const std::string* note = nullptr, const std::string& note_json = {}) {
    auto seq = next_++;
    pending_.push_back("good {\"seq\":" + std::to_string(seq) +
                       (note ? ",\"note\":\"" + note_json + "\"" : std::string()) + "}");
    return broker::vector{broker::count{seq},
                          note ? broker::data{*note} : broker::data{broker::none{}}};
  }

  /// A record of this log that the bridge must reject for `reason`.
  broker::data bad_record(broker::data record, const std::string& reason, const std::string& what) {
    expect(reason, what);
    return record;
  }

  void expect(const std::string& reason, const std::string& what) {
    pending_.push_back("bad " + reason + " " + what);
  }

  /// A refused operation (request `id`) whose error reply starts with `code`.
  void expect_reply(uint64_t id, const std::string& code) {
    pending_.push_back("reply-wanted " + std::to_string(id) + " " + code);
    ++replies_wanted_;
  }

  /// Publishes `msg`, then prints what it must cause.
  void send(broker::data msg) {
    ep_.publish(broker::topic{topic}, std::move(msg));
    ++messages_;
    for (const auto& line : pending_) std::printf("%s\n", line.c_str());
    pending_.clear();
    std::fflush(stdout);
  }

  /// A message that must be rejected for `reason`, then a good batch.
  void bad(const std::string& reason, const std::string& what, broker::data msg) {
    expect(reason, what);
    send(std::move(msg));
    good_batch();
  }

  void good_batch(size_t n = 2) {
    broker::vector records;
    for (size_t i = 0; i < n; ++i) records.push_back(good());
    send(batch(path, std::move(records)));
  }

  uint64_t messages() const { return messages_; }
  uint64_t replies_wanted() const { return replies_wanted_; }

 private:
  broker::endpoint& ep_;
  std::vector<std::string> pending_;
  uint64_t next_ = 0;
  uint64_t messages_ = 0;
  uint64_t replies_wanted_ = 0;
};

broker::data nested(uint64_t depth) {
  broker::data d = broker::count{1};
  for (uint64_t i = 0; i < depth; ++i) d = broker::vector{std::move(d)};
  return d;
}

void run(Plan& p, const Sizes& sizes) {
  p.send(schema(node, path, columns()));
  p.good_batch(3);

  // Events the bridge does not know, or knows with other arguments.
  p.bad("unknown_event", "unknown event name",
        zeek_event("RedisBridge::no_such_event", {node, path}));
  p.bad("unknown_event", "event name of non-UTF-8 and control bytes",
        zeek_event("RedisBridge::\xff\xfe\x01name", {node, path}));
  p.bad("bad_arguments", "log_batch with 2 arguments", zeek_event(batch_event, {node, path}));
  p.bad("bad_arguments", "log_batch whose node is a count",
        zeek_event(batch_event, {broker::count{7}, path, broker::vector{}}));
  p.bad("bad_arguments", "log_batch whose records are a string",
        zeek_event(batch_event, {node, path, std::string("records")}));
  p.bad("bad_arguments", "log_schema with an int version",
        schema(node, "int-version", columns(), broker::integer{1}));
  p.bad("bad_arguments", "log_schema with a string for columns",
        zeek_event(schema_event, {broker::count{1}, broker::count{zeek_version}, node,
                                  "string-columns", std::string("seq count 0")}));
  p.bad("bad_arguments", "log_schema with 6 arguments",
        zeek_event(schema_event, {broker::count{1}, broker::count{zeek_version}, node, "six",
                                  columns(), broker::count{6}}));

  // Schemas the bridge refuses, then a batch for each (no schema: unknown_stream).
  p.bad("protocol_version", "schema of protocol version 99",
        schema(node, "v99", columns(), broker::count{99}));
  p.bad("unknown_stream", "batch for the version-99 path",
        batch("v99", broker::vector{broker::vector{broker::count{0}, broker::none{}}}));
  auto blob = columns();
  blob[1] = column("note", "blob", broker::vector{broker::count{1}});
  p.bad("bad_schema", "schema with a column of type blob", schema(node, "blob", blob));
  p.bad("unknown_stream", "batch for the blob path",
        batch("blob", broker::vector{broker::vector{broker::count{0}, broker::none{}}}));
  auto not_text = columns();
  not_text[1] = column("note", "str\xffing", broker::vector{broker::count{1}});
  p.bad("bad_schema", "schema with a column type of non-UTF-8 bytes",
        schema(node, "not-text", not_text));
  auto empty_index = columns();
  empty_index[1] = column("note", "string", broker::vector{});
  p.bad("bad_schema", "schema with an empty index", schema(node, "empty-index", empty_index));
  p.bad("unknown_stream", "batch for a path without schema",
        batch("no-such-path", broker::vector{broker::vector{broker::count{0}, broker::none{}}}));

  // schema_mismatch inside a batch of good records, which are written.
  {
    broker::vector records;
    records.push_back(p.good());
    records.push_back(p.bad_record(broker::vector{std::string("many"), broker::none{}},
                                   "schema_mismatch", "a string where a count belongs"));
    records.push_back(p.good());
    records.push_back(p.bad_record(broker::vector{}, "schema_mismatch", "a record of no fields"));
    records.push_back(
        p.bad_record(std::string("not a record"), "schema_mismatch", "a string for a record"));
    records.push_back(p.good());
    p.send(batch(path, std::move(records)));
    p.good_batch();
  }

  // Oversized strings between a good record and a good big one.
  {
    const std::string big_ok(sizes.big_ok, 'h');
    broker::vector records;
    records.push_back(p.good());
    records.push_back(p.bad_record(broker::vector{broker::count{0}, std::string(sizes.huge, 'H')},
                                   "string_too_long",
                                   "a " + std::to_string(sizes.huge) + "-byte string"));
    records.push_back(
        p.bad_record(broker::vector{broker::count{0}, std::string(sizes.large, 'L')}, "too_large",
                     "a record with a " + std::to_string(sizes.large) + "-byte string"));
    records.push_back(p.good(&big_ok, big_ok));
    p.send(batch(path, std::move(records)));
    p.good_batch();
  }

  // A good record whose note is not UTF-8: kept, escaped as Zeek 8 escapes it.
  {
    const std::string bytes =
        "a\xff"
        "b\x01";
    broker::vector records;
    records.push_back(p.good(&bytes, "a\\\\xffb\\\\x01"));
    p.send(batch(path, std::move(records)));
  }

  p.bad("too_deep", "a record holding a value nested " + std::to_string(sizes.depth) + " deep",
        batch(path, broker::vector{broker::vector{broker::count{0}, nested(sizes.depth)}}));

  // Messages that are not Zeek events.
  p.bad("not_an_event", "a plain string", std::string("this is not an event"));
  p.bad("not_an_event", "a Zeek log-write message (type 2)",
        broker::vector{broker::count{1}, broker::count{2},
                       broker::vector{std::string("Conn::LOG"), std::string("x")}});
  p.bad("not_an_event", "an event envelope without arguments",
        broker::vector{broker::count{1}, broker::count{1}, broker::vector{batch_event}});
  p.bad("not_an_event", "an event envelope whose name is a count",
        broker::vector{broker::count{1}, broker::count{1},
                       broker::vector{broker::count{5}, broker::vector{}}});

  p.bad("name_too_long", "schema with a 2 MB node name",
        schema(std::string(2u << 20, 'N'), "huge-node", columns()));
  // The forged line is bad_input_checks.FORGED, which the test looks for.
  p.bad("unknown_stream", "batch for a path holding CR LF and a forged log line",
        batch("x\r\n2026-01-01T00:00:00.000Z error FORGED by a peer",
              broker::vector{broker::vector{broker::count{0}, broker::none{}}}));

  // Protocol 2 (the WebSocket transport's) over Broker: a version-2 stream
  // of its own, whose batches are all refused (so it never gets a key).
  p.bad("protocol_version", "log_batch2 for the version-1 stream",
        zeek_event("RedisBridge::log_batch2",
                   {node, path, broker::vector{broker::vector{broker::count{0}, broker::none{}}},
                    std::string("[{\"seq\":0}]")}));
  p.send(schema(node, "exact", columns(), broker::count{2}));
  p.bad("protocol_version", "log_batch for the version-2 stream",
        batch("exact", broker::vector{broker::vector{broker::count{0}, broker::none{}}}));
  p.bad("bad_exact_text", "log_batch2 whose text is not JSON",
        zeek_event("RedisBridge::log_batch2",
                   {node, "exact", broker::vector{broker::vector{broker::count{0}, broker::none{}}},
                    std::string("{not json")}));
  p.bad("bad_exact_text", "log_batch2 whose text has no object for its record",
        zeek_event("RedisBridge::log_batch2",
                   {node, "exact", broker::vector{broker::vector{broker::count{0}, broker::none{}}},
                    std::string("[]")}));

  // --limits.max-streams 2 (seq and exact): a third stream is refused, the
  // known ones keep working (the good batches that follow).
  p.bad("too_many_streams", "schema for a third stream", schema(node, "third", columns()));
  p.bad("unknown_stream", "batch for the third stream",
        batch("third", broker::vector{broker::vector{broker::count{0}, broker::none{}}}));

  // The end-of-run request with wrong arguments.
  p.bad("bad_arguments", "drain with 1 argument",
        zeek_event("RedisBridge::drain", {broker::count{1}}));
  p.bad("bad_arguments", "drain with an empty reply topic",
        zeek_event("RedisBridge::drain",
                   {broker::count{1}, std::string(), broker::timespan{std::chrono::seconds(1)}}));

  // Zeek scripts' Redis operations: refused without touching Redis, with
  // an error reply where the request has an id and a reply topic.
  p.bad("bad_command", "op_set with 2 arguments and no id",
        zeek_event("RedisBridge::op_set", {std::string("k"), std::string("v")}));
  p.expect_reply(7001, "BADARG");
  p.bad("bad_command", "op_nosuch, an unknown operation",
        zeek_event("RedisBridge::op_nosuch", {broker::count{7001}, reply_topic}));
  p.expect_reply(7002, "BADARG");
  p.bad("bad_command", "op_get whose key is a count",
        zeek_event("RedisBridge::op_get", {broker::count{5}, broker::count{7002}, reply_topic}));
  p.expect_reply(7003, "REFUSED");
  p.bad("command_refused", "op_command FLUSHALL",
        zeek_event("RedisBridge::op_command",
                   {broker::vector{std::string("FLUSHALL")}, broker::count{7003}, reply_topic}));
  p.good_batch(3);
}

// N bad messages, a quarter of each of four reasons, between good records.
void flood(Plan& p, uint64_t n) {
  p.send(schema(node, path, columns()));
  for (uint64_t i = 0; i < n; ++i) {
    switch (i % 4) {
      case 0:
        p.bad("unknown_event", "unknown event name",
              zeek_event("RedisBridge::no_such_event", {node, path}));
        break;
      case 1:
        p.bad("not_an_event", "a plain string", std::string("this is not an event"));
        break;
      case 2:
        p.bad("bad_arguments", "log_batch with 2 arguments", zeek_event(batch_event, {node, path}));
        break;
      default: {
        broker::vector records;
        records.push_back(p.good());
        records.push_back(
            p.bad_record(broker::vector{}, "schema_mismatch", "a record of no fields"));
        records.push_back(p.good());
        p.send(batch(path, std::move(records)));
      }
    }
  }
  p.good_batch(3);
}

// Prints every reply event that arrives until `wanted` did or `wait_s` passed.
void print_replies(broker::subscriber& replies, uint64_t wanted, double wait_s) {
  uint64_t got = 0;
  receive_until(replies, mono_seconds() + wait_s, [&](const broker::data_message& msg) {
    std::printf("reply %s\n", broker::to_string(broker::get_data(msg)).c_str());
    std::fflush(stdout);
    return ++got < wanted;
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string peer;
  Sizes sizes;
  double linger_s = 600, reply_wait_s = 10;
  uint64_t flood_messages = 0;
  try {
    Options o(argc, argv,
              {"--peer", "--huge-bytes", "--large-bytes", "--big-ok-bytes", "--depth", "--linger-s",
               "--reply-wait-s", "--flood"},
              {});
    peer = o.str("--peer", "");
    sizes.huge = o.count("--huge-bytes", sizes.huge);
    sizes.large = o.count("--large-bytes", sizes.large);
    sizes.big_ok = o.count("--big-ok-bytes", sizes.big_ok);
    sizes.depth = o.count("--depth", sizes.depth);
    linger_s = o.real("--linger-s", linger_s);
    reply_wait_s = o.real("--reply-wait-s", reply_wait_s);
    flood_messages = o.count("--flood", 0);
    if (peer.empty()) throw std::invalid_argument("--peer HOST:PORT is required");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bad_input_peer: %s\n", e.what());
    return 2;
  }
  // A flood is published faster than the bridge takes it: the C++20
  // Broker's buffer for the bridge must hold all of it (hold_whole_run).
  broker::endpoint ep{peer_configuration("sharing", 1, 2 * flood_messages + 1000)};
  auto replies = ep.make_subscriber({broker::topic{reply_topic}});
  auto status = ep.make_status_subscriber(true);
  reach(ep, "", peer, "bad_input_peer");
  auto added = wait_peered(status, 30, "bad_input_peer");
  if (!added || !wait_subscribed(ep, *added, topic, 30)) {
    std::fprintf(stderr, "bad_input_peer: no peering with %s\n", peer.c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  Plan plan(ep);
  if (flood_messages > 0) {
    flood(plan, flood_messages);
  } else {
    run(plan, sizes);
    print_replies(replies, plan.replies_wanted(), reply_wait_s);
  }
  std::printf("sent %llu\n", static_cast<unsigned long long>(plan.messages()));
  std::fflush(stdout);
  const double until = mono_seconds() + linger_s;
  while (mono_seconds() < until && !peer_gone(status)) {
  }
  return 0;
}
