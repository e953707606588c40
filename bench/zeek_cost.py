#!/usr/bin/python3
"""What forwarding costs Zeek: the real Zeek's CPU with and without the package.

    /usr/bin/python3 bench/zeek_cost.py --bridge BUILD/bridge/zeek-redis-bridge
        [--zeek 3.2] [--repeat 100] [--rounds 3] [--trace NAME ...]

Makes a large trace at run time from shared/zeek/traces (bench/make_trace.py: the traces
repeated --repeat times, each copy shifted in time and addresses), then runs the real Zeek
(tests/zeek/zeek_runner.py: --zeek picks the shared install) on it with `local`, in three
modes, alternating, --rounds times:

  a  JSON files only (LogAscii::use_json=T), no package: Zeek's own cost of logging
  b  JSON files and the package forwarding to the bridge and Redis
  c  the package forwarding only: Log::enable_local_logging=F, no files

Zeek's CPU seconds (user + system, from wait4 of the Zeek process) per run; the records of
the run (lines of a's logs; XLEN of the zeek:* streams for b and c, which must equal a's
counts per path); CPU per record; the ratios b/a and c/a of the medians. One redis-server and
one bridge serve all runs (FLUSHALL before each). Loopback only; every wait bounded.
"""

import argparse
import glob
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "zeek"))

import zeek_runner  # noqa: E402
import zeek_logs  # noqa: E402
from harness import Bridge, RedisServer  # noqa: E402

MODES = ("a", "b", "c")
NOT_LOGS = {"loaded_scripts"}  # written once at start, not per traffic; left out of counts
# Paths whose count depends on the run itself, not on the traffic: the package's peering
# (broker, reporter lines) and timers that tick with the run's length (stats, capture_loss).
# Counted, but not required to match mode a's files.
RUN_DEPENDENT = {"broker", "reporter", "stats", "capture_loss"}


def run_zeek(zeek, args, timeout):
    """Runs zeek in a scratch folder; returns (folder, CPU seconds, wall seconds)."""
    folder = tempfile.mkdtemp(prefix="zrb-zeek-cost-")
    start = time.monotonic()
    proc = zeek.start(args, folder)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"zeek did not finish within {timeout}s: {zeek_runner.output(folder)}")
        time.sleep(0.01)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"zeek exited {proc.returncode}: {zeek_runner.output(folder)[-2000:]}")
    return folder, usage.ru_utime + usage.ru_stime, time.monotonic() - start


def file_counts(folder):
    counts = {}
    for f in glob.glob(os.path.join(folder, "*.log")):
        path = os.path.basename(f)[:-4]
        if path not in NOT_LOGS:
            counts[path] = len(zeek_runner.read_log_lines(f))
    return counts


def redis_counts(redis, expected_total):
    zeek_logs.wait_for_redis(redis, expected_total, stall=5, timeout=300)
    return {p: redis.xlen("zeek:" + p) for p in zeek_logs.redis_paths(redis) if p not in NOT_LOGS}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", required=True)
    ap.add_argument("--zeek", default="3.2")
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trace", action="append", default=[],
                    help="trace name under shared/zeek/traces (default: http_bro.org)")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    os.environ["ZRB_BRIDGE"] = os.path.abspath(a.bridge)
    names = a.trace or ["http_bro.org"]
    traces = [t for t in zeek_runner.traces() if os.path.basename(t)[:-5] in names]
    zeek = zeek_runner.Zeek(a.zeek)
    work = tempfile.mkdtemp(prefix="zrb-zeek-cost-trace-")
    big = os.path.join(work, "big.pcap")
    subprocess.run([sys.executable, os.path.join(HERE, "make_trace.py"), "--out", big,
                    "--repeat", str(a.repeat), *traces], check=True)
    cpu = {m: [] for m in MODES}
    records = {}
    with RedisServer() as redis, Bridge(redis) as bridge:
        package = [zeek_runner.scripts_dir(), *zeek_logs.bridge_args(bridge)]
        args = {
            "a": ["-C", "-r", big, "local", "LogAscii::use_json=T"],
            "b": ["-C", "-r", big, "local", *package, "LogAscii::use_json=T"],
            "c": ["-C", "-r", big, "local", *package, "Log::enable_local_logging=F"],
        }
        for r in range(a.rounds):
            for m in MODES:
                redis.command("FLUSHALL")
                folder, secs, wall = run_zeek(zeek, args[m], a.timeout)
                if m == "a":
                    counts = file_counts(folder)
                    records.setdefault("a", counts)
                else:
                    want = records["a"]
                    counts = redis_counts(redis, sum(want.values()))
                    missing = {p: (want.get(p, 0), counts.get(p, 0))
                               for p in (set(want) | set(counts)) - RUN_DEPENDENT
                               if want.get(p, 0) != counts.get(p, 0)}
                    if missing:
                        print(f"round {r + 1} mode {m}: Redis differs from Zeek's files "
                              f"(path: zeek, redis): {missing}")
                cpu[m].append(secs)
                n = sum(counts.values())
                print(f"round {r + 1} mode {m}: Zeek CPU {secs:.2f} s, wall {wall:.2f} s, "
                      f"{n} records")
                zeek_runner.shutil.rmtree(folder, ignore_errors=True)
    zeek.close()
    n = sum(v for p, v in records["a"].items() if p not in RUN_DEPENDENT)
    med = {m: statistics.median(cpu[m]) for m in MODES}
    print(f"\nZeek {zeek.number}, trace {'+'.join(names)} x{a.repeat}, {n} traffic log records per run, "
          f"{a.rounds} rounds; {platform.node() and 'machine: '}{os.cpu_count()} CPUs")
    print("| mode | Zeek CPU s (median) | all runs | us per record |")
    print("|---|---:|---|---:|")
    labels = {"a": "a: JSON files only", "b": "b: files + forwarding", "c": "c: forwarding only"}
    for m in MODES:
        runs = ", ".join(f"{x:.2f}" for x in cpu[m])
        print(f"| {labels[m]} | {med[m]:.2f} | {runs} | {med[m] / n * 1e6:.1f} |")
    print(f"\nb/a = {med['b'] / med['a']:.2f} (target <= 1.10), "
          f"c/a = {med['c'] / med['a']:.2f} (target < 1.00); forwarding costs "
          f"{(med['b'] - med['a']) / n * 1e6:.1f} us of Zeek CPU per record")


if __name__ == "__main__":
    main()
