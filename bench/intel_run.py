"""Runs bench_intel against the real bridge and a private redis-server (bench/RESULTS.md,
"Redis to Zeek intel"): PUBLISH-to-event latency at --rate messages/s, then the throughput of a
snapshot replay of --indicators indicators. Prints each figure line and the load average.

Run from the repository root (python3-broker is not needed, but the test harness is reused):
  /usr/bin/python3 bench/intel_run.py --bridge BUILD/bridge/zeek-redis-bridge \
      --bench BUILD/bench/bench_intel [--rounds 3]
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402


def run(cmd):
    print("$", " ".join(cmd), flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    sys.stderr.write(out.stderr)
    print(out.stdout.strip(), flush=True)
    if out.returncode != 0:
        raise SystemExit(f"exit code {out.returncode}")
    return out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bridge", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--indicators", type=int, default=100000)
    ap.add_argument("--bridge-args", default="", help="extra bridge arguments, space-separated")
    ap.add_argument("--peer-batch-delay-us", help="the peer's CAF stream.max-batch-delay")
    a = ap.parse_args()
    os.environ["ZRB_BRIDGE"] = a.bridge
    print("load:", open("/proc/loadavg").read().strip(), "cpus:", os.cpu_count())
    for r in range(a.rounds):
        with harness.RedisServer() as redis, harness.Bridge(redis, a.bridge_args.split()) as bridge:
            peer = (["--batch-delay-us", a.peer_batch_delay_us] if a.peer_batch_delay_us else [])
            run([a.bench, "--mode", "latency", "--peer", f"127.0.0.1:{bridge.port}",
                 "--redis", redis.url, "--rate", str(a.rate), "--messages", str(a.messages),
                 *peer])
        with harness.RedisServer() as redis, harness.Bridge(redis, a.bridge_args.split()) as bridge:
            run([a.bench, "--mode", "replay", "--peer", f"127.0.0.1:{bridge.port}",
                 "--redis", redis.url, "--indicators", str(a.indicators)])
        print("load:", open("/proc/loadavg").read().strip(), flush=True)


if __name__ == "__main__":
    main()
