#!/usr/bin/python3
"""The bridge's own WebSocket path (issue 12 part 6): records/s end to end without Zeek.

    /usr/bin/python3 bench/ws_run.py --build BUILD [--records N] [--batch B] [--rounds R]

BUILD holds bridge/zeek-redis-bridge and bench/bench_ws_publisher (either flavour). Per
round, on free loopback ports: redis-server, bench_ws_publisher (a WebSocket server standing
in for Zeek 8.0.10, sending protocol-2 log_batch2 frames built before the clock starts), the
bridge with `--transport.kind websocket`; XLEN of zeek:conn is polled until it reaches N.
Reported: records/s from the publisher's first send to XLEN == N, the CPU seconds per million
records of the bridge, redis-server and the publisher (/proc/<pid>/stat utime+stime from the
bridge's connection to XLEN == N; the publisher's also counts sending the schema), the
bridge's peak RSS (VmHWM), the JSON bytes per record on the wire.
Then a sample of the stream is compared byte for byte with Zeek's log JSON of the record
sent there (the publisher's to_json object with `id` flattened to `id.orig_h`...): the first
and the last entry and --check-points runs of --check-run consecutive entries spread over the
stream's ids, which must also hold consecutive records. Only those entries are read (XRANGE
from an id with COUNT), so the check takes about a second whatever N is.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "websocket"))
import harness  # noqa: E402
from run import proc_cpu_seconds, proc_status  # noqa: E402
from test_websocket_zeek import WebSocketBridge  # noqa: E402


NESTED = re.compile(rb'"([a-z_]+)":\{([^{}]*)\}')
PORT = re.compile(rb'\{"port":(\d+),"proto":"[a-z]+"\}')


def log_line(obj):
    """Zeek's JSON log line of a to_json record object (bytes): ports ({"port":N,
    "proto":P}) as their numbers, conn_id's empty `ctx` left out (no &log field), nested
    records flattened with '.' (`"id":{"orig_h":..}` becomes `"id.orig_h":..`). Done on the
    text, so every number keeps the digits to_json wrote, which are those of Zeek's log
    writer."""
    def flatten(m):
        return re.sub(rb'"([a-z_]+)":', lambda f: b'"' + m.group(1) + b"." + f.group(1) + b'":',
                      m.group(2))
    return NESTED.sub(flatten, PORT.sub(rb"\1", obj.replace(b',"ctx":{}', b"")))


UID = re.compile(rb'"uid":"([^"]+)"')


def check_sample(redis, n, pool, expected_path, points, run_length):
    """Compares `points` runs of `run_length` consecutive entries, spread over the stream's
    ids, byte for byte with Zeek's log line of the record sent there. Entry j holds record
    j % pool, so within a run the pool numbers must follow each other; the first entry must
    be record 0 and the last record (n - 1) % pool. Only those entries are read from Redis.
    Returns (checked, differing, messages)."""
    texts, by_uid = {}, {}
    with open(expected_path, "rb") as f:
        for line in f:
            k, obj = line.rstrip(b"\n").split(b" ", 1)
            texts[int(k)] = obj
            by_uid[UID.search(obj).group(1)] = int(k)
    want = lambda k: log_line(texts[k])  # noqa: E731
    first = redis.command("XRANGE", "zeek:conn", "-", "+", "COUNT", 1)
    last = redis.command("XREVRANGE", "zeek:conn", "+", "-", "COUNT", 1)
    t0, t1 = (int(e[0][0].split(b"-")[0]) for e in (first, last))
    runs = [first, last]
    for i in range(points):
        runs.append(redis.command("XRANGE", "zeek:conn", t0 + (t1 - t0) * i // max(points - 1, 1),
                                  "+", "COUNT", run_length))
    checked, bad, messages = 0, 0, []

    def differs(what):
        nonlocal bad
        bad += 1
        if len(messages) < 3:
            messages.append(what)

    for r, run in enumerate(runs):
        k = None
        for entry_id, fields in run:
            got = dict(zip(fields[0::2], fields[1::2])).get(b"json", b"")
            m = UID.search(got)
            k_got = by_uid.get(m.group(1)) if m else None
            if r == 0 and k is None and k_got != 0:
                differs(f"first entry {entry_id!r} is record {k_got}, not 0")
            if r == 1 and k_got != (n - 1) % pool:
                differs(f"last entry {entry_id!r} is record {k_got}, not {(n - 1) % pool}")
            if k is not None and k_got != (k + 1) % pool:
                differs(f"entry {entry_id!r} is record {k_got} after record {k}")
            checked += 1
            if k_got is None or got != want(k_got):
                differs(f"entry {entry_id!r} differs:\n    got  {got!r}\n    want "
                        f"{want(k_got) if k_got is not None else 'a known uid'!r}")
            k = k_got
    return checked, bad, messages


def one_round(args, scratch):
    expected_path = os.path.join(scratch, "expected.txt")
    pub = subprocess.Popen([os.path.join(args.build, "bench", "bench_ws_publisher"),
                            "--listen", "127.0.0.1:0", "--records", str(args.records),
                            "--batch", str(args.batch), "--expected-file", expected_path],
                           stdout=subprocess.PIPE, text=True)
    try:
        listening = dict(kv.split("=") for kv in pub.stdout.readline().split()[1:])
        port, pool = int(listening["port"]), int(listening["frames"]) * args.batch
        wire_bytes = int(listening["bytes"]) / pool
        os.environ["ZRB_BRIDGE"] = os.path.join(args.build, "bridge", "zeek-redis-bridge")
        with harness.RedisServer() as redis, WebSocketBridge(
                redis, f"ws://127.0.0.1:{port}/v1/messages/json") as bridge:
            pid = bridge.proc.pid
            # Connected and idle: from here on its CPU is the run's.
            cpu0 = proc_cpu_seconds(pid)
            others0 = [proc_cpu_seconds(p) for p in (redis.proc.pid, pub.pid)]
            lines = {}
            while "start" not in lines:
                line = pub.stdout.readline()
                if not line:
                    raise harness.TestError("publisher ended early")
                lines[line.split()[0]] = line
            start = float(lines["start"].split("=")[1])
            deadline = time.monotonic() + 600
            n = 0
            while n < args.records and time.monotonic() < deadline:
                n = redis.xlen("zeek:conn") or 0
                time.sleep(0.01)
            end = time.monotonic()
            cpu = proc_cpu_seconds(pid) - cpu0
            others = [proc_cpu_seconds(p) - c0 for p, c0 in zip((redis.proc.pid, pub.pid), others0)]
            rss = proc_status(pid, "VmHWM")
            lines["sent"] = pub.stdout.readline()
            if n != args.records:
                raise harness.TestError(f"{n} of {args.records} records in Redis\n"
                                        f"{harness.tail(bridge.log())}")
            t = time.monotonic()
            checked, bad, messages = check_sample(redis, args.records, pool, expected_path,
                                                  args.check_points, args.check_run)
            check_s = time.monotonic() - t
            for m in messages:
                print("  " + m)
            result = bridge.stop()
            rej = {k: v for k, v in (result.counters or {}).items() if k.startswith("rejected")}
        return {"rate": args.records / (end - start), "cpu_per_m": cpu / args.records * 1e6,
                "redis_per_m": others[0] / args.records * 1e6,
                "pub_per_m": others[1] / args.records * 1e6,
                "rss_mib": (rss or 0) / 1024, "sent": lines["sent"].strip(),
                "checked": checked, "bad": bad, "check_s": check_s, "rejected": rej,
                "wire_bytes": wire_bytes}
    finally:
        pub.terminate()
        pub.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--check-points", type=int, default=20,
                    help="places spread over the stream whose entries are compared")
    ap.add_argument("--check-run", type=int, default=100,
                    help="consecutive entries compared at each place")
    args = ap.parse_args()
    if args.records % args.batch:
        ap.error("--records must be a multiple of --batch")
    print(f"loadavg before: {open('/proc/loadavg').read().strip()}")
    failed = False
    for r in range(args.rounds):
        scratch = tempfile.mkdtemp(prefix="zrb-wsrun-")
        try:
            res = one_round(args, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        failed |= res["bad"] > 0 or res["checked"] == 0
        print(f"round {r + 1}: {res['rate']:,.0f} records/s end to end, bridge "
              f"{res['cpu_per_m']:.2f} CPU s per million records (redis-server "
              f"{res['redis_per_m']:.2f}, publisher {res['pub_per_m']:.2f}), peak RSS "
              f"{res['rss_mib']:.0f} MiB; entries {res['checked']} checked "
              f"({res['check_s']:.1f} s), {res['bad']} differ; rejected "
              f"{res['rejected'] or 'none'}; {res['wire_bytes']:.0f} bytes of JSON per record; "
              f"publisher: {res['sent']}")
        print(f"  loadavg: {open('/proc/loadavg').read().strip()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
