#!/usr/bin/python3
"""One full benchmark run of zeek-redis-bridge on this machine, loopback only.

    /usr/bin/python3 bench/run.py --bridge BUILD/bridge/zeek-redis-bridge [--records N]
        [--batch B] [--shape conn|string300] [--repeat R]

BUILD is either build flavour (Debian's Broker 1.4, or Zeek 8's Broker with
-DZRB_BUILD_BENCH=ON; the report names the Broker it was built against).
BUILD/bench must hold bench_publisher, bench_decode_sink and bench_pipeline
(`cmake --build BUILD --target zeek-redis-bridge bench_publisher bench_decode_sink
bench_pipeline`); --bench-dir names another folder. Phases, on free loopback ports:

1. end to end: redis-server, the bridge (--broker.listen 127.0.0.1:0), bench_publisher
   peering with it; XLEN of the stream is polled until it reaches N. Reported: records/s
   from the publisher's first send to XLEN == N, the bridge's CPU seconds per million
   records (/proc/<pid>/stat utime+stime over that interval) and its peak RSS (VmHWM).
2. Broker ceiling: bench_decode_sink instead of the bridge, same publisher settings,
   measured the same way (first send to the Nth record decoded).
3. Redis ceiling: redis-benchmark -P 64 XADD of one record's JSON as the bridge wrote it
   (50 connections, redis-benchmark's default, and 1 connection like the bridge).
4. bench_pipeline: the bridge's conversion + Redis writer without Broker.
5. with --perf DIR: one more round of 1 and 4 under `perf record` (not counted), flat profiles
   of the bridge and of bench_pipeline written to DIR.

Phases 1, 2 and 4 run --repeat times (1 and 2 interleaved); the table gives the median and
the best. The machine is shared: before each measured phase the script waits (at most
--quiet-wait seconds) for other processes to go quiet, and it reports the CPU that
processes other than the benchmark's used during each phase ("foreign"): a figure taken
while foreign is high is a figure of a busy machine.

Standard library only; every wait is bounded.
"""

import argparse
import datetime
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1


class BenchError(Exception):
    """A phase that could not run (a process died, a wait ran out)."""


# --- small helpers ---

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_seconds(pid):
    """utime + stime of a live process, in seconds; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid, key):
    """A `key:` line of /proc/<pid>/status (e.g. VmHWM in kB), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def system_busy_seconds():
    """CPU seconds all CPUs spent busy since boot (everything but idle and iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / CLK_TCK


def wait_quiet(max_wait, threshold, log):
    """Waits until the machine was at most `threshold` busy (fraction of all CPUs) over
    one second, for at most `max_wait` seconds. Returns the last busy fraction seen."""
    start = time.monotonic()
    deadline = start + max_wait
    logged = False
    while True:
        b0, t0 = system_busy_seconds(), time.monotonic()
        time.sleep(1.0)
        busy = (system_busy_seconds() - b0) / ((time.monotonic() - t0) * NPROC)
        if busy <= threshold:
            if logged:
                log(f"machine quiet after {time.monotonic() - start:.0f}s")
            return busy
        if time.monotonic() >= deadline:
            log(f"machine still {busy:.0%} busy after waiting {max_wait:.0f}s; measuring anyway")
            return busy
        if not logged:
            log(f"machine {busy:.0%} busy with other work; waiting up to {max_wait:.0f}s")
            logged = True


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


# --- a minimal Redis client (RESP2) ---

class Redis:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def command(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BenchError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BenchError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise BenchError("redis: " + rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise BenchError(f"redis: unexpected reply {line!r}")


# --- processes ---

class Proc:
    """A child process whose stdout and stderr lines are collected by threads, so a
    chatty child never blocks and the caller can wait for a line with a deadline."""

    def __init__(self, name, argv, cwd=None):
        self.name = name
        self.argv = argv
        self.lines = {"stdout": [], "stderr": []}
        self.cond = threading.Condition()
        self.rusage = None
        self.p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.p.pid
        self.threads = [threading.Thread(target=self._read, args=(s, k), daemon=True)
                        for s, k in ((self.p.stdout, "stdout"), (self.p.stderr, "stderr"))]
        for t in self.threads:
            t.start()

    def _read(self, stream, key):
        for raw in stream:
            with self.cond:
                self.lines[key].append(raw.decode(errors="replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def alive(self):
        return not self.reap(0)

    def wait_line(self, pattern, timeout, key="stdout"):
        """The first match of regex `pattern` in `key` lines; BenchError on timeout or exit."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            exited = self.reap(0)  # outside the lock: reaping joins the reader threads
            with self.cond:
                for line in self.lines[key]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError(f"{self.name}: no line matching {pattern!r} within "
                                     f"{timeout:.0f}s; stderr tail: {self.tail_locked()}")
                if exited:
                    raise BenchError(f"{self.name} exited ({self.p.returncode}) before printing "
                                     f"{pattern!r}; stderr tail: {self.tail_locked()}")
                self.cond.wait(min(left, 0.2))

    def tail_locked(self, n=5):
        return " | ".join(self.lines["stderr"][-n:])

    def tail(self, n=5):
        with self.cond:
            return " | ".join(self.lines["stderr"][-n:])

    def reap(self, timeout):
        """Waits up to `timeout` for the exit and keeps the child's rusage (its exact CPU
        time). Returns True once it has exited. The only place that reaps the child (never
        Popen.poll/wait), so the rusage is never lost."""
        if self.rusage is not None:
            return True
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.rusage = ru
                self.p.returncode = os.waitstatus_to_exitcode(status)
                for t in self.threads:
                    t.join(timeout=5)
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def cpu_seconds(self):
        if self.rusage is not None:
            return self.rusage.ru_utime + self.rusage.ru_stime
        return proc_cpu_seconds(self.pid)

    def stop(self, timeout=30.0):
        """SIGTERM, then SIGKILL after `timeout`; always reaps."""
        if not self.reap(0):
            os.kill(self.pid, signal.SIGTERM)
            if not self.reap(timeout):
                os.kill(self.pid, signal.SIGKILL)
                self.reap(10)


class CpuWindow:
    """CPU used by the benchmark's processes and by everything else between start() and
    stop()."""

    def __init__(self, procs):
        self.procs = procs

    def start(self):
        self.t0 = time.monotonic()
        self.sys0 = system_busy_seconds()
        self.self0 = sum(os.times()[:2])
        self.p0 = {p.name: p.cpu_seconds() or 0.0 for p in self.procs}

    def stop(self):
        self.t1 = time.monotonic()
        self.sys1 = system_busy_seconds()
        self.self1 = sum(os.times()[:2])
        self.p1 = {p.name: p.cpu_seconds() or 0.0 for p in self.procs}

    def of(self, name):
        return self.p1[name] - self.p0[name]

    def foreign_fraction(self):
        ours = sum(self.p1[n] - self.p0[n] for n in self.p0) + (self.self1 - self.self0)
        wall = max(self.t1 - self.t0, 1e-9)
        return max(0.0, (self.sys1 - self.sys0) - ours) / (wall * NPROC)


# --- perf ---

class Perf:
    """`perf record` attached to one process, flat profile on the cpu-clock software event
    (hardware counters are unreliable or absent in VMs); write_report() saves the top
    symbols per thread name."""

    def __init__(self, pid, out):
        self.out = out
        self.proc = subprocess.Popen(
            ["perf", "record", "-e", "cpu-clock", "-F", "999", "-p", str(pid), "-o", out],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def write_report(self, text_out):
        with open(text_out, "w") as f:
            for sort in ("pid,comm", "comm,dso,sym"):
                r = subprocess.run(["perf", "report", "-i", self.out, "--no-children",
                                    "--sort", sort, "--percent-limit", "0.5", "--stdio"],
                                   capture_output=True, text=True, timeout=600)
                f.write(r.stdout)


# --- the run ---

class Runner:
    def __init__(self, args):
        self.a = args
        self.tmp = tempfile.mkdtemp(prefix="zrb-bench-")
        self.redis = None
        self.redis_port = None
        self.results = {"e2e": [], "sink": [], "pipeline": [], "redis_benchmark": []}
        self.sample_json = None
        self.load = [0.0, 0.0]  # 1-minute load average at the start and the end

    def log(self, text):
        print(f"[run.py] {text}", file=sys.stderr, flush=True)

    def bin(self, name):
        path = os.path.join(self.a.bench_dir, name)
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} is missing: build the bench targets first")
        return path

    def key(self):
        return "zeek:" + ("conn" if self.a.shape == "conn" else "string300")

    def start_redis(self):
        self.redis_port = free_port()
        rdir = os.path.join(self.tmp, "redis")
        os.makedirs(rdir, exist_ok=True)
        self.redis = Proc("redis-server", [
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", rdir, "--daemonize", "no"], cwd=rdir)
        deadline = time.monotonic() + 10
        while True:
            try:
                r = Redis(self.redis_port)
                r.command("PING")
                return r
            except (OSError, BenchError):
                if time.monotonic() >= deadline or not self.redis.alive():
                    raise BenchError("redis-server did not start: " + self.redis.tail())
                time.sleep(0.05)

    def flush(self, r):
        r.command("FLUSHALL")

    def publisher(self, port):
        return Proc("publisher", [
            self.bin("bench_publisher"), "--peer", f"127.0.0.1:{port}",
            "--records", str(self.a.records), "--batch", str(self.a.batch),
            "--shape", self.a.shape, "--linger-s", str(self.a.timeout)]
            + shlex.split(self.a.publisher_args))

    def phase_timeout(self):
        return self.a.timeout

    def run_e2e(self, r, perf_dir=None):
        self.flush(r)
        quiet = wait_quiet(self.a.quiet_wait, self.a.quiet_threshold, self.log)
        bridge = Proc("bridge", [
            self.a.bridge, "--broker.listen", "127.0.0.1:0", "--broker.disable-ssl",
            "--redis.url", f"redis://127.0.0.1:{self.redis_port}",
            # Untrimmed, so XLEN counts every record (the default trims at 1,000,000).
            "--route.stream-maxlen", "0"] + shlex.split(self.a.bridge_args))
        pub = None
        try:
            m = bridge.wait_line(r"listening on 127\.0\.0\.1:(\d+)", 30, key="stderr")
            port = int(m.group(1))
            pub = self.publisher(port)
            pub.wait_line(r"^ready ", 120)
            window = CpuWindow([bridge, self.redis, pub])
            start = float(pub.wait_line(r"^start mono=([\d.]+)", 30).group(1))
            perf = Perf(bridge.pid, os.path.join(perf_dir, "bridge.perf.data")) if perf_dir else None
            window.start()
            deadline = time.monotonic() + self.phase_timeout()
            n = 0
            while n < self.a.records:
                if time.monotonic() >= deadline:
                    raise BenchError(f"end to end: XLEN {n} of {self.a.records} after "
                                     f"{self.phase_timeout():.0f}s; bridge: {bridge.tail()}")
                if not bridge.alive():
                    raise BenchError("the bridge exited: " + bridge.tail())
                time.sleep(0.005)
                n = r.command("XLEN", self.key())
            end = time.monotonic()
            window.stop()
            if perf:
                perf.stop()
                perf.write_report(os.path.join(perf_dir, "bridge.perf.txt"))
                self.log(f"end to end under perf ({self.a.records / (end - start):,.0f} "
                         f"records/s, not counted): {perf_dir}/bridge.perf.txt")
                return
            hwm = proc_status(bridge.pid, "VmHWM")
            rate = self.a.records / (end - start)
            res = {
                "records_per_s": rate,
                "seconds": end - start,
                "bridge_cpu_s_per_m": window.of("bridge") / self.a.records * 1e6,
                "bridge_cpu_cores": window.of("bridge") / (end - start),
                "bridge_vmhwm_mib": (hwm or 0) / 1024,
                "redis_cpu_s_per_m": window.of("redis-server") / self.a.records * 1e6,
                "publisher_cpu_s_per_m": window.of("publisher") / self.a.records * 1e6,
                "foreign": window.foreign_fraction(),
                "quiet_before": quiet,
            }
            if self.sample_json is None:
                # One record as the bridge wrote it, of about the mean size.
                entries = r.command("XRANGE", self.key(), "-", "+", "COUNT", "1000")
                texts = [e[1][1] for e in entries]
                mean = sum(len(t) for t in texts) / len(texts)
                self.sample_json = min(texts, key=lambda t: abs(len(t) - mean))
            self.results["e2e"].append(res)
            self.log(f"end to end: {rate:,.0f} records/s, bridge "
                     f"{res['bridge_cpu_s_per_m']:.2f} CPU s per million, VmHWM "
                     f"{res['bridge_vmhwm_mib']:.0f} MiB, foreign {res['foreign']:.0%}")
        finally:
            if pub:
                pub.stop()
            bridge.stop()

    def run_sink(self):
        quiet = wait_quiet(self.a.quiet_wait, self.a.quiet_threshold, self.log)
        sink = Proc("sink", [
            self.bin("bench_decode_sink"), "--listen", "127.0.0.1:0",
            "--records", str(self.a.records), "--timeout-s", str(self.phase_timeout())]
            + shlex.split(self.a.sink_args))
        pub = None
        try:
            m = sink.wait_line(r"listening on 127\.0\.0\.1:(\d+)", 30, key="stderr")
            pub = self.publisher(int(m.group(1)))
            pub.wait_line(r"^ready ", 120)
            window = CpuWindow([sink, pub])
            start = float(pub.wait_line(r"^start mono=([\d.]+)", 30).group(1))
            window.start()
            done = sink.wait_line(r"^done (.*)", self.phase_timeout() + 10)
            sink.reap(10)
            window.stop()
            kv = dict(x.split("=", 1) for x in done.group(1).split())
            if int(kv["records"]) < self.a.records:
                raise BenchError(f"decode sink got {kv['records']} of {self.a.records} records")
            end = float(kv["end_mono"])
            res = {
                "records_per_s": self.a.records / (end - start),
                "first_to_last_per_s": float(kv["records_per_s"]),
                "seconds": end - start,
                "sink_cpu_s_per_m": window.of("sink") / self.a.records * 1e6,
                "sink_vmhwm_mib": int(kv.get("peak_rss_kib", 0)) / 1024,
                "publisher_cpu_s_per_m": window.of("publisher") / self.a.records * 1e6,
                "foreign": window.foreign_fraction(),
                "quiet_before": quiet,
            }
            self.results["sink"].append(res)
            self.log(f"decode sink: {res['records_per_s']:,.0f} records/s "
                     f"(first record to last: {res['first_to_last_per_s']:,.0f}), "
                     f"VmHWM {res['sink_vmhwm_mib']:.0f} MiB, "
                     f"foreign {res['foreign']:.0%}")
        finally:
            if pub:
                pub.stop()
            sink.stop()

    def run_redis_benchmark(self, r, clients):
        self.flush(r)
        quiet = wait_quiet(self.a.quiet_wait, self.a.quiet_threshold, self.log)
        payload = self.sample_json
        argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(self.redis_port), "-P", "64",
                "-c", str(clients), "-n", str(self.a.redis_benchmark_n), "--csv",
                "XADD", "zeek:redis-benchmark", "*", "json", payload]
        rb = Proc("redis-benchmark", argv)
        window = CpuWindow([rb, self.redis])
        window.start()
        if not rb.reap(self.phase_timeout()):
            rb.stop()
            raise BenchError("redis-benchmark did not finish")
        window.stop()
        rps = None
        for line in rb.lines["stdout"]:
            # "test","rps",...: the test name holds the JSON, quotes and commas unescaped,
            # so the seven numbers are split off from the right.
            cells = line.rsplit(",", 7)
            if line.startswith('"XADD') and len(cells) == 8:
                rps = float(cells[1].strip('"'))
        if rps is None:
            raise BenchError("redis-benchmark printed no XADD figure: " + rb.tail())
        res = {
            "clients": clients,
            "records_per_s": rps,
            "redis_cpu_s_per_m": window.of("redis-server") / self.a.redis_benchmark_n * 1e6,
            "redis_benchmark_cpu_s_per_m": window.of("redis-benchmark")
            / self.a.redis_benchmark_n * 1e6,
            "foreign": window.foreign_fraction(),
            "quiet_before": quiet,
        }
        self.results["redis_benchmark"].append(res)
        self.log(f"redis-benchmark -P 64 -c {clients}: {rps:,.0f} XADD/s, "
                 f"foreign {res['foreign']:.0%}")
        self.flush(r)

    def run_pipeline(self, r, perf_dir=None):
        self.flush(r)
        quiet = wait_quiet(self.a.quiet_wait, self.a.quiet_threshold, self.log)
        pl = Proc("pipeline", [
            self.bin("bench_pipeline"), "--redis", f"redis://127.0.0.1:{self.redis_port}",
            "--records", str(self.a.records), "--batch", str(self.a.batch),
            "--shape", self.a.shape, "--timeout-s", str(self.phase_timeout())])
        try:
            conv = pl.wait_line(r"^convert (.*)", 600)
            window = CpuWindow([pl, self.redis])
            pl.wait_line(r"^start mono=", 60)
            perf = Perf(pl.pid, os.path.join(perf_dir, "pipeline.perf.data")) if perf_dir else None
            window.start()
            done = pl.wait_line(r"^pipeline (.*)", self.phase_timeout() + 10)
            window.stop()
            if perf:
                perf.stop()
                perf.write_report(os.path.join(perf_dir, "pipeline.perf.txt"))
                self.log(f"pipeline under perf (not counted): {perf_dir}/pipeline.perf.txt")
                return
            pl.reap(60)
            if pl.p.returncode != 0:
                raise BenchError(f"bench_pipeline failed ({pl.p.returncode}): {pl.tail()}")
            kv = dict(x.split("=", 1) for x in done.group(1).split())
            ckv = dict(x.split("=", 1) for x in conv.group(1).split())
            res = {
                "records_per_s": float(kv["records_per_s"]),
                "seconds": float(kv["seconds"]),
                "convert_per_s": float(ckv["records_per_s"]),
                "convert_us": float(ckv["us_per_record"]),
                "json_bytes": float(ckv["json_bytes_per_record"]),
                "main_us": float(kv["main_us_per_record"]),
                "writer_us": float(kv["writer_us_per_record"]),
                "redis_cpu_s_per_m": window.of("redis-server") / self.a.records * 1e6,
                "foreign": window.foreign_fraction(),
                "quiet_before": quiet,
            }
            self.results["pipeline"].append(res)
            self.log(f"pipeline: {res['records_per_s']:,.0f} records/s (conversion alone "
                     f"{res['convert_per_s']:,.0f}/s), foreign {res['foreign']:.0%}")
        finally:
            pl.stop()

    def run(self):
        self.load = [os.getloadavg()[0], None]
        r = self.start_redis()
        try:
            for i in range(self.a.repeat):
                if "e2e" not in self.a.skip:
                    self.log(f"round {i + 1}/{self.a.repeat}: end to end")
                    self.run_e2e(r)
                if "sink" not in self.a.skip:
                    self.log(f"round {i + 1}/{self.a.repeat}: Broker ceiling (decode sink)")
                    self.run_sink()
            if "redis" not in self.a.skip:
                if self.sample_json is None:
                    raise BenchError("no record JSON for redis-benchmark (end to end skipped)")
                for clients in (50, 1):
                    self.run_redis_benchmark(r, clients)
            if "pipeline" not in self.a.skip:
                for i in range(self.a.repeat):
                    self.log(f"round {i + 1}/{self.a.repeat}: pipeline without Broker")
                    self.run_pipeline(r)
            if self.a.perf:
                os.makedirs(self.a.perf, exist_ok=True)
                if "e2e" not in self.a.skip:
                    self.log("extra round under perf: end to end")
                    self.run_e2e(r, perf_dir=self.a.perf)
                if "pipeline" not in self.a.skip:
                    self.log("extra round under perf: pipeline")
                    self.run_pipeline(r, perf_dir=self.a.perf)
        finally:
            self.load[1] = os.getloadavg()[0]
            r.close()
            self.redis.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)


# --- report ---

def machine_info():
    model = "unknown"
    for line in read_text("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in read_text("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {"nproc": NPROC, "cpu": model, "mem_gib": mem_kb / 1024 / 1024,
            "kernel": platform.release()}


def build_broker(bridge):
    """The Broker the bridge's build folder was built against: Debian's libbroker 1.4, or
    the C++20 Broker of a Zeek install (CMAKE_PREFIX_PATH; docs/broker-versions.md), named
    by its version and the install's folder name (no path of this machine)."""
    build = os.path.dirname(os.path.dirname(bridge))
    broker_dir = ""
    for line in read_text(os.path.join(build, "CMakeCache.txt")).splitlines():
        if line.startswith("Broker_DIR:"):
            broker_dir = line.split("=", 1)[1]
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(broker_dir))) if broker_dir else ""
    include = os.path.join(prefix, "include", "broker")
    if not prefix or not os.path.exists(os.path.join(include, "variant.hh")):
        return None
    text = read_text(os.path.join(include, "version.hh"))
    parts = [re.search(rf"constexpr type {k} = (\d+);", text) for k in ("major", "minor", "patch")]
    suffix = re.search(r'constexpr auto suffix = "([^"]*)";', text)
    version = ".".join(m.group(1) if m else "?" for m in parts) + (suffix.group(1) if suffix else "")
    return f"Broker {version} of {os.path.basename(prefix)} (C++20 API)"


def versions(bridge):
    def run(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    def deb(pkg):
        return run(["dpkg-query", "-W", "-f", "${Version}", pkg]) or "?"

    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = run(["git", "-C", src, "rev-parse", "--short", "HEAD"]) or "?"
    dirty = run(["git", "-C", src, "status", "--porcelain", "--untracked-files=no"])
    return {
        "source": commit + (" with uncommitted changes" if dirty else ""),
        "bridge": run([bridge, "--version"]),
        "broker": build_broker(bridge) or "libbroker " + deb("libbroker-dev") + ", CAF "
        + deb("libcaf-dev"),
        "hiredis": deb("libhiredis-dev"),
        "redis-server": run(["redis-server", "--version"]).split(" sha=")[0],
        "python": platform.python_version(),
    }


def med(rows, key):
    return statistics.median(r[key] for r in rows) if rows else None


def best(rows, key):
    return max(r[key] for r in rows) if rows else None


def fmt_rate(x):
    return "-" if x is None else f"{x:,.0f}"


def report(runner, args, argv):
    res = runner.results
    e2e, sink, pl, rb = res["e2e"], res["sink"], res["pipeline"], res["redis_benchmark"]
    lines = []
    add = lines.append
    n = len(e2e) or len(sink) or len(pl)

    def foreign(rows):
        return "-" if not rows else f"{max(r['foreign'] for r in rows):.0%}"

    add(f"| measurement ({args.shape}, batch {args.batch}, {args.records:,} records) "
        f"| median rec/s | best rec/s | max foreign CPU |")
    add("|---|---:|---:|---:|")
    if e2e:
        add(f"| end to end: publisher -> bridge -> Redis stream (XLEN) | "
            f"{fmt_rate(med(e2e, 'records_per_s'))} | {fmt_rate(best(e2e, 'records_per_s'))} | "
            f"{foreign(e2e)} |")
    if sink:
        add(f"| Broker ceiling: publisher -> decode sink | {fmt_rate(med(sink, 'records_per_s'))} "
            f"| {fmt_rate(best(sink, 'records_per_s'))} | {foreign(sink)} |")
        add(f"| (decode sink, first record to last) | "
            f"{fmt_rate(med(sink, 'first_to_last_per_s'))} | "
            f"{fmt_rate(best(sink, 'first_to_last_per_s'))} | |")
    for row in rb:
        add(f"| Redis ceiling: redis-benchmark -P 64 -c {row['clients']} XADD "
            f"({len(runner.sample_json or b'')} B JSON) | {fmt_rate(row['records_per_s'])} | | "
            f"{row['foreign']:.0%} |")
    if pl:
        add(f"| without Broker: bench_pipeline (LogForwarder + RedisWriter) | "
            f"{fmt_rate(med(pl, 'records_per_s'))} | {fmt_rate(best(pl, 'records_per_s'))} | "
            f"{foreign(pl)} |")
        add(f"| (conversion alone, record_to_json) | {fmt_rate(med(pl, 'convert_per_s'))} | "
            f"{fmt_rate(best(pl, 'convert_per_s'))} | |")
    add("")
    if e2e:
        add(f"Bridge, end to end: {med(e2e, 'bridge_cpu_s_per_m'):.2f} CPU s per million records "
            f"(median; {med(e2e, 'bridge_cpu_cores'):.2f} cores busy), peak RSS (VmHWM) "
            f"{max(r['bridge_vmhwm_mib'] for r in e2e):.0f} MiB; redis-server "
            f"{med(e2e, 'redis_cpu_s_per_m'):.2f}, publisher "
            f"{med(e2e, 'publisher_cpu_s_per_m'):.2f} CPU s per million.")
    if sink:
        add(f"Decode sink: {med(sink, 'sink_cpu_s_per_m'):.2f} CPU s per million records, "
            f"peak RSS (VmHWM) {max(r['sink_vmhwm_mib'] for r in sink):.0f} MiB; "
            f"publisher {med(sink, 'publisher_cpu_s_per_m'):.2f}.")
    if pl:
        add(f"bench_pipeline: feeding thread (decode + JSON + RESP) {med(pl, 'main_us'):.2f} us, "
            f"writer thread {med(pl, 'writer_us'):.2f} us, redis-server "
            f"{med(pl, 'redis_cpu_s_per_m'):.2f} us per record; conversion alone "
            f"{med(pl, 'convert_us'):.2f} us per record, {med(pl, 'json_bytes'):.0f} B of JSON.")
    add("")
    if e2e and sink:
        ratio = med(e2e, "records_per_s") / med(sink, "records_per_s")
        bratio = best(e2e, "records_per_s") / best(sink, "records_per_s")
        add(f"Target 1, end to end >= 90% of Broker's ceiling (issues 11, 14): {ratio:.0%} "
            f"(medians), {bratio:.0%} (bests): {'met' if ratio >= 0.9 else 'MISSED'}.")
    if pl:
        m = med(pl, "records_per_s")
        add(f"Target 2, without Broker >= 150,000 records/s: {m:,.0f} (median), "
            f"{best(pl, 'records_per_s'):,.0f} (best): {'met' if m >= 150000 else 'MISSED'}.")
    table = "\n".join(lines)

    mi = machine_info()
    ver = versions(args.bridge)
    md = []
    md.append(f"### Run of {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} "
              f"({n} round{'s' if n != 1 else ''})")
    md.append("")
    md.append("```")
    # No path of this machine in the text: the build folder becomes BUILD.
    build = os.path.dirname(os.path.dirname(args.bridge))
    shown = []
    for a in argv:
        if args.perf and os.path.abspath(a) == args.perf:
            a = "PERF_DIR"
        elif os.path.abspath(a) == os.path.abspath(args.bench_dir):
            a = "BENCH_DIR"
        elif a.startswith(("/", ".")):
            a = os.path.abspath(a).replace(build, "BUILD", 1)
        shown.append(a if a.startswith(("BUILD", "PERF_DIR", "BENCH_DIR")) else shlex.quote(a))
    md.append("/usr/bin/python3 bench/run.py " + " ".join(shown))
    md.append("```")
    md.append("")
    md.append(f"Machine: {mi['nproc']} CPUs ({mi['cpu']}), {mi['mem_gib']:.1f} GiB, "
              f"Linux {mi['kernel']}; load average (1 min) {runner.load[0]:.2f} at the start, "
              f"{runner.load[1]:.2f} at the end. Versions: {ver['bridge']}, {ver['broker']}, "
              f"hiredis {ver['hiredis']}, {ver['redis-server']}, "
              f"Python {ver['python']}. Source: commit {ver['source']}.")
    md.append("")
    md.append(table)
    return table, "\n".join(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bridge", required=True, help="the zeek-redis-bridge binary")
    ap.add_argument("--bench-dir", help="folder of bench_publisher, bench_decode_sink, "
                                        "bench_pipeline (default: BUILD/bench next to "
                                        "BUILD/bridge of --bridge)")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=100, help="records per log_batch event")
    ap.add_argument("--shape", choices=("conn", "string300"), default="conn")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--redis-benchmark-n", type=int, default=1_000_000)
    ap.add_argument("--bridge-args", default="", help="extra bridge options (one string)")
    ap.add_argument("--publisher-args", default="",
                    help="extra bench_publisher options (one string)")
    ap.add_argument("--sink-args", default="", help="extra bench_decode_sink options")
    ap.add_argument("--skip", action="append", default=[],
                    choices=("e2e", "sink", "redis", "pipeline"))
    ap.add_argument("--perf", metavar="DIR",
                    help="after the measured rounds, one more end-to-end and pipeline round "
                         "under `perf record` (not counted); profiles go to DIR")
    ap.add_argument("--timeout", type=float, default=600.0, help="bound on each phase (s)")
    ap.add_argument("--quiet-wait", type=float, default=120.0,
                    help="longest wait for the machine to go quiet before a phase (s)")
    ap.add_argument("--quiet-threshold", type=float, default=0.10,
                    help="busy fraction of all CPUs that counts as quiet")
    args = ap.parse_args()
    if args.records < 1 or args.batch < 1 or args.repeat < 1:
        ap.error("--records, --batch and --repeat must be at least 1")
    args.bridge = os.path.abspath(args.bridge)
    if not args.bench_dir:
        args.bench_dir = os.path.join(os.path.dirname(os.path.dirname(args.bridge)), "bench")
    runner = Runner(args)
    if args.perf:
        args.perf = os.path.abspath(args.perf)
    try:
        runner.run()
    except BenchError as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 1
    table, md = report(runner, args, sys.argv[1:])
    print(table)
    print()
    print("---- Markdown for bench/RESULTS.md ----")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
