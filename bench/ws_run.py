#!/usr/bin/python3
"""The bridge's own WebSocket path (issue 12 part 6): records/s end to end without Zeek.

    /usr/bin/python3 bench/ws_run.py --build BUILD [--records N] [--batch B] [--rounds R]

BUILD holds bridge/zeek-redis-bridge and bench/bench_ws_publisher (either flavour). Per
round, on free loopback ports: redis-server, bench_ws_publisher (a WebSocket server standing
in for Zeek 8.0.10, sending protocol-2 log_batch2 frames built before the clock starts), the
bridge with `--transport.kind websocket`; XLEN of zeek:conn is polled until it reaches N.
Reported: records/s from the publisher's first send to XLEN == N, the bridge's CPU seconds
per million records (/proc/<pid>/stat utime+stime over that interval), its peak RSS (VmHWM).
Then every entry whose record the publisher sampled is compared byte for byte with Zeek's
log JSON of that record (the sampled to_json object with `id` flattened to `id.orig_h`...).
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "websocket"))
import harness  # noqa: E402
from run import proc_cpu_seconds, proc_status  # noqa: E402
from test_websocket_zeek import WebSocketBridge  # noqa: E402


def log_line(obj):
    """Zeek's JSON log line of a to_json record object: nested records flattened with '.'."""
    flat = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                flat[f"{k}.{k2}"] = v2
        else:
            flat[k] = v
    return json.dumps(flat, separators=(",", ":")).encode()


def one_round(args, scratch):
    samples_path = os.path.join(scratch, "samples.txt")
    pub = subprocess.Popen([os.path.join(args.build, "bench", "bench_ws_publisher"),
                            "--listen", "127.0.0.1:0", "--records", str(args.records),
                            "--batch", str(args.batch), "--sample-file", samples_path],
                           stdout=subprocess.PIPE, text=True)
    try:
        port = int(pub.stdout.readline().split()[1].split("=")[1])
        os.environ["ZRB_BRIDGE"] = os.path.join(args.build, "bridge", "zeek-redis-bridge")
        with harness.RedisServer() as redis, WebSocketBridge(
                redis, f"ws://127.0.0.1:{port}/v1/messages/json") as bridge:
            pid = bridge.proc.pid
            lines = {}
            while "sent" not in lines:
                line = pub.stdout.readline()
                if not line:
                    raise harness.TestError("publisher ended early")
                lines[line.split()[0]] = line
            start = float(lines["start"].split("=")[1])
            cpu0 = proc_cpu_seconds(pid)
            deadline = time.monotonic() + 600
            n = 0
            while n < args.records and time.monotonic() < deadline:
                n = redis.xlen("zeek:conn") or 0
                time.sleep(0.01)
            end = time.monotonic()
            cpu = proc_cpu_seconds(pid) - cpu0
            rss = proc_status(pid, "VmHWM")
            if n != args.records:
                raise harness.TestError(f"{n} of {args.records} records in Redis\n"
                                        f"{harness.tail(bridge.log())}")
            # Byte-for-byte check of the sampled records (record k of the pool is sent
            # as entries k, k + pool, ...).
            samples = {}
            with open(samples_path) as f:
                for line in f:
                    k, obj = line.split(" ", 1)
                    samples[int(k)] = log_line(json.loads(obj))
            pool = 100000
            entries = redis.stream_json("zeek:conn")
            checked = bad = 0
            for j, got in enumerate(entries):
                want = samples.get(j % pool)
                if want is None:
                    continue
                checked += 1
                if got != want:
                    bad += 1
                    if bad <= 3:
                        print(f"  entry {j} differs:\n    got  {got!r}\n    want {want!r}")
            result = bridge.stop()
            rej = {k: v for k, v in (result.counters or {}).items() if k.startswith("rejected")}
        return {"rate": args.records / (end - start), "cpu_per_m": cpu / args.records * 1e6,
                "rss_mib": (rss or 0) / 1024, "sent": lines["sent"].strip(),
                "checked": checked, "bad": bad, "rejected": rej}
    finally:
        pub.terminate()
        pub.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if args.records % args.batch:
        ap.error("--records must be a multiple of --batch")
    print(f"loadavg before: {open('/proc/loadavg').read().strip()}")
    failed = False
    for r in range(args.rounds):
        scratch = f"/tmp/zrb-wsrun-{os.getpid()}-{r}"
        os.makedirs(scratch, exist_ok=True)
        res = one_round(args, scratch)
        failed |= res["bad"] > 0 or res["checked"] == 0
        print(f"round {r + 1}: {res['rate']:,.0f} records/s end to end, bridge "
              f"{res['cpu_per_m']:.2f} CPU s per million records, peak RSS {res['rss_mib']:.0f} MiB; "
              f"sampled entries {res['checked']} checked, {res['bad']} differ; "
              f"rejected {res['rejected'] or 'none'}; publisher: {res['sent']}")
        print(f"  loadavg: {open('/proc/loadavg').read().strip()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
