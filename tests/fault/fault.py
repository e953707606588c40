"""Pieces the fault tests share: the numbered-record publisher, reading the numbers back out
of Redis, and counting loss, order and duplicates exactly.

Every fault test streams records carrying a sequence number (`{"seq":N}`) into one Redis list
(RPUSH, oldest first), so what reached Redis can be compared with what was sent record by
record. Each test prints one `RESULT ...` line with the figures bench/RESULTS.md records.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import (Bridge, BrokerPeer, Checks, RedisError, RedisServer, Resp,  # noqa: E402,F401
                     TestError, free_port, parse_counters, source_dir, tail, wait_until)

KEY = "zeek:seq"
# Every record of the `seq` path into one list, oldest first; a counters line every second so
# a test can watch what the bridge received while it runs.
BRIDGE_ARGS = ["--route.default", "list", "--route.list-push", "rpush", "--stats.interval-s", "1"]


def program_path(env, name):
    """A test program built with the tests: $`env`, else build/tests/`name`."""
    path = os.environ.get(env) or os.path.join(source_dir(), "build", "tests", name)
    if not os.access(path, os.X_OK):
        raise TestError(f"no {name} at {path} (set {env}, or build the {name} target)")
    return path


def publisher_path():
    return program_path("ZRB_SEQ_PUBLISHER", "seq_publisher")


class PeerProcess:
    """A C++ Broker peer program run with `args`: `with PeerProcess(args) as p:`. Waits for its
    "ready" line (peered, and the bridge's subscription reached it); `wait_sent` for its
    "sent N" line, keeping the lines before it in `lines`. `close` kills it (SIGKILL)."""

    def __init__(self, args):
        self.args = args
        self.proc = None
        self.lines = []

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     errors="surrogateescape")
        # Lines before "ready" (a listening peer says where it listens) are kept.
        while True:
            line = self.proc.stdout.readline()
            if line.strip() == "ready":
                return self
            if not line:
                self.close()
                raise TestError(f"{os.path.basename(self.args[0])} did not get ready: "
                                f"{' | '.join(self.lines)}")
            self.lines.append(line.rstrip("\n"))

    def wait_sent(self, timeout):
        """Blocks until the program has published everything; returns its N."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("sent "):
                return int(line.split()[1])
            if not line and self.proc.poll() is not None:
                break
            self.lines.append(line.rstrip("\n"))
        raise TestError(f"{os.path.basename(self.args[0])} did not finish sending")

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __exit__(self, *exc):
        self.close()
        return False


class Publisher(PeerProcess):
    """seq_publisher peered with the bridge at `port`: `with Publisher(port, records=N) as p:`;
    with `listen=True` it listens on `port` for the bridge (--broker.peer) to peer with it;
    `args`: more of its options (--tls, --ssl-*, --wait-s)."""

    def __init__(self, port, records, first=0, batch=1000, rate=0, node="fault", path="seq",
                 listen=False, args=()):
        super().__init__([publisher_path(), "--listen" if listen else "--peer",
                          f"127.0.0.1:{port}", "--records", str(records), "--first", str(first),
                          "--batch", str(batch), "--rate", str(rate), "--node", node,
                          "--path", path, *args])


def read_seqs(redis, key=KEY, chunk=100000):
    """Every record's sequence number in list order."""
    out = []
    start = 0
    while True:
        part = redis.command("LRANGE", key, str(start), str(start + chunk - 1))
        for raw in part:
            out.append(json.loads(raw)["seq"])
        if len(part) < chunk:
            return out
        start += chunk


def llen(redis, key=KEY):
    """LLEN over a connection of its own (the server may just have been killed); -1 while
    Redis does not answer."""
    try:
        c = Resp("127.0.0.1", redis.port, timeout=5)
    except OSError:
        return -1
    try:
        return int(c.command("LLEN", key))
    except (OSError, RedisError):
        return -1
    finally:
        c.close()


class Tally:
    """Loss, order and duplicates of `seqs` against the numbers first .. first+sent-1."""

    def __init__(self, seqs, sent, first=0):
        self.sent = sent
        self.in_redis = len(seqs)
        seen = set()
        self.duplicates = 0
        self.out_of_order = 0
        last_new = first - 1
        for s in seqs:
            if s in seen:
                self.duplicates += 1
                continue
            seen.add(s)
            # A first appearance below the last new number means a record overtook another.
            if s < last_new:
                self.out_of_order += 1
            last_new = max(last_new, s)
        self.unique = len(seen)
        self.missing = sum(1 for s in range(first, first + sent) if s not in seen)
        self.foreign = sum(1 for s in seen if not first <= s < first + sent)

    def line(self):
        return (f"sent={self.sent} in_redis={self.in_redis} unique={self.unique} "
                f"missing={self.missing} duplicates={self.duplicates} "
                f"out_of_order={self.out_of_order}")


def counters_now(bridge):
    """The bridge's latest periodic counters line (BRIDGE_ARGS asks for one a second)."""
    return parse_counters(bridge.log()) or {}


def received(bridge):
    return counters_now(bridge).get("records_received", 0)


def report(name, tally, recovery_s=None, extra=""):
    rec = "" if recovery_s is None else f" recovery_s={recovery_s:.2f}"
    print(f"RESULT {name}: {tally.line()}{rec}{(' ' + extra) if extra else ''}", flush=True)


def check_tally(checks, tally, max_duplicates=0, why_duplicates=""):
    """Every record sent is in Redis, in order, nothing foreign, and at most `max_duplicates`
    extra copies (`why_duplicates` names the bound in the failure)."""
    checks.check(tally.missing == 0, f"{tally.missing} records missing")
    checks.check(tally.out_of_order == 0, f"{tally.out_of_order} records out of order")
    checks.check(tally.foreign == 0, f"{tally.foreign} records that were never sent")
    checks.check(tally.duplicates <= max_duplicates,
                 f"{tally.duplicates} duplicates, more than {max_duplicates}{why_duplicates}")


def check_peers_back(checks, tallies, result, peerings):
    """What peers lost and back must leave (test_peer_restart, test_cpp_peer_restart): each
    tally ({name: Tally}, the records that had to arrive) complete, in order, once each, nothing
    foreign; the bridge ran to a clean exit, logged at least `peerings` peerings and rejected
    nothing."""
    for name, t in tallies.items():
        checks.check(t.missing == 0 and t.duplicates == 0 and t.out_of_order == 0 and
                     t.foreign == 0, f"{name}: {t.line()}")
    checks.check(result.exit_code == 0, f"exit code {result.exit_code}")
    checks.check(result.log.count("peer added") >= peerings,
                 f"fewer than {peerings} peerings in the log")
    checks.check(result.counter("rejected") == 0 and "rejected" not in result.log,
                 "records were rejected")
