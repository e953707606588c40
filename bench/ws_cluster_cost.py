#!/usr/bin/python3
"""What the cluster part of the WebSocket transport (scripts/cluster.zeek) costs a worker: the
ZeroMQ cluster of tests/websocket/test_websocket_cluster.py (manager, logger, proxy, one
worker) with the worker reading a large trace made at run time (bench/make_trace.py), once
with the confirmation of what it published (RedisBridge::confirm_interval 1 s, the default)
and once without (0 s); per round the worker's CPU seconds (user + system, from /proc, read
once its records are all in Redis), the wall time from its start to the last record in
Redis, the records, and the bridge's drain requests.

    /usr/bin/python3 bench/ws_cluster_cost.py --bridge build/bridge/zeek-redis-bridge \\
        [--repeat 40] [--rounds 2]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "websocket"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "zeek"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(zeek, trace, confirm, harness, twc):
    scratch = tempfile.mkdtemp(prefix="zrb-ws-cluster-cost-")
    cluster = None
    try:
        ws_port = harness.free_port()
        cluster = twc.Cluster(zeek, scratch, ws_port, "zeromq")
        url = f"ws://127.0.0.1:{ws_port}/v1/messages/json"
        with harness.RedisServer() as redis:
            bridge = twc.WebSocketBridge(redis, url)
            bridge._listening_port = lambda: True
            with bridge:
                extra = [f"RedisBridge::confirm_interval={confirm}"]
                for name, _, _ in twc.NODES[:3]:
                    cluster.start(name, None, extra)
                harness.wait_until(lambda: "websocket: connected to" in bridge.log() or None, 60,
                                   "the bridge's connection")
                start = time.monotonic()
                cluster.start("worker-1", trace, extra)

                def total():
                    cluster.check_running()
                    return sum(redis.xlen(k) for k in redis.keys("zeek:*")
                               if redis.command("TYPE", k) == b"stream")
                last = [0, time.monotonic()]

                def settled():
                    n = total()
                    if n != last[0]:
                        last[:] = [n, time.monotonic()]
                    return time.monotonic() - last[1] > 5 and n > 0 or None
                harness.wait_until(settled, 900, "the worker's records", interval=0.2)
                wall = last[1] - start
                cpu = cpu_seconds(cluster.procs["worker-1"].pid)
                records = last[0]
                for name in ("worker-1", "proxy-1", "manager", "logger-1"):
                    cluster.stop(name)
                result = bridge.stop()
        return cpu, wall, records, (result.counters or {}).get("drain_requests", 0)
    finally:
        if cluster:
            cluster.kill_all()
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", required=True)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    os.environ["ZRB_BRIDGE"] = os.path.abspath(args.bridge)
    import harness
    import test_websocket_cluster as twc
    import zeek_runner
    zeek = zeek_runner.Zeek("8.0")
    tmp = tempfile.mkdtemp(prefix="zrb-ws-cluster-trace-")
    try:
        trace = os.path.join(tmp, "big.pcap")
        traces = [os.path.join(zeek_runner.zeek_root(), "traces", t)
                  for t in ("wikipedia.pcap", "http_bro.org.pcap")]
        subprocess.run([sys.executable, os.path.join(HERE, "make_trace.py"), "--out", trace,
                        "--repeat", str(args.repeat), *traces], check=True)
        print(f"trace: wikipedia + http_bro.org x {args.repeat}, "
              f"{os.path.getsize(trace) / 1e6:.1f} MB; load {os.getloadavg()[0]:.2f}")
        for r in range(args.rounds):
            for confirm in ("1sec", "0secs"):
                cpu, wall, records, drains = one_run(zeek, trace, confirm, harness, twc)
                print(f"round {r + 1} confirm_interval={confirm}: worker CPU {cpu:.2f} s, "
                      f"{records} records in Redis after {wall:.1f} s, drain requests {drains}, "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        zeek.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
