#!/usr/bin/python3
"""What forwarding costs Zeek: the real Zeek's CPU with and without the package.

    /usr/bin/python3 bench/zeek_cost.py --bridge BUILD/bridge/zeek-redis-bridge
        [--zeek 3.2] [--transport broker|websocket] [--repeat 100] [--rounds 3] [--trace NAME ...]
        [--variant 'LABEL=MODE ARG ...'] [--perf DIR] [--profile-scripts DIR]

Makes a large trace at run time from shared/zeek/traces (bench/make_trace.py: the traces
repeated --repeat times, each copy shifted in time and addresses), then runs the real Zeek
(tests/zeek/zeek_runner.py: --zeek picks the shared install; the bridge must be the build
that speaks that Zeek's Broker) on it with `local`, in three modes, alternating, --rounds
times:

  a  JSON files only (LogAscii::use_json=T), no package: Zeek's own cost of logging
  b  JSON files and the package forwarding to the bridge and Redis
  c  the package forwarding only: Log::enable_local_logging=F, no files

--transport websocket (Zeek 8.0; the bridge of either build flavour) has the package forward
over Zeek's WebSocket API (RedisBridge::transport=RedisBridge::TRANSPORT_WEBSOCKET on a free
port; the bridge connects with --transport.kind websocket) instead of peering over Broker (the
default). Over WebSocket what Zeek logs after its main loop ended cannot be sent (open
connections at the end of the trace, the last stats lines; docs/protocol.md, "End of a run"):
the package writes it to RedisBridge::unsent_file in Zeek's working directory. Those records
count as delivered to that file, not lost: per path Redis plus the file must hold a's count,
and in mode b Redis must hold the run's lines up to the file's records and the file exactly
the rest, field by field (the checks of tests/websocket/test_websocket_traces.py).

A --variant is one more mode, run in every round (after the others; in even rounds every
mode after a runs in reverse order, so none is always last): LABEL=MODE then extra
Zeek arguments (redefs such as RedisBridge::batch_size=500, or scripts: a .zeek file named
relative to here is passed with its full path), or `scripts=DIR` to load the package from
DIR instead (an older checkout's scripts/, for an A/B of a script change). The floor of any
forwarding through Zeek's logging framework (a second filter, converted and handed to a
writer thread): --variant 'a2=a bench/zeek_second_filter.zeek' --variant
'aN=a bench/zeek_second_filter.zeek ZeekSecondFilter::writer_none=T'.

Zeek's CPU seconds (user + system of the Zeek process and its threads, from wait4) per run;
the records of the run (lines of a's logs; XLEN of the zeek:* streams for the forwarding
modes, which must equal a's counts per path); for a forwarding run the log_batch events that
carried its records (the bridge's zrb_batches_received_total on /metrics: a batch_size
variant shows there); CPU per record; the ratios b/a and c/a of the
medians. In every forwarding mode that also writes files (b) each path's Redis entries are
compared with that run's own files, line by line (byte-identical, or equal up to the order of
a set's members: Broker carries sets sorted). Exits 1 if any record is missing, extra
or different. One redis-server and one bridge serve all runs (FLUSHALL before each).
Loopback only; every wait bounded. The load average is printed with the figures.

--perf DIR runs each Zeek under `perf record -g` (DIR/zeek-<mode>-<round>.data; CPU figures
then include perf's own cost). --profile-scripts DIR has Zeek count its script work:
ZEEK_PROFILER_FILE (statement counts, Zeek 3.2) or --profile-scripts (calls and CPU time per
function, Zeek 6.0 and later), DIR/prof-<mode>-<round>.txt.
"""

import argparse
import contextlib
import glob
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "zeek"))
sys.path.insert(0, os.path.join(ROOT, "tests", "websocket"))

import zeek_runner  # noqa: E402
import zeek_logs  # noqa: E402
import harness  # noqa: E402
import metrics_checks  # noqa: E402
from harness import Bridge, RedisServer  # noqa: E402
import test_websocket_traces as wst  # noqa: E402

NOT_LOGS = {"loaded_scripts"}  # written once at start, not per traffic; left out of counts
# Paths whose count depends on the run itself, not on the traffic: the package's peering
# (broker, reporter lines) and timers that tick with the run's length or the process
# (stats, capture_loss; Zeek 8's telemetry of its own metrics, Broker's among them); over
# WebSocket Zeek 8's cluster log notes the bridge's connection and subscriptions.
# Counted, but not required to match mode a's files.
RUN_DEPENDENT = {"broker", "cluster", "reporter", "stats", "capture_loss", "telemetry"}
LABELS = {"a": "a: JSON files only", "b": "b: files + forwarding", "c": "c: forwarding only"}


def load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# The bridge serves /metrics: each forwarding run reports how many log_batch events carried
# its records (zrb_batches_received_total), so a batch_size variant shows it took effect.
METRICS = ["--metrics.listen", "127.0.0.1:0"]


def batches(port):
    return int(metrics_checks.gauge(port, "zrb_batches_received_total") or 0)


def run_zeek(zeek, args, timeout, perf=None, profile=None):
    """Runs zeek in a scratch folder; returns (the zeek_logs.Run of that folder, CPU seconds,
    wall seconds)."""
    run = zeek_logs.Run(zeek, args)
    folder = run.dir
    env = dict(zeek.env)
    cmd = [os.path.join(zeek.prefix, "bin", "zeek"), *args]
    if profile and zeek.number >= 60000:
        cmd.insert(1, f"--profile-scripts={profile}")
    elif profile:
        env["ZEEK_PROFILER_FILE"] = profile
    if perf:
        cmd = ["perf", "record", "-q", "-g", "-o", perf, "--", *cmd]
    start = time.monotonic()
    with open(os.path.join(folder, "zeek.stdout"), "wb") as out, \
            open(os.path.join(folder, "zeek.stderr"), "wb") as err:
        proc = subprocess.Popen(cmd, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(10)
            raise SystemExit(f"zeek did not finish within {timeout}s: {zeek_runner.output(folder)}")
        time.sleep(0.01)
    run.code = os.waitstatus_to_exitcode(status)
    run.output = zeek_runner.output(folder)
    if run.code != 0:
        raise SystemExit(f"zeek exited {run.code}: {run.output[-2000:]}")
    run.seconds = time.monotonic() - start
    return run, usage.ru_utime + usage.ru_stime, run.seconds


def file_lines(folder):
    return {os.path.basename(f)[:-4]: zeek_runner.read_log_lines(f)
            for f in glob.glob(os.path.join(folder, "*.log"))
            if os.path.basename(f)[:-4] not in NOT_LOGS}


def redis_counts(redis, expected_total):
    zeek_logs.wait_for_redis(redis, expected_total, stall=5, timeout=300)
    return {p: redis.xlen("zeek:" + p) for p in zeek_logs.redis_paths(redis) if p not in NOT_LOGS}


def compare_files(tag, run, redis, unsent, checks):
    """Mode b: Redis's entries against this run's own files, every path (those logged while
    Zeek terminates included), as the zeek tests compare them (Broker carries sets sorted):
    none extra or different, and what Redis lacks of a path is what `unsent` holds of it
    (over WebSocket, checked against Zeek's lines field by field). (equal, other)."""
    cmp = zeek_logs.Comparison(run.logs(), redis, run.set_fields(), wst.Unchecked(), tag)
    ok = all(extra == 0 and differing == 0 and missing == unsent.get(path, 0)
             for path, _, _, _, _, missing, extra, differing in cmp.rows)
    checks.check(ok, f"{tag}: Redis (plus the unsent file) differs from the run's files\n"
                     + cmp.table(tag))
    if unsent:
        wst.check_unsent(tag, run, cmp, checks)
    _, _, identical, set_order, missing, extra, differing = cmp.totals()
    return identical + set_order, missing - sum(unsent.values()) + extra + differing


def parse_variant(text, package):
    label, _, rest = text.partition("=")
    words = shlex.split(rest)
    if not label or not words or words[0] not in LABELS:
        raise SystemExit(f"--variant {text!r}: expected 'LABEL=MODE [ARG ...]', MODE a, b or c")
    base, extra = words[0], words[1:]
    scripts = [w.split("=", 1)[1] for w in extra if w.startswith("scripts=")]
    # Zeek runs in a scratch folder: a script named relative to here is passed as a full path.
    extra = [os.path.abspath(w) if w.endswith(".zeek") and os.path.isfile(w) else w
             for w in extra if not w.startswith("scripts=")]
    return label, base, extra, (os.path.abspath(scripts[-1]) if scripts else package)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", required=True)
    ap.add_argument("--zeek", default="3.2")
    ap.add_argument("--transport", choices=["broker", "websocket"], default="broker",
                    help="how the package reaches the bridge (websocket: Zeek 8.0 only)")
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trace", action="append", default=[],
                    help="trace name under shared/zeek/traces (default: http_bro.org)")
    ap.add_argument("--modes", default="abc", help="which of a, b, c to run (a always runs)")
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--perf")
    ap.add_argument("--profile-scripts")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    os.environ["ZRB_BRIDGE"] = os.path.abspath(a.bridge)
    names = a.trace or ["http_bro.org"]
    traces = [t for t in zeek_runner.traces() if os.path.basename(t)[:-5] in names]
    if len(traces) != len(names):
        raise SystemExit(f"traces {names}: found only {traces}")
    for d in (a.perf, a.profile_scripts):
        if d:
            os.makedirs(d, exist_ok=True)
    zeek = zeek_runner.Zeek(a.zeek)
    if a.transport == "websocket" and zeek.number < 80000:
        # The unsent file (what is logged after the main loop) needs Zeek 7.2 and later; only
        # the shared 8.0 is tested with this transport.
        raise SystemExit(f"--transport websocket: needs Zeek 8.0, not {zeek.number}")
    work = tempfile.mkdtemp(prefix="zrb-zeek-cost-trace-")
    big = os.path.join(work, "big.pcap")
    subprocess.run([sys.executable, os.path.join(HERE, "make_trace.py"), "--out", big,
                    "--repeat", str(a.repeat), *traces], check=True)
    print(f"start: {load()}", flush=True)
    modes = ["a"] + [m for m in "bc" if m in a.modes]
    base = {m: m for m in modes}
    labels = dict(LABELS)
    checks = harness.Checks("zeek_cost")
    records = {}
    unsent_total = []
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        if a.transport == "websocket":
            # One port for every run: the bridge reconnects to each Zeek (the package holds
            # the trace until it has).
            url, transport = wst.websocket_args(harness.free_port())
            bridge = stack.enter_context(wst.WebSocketBridge(redis, url, METRICS))
        else:
            bridge = stack.enter_context(Bridge(redis, METRICS))
            transport = zeek_logs.bridge_args(bridge)
        metrics = harness.wait_until(lambda: metrics_checks.metrics_port(bridge), 10,
                                     "the bridge's metrics port")
        package = zeek_runner.scripts_dir()
        # set_fields.zeek (every mode, for the same work) names the set-typed columns.
        common = ["-C", "-r", big, "local", zeek_logs.SET_FIELDS]
        args = {
            "a": [*common, "LogAscii::use_json=T"],
            "b": [*common, package, *transport, "LogAscii::use_json=T"],
            "c": [*common, package, *transport, "Log::enable_local_logging=F"],
        }
        for v in a.variant:
            label, m, extra, scripts = parse_variant(v, package)
            args[label] = [scripts if x == package else x for x in args[m]] + extra
            base[label] = m
            labels[label] = f"{label}: {m} + {' '.join(shlex.split(v.partition('=')[2])[1:])}"
            modes.append(label)
        cpu = {m: [] for m in modes}
        for r in range(a.rounds):
            # Even rounds run the modes after a in reverse, so that no mode (a variant
            # especially) always runs last in its round, when the load may have moved.
            for m in modes if r % 2 == 0 else modes[:1] + modes[:0:-1]:
                redis.command("FLUSHALL")
                tag = f"{m}-{r + 1}"
                events = batches(metrics)
                run, secs, wall = run_zeek(
                    zeek, args[m], a.timeout,
                    perf=a.perf and os.path.join(a.perf, f"zeek-{tag}.data"),
                    profile=a.profile_scripts and os.path.abspath(
                        os.path.join(a.profile_scripts, f"prof-{tag}.txt")))
                note = ""
                if base[m] == "a":
                    counts = {p: len(v) for p, v in file_lines(run.dir).items()}
                    records.setdefault("a", counts)
                else:
                    want = records["a"]
                    # Over WebSocket: what Zeek logged after its main loop, in the unsent file.
                    unsent = {p: len(v) for p, v in wst.unsent_lines(run)[0].items()}
                    in_redis = redis_counts(redis, sum(want.values()) - sum(unsent.values()))
                    counts = {p: in_redis.get(p, 0) + unsent.get(p, 0)
                              for p in set(in_redis) | set(unsent)}
                    missing = {p: (want.get(p, 0), counts.get(p, 0))
                               for p in (set(want) | set(counts)) - RUN_DEPENDENT
                               if want.get(p, 0) != counts.get(p, 0)}
                    checks.check(not missing, f"round {r + 1} mode {m}: Redis (plus the unsent "
                                              f"file) differs from Zeek's files (path: zeek, "
                                              f"redis): {missing}")
                    # The events the records came in (batch_size at work); the bridge counts
                    # them before it writes their records, which are all in Redis now.
                    note = f", {batches(metrics) - events} log_batch events"
                    if base[m] == "b":
                        same, other = compare_files(tag, run, redis, unsent, checks)
                        note += f", {same} equal to the run's files, {other} not"
                    if unsent:
                        note += f", {sum(unsent.values())} of them in the unsent file"
                        unsent_total.append(sum(unsent.values()))
                cpu[m].append(secs)
                print(f"round {r + 1} mode {m}: Zeek CPU {secs:.2f} s, wall {wall:.2f} s, "
                      f"{sum(counts.values())} records{note}; {load()}", flush=True)
                run.cleanup()
    zeek.close()
    zeek_runner.shutil.rmtree(work, ignore_errors=True)
    n = sum(v for p, v in records["a"].items() if p not in RUN_DEPENDENT)
    med = {m: statistics.median(cpu[m]) for m in modes}
    print(f"\nZeek {zeek.number} over {a.transport}, trace {'+'.join(names)} x{a.repeat}, {n} traffic log records "
          f"per run, {a.rounds} rounds; {os.cpu_count()} CPUs; end: {load()}")
    # On a shared machine every run's CPU seconds move with the others' load; a mode's run
    # and the a run of the same round saw about the same load, so the median of the
    # per-round ratios is given beside the ratio of the medians.
    paired = {m: statistics.median(x / y for x, y in zip(cpu[m], cpu["a"])) for m in modes}
    print("| mode | Zeek CPU s (median) | all runs | us per record | vs a (medians) | "
          "vs a (median of rounds) |")
    print("|---|---:|---|---:|---:|---:|")
    for m in modes:
        runs = ", ".join(f"{x:.2f}" for x in cpu[m])
        print(f"| {labels[m]} | {med[m]:.2f} | {runs} | {med[m] / n * 1e6:.1f} | "
              f"{med[m] / med['a']:.2f} | {paired[m]:.2f} |")
    if "b" in med:
        print(f"\nb/a = {med['b'] / med['a']:.2f} (per round: {paired['b']:.2f}; target <= 1.10); "
              f"forwarding costs "
              f"{(med['b'] - med['a']) / n * 1e6:.1f} us of Zeek CPU per record")
    if "c" in med:
        print(f"c/a = {med['c'] / med['a']:.2f} (per round: {paired['c']:.2f}; target < 1.00)")
    if unsent_total:
        span = sorted({min(unsent_total), max(unsent_total)})
        print(f"over WebSocket {' to '.join(map(str, span))} records per forwarding run were logged after Zeek's main loop ended and went to "
              f"RedisBridge::unsent_file (delivered to the file, not lost; counted above)")
    print("every record arrived" if not checks.failures
          else f"{len(checks.failures)} checks failed: records lost or changed")
    sys.exit(1 if checks.failures else 0)


if __name__ == "__main__":
    main()
