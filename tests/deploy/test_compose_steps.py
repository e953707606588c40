"""The Compose demo's container steps, run natively: deploy/compose/bridge.sh, intel.sh,
consumer.sh and zeek.sh, in the order `docker compose up` starts them, with their variables
pointed at the real bridge of this build, a real redis-server and a real Zeek from
../shared/zeek (ZRB_ZEEK: 8.0, the demo's Zeek, in the Zeek 8.0.10 flavour; 3.2 in the Debian
flavour, whose Broker 1.4 bridge peers only with Zeek 3.2), all on free loopback ports:

  - intel.sh waits for the bridge's subscription, publishes the demo's two indicators and
    exits 0 once both are in the bridge's snapshot;
  - zeek.sh (ZEEK_RUNS=1) reads the bundled deploy/compose/sample/wikipedia.pcap with the
    package and exits 0; per log path Redis holds exactly Zeek's own JSON lines of that run,
    intel.log included, which has hits on both indicators;
  - consumer.sh, started before Zeek, printed every entry of its streams, once;
  - /metrics counts the records written; the bridge ends with exit code 0 on SIGTERM.

Run: /usr/bin/python3 tests/deploy/test_compose_steps.py   (env: see tests/integration/harness.py)
"""

import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "zeek"))

import zeek_runner  # noqa: E402
import harness  # noqa: E402
import zeek_logs  # noqa: E402
from harness import RedisServer, TestError  # noqa: E402

COMPOSE = os.path.join(harness.source_dir(), "deploy", "compose")
PCAP = os.path.join(COMPOSE, "sample", "wikipedia.pcap")
CONSUMER_STREAMS = ["zeek:conn", "zeek:http", "zeek:dns", "zeek:intel"]
# What the demo's indicators hit in wikipedia.pcap: the address and the HTTP host.
INDICATORS = {"208.80.152.3", "meta.wikimedia.org"}


def script(name):
    return ["bash", os.path.join(COMPOSE, name)]


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Step:
    """One entrypoint script running in the background, its output in a file."""

    def __init__(self, scratch, name, env):
        self.out = os.path.join(scratch, name + ".out")
        with open(self.out, "wb") as f:
            self.proc = subprocess.Popen(script(name), env=env, stdin=subprocess.DEVNULL,
                                         stdout=f, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def output(self):
        return read(self.out)

    def wait_for(self, pattern, timeout, what):
        def seen():
            m = re.search(pattern, self.output())
            if m:
                return m
            if self.proc.poll() is not None:
                raise TestError(f"{what}: exited with {self.proc.returncode}\n"
                                f"{harness.tail(self.output())}")
            return None
        return harness.wait_until(seen, timeout, what)

    def stop(self, timeout=30):
        """SIGTERM to the script's process group (bash and what it started); the exit code,
        None if it had to be killed."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
                return None
        return self.proc.returncode


def run_to_end(name, env, timeout):
    """Runs an entrypoint script to its end; (exit code or None on timeout, output, seconds)."""
    start = time.monotonic()
    try:
        p = subprocess.run(script(name), env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), time.monotonic() - start
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), time.monotonic() - start


def zeek_logs_of(folder):
    out = {}
    for name in os.listdir(folder):
        if name.endswith(".log"):
            out[name[:-4]] = zeek_runner.read_log_lines(os.path.join(folder, name))
    return out


def set_fields_of(folder):
    out = {}
    for line in read(os.path.join(folder, "set_fields.txt")).splitlines():
        path, _, field = line.strip().partition(" ")
        out.setdefault(path, set()).add(field)
    return out


def compose(zeek, checks, summary):
    scratch = tempfile.mkdtemp(prefix="zrb-compose-")
    logs = os.path.join(scratch, "logs")
    os.mkdir(logs)
    steps = []
    try:
        with RedisServer() as redis:
            base = dict(os.environ, REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis.port))
            metrics_port = harness.free_port()
            bridge = Step(scratch, "bridge.sh", dict(
                base, ZRB_BRIDGE=harness.bridge_path(),
                ZRB_CONFIG=os.path.join(harness.source_dir(), "deploy", "zeek-redis-bridge.conf"),
                BRIDGE_LISTEN="127.0.0.1:0", REDIS_URL=redis.url,
                METRICS_LISTEN=f"127.0.0.1:{metrics_port}", STATS_INTERVAL_S="60"))
            steps.append(bridge)
            port = int(bridge.wait_for(r"listening on 127\.0\.0\.1:(\d+)", 30,
                                       "the bridge's listening line").group(1))

            consumer = Step(scratch, "consumer.sh", dict(
                base, CONSUMER_STREAMS=" ".join(CONSUMER_STREAMS), CONSUMER_BLOCK_MS="500"))
            steps.append(consumer)
            consumer.wait_for("waiting for entries", 30, "the consumer")

            code, out, secs = run_to_end("intel.sh", base, 60)
            snapshot = redis.command("HKEYS", "zeek:intel:snapshot:compose-demo")
            checks.check(code == 0 and len(snapshot) == 2,
                         f"intel.sh: exit {code}, snapshot {snapshot}\n{harness.tail(out)}")
            summary.append(f"intel.sh: exit {code} in {secs:.1f}s, snapshot "
                           f"{sorted(s.decode() for s in snapshot)}")

            zeek_env = dict(zeek.env, ZEEK=os.path.join(zeek.prefix, "bin", "zeek"),
                            ZEEK_PACKAGE=zeek_runner.scripts_dir(), ZEEK_PCAP=PCAP,
                            ZEEK_LOG_DIR=logs, ZEEK_RUNS="1", BRIDGE_HOST="127.0.0.1",
                            BRIDGE_PORT=str(port))
            # Extra arguments go to Zeek: set_fields.zeek names the set columns, whose
            # element order Broker does not keep (the other zeek tests do the same).
            zeek_script = script("zeek.sh") + [zeek_logs.SET_FIELDS]
            t0 = time.monotonic()
            try:
                p = subprocess.run(zeek_script, env=zeek_env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=90)
                code, out = p.returncode, p.stdout.decode("utf-8", "replace")
            except subprocess.TimeoutExpired as e:
                code, out = None, (e.stdout or b"").decode("utf-8", "replace")
            zeek_secs = time.monotonic() - t0
            checks.check(code == 0 and "run 1 done" in out,
                         f"zeek.sh: exit {code}\n{harness.tail(out)}")
            said = re.search(r"run 1 done: .*", out)
            summary.append(f"zeek.sh (ZEEK_RUNS=1): exit {code} in {zeek_secs:.1f}s; "
                           f"{said.group(0) if said else 'no summary line'}")

            got = zeek_logs_of(logs)
            expected_total = sum(len(v) for v in got.values())
            zeek_logs.wait_for_redis(redis, expected_total, stall=5, timeout=30)
            cmp = zeek_logs.Comparison(got, redis, set_fields_of(logs), checks, "compose")
            summary.append(cmp.table("Zeek's logs vs Redis"))

            intel = [json.loads(line) for line in got.get("intel", [])]
            hit = {d.get("seen.indicator") for d in intel}
            checks.check(hit == INDICATORS,
                         f"intel.log: hits on {sorted(hit)}, expected {sorted(INDICATORS)}")
            in_redis = redis.stream_json("zeek:intel")
            checks.check(len(in_redis) == len(intel) and len(intel) > 0,
                         f"zeek:intel in Redis: {len(in_redis)} entries, intel.log {len(intel)}")
            summary.append(f"intel.log: {len(intel)} lines, hits on {sorted(hit)}; "
                           f"Redis zeek:intel: {len(in_redis)} entries")

            # The consumer: every entry of its streams, each once.
            want = {s: redis.xlen(s) for s in CONSUMER_STREAMS}

            def consumed():
                c = collections.Counter(line.split(" ", 1)[0]
                                        for line in consumer.output().splitlines()
                                        if line.startswith("zeek:"))
                return c if all(c[s] >= n for s, n in want.items()) else None
            try:
                harness.wait_until(consumed, 20, "the consumer's lines", interval=0.2)
            except TestError:
                pass
            lines = [line for line in consumer.output().splitlines() if line.startswith("zeek:")]
            printed = collections.Counter(line.split(" ", 1)[0] for line in lines)
            checks.check(dict(printed) == {s: n for s, n in want.items() if n},
                         f"consumer.sh printed {dict(printed)}, streams hold {want}\n"
                         f"{harness.tail(consumer.output())}")
            conn_json = [line.split(" ", 2)[2].encode() for line in lines
                         if line.startswith("zeek:conn ")]
            checks.check(conn_json == got.get("conn", []),
                         "consumer.sh: its zeek:conn lines are not conn.log's lines")
            summary.append(f"consumer.sh printed {sum(printed.values())} entries "
                           f"{dict(sorted(printed.items()))}")

            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                        timeout=10) as r:
                text = r.read().decode()
            m = re.search(r"^zrb_records_written_total (\d+)", text, re.M)
            written = int(m.group(1)) if m else None
            checks.check(written is not None and written >= expected_total,
                         f"/metrics: zrb_records_written_total {written}, "
                         f"Zeek logged {expected_total}")
            summary.append(f"/metrics: zrb_records_written_total {written} "
                           f"(Zeek logged {expected_total} lines)")

            consumer.stop()
            code = bridge.stop()
            checks.check(code == 0, f"bridge.sh: exit {code} on SIGTERM\n"
                                    f"{harness.tail(bridge.output())}")
    except TestError:
        for s in steps:
            print(f"--- {os.path.basename(s.out)}:\n{harness.tail(s.output(), 20)}")
        raise
    finally:
        for s in steps:
            s.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(zeek_runner.run_parts("compose_steps", [compose]))
