"""Every trace of shared/zeek/traces through the real Zeek 8.0.10 and the package with
RedisBridge::transport=TRANSPORT_WEBSOCKET (protocol version 2), the real bridge connected to
Zeek's WebSocket API and a real redis-server: Zeek must exit by itself after the bridge
confirmed the drain, and per log path Redis must hold exactly the JSON lines Zeek's own writer
wrote in the same run (same count and order, each byte-identical or equal up to the order of
set members, both counted), except what Zeek logged after its main loop ended, which Zeek
8.0.10 cannot send to a WebSocket client: those lines must be exactly Zeek's missing tail of
each path, in order, in the package's RedisBridge::unsent_file (same values; the file holds
to_json text), counted in its warning. Once more for wikipedia with JSON::TS_ISO8601 and the
bridge's --json.timestamps iso8601, and once with RedisBridge::unsent_file="" (no file, the
warning counts what it dropped). The WebSocket transport does not depend on the bridge's Broker
flavour, so this runs in both build flavours (always with Zeek 8.0).

Run: /usr/bin/python3 tests/websocket/test_websocket_traces.py   (env: see harness.py)
"""

import datetime
import json
import os
import re
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


def websocket_args(port):
    """(the bridge's URL, the package's redefs): the WebSocket transport on `port`."""
    return (f"ws://127.0.0.1:{port}/v1/messages/json",
            ["RedisBridge::transport=RedisBridge::TRANSPORT_WEBSOCKET",
             f"RedisBridge::websocket_port={port}/tcp"])


def websocket_run(args, iso):
    """(the bridge's URL, Zeek's arguments): `args`, the package, JSON logs (ISO 8601 times if
    `iso`), the WebSocket transport on a free port."""
    url, transport = websocket_args(harness.free_port())
    zeek_args = [*args, zeek_runner.scripts_dir(), "LogAscii::use_json=T", *transport]
    if iso:
        zeek_args.append("LogAscii::json_timestamps=JSON::TS_ISO8601")
    return url, zeek_args


UNSENT_FILE = "redis-bridge-unsent.json"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def flat(obj, prefix=""):
    """to_json's nested records as the log writer's dotted names, its ports
    ({"port": 22, "proto": "tcp"}) as the writer's numbers."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict) and set(v) == {"port", "proto"}:
            out[prefix + k] = v["port"]
        elif isinstance(v, dict):
            out.update(flat(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def same_value(logged, unsent, is_set):
    """Whether a value of Zeek's log line equals the file's to_json value: an ISO 8601 time
    the file's epoch time to the microsecond, a set in any order."""
    if isinstance(logged, str) and isinstance(unsent, (int, float)) and ISO.match(logged):
        t = datetime.datetime.strptime(logged, "%Y-%m-%dT%H:%M:%S.%fZ")
        epoch = t.replace(tzinfo=datetime.timezone.utc).timestamp()
        return abs(epoch - unsent) < 1.5e-6
    if isinstance(logged, list) and isinstance(unsent, list):
        if len(logged) != len(unsent):
            return False
        pairs = zip(sorted(logged, key=repr), sorted(unsent, key=repr)) if is_set \
            else zip(logged, unsent)
        return all(same_value(a, b, False) for a, b in pairs)
    return logged == unsent


def unsent_lines(run):
    """{path: [record]} of the package's unsent file, in order; and how many lines."""
    out, n = {}, 0
    for line in zeek_runner.read_log_lines(os.path.join(run.dir, UNSENT_FILE)):
        obj = json.loads(line)
        out.setdefault(obj["path"], []).append(flat(obj["record"]))
        n += 1
    return out, n


def check_unsent(name, run, cmp, checks):
    """Per path, the lines Zeek wrote that Redis lacks are the file's records of that path,
    in order, field by field; the package's warning counts all but its own reporter line."""
    unsent, total = unsent_lines(run)
    logs, set_fields = run.logs(), run.set_fields()
    for path, zeek_n, redis_n, _, _, missing, _, _ in cmp.rows:
        tail = [json.loads(line) for line in logs.get(path, [])[redis_n:]]
        got = unsent.get(path, [])
        checks.check(len(got) == missing,
                     f"{name} {path}: {missing} lines missing in Redis, {len(got)} in "
                     f"{UNSENT_FILE}\n{cmp.table(name)}")
        for i, (logged, spilled) in enumerate(zip(tail, got)):
            ok = set(logged) == set(spilled) and all(
                same_value(logged[k], spilled[k], k in set_fields.get(path, set()))
                for k in logged)
            if not checks.check(ok, f"{name} {path}: line {redis_n + i + 1} of Zeek's log "
                                    f"differs in {UNSENT_FILE}:\n  {logged}\n  {spilled}"):
                break
    print(f"  {name}: {total} lines in {UNSENT_FILE}", flush=True)
    counted = None
    for m in run.messages():
        c = re.search(r"(\d+) records logged after Zeek's main loop ended written to", m)
        if c:
            counted = int(c.group(1))
    checks.check(total == 0 and counted is None or counted == total - 1,
                 f"{name}: {total} lines in {UNSENT_FILE}, the warning counts {counted}")
    checks.check(set(unsent) <= set(logs), f"{name}: {UNSENT_FILE} has paths Zeek did not "
                                           f"log: {sorted(set(unsent) - set(logs))}")


class Unchecked:
    """Takes the Comparison's per-path checks without judging them: run_trace judges the rows."""

    def check(self, ok, message):
        return ok


def run_trace(zeek, trace, iso, checks, summary):
    name = os.path.basename(trace)[:-5] + (" iso8601" if iso else "")
    url, args = websocket_run(["-C", "-r", trace, "local", zeek_logs.SET_FIELDS], iso)
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
            # What is missing in Redis is what Zeek logged after its main loop ended (Zeek
            # 8 sends to a WebSocket client from its main loop only: docs/protocol.md, "End
            # of a run"): per path Zeek's last lines, all in the unsent file, nothing lost.
            check_unsent(name, run, cmp, checks)
            result = bridge.stop()
            rejected = harness.rejected_lines(result.log)
            checks.check(not rejected, f"{name}: the bridge rejected: {rejected[:3]}")
            test_zeek_traces.report(name, cmp, run, summary)
        finally:
            run.cleanup()


def all_traces(zeek, checks, summary):
    test_zeek_traces.all_traces(zeek, checks, summary, run_trace, " over WebSocket")


def no_unsent_file(zeek, checks, summary):
    """RedisBridge::unsent_file="" (dropping on purpose): no file, and the warning counts
    every line Redis lacks but its own reporter line."""
    trace = [t for t in zeek_runner.traces() if "wikipedia" in t][0]
    url, args = websocket_run(["-C", "-r", trace, "local", zeek_logs.SET_FIELDS,
                               "RedisBridge::unsent_file="], False)
    with RedisServer() as redis, WebSocketBridge(redis, url) as bridge:
        run = zeek_logs.Run(zeek, args).go(test_zeek_traces.EXIT_BOUND)
        try:
            cmp = test_zeek_traces.check_run("no unsent file", run, redis, checks,
                                             f"\nbridge log:\n{harness.tail(bridge.log())}",
                                             Unchecked())
            missing = cmp.totals()[4]
            dropped = [int(m.group(1)) for m in
                       (re.search(r"(\d+) records logged after Zeek's main loop ended dropped", x)
                        for x in run.messages()) if m]
            checks.check(not os.path.exists(os.path.join(run.dir, UNSENT_FILE)),
                         f"unsent_file=\"\": {UNSENT_FILE} written")
            checks.check(missing > 0 and dropped == [missing - 1],
                         f"unsent_file=\"\": {missing} lines missing in Redis, warning counts "
                         f"{dropped}: {run.messages()}")
            summary.append(f"unsent_file=\"\": {missing} lines not in Redis, dropped {dropped}")
            bridge.stop()
        finally:
            run.cleanup()


def main():
    # The WebSocket API needs Zeek 5.0 or later: always the shared Zeek 8.0.
    os.environ["ZRB_ZEEK"] = "8.0"
    return zeek_runner.run_parts("test_websocket_traces", [all_traces, no_unsent_file])


if __name__ == "__main__":
    sys.exit(main())
