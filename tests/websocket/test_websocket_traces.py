"""Every trace of shared/zeek/traces through the real Zeek 8.0.10 and the package with
RedisBridge::transport=TRANSPORT_WEBSOCKET (protocol version 2), the real bridge connected to
Zeek's WebSocket API and a real redis-server: Zeek must exit by itself after the bridge
confirmed the drain, and per log path Redis must hold exactly the JSON lines Zeek's own writer
wrote in the same run (same count and order, each byte-identical or equal up to the order of
set members, both counted). Once more for wikipedia with JSON::TS_ISO8601 and the bridge's
--json.timestamps iso8601. The WebSocket transport does not depend on the bridge's Broker
flavour, so this runs in both build flavours (always with Zeek 8.0).

Run: /usr/bin/python3 tests/websocket/test_websocket_traces.py   (env: see harness.py)
"""

import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "zeek"))

import zeek_runner  # noqa: E402  (puts tests/integration on sys.path)
import harness  # noqa: E402
import zeek_logs  # noqa: E402
import test_zeek_traces  # noqa: E402
from harness import Bridge, RedisServer, TestError  # noqa: E402



class WebSocketBridge(Bridge):
    """The bridge as a client of Zeek's WebSocket API at `url`; ready once it runs (Zeek may
    not listen yet: the bridge retries)."""

    def __init__(self, redis, url, args=()):
        super().__init__(redis, ["--transport.kind", "websocket", "--websocket.url", url,
                                 "--websocket.retry-max-ms", "200", *args])

    def _listening_port(self):
        if self.proc.poll() is not None:
            raise TestError(f"the bridge exited with {self.proc.returncode}")
        return True if self.log() else None


class Unchecked:
    """Takes the Comparison's per-path checks without judging them: run_trace judges the rows."""

    def check(self, ok, message):
        return ok


def run_trace(zeek, trace, iso, checks, summary):
    name = os.path.basename(trace)[:-5] + (" iso8601" if iso else "")
    port = harness.free_port()
    url = f"ws://127.0.0.1:{port}/v1/messages/json"
    args = ["-C", "-r", trace, "local", zeek_runner.scripts_dir(), zeek_logs.SET_FIELDS,
            "LogAscii::use_json=T", "RedisBridge::transport=RedisBridge::TRANSPORT_WEBSOCKET",
            f"RedisBridge::websocket_port={port}/tcp"]
    if iso:
        args.append("LogAscii::json_timestamps=JSON::TS_ISO8601")
    with RedisServer() as redis, \
            WebSocketBridge(redis, url, ["--json.timestamps", "iso8601"] if iso else []) as bridge:
        run = zeek_logs.Run(zeek, args).go(test_zeek_traces.EXIT_BOUND)
        try:
            cmp = test_zeek_traces.check_run(name, run, redis, checks,
                                             f"\nbridge log:\n{harness.tail(bridge.log())}",
                                             Unchecked())
            # Every line in Redis is Zeek's (byte-identical or set order), none extra.
            for path, _, _, _, _, missing, extra, differing in cmp.rows:
                checks.check(extra == 0 and differing == 0,
                             f"{name} {path}: extra {extra} differing {differing}")
            # Missing may be only what Zeek logged while terminating, after the drain: Zeek
            # 8 sends to a WebSocket client from its main loop only, which no longer runs
            # then (docs/protocol.md, "End of a run"). The package counts those as "sent at
            # shutdown"; one more is its reporter line saying so, logged after the count.
            missing = cmp.totals()[4]
            _, _, at_shutdown = run.drain_figures()
            checks.check(missing <= (at_shutdown or 0) + 1,
                         f"{name}: {missing} lines missing in Redis, {at_shutdown} sent at "
                         f"shutdown\n{cmp.table(name)}")
            result = bridge.stop()
            rejected = harness.rejected_lines(result.log)
            checks.check(not rejected, f"{name}: the bridge rejected: {rejected[:3]}")
            test_zeek_traces.report(name, cmp, run, summary)
        finally:
            run.cleanup()


def all_traces(zeek, checks, summary):
    test_zeek_traces.all_traces(zeek, checks, summary, run_trace, " over WebSocket")


def main():
    # The WebSocket API needs Zeek 5.0 or later: always the shared Zeek 8.0.
    os.environ["ZRB_ZEEK"] = "8.0"
    return zeek_runner.run_parts("test_websocket_traces", [all_traces])


if __name__ == "__main__":
    sys.exit(main())
