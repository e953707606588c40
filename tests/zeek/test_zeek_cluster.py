"""A real Zeek cluster over Broker (ZRB_ZEEK, run with 8.0) with the package on every node, the
real bridge and a real redis-server, all on loopback, started without zeekctl.

Layout: cluster-layout.zeek in each node's working directory (ZEEKPATH begins with ".", and
base/frameworks/cluster loads `cluster-layout` when CLUSTER_NODE is set) names manager, logger,
proxy-1, worker-1 and worker-2, each on a free loopback port; the cluster backend is Broker (the
8.0 default). Every node runs
    CLUSTER_NODE=<name> zeek [-C -r <trace>] frameworks/intel/seen <scripts>
        tests/zeek/scripts/cluster_node.zeek LogAscii::use_json=T
        RedisBridge::bridge_port=<bridge port>/tcp Broker::disable_ssl=T
        RedisBridge::retry_interval=1sec Log::enable_local_logging=T
        Log::default_rotation_interval=0secs
(the logger also set_fields.zeek). worker-1 reads wikipedia.pcap, worker-2 ssh_sshguess.pcap.
Local logging on every node: each node's own files hold every record it wrote, also those
the logger never gets (Zeek drops a node's remote log writes made before it is connected to
the logger: the manager's first records, each worker's packet_filter line).

Intel, by design: the indicators (an address and an HTTP host of wikipedia.pcap) are published
on zeek:intel before the cluster starts, so they are in the bridge's snapshot. The manager
(RedisBridge::intel_node_types) gets the snapshot replayed when it peers with the bridge and
inserts it; the Intel framework hands it to the workers (the whole store on Cluster::node_up,
later items through the proxy). cluster_node.zeek holds each worker's trace
(suspend_processing) until its Intel store holds both indicators, so the worker's packets are
seen after the intel is in, whatever the start order. The match is the worker's; the intel.log
line is written by the manager (Intel::match_remote) and lands in the logger's intel.log and,
forwarded by the manager, in Redis.

Steps, asserted at the end on what is in Redis:
  1. bridge up, intel published and in the snapshot; logger, manager, proxy-1 started; the
     manager logs 150 cluster_tick records, one every 100 ms;
  2. bridge restarted (SIGTERM, new bridge on the same port) once 20 ticks are in Redis, so the
     restart happens while the manager writes: the records written meanwhile wait in the
     node's backlog (RedisBridge::max_backlog);
  3. worker-1 and worker-2 started; once Redis holds their records and is quiet, worker-2 is
     killed (SIGKILL) and started again: it reads its trace again, and its records after the
     restart arrive (its paths are counted twice);
  4. every node stopped (SIGTERM; the logger last), then Redis compared per path, as
     multisets (the logger interleaves nodes in another order than the bridge), with the
     logger's JSON logs joined with the other nodes' own files (a line expected as often as
     the larger of its two counts): each line byte-identical or equal up to set order,
     nothing missing or extra, so every record arrived exactly once; all 150 ticks there,
     through both bridges; intel.log holds the matches, seen on worker-1. Printed: the
     records of each node (each start) per path, and per path the logger / nodes / Redis
     counts and how many Redis lines the logger lacks.

Run: ZRB_ZEEK=8.0 ZRB_BRIDGE=build-z8/bridge/zeek-redis-bridge python3 tests/zeek/test_zeek_cluster.py
"""

import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import shutil
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zeek_runner  # noqa: E402
import harness  # noqa: E402
import zeek_logs  # noqa: E402
from harness import Bridge, RedisServer  # noqa: E402

NODE_SCRIPT = os.path.join(HERE, "scripts", "cluster_node.zeek")
TRACES = {"worker-1": "wikipedia", "worker-2": "ssh_sshguess"}
TICKS = 150
INDICATORS = [("208.80.152.3", "ADDR"), ("meta.wikimedia.org", "DOMAIN")]
SOURCE = "zrb-cluster"
# Node name -> Cluster::NodeType; start order (the logger first, so nothing is written before
# it can take it).
NODES = [("logger", "LOGGER"), ("manager", "MANAGER"), ("proxy-1", "PROXY"),
         ("worker-1", "WORKER"), ("worker-2", "WORKER")]


def trace(name):
    return [t for t in zeek_runner.traces() if os.path.basename(t) == name + ".pcap"][0]


def layout(ports):
    lines = ["redef Cluster::manager_is_logger = F;", "redef Cluster::nodes = {"]
    for name, kind in NODES:
        manager = '' if kind == "MANAGER" else ', $manager="manager"'
        lines.append(f'\t["{name}"] = [$node_type=Cluster::{kind}, $ip=127.0.0.1, '
                     f'$p={ports[name]}/tcp{manager}],')
    lines.append("};")
    return "\n".join(lines) + "\n"


class Node:
    """One cluster node: its own working directory (logs, stdout, stderr, cluster-layout)."""

    def __init__(self, zeek, name, kind, base, ports, bridge_port):
        self.zeek, self.name, self.kind = zeek, name, kind
        self.base, self.layout = base, layout(ports)
        args = ["-C", "-r", trace(TRACES[name])] if name in TRACES else []
        args += ["frameworks/intel/seen", zeek_runner.scripts_dir(), NODE_SCRIPT,
                 "LogAscii::use_json=T", "Log::enable_local_logging=T",
                 "Log::default_rotation_interval=0secs",
                 f"RedisBridge::bridge_port={bridge_port}/tcp",
                 "Broker::disable_ssl=T", "RedisBridge::retry_interval=1sec",
                 f"ClusterTest::worker_intel={len(INDICATORS)}", f"ClusterTest::ticks={TICKS}"]
        if kind == "LOGGER":
            args.append(zeek_logs.SET_FIELDS)
        self.args = args
        self.proc = None
        self.dirs = []  # one per start: a restarted node must not overwrite its old logs

    @property
    def dir(self):
        return self.dirs[-1]

    def start(self):
        self.dirs.append(os.path.join(self.base, f"{self.name}.{len(self.dirs) + 1}"))
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "cluster-layout.zeek"), "w") as f:
            f.write(self.layout)
        self.proc = self.zeek.start(self.args, self.dir, {"CLUSTER_NODE": self.name})

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None

    def output(self):
        return zeek_runner.output(self.dir)


def canonical(line, set_fields):
    """The line with the members of its set-valued fields sorted (Zeek writes sets in hash
    order, Broker carries them sorted), for matching lines that are equal up to set order."""
    parts = harness.split_json(line, b"{", b"}")
    if parts is None:
        return line
    out = []
    for member in parts:
        key, _, value = member.partition(b":")
        if key.strip(b'"').decode("utf-8", "replace") in set_fields:
            members = harness.split_json(value, b"[", b"]")
            if members is not None:
                value = b"[" + b",".join(sorted(members)) + b"]"
        out.append(key + b":" + value)
    return b"{" + b",".join(out) + b"}"


def compare(logger, nodes, redis, set_fields, checks):
    """Per path, Redis's entries against what the nodes wrote, as multisets: the logger's files
    (its own writes and what the others sent it) and the other nodes' own files (every record
    each wrote), a line expected as often as the larger of its two counts. Returns the rows
    (path, logger, nodes, expected, redis, identical, set-order, missing, extra, not at the
    logger)."""
    rows = []
    for path in sorted(set(logger) | set(nodes) | set(zeek_logs.redis_paths(redis))):
        at_logger = collections.Counter(logger.get(path, []))
        written = collections.Counter(nodes.get(path, []))
        e = at_logger | written
        problems = []
        actual = redis.stream_json("zeek:" + path, problems)
        a = collections.Counter(actual)
        same = e & a
        identical = sum(same.values())
        rest_e, rest_a = e - same, a - same
        fields = set_fields.get(path, set())
        ec = collections.Counter(canonical(l, fields) for l in rest_e.elements())
        ac = collections.Counter(canonical(l, fields) for l in rest_a.elements())
        set_order = sum((ec & ac).values())
        missing = sum((ec - ac).values())
        extra = sum((ac - ec).values())
        not_at_logger = sum((collections.Counter(canonical(l, fields) for l in actual)
                             - collections.Counter(canonical(l, fields)
                                                   for l in at_logger.elements())).values())
        rows.append((path, sum(at_logger.values()), sum(written.values()), sum(e.values()),
                     len(actual), identical, set_order, missing, extra, not_at_logger))
        ok = missing == 0 and extra == 0 and not problems
        checks.check(ok, f"{path}: logger {sum(at_logger.values())} nodes "
                         f"{sum(written.values())} redis {len(actual)} identical {identical} "
                         f"set-order {set_order} missing {missing} extra {extra} {problems[:2]}\n"
                         + harness.first_differences(sorted((ec - ac).elements()),
                                                     sorted((ac - ec).elements())))
    return rows


def xlen(redis, path):
    return redis.xlen("zeek:" + path) if path in zeek_logs.redis_paths(redis) else 0


def total(redis):
    return sum(redis.xlen("zeek:" + p) for p in zeek_logs.redis_paths(redis))


def quiet(redis, seconds=4, timeout=60):
    """Waits until the number of records in Redis has not changed for `seconds`."""
    start = time.monotonic()
    last, since = total(redis), time.monotonic()
    while time.monotonic() - since < seconds and time.monotonic() - start < timeout:
        time.sleep(0.2)
        now = total(redis)
        if now != last:
            last, since = now, time.monotonic()
    return last


def cluster(zeek, checks, summary):
    if zeek.number < 80000:
        # Tried with 3.2.4: its manager wrote no timer-driven records within 60 s and its nodes
        # retry cluster peerings only once a minute; the worker's intel hold uses a hook 3.2
        # lacks. Run by the z8 flavour with 8.0.10.
        print(f"SKIP: test_zeek_cluster is written for Zeek 8.0's cluster framework, not "
              f"Zeek {zeek.number} (run by the z8 flavour)")
        summary.append(f"cluster: skipped on Zeek {zeek.number}")
        return
    base = tempfile.mkdtemp(prefix="zrb-zeek-cluster-")
    nodes = {}
    try:
        with RedisServer() as redis:
            try:
                run_cluster(zeek, redis, base, nodes, checks, summary)
            except harness.TestError as e:
                checks.fail(f"{e}\n" + "\n".join(f"{n.name}:\n{harness.tail(n.output(), 15)}"
                                                  for n in nodes.values() if n.dirs))
    finally:
        for node in nodes.values():
            node.stop(signal.SIGKILL, 10)
        shutil.rmtree(base, ignore_errors=True)


def run_cluster(zeek, redis, base, nodes, checks, summary):
    started = time.monotonic()
    bridge = Bridge(redis).__enter__()
    try:
        port = bridge.port
        items = [{"indicator": i, "type": t, "meta": {"source": SOURCE, "desc": "cluster test"}}
                 for i, t in INDICATORS]
        # The bridge may listen on Broker before it subscribes on Redis.
        harness.wait_until(lambda: redis.command("PUBLISH", "zeek:intel", json.dumps(items)) == 1,
                           10, "the bridge subscribed to zeek:intel", interval=0.2)
        harness.wait_until(lambda: redis.command("HLEN", "zeek:intel:snapshot:" + SOURCE)
                           == len(INDICATORS), 10, "the indicators in the intel snapshot")

        ports = {name: harness.free_port() for name, _ in NODES}
        for name, kind in NODES:
            nodes[name] = Node(zeek, name, kind, base, ports, port)
        for name in ("logger", "manager", "proxy-1"):
            nodes[name].start()

        # 2. The bridge restarted while the manager writes ticks.
        harness.wait_until(lambda: xlen(redis, "cluster_tick") >= 20, 60,
                           "20 cluster_tick records in Redis")
        first = bridge.stop()
        ticks_before = xlen(redis, "cluster_tick")
        time.sleep(1.5)
        bridge = Bridge(redis, listen=f"127.0.0.1:{port}").__enter__()
        restart = f"bridge restarted after {ticks_before} ticks (exit {first.exit_code})"

        # 3. The workers; worker-2 killed and started again.
        nodes["worker-1"].start()
        nodes["worker-2"].start()
        harness.wait_until(lambda: xlen(redis, "ssh") > 0 and xlen(redis, "http") > 0, 60,
                           "the workers' ssh and http records in Redis")
        quiet(redis)
        ssh_once = xlen(redis, "ssh")
        killed = nodes["worker-2"].stop(signal.SIGKILL)
        nodes["worker-2"].start()
        harness.wait_until(lambda: xlen(redis, "ssh") >= 2 * ssh_once, 60,
                           f"{2 * ssh_once} ssh records after worker-2's restart")
        harness.wait_until(lambda: xlen(redis, "cluster_tick") >= TICKS, 60,
                           f"{TICKS} cluster_tick records")
        quiet(redis)

        # 4. Stop: workers, proxy, manager, then the logger.
        codes = {}
        for name in ("worker-1", "worker-2", "proxy-1", "manager", "logger"):
            codes[name] = nodes[name].stop()
        quiet(redis, 3)
        second = bridge.stop()
    finally:
        bridge.__exit__(None, None, None)

    per_node = {}
    written = {}
    for node in nodes.values():
        if node.kind == "LOGGER":
            continue
        for folder in node.dirs:
            logs = zeek_logs.logs_in(folder)
            per_node[os.path.basename(folder)] = {p: len(l) for p, l in logs.items()}
            for path, lines in logs.items():
                written.setdefault(path, []).extend(lines)
    rows = compare(zeek_logs.logs_in(nodes["logger"].dir), written, redis,
                   zeek_logs.set_fields_in(nodes["logger"].dir), checks)

    for name, code in codes.items():
        checks.check(code == 0, f"{name}: exit {code}\n{harness.tail(nodes[name].output())}")
    checks.check(killed == -signal.SIGKILL, f"worker-2 killed: exit {killed}")
    ticks = [json.loads(l)["n"] for l in redis.stream_json("zeek:cluster_tick")]
    checks.check(sorted(ticks) == list(range(1, TICKS + 1)),
                 f"cluster_tick in Redis: {len(ticks)} records, {len(set(ticks))} distinct, "
                 f"expected 1..{TICKS}")
    again = per_node.get("worker-2.2", {})
    checks.check(again.get("ssh", 0) >= ssh_once and again.get("conn", 0) > 0,
                 f"worker-2 after its restart wrote {again} (first run: {ssh_once} ssh)")
    intel = [json.loads(l) for l in redis.stream_json("zeek:intel")]
    seen = collections.Counter(d["seen.indicator"] for d in intel)
    where = collections.Counter(d.get("seen.node") for d in intel)
    checks.check(all(seen[i] for i, _ in INDICATORS) and set(where) == {"worker-1"},
                 f"intel.log in Redis: matches {dict(seen)} seen on {dict(where)}, expected "
                 "both indicators, seen on worker-1")
    by_bridge = [r.counter("path_records_written{cluster_tick}") for r in (first, second)]
    checks.check(by_bridge[0] > 0 and by_bridge[1] > 0 and sum(by_bridge) == TICKS,
                 f"cluster_tick written by the first / second bridge: {by_bridge}")

    summary.append(f"cluster: {restart}; worker-2 killed (exit {killed}) and restarted; "
                   f"exits {codes}")
    summary.append(f"  cluster_tick written by the first / second bridge: {by_bridge}")
    summary.append("  records each node wrote (its own files; <name>.2 = after the restart):")
    for name, counts in sorted(per_node.items()):
        summary.append(f"    {name}: " + " ".join(f"{p} {n}" for p, n in sorted(counts.items())))
    summary.append("  path logger nodes expected redis identical set-order missing extra "
                   "not-at-logger")
    for r in rows:
        summary.append("    " + " ".join(str(x) for x in r))
    summary.append(f"  intel.log matches in Redis: {dict(seen)} seen on {dict(where)}; ticks {len(ticks)}; "
                   f"ssh {xlen(redis, 'ssh')} (one run {ssh_once}); "
                   f"{time.monotonic() - started:.1f}s")


def main():
    return zeek_runner.run_parts("test_zeek_cluster", [cluster])


if __name__ == "__main__":
    sys.exit(main())
