"""Bad input through the bridge's own Broker: bad_input_peer (tests/integration/bad_input_peer.cc,
built against the same Broker as the bridge, so this runs in both build flavours, Zeek 8.0's
C++20 Broker included) sends, between good numbered records, every malformed message of
docs/protocol.md that Broker's C++ API can express:

  unknown_event     an unknown event name; an event name of non-UTF-8 and control bytes
  bad_arguments     log_batch with 2 arguments; log_batch whose node is a count; log_batch whose
                    records are a string; log_schema with an int version; log_schema with a
                    string for columns; log_schema with 6 arguments; drain with 1 argument;
                    drain with an empty reply topic
  protocol_version  a schema of protocol version 99 (then a batch for it: unknown_stream); a
                    log_batch2 for the version-1 stream; a log_batch for a version-2 stream
  bad_schema        a column of type "blob", a column type of non-UTF-8 bytes, an empty index
                    (a batch for the blob path: unknown_stream)
  unknown_stream    a batch for a path that never had a schema
  schema_mismatch   x3 in one batch between three good records (which are written): a string
                    for a count, a record of no fields, a string for a record
  string_too_long   a 64 MiB string and
  too_large         a record with a 20 MiB string, between a good record and a good one with a
                    1 MiB string
  too_deep          a record holding a value nested 1000 deep
  not_an_event      a plain string; a Zeek log-write message (type 2); an event envelope
                    without arguments; an event envelope whose name is a count
  name_too_long     a schema whose node name is 2 MB
  unknown_stream    a batch whose path holds CR LF and a forged log line
  bad_exact_text    x2: log_batch2 whose text is not JSON, or has no object for its record
  too_many_streams  a schema for a third stream (--limits.max-streams 2), then its batch
                    (unknown_stream)
  bad_command       op_set without id (no reply); op_nosuch and op_get with a count for its key,
                    each with an id: a BADARG error reply must come back
  command_refused   op_command FLUSHALL with an id: a REFUSED error reply must come back

and a good record whose string is not UTF-8 (kept, escaped as Zeek 8 escapes it). The peer
prints, per message, the JSON line of each good record, the reason of each rejection and the
error reply it must cause, then the replies that came back; the checks are test_bad_input.py's
(bad_input_checks.py): every good record in Redis once, in order, exactly that line, nothing
else in Redis; one `rejected` line and one count of `rejected{reason}` per bad input; the
bridge still running; exit code 0 after SIGTERM; and here each wanted reply, no other.

Then a flood, with a bridge of its own (--log.rejected-lines 5): FLOOD bad messages, a quarter
each unknown_event, not_an_event, bad_arguments and schema_mismatch (a bad record between two
good ones), each followed by good records. Every good record is in Redis once, in order;
`rejected{reason}` counts every bad message; the log holds 5 lines of each reason, one line
saying the rest is counted, not logged, and at exit how many were left out, which
`rejected_log_suppressed{reason}` counts too.

Run: /usr/bin/python3 tests/integration/test_cpp_bad_input.py
     (env: see harness.py; ZRB_BAD_INPUT_PEER, default build/tests/bad_input_peer)
"""

import collections
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))

from bad_input_checks import (BIG_OK_BYTES, DEPTH, HUGE_BYTES, LARGE_BYTES,  # noqa: E402
                              LIMIT_ARGS, await_outcome, check_outcome, summary)
from harness import rejected_lines  # noqa: E402
from fault import PeerProcess, program_path  # noqa: E402
from harness import Bridge, Checks, RedisServer, TestError, tail  # noqa: E402

KEY = "zeek:seq"
# The peer's log streams: seq, and a protocol 2 one whose batches are all refused; a third is
# too_many_streams.
BRIDGE_ARGS = LIMIT_ARGS + ["--limits.max-streams", "2"]
FLOOD = 4000
FLOOD_LINES = 5  # --log.rejected-lines of the flood's bridge


def peer_args(port):
    return [program_path("ZRB_BAD_INPUT_PEER", "bad_input_peer"), "--peer", f"127.0.0.1:{port}",
            "--huge-bytes", str(HUGE_BYTES), "--large-bytes", str(LARGE_BYTES),
            "--big-ok-bytes", str(BIG_OK_BYTES), "--depth", str(DEPTH)]


class Expected:
    """What the peer's lines say must happen: `good <JSON>` (lines, in order), `bad <reason>
    <what>` (reasons counted, inputs described), `reply-wanted <id> <code>` (wanted replies),
    and `reply <event>` (the reply events that came back)."""

    def __init__(self, lines=()):
        self.lines, self.reasons, self.described = [], collections.Counter(), []
        self.replies_wanted, self.replies, self.other = [], [], []
        for line in lines:
            kind, _, rest = line.partition(" ")
            if kind == "good":
                self.lines.append(rest.encode())
            elif kind == "bad":
                self.reasons[rest.split(" ", 1)[0]] += 1
                self.described.append(rest)
            elif kind == "reply-wanted":
                request_id, code = rest.split(" ", 1)
                self.replies_wanted.append((request_id, code))
            elif kind == "reply":
                self.replies.append(rest)
            else:
                self.other.append(line)


def check_replies(checks, expected):
    """Each refused request with an id got its error reply: a RedisBridge::reply event holding
    its id and its code (BADARG, REFUSED)."""
    for request_id, code in expected.replies_wanted:
        checks.check(any("RedisBridge::reply" in r and re.search(rf"\b{request_id}\b", r)
                         and code in r for r in expected.replies),
                     f"no {code} reply for request {request_id}; replies: {expected.replies}")
    checks.check(len(expected.replies) == len(expected.replies_wanted),
                 f"{len(expected.replies)} replies, expected {len(expected.replies_wanted)}")


def every_kind(checks):
    """The bad inputs of the docstring, each once; returns the summary."""
    with RedisServer() as redis, Bridge(redis, BRIDGE_ARGS) as bridge:
        expected = Expected()
        try:
            with PeerProcess(peer_args(bridge.port)) as peer:
                sent = peer.wait_sent(60)
                expected = Expected(peer.lines)
                checks.check(not expected.other,
                             f"unexpected lines from bad_input_peer: {expected.other[:3]}")
                print(f"bad_input_peer sent {sent} messages: {len(expected.lines)} good records, "
                      f"{len(expected.described)} bad inputs", flush=True)
                outcome = await_outcome(checks, redis, bridge, KEY, len(expected.lines))
        except TestError as e:
            checks.fail(str(e))
            outcome = await_outcome(checks, redis, bridge, KEY, 0)
        # The peer's plan itself: a peer that sent nothing bad would pass every check below.
        checks.check(len(expected.lines) >= 30 and len(expected.reasons) >= 15 and
                     len(expected.replies_wanted) >= 3,
                     f"bad_input_peer planned {len(expected.lines)} good records, "
                     f"{len(expected.reasons)} reasons, {len(expected.replies_wanted)} replies")
        check_outcome(checks, outcome, KEY, expected.lines, expected.reasons)
        check_replies(checks, expected)
        if checks.failures:
            print("bad inputs sent, in order:")
            for d in expected.described:
                print(f"  {d}")
            print(f"bridge command: {' '.join(bridge.command_line())}")
            print(f"tail of the bridge's log:\n{tail(outcome.result.log)}")
    return summary(len(expected.lines), expected.reasons)


def flood(checks):
    """FLOOD bad messages between good records; returns the summary."""
    args = ["--log.rejected-lines", str(FLOOD_LINES), "--log.rejected-interval-s", "600"]
    with RedisServer() as redis, Bridge(redis, args) as bridge:
        expected = Expected()
        try:
            with PeerProcess(peer_args(bridge.port) + ["--flood", str(FLOOD)]) as peer:
                peer.wait_sent(60)
                expected = Expected(peer.lines)
                outcome = await_outcome(checks, redis, bridge, KEY, len(expected.lines))
        except TestError as e:
            checks.fail(str(e))
            outcome = await_outcome(checks, redis, bridge, KEY, 0)
    result = outcome.result
    checks.check(sum(expected.reasons.values()) == FLOOD and len(expected.reasons) == 4,
                 f"flood: bad_input_peer planned {dict(expected.reasons)}")
    checks.check(outcome.actual == expected.lines,
                 f"flood: {KEY} holds {len(outcome.actual)} records, not the "
                 f"{len(expected.lines)} good ones in order")
    checks.check(outcome.keys == [KEY], f"flood: keys in redis: {outcome.keys}")
    checks.check(result.exit_code == 0, f"flood: bridge exit code {result.exit_code}")
    checks.check(result.counter("records_written") == len(expected.lines),
                 f"flood: records_written {result.counter('records_written')}")
    lines = rejected_lines(result.log)
    for reason, n in expected.reasons.items():
        mine = [l for r, l in lines if r == reason]
        said_rest = [l for l in mine if f"more than {FLOOD_LINES} in" in l]
        left_out = [int(m.group(1)) for l in mine
                    for m in [re.search(r": (\d+) more rejections were not logged", l)] if m]
        detail = len(mine) - len(said_rest) - len(left_out)
        checks.check(result.counter(f"rejected{{{reason}}}") == n,
                     f"flood: rejected{{{reason}}}={result.counter(f'rejected{{{reason}}}')}, "
                     f"expected {n}")
        checks.check(detail == FLOOD_LINES and len(said_rest) == 1,
                     f"flood: {detail} lines for {reason}, {len(said_rest)} saying the rest is "
                     f"not logged; expected {FLOOD_LINES} and 1")
        checks.check(sum(left_out) == n - FLOOD_LINES and
                     result.counter(f"rejected_log_suppressed{{{reason}}}") == n - FLOOD_LINES,
                     f"flood: {reason}: left out {left_out} in the log, rejected_log_suppressed "
                     f"{result.counter(f'rejected_log_suppressed{{{reason}}}')}, expected "
                     f"{n - FLOOD_LINES}")
    if checks.failures:
        print(f"tail of the flood bridge's log:\n{tail(result.log)}")
    return f"flood: {len(expected.lines)} good records, {FLOOD} bad messages"


def main():
    checks = Checks("test_cpp_bad_input")
    summaries = [every_kind(checks), flood(checks)]
    return checks.finish("\n".join(summaries))


if __name__ == "__main__":
    sys.exit(main())
