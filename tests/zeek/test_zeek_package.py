"""The package's behaviour inside a real Zeek (ZRB_ZEEK, default 3.2) with the real bridge and
redis-server, and on Zeek 8.0.10 without a bridge:

  filters   a bare run (`zeek -b -r wikipedia`) logging in zeek_init and zeek_done to a stream whose
            default filter drops records ($pred), splits paths ($path_func) and excludes a
            field, and one whose default filter was replaced by a copy with another path:
            Redis must hold exactly Zeek's lines per path; then with
            RedisBridge::honour_filters=F every write under the stream's path, all fields.
  exclude   RedisBridge::exclude_logs changed while a stream is written (Config framework):
            Redis holds the records written while the stream was included, Zeek's file all.
  script    a script-only run (`zeek -b`, N records in zeek_init): all N in Redis, Zeek exits
            by itself once the bridge confirmed them; they left in batches of the default
            RedisBridge::batch_size (50 on Zeek 8, 100 before).
  nobridge  the same with no bridge listening: Zeek exits after about drain_timeout and says
            how many records were not confirmed.
  sigterm   a live Zeek (exit_only_after_terminate) that logs on a timer, stopped with
            SIGTERM: exits within the bound, Redis holds every line of its log, and the
            package says how many records it sent at shutdown without confirmation.
  zeek8     zeek-8.0 -r <trace> local <scripts> and -b <scripts> <script_only>, no bridge:
            exit 0 by themselves (within drain_timeout after the input is done), no error or
            warning from the package, and the package says how many records were not sent
            or confirmed.

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
from harness import Bridge, RedisServer  # noqa: E402

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
                    checks.check({"ftest_even", "ftest_odd", "fcopy_renamed"} <= set(logs)
                                 and "ftest" not in logs and "fcopy" not in logs,
                                 f"filters: Zeek wrote {sorted(logs)}")
                    zeek_logs.wait_for_redis(redis, sum(len(v) for v in logs.values()), stall=3)
                    sets = run.set_fields()  # by stream path; the $path_func paths share it
                    sets.update({p: sets.get("ftest", set()) for p in ("ftest_even", "ftest_odd")})
                    cmp = zeek_logs.Comparison(logs, redis, sets, checks, "filters")
                    summary.append("filters honoured (zeek -b, zeek_init + zeek_done): "
                                   + str(cmp.totals()) + f" in {run.seconds:.2f}s")
                    print(cmp.table("filters"))
                else:
                    zeek_logs.wait_for_redis(redis, 121, stall=3)  # ftest 61, fcopy 60
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


def exclude(zeek, checks, summary):
    # RedisBridge::exclude_logs is an option: a change while Zeek runs takes effect at the
    # next record, also for a stream the package already forwards (and so knows).
    with RedisServer() as redis, Bridge(redis) as bridge:
        args = ["-b", "-C", "-r", TRACE, zeek_runner.scripts_dir(),
                os.path.join(SCRIPTS, "exclude.zeek"), "LogAscii::use_json=T",
                *zeek_logs.bridge_args(bridge)]
        run = zeek_logs.Run(zeek, args).go(60)
        try:
            logs = run.logs()
            zeek_logs.wait_for_redis(redis, 60, stall=3)
            ns = [json.loads(l)["n"] for l in redis.stream_json("zeek:xtest")]
            want = list(range(1, 31)) + list(range(61, 91))
            checks.check(run.code == 0 and len(logs.get("xtest", [])) == 90 and ns == want,
                         f"exclude_logs changed at runtime: exit {run.code}, Zeek wrote "
                         f"{len(logs.get('xtest', []))} lines, Redis n={ns}\n{run.output}")
            summary.append(f"exclude_logs changed at runtime: Redis holds {len(ns)} of Zeek's "
                           f"{len(logs.get('xtest', []))} lines, the ones written while included")
        finally:
            run.cleanup()


SCRIPT_ONLY = os.path.join(SCRIPTS, "script_only.zeek")


def batch_size(zeek):
    """The package's default RedisBridge::batch_size for this Zeek."""
    return 50 if zeek.number >= 80000 else 100


def script_only(zeek, checks, summary):
    n = 300
    with RedisServer() as redis, Bridge(redis) as bridge:
        run = zeek_logs.Run(zeek, ["-b", zeek_runner.scripts_dir(), SCRIPT_ONLY,
                                   f"ScriptOnly::records={n}", "LogAscii::use_json=T",
                                   *zeek_logs.bridge_args(bridge)]).go(30)
        try:
            confirmed, after, at_shutdown = run.drain_figures()
            zeek_logs.wait_for_redis(redis, n, stall=3)
            got = redis.xlen("zeek:scriptonly")
            checks.check(run.code == 0 and got == n and confirmed is not None and
                         confirmed >= n and run.seconds < 10,
                         f"script-only: exit {run.code} in {run.seconds:.2f}s, {got}/{n} in "
                         f"Redis, messages {run.messages()}\n{harness.tail(run.output)}")
            # They waited for the peering and left in chunks of the default batch_size (50
            # on Zeek 8, whose Broker holds ~1,900 messages for the bridge, so their size
            # bounds the bridge's memory; 100 before; docs/zeek-scripts.md).
            size = batch_size(zeek)
            sent = [l for l in run.output.splitlines() if l.startswith("ScriptOnly: ")]
            checks.check(sent == [f"ScriptOnly: {-(-n // size)} batches, largest {size} records"],
                         f"script-only: batches of the default batch_size {size}: {sent}")
            summary.append(f"script-only (zeek -b, {n} records in zeek_init): {got}/{n} in "
                           f"Redis, confirmed {confirmed} after {after} s, {at_shutdown or 0} "
                           f"sent at shutdown, exit {run.code} in {run.seconds:.2f}s; "
                           + "; ".join(l.split(": ", 1)[1] for l in sent))
        finally:
            run.cleanup()


def no_bridge(zeek, checks, summary, label="", timeout=1.0):
    port = harness.free_port()  # nothing listens there
    run = zeek_logs.Run(zeek, ["-b", zeek_runner.scripts_dir(), SCRIPT_ONLY,
                               f"RedisBridge::bridge_port={port}/tcp", "Broker::disable_ssl=T",
                               f"RedisBridge::drain_timeout={timeout}sec",
                               "RedisBridge::retry_interval=1sec"]).go(30)
    try:
        said = [m for m in run.messages() if "not confirmed" in m or "not sent" in m]
        # Zeek 6 and later notice the deadline at the next failed attempt (retry_interval).
        # (Zeek 4.0 and later do not forward writes of zeek_init handlers that run before
        # the package's last one: docs/zeek-scripts.md, known limits.)
        least = 300 if zeek.number < 40000 else 1
        counts = [int(m.split("RedisBridge: ")[1].split()[0]) for m in said if "not confirmed" in m]
        checks.check(run.code == 0 and counts and counts[0] >= least and
                     run.seconds < timeout + 4,
                     f"no bridge{label}: exit {run.code} in {run.seconds:.2f}s, said {said}"
                     f"\n{harness.tail(run.output)}")
        summary.append(f"no bridge{label} (drain_timeout {timeout}s): exit {run.code} in "
                       f"{run.seconds:.2f}s; " + "; ".join(said))
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
            run.output = zeek_runner.output(run.dir)
            at_shutdown = run.drain_figures()[2]
            checks.check(at_shutdown is not None and at_shutdown >= 1,
                         f"sigterm: no 'sent at shutdown' count: {run.messages()}")
            summary.append(f"sigterm: {cmp.totals()} exit {took:.2f}s after SIGTERM, "
                           f"{at_shutdown} records sent at shutdown, not confirmed")
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
            # Zeek 8 ends after the input is done even though Broker counts as an I/O
            # source: after the trace, and after zeek_init for -b.
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
        no_bridge(z8, checks, summary, " zeek 8.0.10")
    finally:
        z8.close()


def main():
    return zeek_runner.run_parts(
        "test_zeek_package",
        [filters, exclude, script_only, no_bridge, sigterm,
         lambda zeek, checks, summary: zeek8(checks, summary)])

if __name__ == "__main__":
    sys.exit(main())
