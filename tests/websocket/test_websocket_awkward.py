"""The corpora's awkward values over the WebSocket transport (protocol version 2), with the
real Zeek 8.0.10: a script-only Zeek (ws_awkward.zeek) logs 33 records with times with
microseconds, doubles with 17 digits, strings that are not UTF-8 or hold control bytes, nested
records, sets and vectors of doubles and times; Redis must hold exactly the lines of Zeek's own
JSON log (byte-identical), in epoch and ISO 8601, with nothing rejected, and Zeek must exit
by itself after the bridge confirmed the records.

Run: /usr/bin/python3 tests/websocket/test_websocket_awkward.py   (env: see harness.py)
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "zeek"))
sys.path.insert(0, HERE)

import zeek_runner  # noqa: E402  (puts tests/integration on sys.path)
import harness  # noqa: E402
import zeek_logs  # noqa: E402
from harness import RedisServer  # noqa: E402
from test_websocket_traces import WebSocketBridge, websocket_run  # noqa: E402

RECORDS = 33


def run(zeek, iso, checks, summary):
    name = "awkward" + (" iso8601" if iso else "")
    url, args = websocket_run(["-b", os.path.join(HERE, "ws_awkward.zeek")], iso)
    with RedisServer() as redis, \
            WebSocketBridge(redis, url, ["--json.timestamps", "iso8601"] if iso else []) as bridge:
        r = zeek_logs.Run(zeek, args).go(60)
        try:
            checks.check(r.code == 0, f"{name}: zeek exited with {r.code}\n{harness.tail(r.output)}")
            confirmed, after, _ = r.drain_figures()
            checks.check(confirmed is not None and confirmed >= RECORDS,
                         f"{name}: the bridge confirmed {confirmed}: {r.messages()}")
            expected = r.logs().get("awkward", [])
            checks.check(len(expected) == RECORDS, f"{name}: Zeek wrote {len(expected)} lines")
            zeek_logs.wait_for_redis(redis, RECORDS, stall=5)
            problems = []
            actual = redis.stream_json("zeek:awkward", problems)
            same = sum(1 for e, a in zip(expected, actual) if e == a)
            checks.check(same == len(expected) == len(actual) and not problems,
                         f"{name}: {same} of {len(expected)} lines byte-identical, Redis holds "
                         f"{len(actual)} {problems[:2]}\n"
                         + harness.first_differences(expected, actual))
            result = bridge.stop()
            # In bare mode Zeek has not declared the intel events the bridge sends each new
            # peer (intel_replay_done) and answers with an error: expected, not ours.
            rejected = [r for r in harness.rejected_lines(result.log)
                        if "failed to create Zeek event" not in r[1]]
            checks.check(not rejected, f"{name}: the bridge rejected: {rejected[:3]}")
            summary.append(f"{name}: {same} of {len(expected)} byte-identical, zeek "
                           f"{r.seconds:.2f}s, confirmed {confirmed} after {after} s")
        finally:
            r.cleanup()


def both(zeek, checks, summary):
    run(zeek, False, checks, summary)
    run(zeek, True, checks, summary)


def main():
    os.environ["ZRB_ZEEK"] = "8.0"  # the WebSocket API needs Zeek 5.0 or later
    return zeek_runner.run_parts("test_websocket_awkward", [both])


if __name__ == "__main__":
    sys.exit(main())
