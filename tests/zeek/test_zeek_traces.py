"""Every trace of shared/zeek/traces through a real Zeek (ZRB_ZEEK, default 3.2), the package,
the real bridge and a real redis-server: Zeek must exit by itself, and per log path Redis must
hold exactly the JSON lines Zeek's own writer wrote in the same run (same count, same order,
each byte-identical or equal up to the order of set members; both kinds counted). Once more
for wikipedia with JSON::TS_ISO8601 and the bridge's --json.timestamps iso8601.

Run: /usr/bin/python3 tests/zeek/test_zeek_traces.py   (env: see tests/integration/harness.py)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zeek_runner  # noqa: E402  (puts tests/integration on sys.path)
import harness  # noqa: E402
import zeek_logs  # noqa: E402
from harness import Bridge, RedisServer  # noqa: E402

EXIT_BOUND = 60  # seconds a run may take, trace included
CONFIRM_BOUND = 1.0  # seconds from the end of the trace to the bridge's answer


def run_trace(zeek, trace, iso, checks, summary):
    name = os.path.basename(trace)[:-5] + (" iso8601" if iso else "")
    with RedisServer() as redis, \
            Bridge(redis, ["--json.timestamps", "iso8601"] if iso else []) as bridge:
        args = ["-C", "-r", trace, "local", zeek_runner.scripts_dir(), zeek_logs.SET_FIELDS,
                "LogAscii::use_json=T", *zeek_logs.bridge_args(bridge)]
        if iso:
            args.append("LogAscii::json_timestamps=JSON::TS_ISO8601")
        run = zeek_logs.Run(zeek, args).go(EXIT_BOUND)
        try:
            cmp = check_run(name, run, redis, checks)
            report(name, cmp, run, summary)
        finally:
            run.cleanup()


def check_run(name, run, redis, checks, context="", compare_checks=None):
    """Zeek exited by itself, the bridge confirmed the drain in time; returns the comparison of
    Zeek's logs with Redis (checked with `compare_checks`, default `checks`). `context` is added
    to the failure text (a bridge log)."""
    checks.check(run.code == 0, f"{name}: zeek exited with {run.code} (None: still "
                                f"running after {EXIT_BOUND}s)\n{harness.tail(run.output)}{context}")
    confirmed, after, at_shutdown = run.drain_figures()
    checks.check(confirmed is not None and after is not None and after < CONFIRM_BOUND,
                 f"{name}: no drain answer within {CONFIRM_BOUND}s after the trace: "
                 f"{run.messages()}")
    logs = run.logs()
    expected = sum(len(v) for v in logs.values())
    zeek_logs.wait_for_redis(redis, expected, stall=5)
    return zeek_logs.Comparison(logs, redis, run.set_fields(), compare_checks or checks, name)


def report(name, cmp, run, summary):
    """One summary row of a run, and its per-path table printed."""
    t = cmp.totals()
    confirmed, after, at_shutdown = run.drain_figures()
    summary.append(f"{name:24} {t[0]:6} {t[1]:6} {t[2]:9} {t[3]:9} {t[4]:7} {t[5]:5} "
                   f"{t[6]:9} {run.seconds:7.2f} {confirmed or 0:9} "
                   f"{after if after is not None else -1:8.3f} {at_shutdown or 0:8}")
    print(cmp.table(name), flush=True)


def all_traces(zeek, checks, summary, run_one=None, label=""):
    """run_one(zeek, trace, iso, checks, summary) over every trace, then wikipedia in ISO 8601
    (default: run_trace, the Broker transport)."""
    run_one = run_one or run_trace
    summary.append(f"Zeek {zeek.number}{label}: trace                 zeek  redis identical "
                   f"set-order missing extra differing  zeek_s confirmed answer_s shutdown")
    traces = zeek_runner.traces()
    checks.check(len(traces) >= 5, f"traces found: {traces}")
    for trace in traces:
        run_one(zeek, trace, False, checks, summary)
    wiki = [t for t in traces if "wikipedia" in t]
    if wiki:
        run_one(zeek, wiki[0], True, checks, summary)


def main():
    return zeek_runner.run_parts("test_zeek_traces", [all_traces])

if __name__ == "__main__":
    sys.exit(main())
