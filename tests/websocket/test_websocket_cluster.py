"""A ZeroMQ cluster of the real Zeek 8.0.10 on loopback (manager, logger, proxy, two workers
reading traces; no zeekctl: a cluster layout and CLUSTER_NODE per node) with the package on
the WebSocket transport, and ONE bridge connection, to the manager's WebSocket API.

Checks, on what is in Redis:
  - every node's records arrive exactly once: per log path, Redis holds the lines of the
    logger's own JSON logs, each once, byte-identical or differing in set order only
    (protocol v2 over WebSocket is exact);
  - intel published on Redis before the cluster starts (bridge's snapshot, replayed to the
    manager, handed to the workers) is matched on a worker: intel.log's lines in Redis;
  - a worker's script operation (RedisBridge::put, then get with a reply) reaches Redis and
    the reply comes back to that worker;
  - the bridge frozen (SIGSTOP) for a second and killed (SIGKILL) while the proxy logs a
    numbered record every 20 ms, and started again: every number arrives (duplicates counted and printed: delivery is at
    least once across a bridge's loss);
  - Broker backend only, two races made to happen (start_broker_cluster): worker-1 hears
    from the manager a second late, after "up" from the proxy; worker-2 reaches the manager
    only after its trace. Their records all arrive, are confirmed, and nothing is rejected.

Runs with the ZeroMQ backend, then with the Broker backend (ZRB_CLUSTER_BACKENDS=zeromq,broker),
each 17 to 30 s; ZRB_KEEP=1 keeps the scratch folder (node folders, logs, bridge logs).

Run: /usr/bin/python3 tests/websocket/test_websocket_cluster.py   (env: see harness.py)
"""

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "zeek"))
import harness  # noqa: E402
import zeek_runner  # noqa: E402
from harness import Checks, RedisServer, TestError  # noqa: E402
from relay import Relay  # noqa: E402
from test_websocket_zeek import WebSocketBridge  # noqa: E402

NODES = [  # name, type, trace
    ("manager", "MANAGER", None),
    ("logger-1", "LOGGER", None),
    ("proxy-1", "PROXY", None),
    ("worker-1", "WORKER", "wikipedia.pcap"),
    ("worker-2", "WORKER", "http_bro.org.pcap"),
]
LATE_WORKER = "worker-2"  # on the Broker backend, peers with the manager after its trace
SLOW_WORKER = "worker-1"  # on the Broker backend, hears from the manager a second late
SET_FIELDS = os.path.join(HERE, "..", "zeek", "set_fields.zeek")
TICKS = 250  # the proxy's numbered records, one every 20 ms: 5 s
INTEL = [{"indicator": "208.80.152.3", "type": "ADDR", "meta": {"source": "zrb-cluster"}},
         {"indicator": "meta.wikimedia.org", "type": "DOMAIN", "meta": {"source": "zrb-cluster"}}]


class Cluster:
    """The five Zeeks, each in a folder of its own under `scratch`. `relays` maps a worker
    to the Relay through which it reaches the manager (its own cluster layout names the
    relay's port as the manager's). `command_node` asks Redis for a key after its trace
    (ws_cluster.zeek)."""

    def __init__(self, zeek, scratch, ws_port, backend, relays=None, command_node="worker-2"):
        self.zeek = zeek
        self.command_node = command_node
        self.scratch = scratch
        self.ws_port = ws_port
        self.procs = {}
        ports = {name: harness.free_port() for name, _, _ in NODES}
        self.write_layout(scratch, ports)
        self.relays = {name: make(ports["manager"]) for name, make in (relays or {}).items()}
        for name, relay in self.relays.items():
            os.makedirs(os.path.join(scratch, "layout-" + name))
            self.write_layout(os.path.join(scratch, "layout-" + name), dict(ports, manager=relay.port))
        xpub, xsub = harness.free_port(), harness.free_port()
        # The backend, loaded before the package: ZeroMQ with its XPUB/XSUB proxy (in the
        # manager) on free ports, or Broker (the nodes peer on their $p, without TLS).
        with open(os.path.join(scratch, "backend.zeek"), "w") as f:
            if backend == "zeromq":
                f.write("@load frameworks/cluster/backend/zeromq/connect\n"
                        f'redef Cluster::Backend::ZeroMQ::listen_xpub_endpoint = "tcp://127.0.0.1:{xpub}";\n'
                        f'redef Cluster::Backend::ZeroMQ::listen_xsub_endpoint = "tcp://127.0.0.1:{xsub}";\n'
                        f'redef Cluster::Backend::ZeroMQ::connect_xsub_endpoint = "tcp://127.0.0.1:{xpub}";\n'
                        f'redef Cluster::Backend::ZeroMQ::connect_xpub_endpoint = "tcp://127.0.0.1:{xsub}";\n')
            else:
                f.write("redef Broker::disable_ssl = T;\n")
        with open(os.path.join(scratch, "port.zeek"), "w") as f:
            f.write(f"redef RedisBridge::websocket_port = {ws_port}/tcp;\n")
        self.env = dict(zeek.env)
        self.env["ZEEKPATH"] = scratch + ":" + self.env["ZEEKPATH"]

    @staticmethod
    def write_layout(folder, ports):
        lines = ["redef Cluster::manager_is_logger = F;", "redef Cluster::nodes = {"]
        for name, kind, _ in NODES:
            manager = '' if kind == "MANAGER" else ', $manager="manager"'
            lines.append(f'\t["{name}"] = [$node_type=Cluster::{kind}, $ip=127.0.0.1, '
                         f'$p={ports[name]}/tcp{manager}],')
        lines.append("};")
        with open(os.path.join(folder, "cluster-layout.zeek"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, name, trace, extra=()):
        """Starts node `name`, reading `trace` (a name in shared/zeek/traces or a path) if
        given, with `extra` command-line redefs."""
        cwd = os.path.join(self.scratch, name)
        os.makedirs(cwd, exist_ok=True)
        args = [os.path.join(self.zeek.prefix, "bin", "zeek")]
        if trace:
            args += ["-C", "-r", os.path.join(zeek_runner.zeek_root(), "traces", trace)]
        args += ["backend.zeek", zeek_runner.scripts_dir(), os.path.join(HERE, "ws_cluster.zeek"), "port.zeek",
                 f"RedisBridgeTest::ticks={TICKS}", f"RedisBridgeTest::command_node={self.command_node}", *extra]
        env = dict(self.env, CLUSTER_NODE=name)
        if name in self.relays:
            env["ZEEKPATH"] = os.path.join(self.scratch, "layout-" + name) + ":" + env["ZEEKPATH"]
        out = open(os.path.join(cwd, "zeek.out"), "wb")
        self.procs[name] = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT)

    def check_running(self):
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise TestError(f"{name} exited with {p.returncode}:\n{harness.tail(self.output(name))}")

    def output(self, name):
        try:
            with open(os.path.join(self.scratch, name, "zeek.out"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def file(self, name, filename):
        try:
            with open(os.path.join(self.scratch, name, filename)) as f:
                return f.read()
        except OSError:
            return None

    def stop(self, name, timeout=30):
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)

    def kill_all(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait(10)
        for relay in self.relays.values():
            relay.close()


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return None


def key_of(rec):
    """A parsed record with the members of its arrays sorted: lines equal up to set order
    have the same key (same_but_set_order then checks that only sets differ)."""
    return json.dumps({k: sorted(v, key=json.dumps) if isinstance(v, list) else v
                       for k, v in rec.items()}, sort_keys=True)


def match_lines(expected, actual, set_fields):
    """Zeek's lines against Redis's, in any order (the logger and the bridge each see the
    nodes' records interleaved their own way): (identical, set-order only, missing lines,
    extra lines). Protocol v2: every other difference is a missing plus an extra line."""
    left = collections.Counter(expected)
    right = collections.Counter(actual)
    both = left & right
    identical = sum(both.values())
    left, right = left - both, right - both
    by_key = collections.defaultdict(list)
    for line in right.elements():
        by_key[key_of(json.loads(line))].append(line)
    set_order, missing = 0, []
    for line in left.elements():
        candidates = by_key.get(key_of(json.loads(line)), [])
        found = next((a for a in candidates if harness.same_but_set_order(line, a, set_fields)), None)
        if found is None:
            missing.append(line)
        else:
            candidates.remove(found)
            set_order += 1
    extra = [a for lines in by_key.values() for a in lines]
    return identical, set_order, missing, extra


def source_of(rec):
    """The node a record without a node field came from, by its time: each worker's trace
    has its own year, the other nodes log in wall-clock time."""
    ts = rec.get("ts")
    if not isinstance(ts, (int, float)):
        return "?"
    year = time.gmtime(ts).tm_year
    return {2011: "worker-1", 2014: "worker-2"}.get(year, "manager/logger/proxy")


def main():
    backends = os.environ.get("ZRB_CLUSTER_BACKENDS", "zeromq,broker").split(",")
    zeek = zeek_runner.Zeek("8.0")
    try:
        return max(run(zeek, backend) for backend in backends)
    finally:
        zeek.close()


def run(zeek, backend):
    checks = Checks(f"websocket_cluster (Zeek 8.0.10, {backend} backend)")
    scratch = tempfile.mkdtemp(prefix=f"zrb-ws-cluster-{backend}-")
    started = time.monotonic()
    cluster = None
    summary = []
    try:
        ws_port = harness.free_port()
        broker = backend == "broker"
        # Broker backend: LATE_WORKER reaches the manager only after its trace, SLOW_WORKER
        # gets what the manager sends it a second late, and the bridge reaches the manager
        # once SLOW_WORKER has peered with it (start_broker_cluster).
        relays = {LATE_WORKER: Relay, SLOW_WORKER: lambda port: Relay(port, delay=1.0)} if broker else {}
        # worker-1 does the script operations: worker-2 is the late worker on the Broker
        # backend, and what it asks before it has reached the manager would be lost.
        cluster = Cluster(zeek, scratch, ws_port, backend, relays, command_node="worker-1")
        ws_relay = Relay(ws_port) if broker else None
        url = f"ws://127.0.0.1:{ws_relay.port if broker else ws_port}/v1/messages/json"
        with RedisServer() as redis:
            # The bridge starts first (it retries until the manager listens); intel published
            # now goes to its snapshot and reaches the manager with the replay.
            bridge = WebSocketBridge(redis, url)
            bridge._listening_port = lambda: True  # nothing to connect to yet
            with bridge:
                def snapshot():  # published again until the bridge's subscription is up
                    redis.command("PUBLISH", "zeek:intel", json.dumps(INTEL))
                    return redis.command("HLEN", "zeek:intel:snapshot:zrb-cluster") == 2 or None
                try:
                    harness.wait_until(snapshot, 20, "the intel snapshot", interval=0.5)
                except TestError as e:
                    raise TestError(f"{e}\nbridge log:\n{harness.tail(bridge.log())}") from None
                if broker:
                    start_broker_cluster(cluster, bridge, ws_relay, summary)
                else:
                    for name, _, trace in NODES:
                        # The logger says which columns are sets (set_fields.txt).
                        cluster.start(name, trace, [SET_FIELDS] if name == "logger-1" else [])
                    wait_for_bridge(cluster, bridge, ws_port)

                # Every node's records, exactly once: the workers' traces done and confirmed
                # (RedisBridge::confirm_interval), nothing new for 3 s.
                def total():
                    cluster.check_running()
                    return sum(redis.xlen(k) for k in redis.keys("zeek:*")
                               if redis.command("TYPE", k) == b"stream")
                harness.wait_until(lambda: cluster.file(cluster.command_node, "reply.out") or None, 60,
                                   f"{cluster.command_node}'s reply.out")
                harness.wait_until(lambda: total() > 100 or None, 60, "the workers' records")
                # Each worker says when the bridge confirmed its trace's records; until then
                # the bridge's loss would make it send them again (at least once).
                for name in ("worker-1", "worker-2"):
                    harness.wait_until(lambda: "confirmed every record" in cluster.output(name) or None,
                                       60, f"{name}'s confirmation")
                try:
                    harness.wait_for_progress(total, lambda n: False, "", stall=3, timeout=20)
                except TestError:
                    pass
                summary.append(f"before the kill: {total()} records in Redis "
                               f"({time.monotonic() - started:.1f}s)")
                with open(os.path.join(scratch, "proxy-1", "start-ticks"), "w"):
                    pass

                def ticks_seen():
                    cluster.check_running()
                    return redis.xlen("zeek:zrbtick")
                harness.wait_until(lambda: ticks_seen() >= 50 or None, 60, "50 zrbtick records")
                # Frozen for a second, then SIGKILL: what Zeek sent meanwhile sits unread in
                # the dead bridge's socket, and what it held unwritten is gone.
                bridge.proc.send_signal(signal.SIGSTOP)
                time.sleep(1.0)
                killed_at, first_log = kill_bridge(bridge, redis)
            bridge2 = WebSocketBridge(redis, url)
            with bridge2:
                restarted_at = redis.xlen("zeek:zrbtick")
                summary.append(f"bridge killed at {killed_at} zrbtick records in Redis, "
                               f"restarted at {restarted_at}")

                wait_for_ticks(cluster, redis, checks)
                manager_stop = stop_nodes(cluster)
                result = bridge2.stop()
                keep_bridge_logs(scratch, first_log, result.log)
            compare(cluster, redis, checks, summary, manager_stop, backend)
            check_reply(cluster, redis, checks)
            drains = [(harness.parse_counters(log) or {}).get("drain_requests", "?") for log in (first_log, result.log)]
            summary.append(f"confirmation requests (RedisBridge::confirm_interval 1 s, 5 nodes): "
                           f"{drains[0]} to the first bridge, {drains[1]} to the second")
            check_bridge_clean(result, first_log, checks)
        summary.append(f"took {time.monotonic() - started:.1f}s")
        return checks.finish("\n".join(summary))
    except TestError as e:
        return failed(cluster, e)
    finally:
        clean_up(cluster, scratch)


def wait_for_bridge(cluster, bridge, ws_port):
    harness.wait_until(lambda: (cluster.check_running(), listening(ws_port))[1], 60,
                       "the manager's WebSocket API")
    harness.wait_until(lambda: "websocket: connected to" in bridge.log() or None, 30,
                       "the bridge's connection")


def start_broker_cluster(cluster, bridge, ws_relay, summary):
    """Starts the Broker backend's nodes so that two races of a Broker cluster happen every
    time (the manager is a node's only way to the bridge there; Broker passes nothing on
    between peers):
      - SLOW_WORKER gets what the manager sends it a second late, and the bridge connects
        only after it has peered with the manager: it hears "up" from the proxy (the intel
        relay) before the manager's news of the bridge's subscription, and what it publishes
        before that news is dropped by its Broker; it must wait for it (listener_pong);
      - LATE_WORKER has peered with the proxy, which knows the bridge is up and tells it so,
        and not with the manager: it must keep its records until it has; it gives up holding
        its trace for the bridge (3 s), reads it, and only then reaches the manager."""
    traces = {name: trace for name, _, trace in NODES}

    def wait_logged(node, text, what):
        """Waits for `node`'s line `text`... in the logger's cluster.log."""
        line = f'"node":"{node}","message":"{text}'
        harness.wait_until(lambda: (cluster.check_running(),
                                    line in (cluster.file("logger-1", "cluster.log") or ""))[1] or None,
                           60, what)

    for name in ("manager", "logger-1", "proxy-1"):
        cluster.start(name, None, [SET_FIELDS] if name == "logger-1" else [])
    # The workers start once the manager and the proxy have peered with the logger, as in
    # tests/zeek/test_zeek_cluster.py: the manager writes intel.log, and its first attempt at
    # a logger not yet listening is retried after Cluster::retry_interval, which under load
    # came after worker-1's trace (intel.log: logger 0 lines, Redis 9).
    for name in ("manager", "proxy-1"):
        wait_logged("logger-1", f"got hello from {name} ", f"{name} peered with the logger")
    cluster.relays[SLOW_WORKER].open()
    cluster.start(SLOW_WORKER, traces[SLOW_WORKER])
    wait_logged("manager", f"got hello from {SLOW_WORKER} ", f"{SLOW_WORKER} peered with the manager")
    time.sleep(1.5)  # the manager's hello reaches it a second late
    ws_relay.open()
    wait_for_bridge(cluster, bridge, cluster.ws_port)
    started = time.monotonic()
    cluster.start(LATE_WORKER, traces[LATE_WORKER], ["RedisBridge::wait_timeout=3sec"])
    harness.wait_until(lambda: (cluster.check_running(),
                                "RedisBridgeTest: trace done" in cluster.output(LATE_WORKER))[1] or None,
                       60, f"{LATE_WORKER}'s trace read")
    relay = cluster.relays[LATE_WORKER]
    relay.open()
    harness.wait_until(lambda: relay.accepted or None, 30,
                       f"{LATE_WORKER}'s connection to the manager through the relay")
    summary.append(f"{SLOW_WORKER}: the manager's messages 1 s late; {LATE_WORKER} peered with "
                   f"the manager after its trace ({time.monotonic() - started:.1f}s after it started)")


def kill_bridge(bridge, redis):
    """SIGKILLs the bridge; returns the zrbtick records in Redis then, and its log."""
    bridge.proc.kill()
    bridge.proc.wait(10)
    killed_at = redis.xlen("zeek:zrbtick")
    time.sleep(1.0)
    return killed_at, bridge.log()


def keep_bridge_logs(scratch, first_log, second_log):
    """With ZRB_KEEP, both bridges' logs stay in the scratch folder."""
    if os.environ.get("ZRB_KEEP"):
        for name, text in (("bridge1.log", first_log), ("bridge2.log", second_log)):
            with open(os.path.join(scratch, name), "w") as f:
                f.write(text)


def wait_for_ticks(cluster, redis, checks):
    """Waits until Redis holds every number of the proxy's zrbtick records."""
    def all_ticks():
        cluster.check_running()
        got = {json.loads(e)["n"] for e in redis.stream_json("zeek:zrbtick")}
        return len(got) >= TICKS or None
    try:
        harness.wait_until(all_ticks, 60, f"{TICKS} distinct zrbtick records", interval=0.5)
    except TestError as e:
        checks.fail(str(e))


def stop_nodes(cluster):
    """Stops the workers and the proxy, then the manager and the logger; returns when the
    manager was told to stop. The manager (WebSocket API, ZeroMQ proxy) goes last but the
    logger: what the manager and the logger log while or after the manager stops cannot
    reach the bridge any more (not expected in Redis)."""
    for name in ("worker-1", "worker-2", "proxy-1"):
        cluster.stop(name)
    time.sleep(1)  # what they logged on the way out reaches the bridge
    manager_stop = time.time()
    for name in ("manager", "logger-1"):
        cluster.stop(name)
    time.sleep(1)
    return manager_stop


def check_reply(cluster, redis, checks):
    """The command node's script operations: the put in Redis, the get's reply back there."""
    node = cluster.command_node
    reply = (cluster.file(node, "reply.out") or "").strip()
    checks.check(reply == f"RedisBridge::REPLY_STRING from {node}", f"{node}'s reply: {reply!r}")
    checks.check(redis.command("GET", "zeek:kv:zrb-cluster:key") == f"from {node}".encode(),
                 f"the key {node} put in Redis")


def check_bridge_clean(result, first_log, checks):
    """The second bridge exited 0, and neither bridge rejected anything."""
    checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
    checks.check(not harness.rejected_lines(result.log) and not harness.rejected_lines(first_log),
                 f"no rejections: {harness.rejected_lines(first_log + result.log)[:3]}")


def failed(cluster, error):
    """Prints the failure with the tail of every node's output; the exit code."""
    out = ""
    if cluster:
        for name, _, _ in NODES:
            out += f"--- {name}:\n{harness.tail(cluster.output(name), 15)}\n"
    print(f"FAIL: {error}\n{out}")
    return 1


def clean_up(cluster, scratch):
    """Kills the nodes; removes the scratch folder unless ZRB_KEEP is set."""
    if cluster:
        cluster.kill_all()
    if os.environ.get("ZRB_KEEP"):
        print(f"kept {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)


# Under the Broker backend a node's log writes before it has peered with the logger never
# reach the logger's files (the package sends them to the bridge all the same): on these
# paths Redis may hold more than the logger.
STARTUP_PATHS = {"broker", "cluster", "reporter", "packet_filter"}


def compare(cluster, redis, checks, summary, manager_stop, backend):
    """The logger's JSON logs against Redis, per path: the same lines, byte for byte or up to
    the order of set members; lines logged (wall clock) after the manager was told to stop
    are not expected."""
    logdir = os.path.join(cluster.scratch, "logger-1")
    set_fields = {}
    for line in (cluster.file("logger-1", "set_fields.txt") or "").splitlines():
        p, _, field = line.partition(" ")
        set_fields.setdefault(p, set()).add(field)
    paths = sorted(f[:-4] for f in os.listdir(logdir) if f.endswith(".log"))
    redis_paths = sorted(k.decode()[5:] for k in redis.keys("zeek:*")
                         if redis.command("TYPE", k) == b"stream")
    summary.append("path: logger-file redis identical set-order  (per node in Redis)")
    for path in sorted(set(paths) | set(redis_paths)):
        if path.startswith("intel:"):
            continue
        expected = zeek_runner.read_log_lines(os.path.join(logdir, path + ".log"))
        late = [l for l in expected if isinstance(json.loads(l).get("ts"), float)
                and json.loads(l)["ts"] >= manager_stop]
        expected = [l for l in expected if l not in late]
        if late:
            summary.append(f"  {path}: {len(late)} lines logged after the manager's SIGTERM, "
                           f"not expected: {[json.loads(l).get('message', '') for l in late]}")
        actual = redis.stream_json("zeek:" + path) if path in redis_paths else []
        records = [json.loads(a) for a in actual]
        nodes = collections.Counter(r.get("node") or r.get("seen.node") or source_of(r) for r in records)
        if path == "intel":
            seen = collections.Counter(r.get("seen.node") for r in records)
            checks.check(len(records) == 9 and seen == {"worker-1": 9},
                         f"intel.log in Redis: 9 matches on worker-1 expected, got {dict(seen)}")
        if path == "zrbtick":
            summary.append(f"  {path}: {len(expected)} {len(actual)}  {dict(sorted(nodes.items()))}")
            got = collections.Counter(r["n"] for r in records)
            missing = [n for n in range(1, TICKS + 1) if n not in got]
            dups = sum(c - 1 for c in got.values())
            summary.append(f"  zrbtick: {len(got)} distinct of {TICKS}, {dups} sent twice")
            checks.check(not missing, f"zrbtick numbers missing in Redis: {missing[:10]}")
            continue
        identical, set_order, missing, extra = match_lines(expected, actual, set_fields.get(path, set()))
        summary.append(f"  {path}: {len(expected)} {len(actual)} {identical} {set_order}  "
                       f"{dict(sorted(nodes.items()))}")
        ok = not missing and not extra
        if backend == "broker" and path in STARTUP_PATHS and extra and not missing:
            summary.append(f"  {path}: {len(extra)} lines in Redis that the logger did not get "
                           f"(logged before the peering)")
            ok = True
        checks.check(ok, f"{path}: logger {len(expected)} redis {len(actual)} identical {identical} "
                         f"set-order {set_order}; missing {missing[:2]} extra {extra[:2]}")


if __name__ == "__main__":
    sys.exit(main())
