"""Bad input through the bridge's own Broker: bad_input_peer (tests/integration/bad_input_peer.cc,
built against the same Broker as the bridge, so this runs in both build flavours, Zeek 8.0's
C++20 Broker included) sends, between good numbered records, every malformed message of
docs/protocol.md that Broker's C++ API can express:

  unknown_event     an unknown event name; an event name of non-UTF-8 and control bytes
  bad_arguments     log_batch with 2 arguments; log_batch whose node is a count; log_batch whose
                    records are a string; log_schema with an int version; log_schema with a
                    string for columns; log_schema with 6 arguments
  protocol_version  a schema of protocol version 99 (then a batch for it: unknown_stream)
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

and a good record whose string is not UTF-8 (kept, escaped as Zeek 8 escapes it). The peer
prints, per message, the JSON line of each good record and the reason of each rejection it
must cause; the checks are test_bad_input.py's (bad_input_checks.py): every good record in
Redis once, in order, exactly that line, nothing else; one `rejected` line and one count of
`rejected{reason}` per bad input; the bridge still running; exit code 0 after SIGTERM.

Run: /usr/bin/python3 tests/integration/test_cpp_bad_input.py
     (env: see harness.py; ZRB_BAD_INPUT_PEER, default build/tests/bad_input_peer)
"""

import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))

from bad_input_checks import (BIG_OK_BYTES, DEPTH, HUGE_BYTES, LARGE_BYTES,  # noqa: E402
                              LIMIT_ARGS, await_outcome, check_outcome, summary)
from fault import PeerProcess, program_path  # noqa: E402
from harness import Bridge, Checks, RedisServer, TestError, tail  # noqa: E402

KEY = "zeek:seq"


def peer_args(port):
    return [program_path("ZRB_BAD_INPUT_PEER", "bad_input_peer"), "--peer", f"127.0.0.1:{port}",
            "--huge-bytes", str(HUGE_BYTES), "--large-bytes", str(LARGE_BYTES),
            "--big-ok-bytes", str(BIG_OK_BYTES), "--depth", str(DEPTH)]


def expectations(lines):
    """The peer's `good <JSON>` and `bad <reason> <what>` lines: (JSON lines in order, reason
    counts, the bad inputs described, other lines)."""
    good, reasons, described, other = [], collections.Counter(), [], []
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "good":
            good.append(rest.encode())
        elif kind == "bad":
            reasons[rest.split(" ", 1)[0]] += 1
            described.append(rest)
        else:
            other.append(line)
    return good, reasons, described, other


def main():
    checks = Checks("test_cpp_bad_input")
    with RedisServer() as redis, Bridge(redis, LIMIT_ARGS) as bridge:
        expected, reasons, described = [], collections.Counter(), []
        try:
            with PeerProcess(peer_args(bridge.port)) as peer:
                sent = peer.wait_sent(60)
                expected, reasons, described, other = expectations(peer.lines)
                checks.check(not other, f"unexpected lines from bad_input_peer: {other[:3]}")
                print(f"bad_input_peer sent {sent} messages: {len(expected)} good records, "
                      f"{len(described)} bad inputs", flush=True)
                outcome = await_outcome(checks, redis, bridge, KEY, len(expected))
        except TestError as e:
            checks.fail(str(e))
            outcome = await_outcome(checks, redis, bridge, KEY, 0)
        # The peer's plan itself: a peer that sent nothing bad would pass every check below.
        checks.check(len(expected) >= 30 and len(reasons) >= 11,
                     f"bad_input_peer planned {len(expected)} good records and "
                     f"{len(reasons)} reasons")
        check_outcome(checks, outcome, KEY, expected, reasons)
        if checks.failures:
            print("bad inputs sent, in order:")
            for d in described:
                print(f"  {d}")
            print(f"bridge command: {' '.join(bridge.command_line())}")
            print(f"tail of the bridge's log:\n{tail(outcome.result.log)}")
    return checks.finish(summary(len(expected), reasons))


if __name__ == "__main__":
    sys.exit(main())
