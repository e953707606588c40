"""The package's behaviour inside a real Zeek (ZRB_ZEEK, default 3.2) with the real bridge and
redis-server, and on Zeek 8.0.10 without a bridge:

  filters   a bare run (`zeek -b -r wikipedia`) logging in zeek_init and zeek_done to a stream whose
            default filter drops records ($pred), splits paths ($path_func) and excludes a
            field: Redis must hold exactly Zeek's lines per path; then with
            RedisBridge::honour_filters=F every write under the stream's path, all fields.
  sigterm   a live Zeek (exit_only_after_terminate) that logs on a timer, stopped with
            SIGTERM: exits within the bound, and Redis holds every line of its log.
  zeek8     zeek-8.0 -r <trace> local <scripts> and -b <scripts>, no bridge: exit 0 by
            themselves, no error or warning from the package, and the package says how many
            records were not sent.

Run: /usr/bin/python3 tests/zeek/test_zeek_package.py
"""

import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zeek_runner  # noqa: E402
import harness  # noqa: E402
import zeek_logs  # noqa: E402
from harness import Bridge, Checks, RedisServer  # noqa: E402

SCRIPTS = os.path.join(HERE, "scripts")
TRACE = [t for t in zeek_runner.traces() if "wikipedia" in t][0]


def filters(zeek, checks, summary):
    for honour in (True, False):
        with RedisServer() as redis, Bridge(redis) as bridge:
            # A trace, so that the package holds processing until the bridge is peered and
            # the writes of zeek_init go out from the backlog (a script-only run ends before
            # the peering: see docs/zeek-scripts.md, known limits).
            args = ["-b", "-C", "-r", TRACE, zeek_runner.scripts_dir(),
                    os.path.join(SCRIPTS, "filters.zeek"),
                    zeek_logs.SET_FIELDS, "LogAscii::use_json=T", *zeek_logs.bridge_args(bridge)]
            if not honour:
                args.append("RedisBridge::honour_filters=F")
            run = zeek_logs.Run(zeek, args).go(60)
            try:
                checks.check(run.code == 0, f"filters: zeek exit {run.code}\n{run.output}")
                logs = run.logs()
                if honour:
                    checks.check({"ftest_even", "ftest_odd"} <= set(logs) and "ftest" not in logs,
                                 f"filters: Zeek wrote {sorted(logs)}")
                    zeek_logs.wait_for_redis(redis, sum(len(v) for v in logs.values()), stall=3)
                    sets = run.set_fields()  # by stream path; the $path_func paths share it
                    sets.update({p: sets.get("ftest", set()) for p in ("ftest_even", "ftest_odd")})
                    cmp = zeek_logs.Comparison(logs, redis, sets, checks, "filters")
                    summary.append("filters honoured (zeek -b, zeek_init + zeek_done): "
                                   + str(cmp.totals()) + f" in {run.seconds:.2f}s")
                    print(cmp.table("filters"))
                else:
                    zeek_logs.wait_for_redis(redis, 61, stall=3)
                    got = redis.stream_json("zeek:ftest")
                    ns = [json.loads(l)["n"] for l in got]
                    checks.check(ns == list(range(1, 61)) + [1000001] and
                                 all("secret" in json.loads(l) for l in got) and
                                 "ftest_odd" not in zeek_logs.redis_paths(redis),
                                 f"honour_filters=F: {len(got)} records under "
                                 f"{zeek_logs.redis_paths(redis)}, n={ns[:5]}...")
                    summary.append(f"filters not honoured: {len(got)} records under zeek:ftest "
                                   f"(60 written + 1 in zeek_done), all fields")
            finally:
                run.cleanup()


def sigterm(zeek, checks, summary):
    with RedisServer() as redis, Bridge(redis) as bridge:
        run = zeek_logs.Run(zeek, ["-b", zeek_runner.scripts_dir(),
                                   os.path.join(SCRIPTS, "live.zeek"), "LogAscii::use_json=T",
                                   *zeek_logs.bridge_args(bridge)])
        try:
            proc = zeek.start(run.args, run.dir)
            # Zeek's stdout is buffered when it is a file: watch the bridge's counters.
            harness.wait_until(lambda: "broker_peers_connected=1" in bridge.log() or
                               "peer added" in bridge.log() or "peer_added" in bridge.log(),
                               30, "the live Zeek to peer")
            time.sleep(1.0)
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(30)
            except Exception:
                proc.kill()
                code = None
            took = time.monotonic() - start
            checks.check(code == 0, f"sigterm: zeek exit {code}\n{zeek_runner.output(run.dir)}")
            logs = run.logs()
            zeek_logs.wait_for_redis(redis, sum(len(v) for v in logs.values()), stall=3)
            cmp = zeek_logs.Comparison(logs, redis, {}, checks, "sigterm")
            summary.append(f"sigterm: {cmp.totals()} exit {took:.2f}s after SIGTERM")
            print(cmp.table("sigterm"))
        finally:
            run.cleanup()


def zeek8(checks, summary):
    try:
        z8 = zeek_runner.Zeek("8.0")
    except harness.TestError as e:
        checks.fail(f"zeek8: {e}")
        return
    try:
        trace = [t for t in zeek_runner.traces() if "wikipedia" in t][0]
        for label, args in (("-r", ["-C", "-r", trace, "local", zeek_runner.scripts_dir(),
                                    "RedisBridge::wait_timeout=1sec"]),
                            ("-b", ["-b", zeek_runner.scripts_dir(),
                                    "RedisBridge::drain_timeout=1sec"])):
            run = zeek_logs.Run(z8, args).go(60)
            try:
                out = run.output
                ours = [l for l in out.splitlines()
                        if zeek_runner.scripts_dir() in l and ("error" in l or "warning" in l)]
                checks.check(run.code == 0 and not ours,
                             f"zeek 8.0 {label}: exit {run.code}, package errors/warnings {ours}"
                             f"\n{harness.tail(out)}")
                said = [l for l in out.splitlines() if "not sent" in l or "not peered" in l]
                checks.check(label == "-b" or any("not sent" in l for l in said),
                             f"zeek 8.0 {label}: no end-of-run message\n{harness.tail(out)}")
                summary.append(f"zeek 8.0.10 {label}: exit {run.code} in {run.seconds:.2f}s; "
                               + "; ".join(l.split(": ", 1)[-1] for l in said))
            finally:
                run.cleanup()
    finally:
        z8.close()


def main():
    zeek = zeek_runner.Zeek()
    checks = Checks(f"test_zeek_package (Zeek {zeek.number})")
    summary = []
    try:
        filters(zeek, checks, summary)
        sigterm(zeek, checks, summary)
        zeek8(checks, summary)
    except harness.TestError as e:
        checks.fail(str(e))
    finally:
        zeek.close()
    return checks.finish("\n".join(summary))


if __name__ == "__main__":
    sys.exit(main())
