"""Bad input: every kind of malformed message of docs/protocol.md, sent between good records.

One redis-server, one bridge, one Broker peer. The good records are real: the conn.log of the
Zeek 8.0.10 dns-edns-ecs trace, whose JSON lines Zeek wrote (the expected output). Between good
batches the peer sends, in order:

  unknown_event     an event name the bridge does not know
  bad_arguments     log_batch with two arguments instead of three
  bad_arguments     log_schema whose version is an int, not a count
  bad_arguments     log_schema whose columns are a string, not a vector
  protocol_version  a schema of protocol version 99 (then a batch for it: unknown_stream)
  bad_schema        a schema with a column of unknown type "blob" (then a batch: unknown_stream)
  bad_schema        a schema with a column whose index is empty
  unknown_stream    a batch for a path that never had a schema
  schema_mismatch   x2: a record with a string where a count belongs and a record with too few
                    fields, in one batch between three good records (which must be written)
  too_large         a record with a 20 MiB string (JSON over the 16 MiB limit) and
  string_too_long   a record with a 64 MiB string (over --limits.max-string-bytes 32 MiB),
                    between two good records, one of them carrying a 1 MiB string (under both
                    limits: must be written)
  too_deep          a record holding a value nested 1000 deep (alone in its batch)
  not_an_event      a plain string published on the topic
  name_too_long     a schema whose node name is 2 MB (over --limits.max-name-bytes 255)
  unknown_stream    a batch whose path holds CR LF and a forged log line: the line the bridge
                    logs for it must stay one line (control bytes written as hex escapes)

Checks (bad_input_checks.py, shared with test_cpp_bad_input.py): the bridge is still running at
the end; the stream holds every good record, in order, byte-identical to Zeek's line, and
nothing else exists in Redis; the log has one `rejected` line per bad input with the right
reason; the final counters show exactly these counts per reason and every good record written;
SIGTERM ends the bridge with exit code 0.

Unknown_stream and too_deep inputs are single-record batches, so the count does not depend on
whether the bridge counts them per batch or per record.

Run: /usr/bin/python3 tests/integration/test_bad_input.py   (env: see harness.py)
"""

import collections
import sys

import broker
from broker import _broker

import corpus
import zeek_tsv
from bad_input_checks import (BIG_OK_BYTES, DEPTH, FORGED, HUGE_BYTES, LARGE_BYTES, LIMIT_ARGS,
                              await_outcome, check_outcome, summary)
from harness import Bridge, BrokerPeer, Checks, RedisServer, TestError, tail

NODE = "bad-input-test"
TRACE = "dns-edns-ecs"  # its conn.log has enough records (69)


def deep_value(depth):
    """A vector nested `depth` deep, built bottom-up (python3-broker's converter recurses)."""
    d = broker.Data(broker.Count(1))
    for _ in range(depth):
        d = broker.Data(_broker.Vector([d]))
    return d


def with_history(line, record_values, log, new_history):
    """A good record's JSON line with its `history` string replaced (plain ASCII)."""
    old = record_values[log.tsv.fields.index("history")]
    needle = b'"history":"' + old.encode() + b'"'
    assert line.count(needle) == 1, line
    return line.replace(needle, b'"history":"' + new_history.encode() + b'"')


class Plan:
    """The messages to send, and what must come out."""

    def __init__(self, log):
        self.log = log
        self.path = log.path
        self.layout = log.layout()
        self.records = log.records(self.layout)
        self.lines = log.json_lines
        self.messages = []          # (description, message)
        self.expected_lines = []    # JSON lines that must be in zeek:<path>, in order
        self.expected_reasons = collections.Counter()
        self.next_good = 0
        self.col = {name: i for i, name in enumerate(log.tsv.fields)}

    def good_record(self, with_column=None):
        """The next unused good record (one whose `with_column` is set, if given)."""
        while True:
            i = self.next_good
            self.next_good += 1
            if i >= len(self.records):
                raise RuntimeError("not enough good records in the corpus log")
            if with_column is None or self.log.values[i][self.col[with_column]] is not None:
                return i

    def good_batch(self, n=2):
        idx = [self.good_record() for _ in range(n)]
        self.send(f"good batch {idx}",
                  zeek_tsv.batch_event(NODE, self.path, [self.records[i] for i in idx]))
        self.expected_lines += [self.lines[i] for i in idx]

    def send(self, what, message, reason=None):
        self.messages.append((what, message, reason))
        if reason:
            self.expected_reasons[reason] += 1

    def bad(self, what, message, reason):
        self.send(what, message, reason)
        self.good_batch()

    def record_with(self, i, column, value):
        """A copy of good record i with one column's value replaced (columns of this log are
        top-level or one level nested)."""
        rec = [list(v) if isinstance(v, list) else v for v in self.records[i]]
        index = self.layout.columns[self.col[column]][2]
        target = rec
        for k in index[:-1]:
            target = target[k]
        target[index[-1]] = value
        return rec


def build_plan(log):
    p = Plan(log)
    zv = log.zeek_version
    columns = zeek_tsv.schema_columns(p.layout)
    Event = broker.zeek.Event

    p.send("schema", zeek_tsv.schema_event(zv, NODE, p.path, p.layout))
    p.good_batch(3)

    p.bad("unknown event name", Event("RedisBridge::no_such_event", NODE, p.path),
          "unknown_event")
    p.bad("log_batch with 2 arguments", Event(zeek_tsv.BATCH_EVENT, NODE, p.path),
          "bad_arguments")
    p.bad("log_schema with an int version",
          Event(zeek_tsv.SCHEMA_EVENT, 1, broker.Count(zv), NODE, "int-version", columns),
          "bad_arguments")
    p.bad("log_schema with a string for columns",
          Event(zeek_tsv.SCHEMA_EVENT, broker.Count(1), broker.Count(zv), NODE, "string-columns",
                "ts time 0"),
          "bad_arguments")

    p.bad("schema of protocol version 99",
          zeek_tsv.schema_event(zv, NODE, "v99", p.layout, version=99), "protocol_version")
    p.bad("batch for the version-99 path",
          zeek_tsv.batch_event(NODE, "v99", [p.records[0]]), "unknown_stream")

    blob = [list(c) for c in columns]
    blob[1][1] = "blob"
    p.bad("schema with a column of type blob",
          Event(zeek_tsv.SCHEMA_EVENT, broker.Count(1), broker.Count(zv), NODE, "blob", blob),
          "bad_schema")
    p.bad("batch for the blob path", zeek_tsv.batch_event(NODE, "blob", [p.records[0]]),
          "unknown_stream")
    empty_index = [list(c) for c in columns]
    empty_index[2][2] = []
    p.bad("schema with an empty index",
          Event(zeek_tsv.SCHEMA_EVENT, broker.Count(1), broker.Count(zv), NODE, "empty-index",
                empty_index),
          "bad_schema")
    p.bad("batch for a path without schema",
          zeek_tsv.batch_event(NODE, "no-such-path", [p.records[0]]), "unknown_stream")

    # schema_mismatch, inside a batch of good records
    g = [p.good_record() for _ in range(3)]
    string_for_count = p.record_with(g[0], "orig_pkts", "many")
    too_few = p.records[g[1]][:5]
    p.send("batch: good, string-for-count, good, too few fields, good",
           zeek_tsv.batch_event(NODE, p.path, [p.records[g[0]], string_for_count,
                                               p.records[g[1]], too_few, p.records[g[2]]]))
    p.expected_reasons["schema_mismatch"] += 2
    p.expected_lines += [p.lines[i] for i in g]
    p.good_batch()

    # string_too_long and too_large: a 64 MiB and a 20 MiB string between a good record and
    # a good 1 MiB one
    g = [p.good_record("history") for _ in range(2)]
    huge = p.record_with(g[0], "history", "H" * HUGE_BYTES)
    large = p.record_with(g[0], "history", "L" * LARGE_BYTES)
    big_ok = p.record_with(g[1], "history", "h" * BIG_OK_BYTES)
    p.send("batch: good, 64 MiB string, 20 MiB string, 1 MiB string",
           zeek_tsv.batch_event(NODE, p.path, [p.records[g[0]], huge, large, big_ok]))
    p.expected_reasons["string_too_long"] += 1
    p.expected_reasons["too_large"] += 1
    p.expected_lines += [p.lines[g[0]],
                         with_history(p.lines[g[1]], log.values[g[1]], log, "h" * BIG_OK_BYTES)]
    p.good_batch()

    p.bad(f"record with a value nested {DEPTH} deep",
          zeek_tsv.batch_event(NODE, p.path, [p.record_with(0, "service", deep_value(DEPTH))]),
          "too_deep")
    p.bad("plain string on the topic", "this is not an event", "not_an_event")
    p.bad("schema with a 2 MB node name",
          zeek_tsv.schema_event(zv, "N" * (2 * 1024 * 1024), "huge-node", p.layout),
          "name_too_long")
    p.bad("batch for a path holding CR LF and a forged log line",
          zeek_tsv.batch_event(NODE, "x\r\n" + FORGED, [p.records[0]]), "unknown_stream")
    p.good_batch(3)
    return p


def main():
    checks = Checks("test_bad_input")
    log = next(l for l in corpus.load(["zeek-8.0.10"])[("zeek-8.0.10", TRACE)]
               if l.path == "conn")
    for problem in log.problems[:5]:
        checks.fail(f"test input: {problem}")
    plan = build_plan(log)
    key = f"zeek:{plan.path}"
    n_bad = sum(plan.expected_reasons.values())
    print(f"sending {len(plan.messages)} messages: {len(plan.expected_lines)} good records, "
          f"{n_bad} bad inputs", flush=True)

    with RedisServer() as redis, Bridge(redis, LIMIT_ARGS) as bridge:
        try:
            with BrokerPeer(bridge.port) as peer:
                for _what, message, _reason in plan.messages:
                    peer.publish(message)
                outcome = await_outcome(checks, redis, bridge, key, len(plan.expected_lines))
        except TestError as e:
            checks.fail(str(e))
            outcome = await_outcome(checks, redis, bridge, key, 0)
        check_outcome(checks, outcome, key, plan.expected_lines, plan.expected_reasons)
        if checks.failures:
            print("messages sent, in order:")
            for what, _m, reason in plan.messages:
                print(f"  {what}" + (f"  -> rejected {reason}" if reason else ""))
            print(f"bridge command: {' '.join(bridge.command_line())}")
            print(f"tail of the bridge's log:\n{tail(outcome.result.log)}")
    return checks.finish(summary(len(plan.expected_lines), plan.expected_reasons))


if __name__ == "__main__":
    sys.exit(main())
