"""Shared pieces of the integration tests: a real redis-server, the real bridge, a real Broker
peer (python3-broker 1.4), bounded waits, and the checks' bookkeeping.

Everything here is real: the tests start `redis-server` on a free loopback port in its own
temporary directory, the bridge binary named by $ZRB_BRIDGE, and a Broker endpoint that peers
with the bridge the way a Zeek node does. Every wait is bounded.

Environment (set by tests/CMakeLists.txt; the defaults fit a checkout built into build/):
  ZRB_BRIDGE      the zeek-redis-bridge binary
  ZRB_SOURCE_DIR  the repository root
  ZRB_SHARED_DIR  the shared corpus folder (the repository's ../shared)

Run the tests with /usr/bin/python3: python3-broker is installed for the system Python only.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def source_dir():
    return os.environ.get("ZRB_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))


def shared_dir():
    return os.environ.get("ZRB_SHARED_DIR") or os.path.normpath(
        os.path.join(source_dir(), "..", "shared"))


def bridge_path():
    return os.environ.get("ZRB_BRIDGE") or os.path.join(
        source_dir(), "build", "bridge", "zeek-redis-bridge")


# deploy/zeek_tsv.py holds the TSV -> Broker conversion (shared with deploy/replay.py).
sys.path.insert(0, os.path.join(source_dir(), "deploy"))

try:
    import broker  # noqa: E402
except ImportError:  # pragma: no cover - environment problem, reported clearly
    sys.stderr.write("harness: the 'broker' module is missing: run the tests with /usr/bin/python3 "
                     "(python3-broker 1.4)\n")
    raise

REJECT_REASONS = ("unknown_event", "bad_arguments", "protocol_version", "bad_schema",
                  "unknown_stream", "schema_mismatch", "too_large", "string_too_long", "too_deep", "not_an_event",
                  "too_many_streams", "name_too_long", "bad_exact_text", "too_many_drains",
                  "bad_command", "command_refused", "command_queue_full")


class TestError(Exception):
    """A failure that ends a test early (a wait ran out, a process died)."""


# --- small helpers ---

def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.02):
    """Calls predicate until it returns a true value (returned) or `timeout` seconds pass
    (TestError naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TestError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def wait_for_progress(state, done, what, stall=10, timeout=300, interval=0.05):
    """Waits until done(state()) is true. Gives up (TestError) when state() has not changed
    for `stall` seconds (the bridge stopped making progress: waiting longer cannot help) or
    after `timeout` seconds in all."""
    start = last_change = time.monotonic()
    last = state()
    while not done(last):
        now = time.monotonic()
        if now - last_change >= stall:
            raise TestError(f"no progress for {stall:.0f}s waiting for {what} (at {last})")
        if now - start >= timeout:
            raise TestError(f"timed out after {timeout:.0f}s waiting for {what} (at {last})")
        time.sleep(interval)
        current = state()
        if current != last:
            last, last_change = current, time.monotonic()
    return last


def tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


def short(value, limit=300):
    """A bounded repr for messages."""
    r = repr(value)
    return r if len(r) <= limit else r[:limit] + f"... ({len(r)} chars)"


class Checks:
    """Collects failed checks; the test prints them and exits 1 if there are any."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0

    def check(self, ok, message):
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)
            print(f"FAIL: {message}", flush=True)
        return ok

    def fail(self, message):
        return self.check(False, message)

    def finish(self, summary=""):
        """Prints the summary; returns the process exit code."""
        if summary:
            print(summary)
        if self.failures:
            print(f"{self.name}: FAILED ({len(self.failures)} failed checks, {self.passed} passed)")
            for f in self.failures[:20]:
                print(f"  - {f.splitlines()[0]}")
            return 1
        print(f"{self.name}: PASSED ({self.passed} checks)")
        return 0


def first_differences(expected, actual, limit=3):
    """Readable lines describing the first differences between two lists of byte strings."""
    out = []
    differing = [i for i in range(max(len(expected), len(actual)))
                 if i >= len(expected) or i >= len(actual) or expected[i] != actual[i]]
    for i in differing[:limit]:
        e = expected[i] if i < len(expected) else None
        a = actual[i] if i < len(actual) else None
        out.append(f"    line {i}:\n      expected {short(e, 600)}\n      actual   {short(a, 600)}")
        if e is not None and a is not None:
            n = next((k for k in range(min(len(e), len(a))) if e[k] != a[k]), min(len(e), len(a)))
            out.append(f"      first difference at byte {n}: expected {short(e[n:n + 60])}, "
                       f"actual {short(a[n:n + 60])}")
    out.append(f"    {len(differing)} of {len(expected)} expected lines differ"
               + (f"; got {len(actual)} lines" if len(expected) != len(actual) else ""))
    return "\n".join(out)


def split_json(text, open_char, close_char):
    """The top-level members of a JSON object or array as raw byte strings (no parsing of the
    values, so their bytes can be compared exactly)."""
    if not (text.startswith(open_char) and text.endswith(close_char)):
        return None
    parts, depth, start, in_string, escaped = [], 0, 1, False, False
    for i in range(1, len(text) - 1):
        c = text[i:i + 1]
        if in_string:
            if escaped:
                escaped = False
            elif c == b"\\":
                escaped = True
            elif c == b'"':
                in_string = False
        elif c == b'"':
            in_string = True
        elif c in (b"[", b"{"):
            depth += 1
        elif c in (b"]", b"}"):
            depth -= 1
        elif c == b"," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if len(text) > 2:
        parts.append(text[start:-1])
    return parts


def same_but_set_order(expected, actual, set_fields):
    """True if the two JSON lines differ only in the order of members of set-valued fields
    (docs/protocol.md: Broker carries sets sorted, Zeek writes them in hash order)."""
    e, a = split_json(expected, b"{", b"}"), split_json(actual, b"{", b"}")
    if e is None or a is None or len(e) != len(a):
        return False
    for em, am in zip(e, a):
        if em == am:
            continue
        ek, _, ev = em.partition(b":")
        ak, _, av = am.partition(b":")
        if ek != ak or ek.strip(b'"').decode("utf-8", "replace") not in set_fields:
            return False
        ee, ae = split_json(ev, b"[", b"]"), split_json(av, b"[", b"]")
        if ee is None or ae is None or sorted(ee) != sorted(ae):
            return False
    return True


# --- Redis ---

class RedisError(Exception):
    pass


class Resp:
    """A minimal RESP2 client: binary-safe commands, replies as bytes/int/list/None."""

    def __init__(self, host, port, timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def command(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode("utf-8")
            elif isinstance(a, int):
                a = str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(parts))
        return self._reply()

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RedisError("connection closed by redis")
            self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill(len(self.buf) + 1)

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RedisError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            self._fill(n + 2)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._reply() for _ in range(n)]
        raise RedisError(f"bad reply line {line!r}")


class RedisServer:
    """A private redis-server on a free loopback port: `with RedisServer() as r:`."""

    def __init__(self, args=()):
        self.dir = None
        self.proc = None
        self.port = None
        self._client = None
        #: extra redis-server arguments, e.g. ("--appendonly", "yes") for a server whose
        #: acknowledged writes survive kill_hard().
        self.args = list(args)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="zrb-redis-")
        last = ""
        for _attempt in range(5):
            self.port = free_port()
            try:
                self._start()
                return self
            except TestError:
                last = self._log()
                self._kill()
        self._cleanup()
        raise TestError(f"redis-server would not start; its log:\n{tail(last)}")

    def _start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--save", "", "--appendonly", "no",
             "--logfile", os.path.join(self.dir, "redis.log"), "--daemonize", "no",
             *self.args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(self._ping, 15, f"redis-server on port {self.port} to answer PING")

    def kill_hard(self):
        """SIGKILL, as a crash would: no goodbye to clients."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def start_again(self):
        """Starts redis-server again on the same port (empty: nothing was saved)."""
        self._start()

    def _log(self):
        try:
            with open(os.path.join(self.dir, "redis.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _ping(self):
        if self.proc.poll() is not None:
            raise TestError(f"redis-server exited with {self.proc.returncode}:\n"
                            f"{tail(self._log())}")
        try:
            c = Resp("127.0.0.1", self.port, timeout=2)
        except OSError:
            return False
        try:
            return c.command("PING") == b"PONG"
        except (OSError, RedisError):
            return False
        finally:
            c.close()

    def client(self):
        """A shared client connection."""
        if self._client is None:
            self._client = Resp("127.0.0.1", self.port)
        return self._client

    def command(self, *args):
        return self.client().command(*args)

    def keys(self, pattern="*"):
        return sorted(self.command("KEYS", pattern))

    def xlen(self, key):
        return self.command("XLEN", key)

    def stream_entries(self, key):
        """[(id, [field, value, field, value, ...]), ...] of a whole stream, in order."""
        out = []
        start = b"-"
        while True:
            chunk = self.command("XRANGE", key, start, "+", "COUNT", 10000)
            if not chunk:
                return out
            out.extend((e[0], e[1]) for e in chunk)
            last = chunk[-1][0]
            ms, seq = last.split(b"-")
            start = b"%s-%d" % (ms, int(seq) + 1)

    def stream_json(self, key, problems=None):
        """The `json` field of every entry of stream `key`, in order. Entries that are not
        exactly one field named `json` are described in `problems` (a list) if given."""
        out = []
        for entry_id, fields in self.stream_entries(key):
            if problems is not None and (len(fields) != 2 or fields[0] != b"json"):
                problems.append(f"{key} entry {entry_id!r} has fields "
                                f"{short([f for f in fields[0::2]])}, expected exactly ['json']")
            d = dict(zip(fields[0::2], fields[1::2]))
            out.append(d.get(b"json"))
        return out

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def _cleanup(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __exit__(self, *exc):
        if self._client is not None:
            try:
                self._client.close()
            except OSError:
                pass
            self._client = None
        self._kill()
        self._cleanup()
        return False


# --- the bridge ---

_COUNTER_TOKEN = re.compile(r"([A-Za-z_][\w.]*)(?:\{([^}]*)\})?=(\d+)")


def parse_counters(log_text):
    """The final `counters: name=value name{label}=value ...` line as a dict, labels written
    `name{label}` (a `reason="x"` label becomes `x`); None if there is no such line."""
    line = None
    for l in log_text.splitlines():
        if "counters:" in l:
            line = l
    if line is None:
        return None
    out = {}
    for name, label, value in _COUNTER_TOKEN.findall(line.split("counters:", 1)[1]):
        if label:
            m = re.fullmatch(r'\s*\w+\s*=\s*"?([^"]*)"?\s*', label)
            label = m.group(1) if m else label
            name = f"{name}{{{label}}}"
        out[name] = int(value)
    return out


def rejected_lines(log_text):
    """[(reason or None, line)] for every log line that mentions `rejected` (not the counters
    line)."""
    out = []
    for line in log_text.splitlines():
        if "rejected" not in line or "counters:" in line:
            continue
        after = line.split("rejected", 1)[1]
        m = re.search(r"\b(" + "|".join(REJECT_REASONS) + r")\b", after) or \
            re.search(r"\b(" + "|".join(REJECT_REASONS) + r")\b", line)
        out.append((m.group(1) if m else None, line))
    return out


class BridgeResult:
    def __init__(self, exit_code, log, counters):
        self.exit_code = exit_code
        self.log = log
        #: dict from parse_counters, or None when the final counters line is missing.
        self.counters = counters

    def counter(self, name, default=0):
        return (self.counters or {}).get(name, default)


class Bridge:
    """The real bridge: `with Bridge(redis, ["--json.timestamps", "iso8601"]) as b:`.

    Listens on a free loopback port (`b.port`, parsed from its `listening on` line), writes to
    `redis`, logs to a file (`b.log()`); `b.stop()` sends SIGTERM and returns a BridgeResult.
    """

    def __init__(self, redis, args=(), listen="127.0.0.1:0", start_timeout=30, disable_ssl=True):
        self.redis = redis
        self.disable_ssl = disable_ssl
        self.args = list(args)
        self.listen = listen
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.dir = None
        self.log_path = None
        self.result = None

    def command_line(self):
        # BrokerPeer peers without TLS (BrokerOptions.disable_ssl) unless told otherwise; both
        # sides must agree.
        return [bridge_path(), "--broker.listen", self.listen,
                *(["--broker.disable-ssl"] if self.disable_ssl else []),
                "--redis.url", self.redis.url, *self.args]

    def __enter__(self):
        exe = bridge_path()
        if not os.access(exe, os.X_OK):
            raise TestError(f"no bridge binary at {exe} (set ZRB_BRIDGE, or build the "
                            f"zeek-redis-bridge target)")
        self.dir = tempfile.mkdtemp(prefix="zrb-bridge-")
        self.log_path = os.path.join(self.dir, "bridge.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.command_line(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        try:
            self.port = wait_until(self._listening_port, self.start_timeout,
                                   "the bridge's 'listening on 127.0.0.1:<port>' line")
        except TestError as e:
            self._kill()
            raise TestError(f"{e}\ncommand: {' '.join(self.command_line())}\n"
                            f"bridge log:\n{tail(self.log())}") from None
        return self

    def _listening_port(self):
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log())
        if m:
            return int(m.group(1))
        if self.proc.poll() is not None:
            raise TestError(f"the bridge exited with {self.proc.returncode} before listening")
        return None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=60):
        """SIGTERM, wait (bounded; SIGKILL after `timeout`), return a BridgeResult. The exit
        code is None if the bridge had to be killed."""
        if self.result is not None:
            return self.result
        code = self.proc.poll()
        if code is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                code = None
        text = self.log()
        self.result = BridgeResult(code, text, parse_counters(text))
        return self.result

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __exit__(self, *exc):
        if self.result is None:
            self.stop(timeout=20)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


# --- a Broker peer (what a Zeek node is to the bridge) ---

class BrokerPeer:
    """A python3-broker endpoint peered with the bridge: `with BrokerPeer(port) as p:`.

    Waits for the peering (status subscriber: peer_added) and for the bridge's subscription to
    reach us (otherwise Broker 1.4 drops what we publish), then `p.publish(event)`.
    """

    def __init__(self, port, host="127.0.0.1", topic="zeek/redis/logs", timeout=30,
                 disable_ssl=True, tls=None, subscribe=None):
        #: {"openssl_certificate": path, ...}: broker.Configuration's openssl_* settings.
        self.tls = tls or {}
        #: Topic prefix to receive from (`p.subscriber`), subscribed before peering so that the
        #: subscription travels with the handshake.
        self.subscribe = subscribe
        self.subscriber = None
        self.host = host
        self.disable_ssl = disable_ssl
        self.port = port
        self.topic = topic
        self.timeout = timeout
        self.endpoint = None
        self.published = 0

    def __enter__(self):
        opts = broker.BrokerOptions()
        opts.disable_ssl = self.disable_ssl
        config = broker.Configuration(opts)
        for name, value in self.tls.items():
            setattr(config, name, value)
        self.endpoint = broker.Endpoint(config)
        if self.subscribe is not None:
            self.subscriber = self.endpoint.make_subscriber(self.subscribe)
        status = self.endpoint.make_status_subscriber(True)
        self.endpoint.peer_nosync(self.host, self.port, 1.0)
        seen = []

        def peered():
            # StatusSubscriber.get(timeout) is broken in python3-broker 1.4; poll instead.
            for st in status.poll():
                seen.append(str(st))
                if isinstance(st, broker.Status) and st.code() == broker.SC.PeerAdded:
                    return True
            return False

        try:
            wait_until(peered, self.timeout, f"peering with the bridge at {self.host}:{self.port}")
            wait_until(self._subscribed, self.timeout,
                       f"the bridge's subscription to a prefix of {self.topic}")
        except TestError as e:
            self.close()
            raise TestError(f"{e}; statuses seen: {seen}") from None
        self._status = status
        return self

    def _subscribed(self):
        return any(self.topic.startswith(t.string()) for t in self.endpoint.peer_subscriptions())

    def publish(self, message, topic=None):
        """Publishes a broker.zeek.Event, a broker.Data or any Python value python3-broker
        converts."""
        self.endpoint.publish(topic or self.topic, message)
        self.published += 1

    def close(self):
        if self.endpoint is not None:
            self.endpoint.shutdown()
            self.endpoint = None

    def __exit__(self, *exc):
        self.close()
        return False
