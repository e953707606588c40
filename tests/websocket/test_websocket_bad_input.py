"""Bad input on the WebSocket transport, from a hostile peer: a small WebSocket server in this
test (Python standard library) that speaks Zeek's WebSocket API (ack, data messages as Zeek
8.0.10 sends them, see ../shared/corpus/zeek-8.0.10/websocket) and in between sends what a
broken or hostile Zeek could: a message that is not JSON, a value of an unknown @data-type, an
error message, a message over --websocket.max-message-bytes, and then silence (no pongs).

Each must give one `rejected <reason>` log line and one count of rejected{<reason>}; the
connection is kept (not JSON, unknown type, error) or re-established (too large, silence),
and the good records sent around the bad input (A, B before and after, C and D on the next
connections) are all in Redis, in order.

Run: /usr/bin/python3 tests/websocket/test_websocket_bad_input.py   (env: see harness.py)
"""

import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import Checks, RedisServer, TestError  # noqa: E402
from test_websocket_zeek import WebSocketBridge  # noqa: E402

MAX_MESSAGE = 65536
IDLE_TIMEOUT_S = 2
REASONS = ("ws_bad_json", "ws_unknown_type", "ws_error", "ws_too_large", "ws_timeout")


def typed(t, v):
    return {"@data-type": t, "data": v}


def event(name, args, topic="zeek/redis/logs"):
    """A Zeek event as Zeek 8.0.10's WebSocket API sends it."""
    return json.dumps({"type": "data-message", "topic": topic, "@data-type": "vector",
                       "data": [typed("count", 1), typed("count", 1),
                                typed("vector", [typed("string", name), typed("vector", args)])]})


def column(name, ztype, index):
    return typed("vector", [typed("string", name), typed("string", ztype),
                            typed("vector", [typed("count", index)])])


SCHEMA = event("RedisBridge::log_schema", [
    typed("count", 1), typed("count", 80010), typed("string", "zeek"), typed("string", "wsbad"),
    typed("vector", [column("n", "count", 0), column("s", "string", 1)])])


def batch(n, s, value=None):
    rec = typed("vector", [value or typed("count", n), typed("string", s)])
    return event("RedisBridge::log_batch", [typed("string", "zeek"), typed("string", "wsbad"),
                                            typed("vector", [rec])])


class HostileZeek:
    """Accepts the bridge's connections; connection k runs SCRIPTS[k] (a list of text
    messages, or "silent": stop answering anything)."""

    def __init__(self, scripts):
        self.scripts = scripts
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.done.is_set():
            try:
                self.sock.settimeout(0.2)
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            script = self.scripts[min(self.connections, len(self.scripts)) - 1]
            threading.Thread(target=self._session, args=(conn, script), daemon=True).start()

    def close(self):
        self.done.set()
        self.sock.close()

    @staticmethod
    def _recv_exact(conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _frame(self, conn):
        b0, b1 = self._recv_exact(conn, 2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._recv_exact(conn, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._recv_exact(conn, 8))[0]
        mask = self._recv_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(self._recv_exact(conn, n)))
        return b0 & 0x0F, payload

    @staticmethod
    def _send(conn, opcode, payload, lock):
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + struct.pack("!H", n)
        else:
            head += bytes([127]) + struct.pack("!Q", n)
        with lock:
            conn.sendall(head + payload)

    def _session(self, conn, script):
        lock = threading.Lock()
        silent = threading.Event()
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = [l.split(b":", 1)[1].strip() for l in request.split(b"\r\n")
                   if l.lower().startswith(b"sec-websocket-key:")][0]
            accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            self._frame(conn)  # the bridge's subscriptions
            self._send(conn, 1, json.dumps({"type": "ack", "endpoint": "hostile",
                                            "version": "8.0.10"}).encode(), lock)

            def answer_pings():
                try:
                    while True:
                        opcode, payload = self._frame(conn)
                        if opcode == 9 and not silent.is_set():
                            self._send(conn, 10, payload, lock)
                        elif opcode == 8:
                            return
                except OSError:
                    return
            threading.Thread(target=answer_pings, daemon=True).start()
            for message in script:
                if message == "silent":
                    silent.set()
                    continue
                self._send(conn, 1, message.encode(), lock)
                time.sleep(0.05)
            self.done.wait(120)
        except OSError:
            pass
        finally:
            conn.close()


def main():
    checks = Checks("websocket_bad_input")
    started = time.monotonic()
    too_large = event("RedisBridge::log_batch", [typed("string", "x" * (MAX_MESSAGE + 10))])
    server = HostileZeek([
        [SCHEMA, batch(1, "A"), "{not json", batch(0, "bad", typed("pattern", "/x/")),
         json.dumps({"type": "error", "code": "deserialization_failed", "context": "made up"}),
         batch(2, "B"), too_large],
        [SCHEMA, batch(3, "C"), "silent"],
        [SCHEMA, batch(4, "D")],
    ])
    try:
        with RedisServer() as redis, WebSocketBridge(redis, f"ws://127.0.0.1:{server.port}/v1/messages/json", [
                "--websocket.max-message-bytes", str(MAX_MESSAGE),
                "--websocket.idle-timeout-s", str(IDLE_TIMEOUT_S)]) as bridge:
            def all_four():
                got = [json.loads(e) for e in redis.stream_json("zeek:wsbad")]
                return got if len(got) >= 4 else None
            try:
                got = harness.wait_until(all_four, 30, "records A, B, C, D in Redis", interval=0.2)
            except TestError as e:
                raise TestError(f"{e}\nbridge log:\n{harness.tail(bridge.log())}") from None
            expected = [{"n": 1, "s": "A"}, {"n": 2, "s": "B"}, {"n": 3, "s": "C"}, {"n": 4, "s": "D"}]
            checks.check(got == expected, f"records in Redis: {got}")
            checks.check(server.connections == 3,
                         f"connections: {server.connections} (expected 3: kept through bad JSON, "
                         f"unknown type and error; new after too large and after silence)")
            result = bridge.stop()
        counters = result.counters or {}
        lines = [l for l in result.log.splitlines() if " rejected " in l]
        for reason in REASONS:
            n_lines = sum(1 for l in lines if f"rejected {reason}:" in l)
            checks.check(counters.get(f"rejected{{{reason}}}") == 1 and n_lines == 1,
                         f"{reason}: counter {counters.get(f'rejected{{{reason}}}')}, {n_lines} log lines")
        others = [k for k in counters if k.startswith("rejected") and k[9:-1] not in REASONS]
        checks.check(not others, f"no other rejections: {others}")
        checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
        return checks.finish(f"took {time.monotonic() - started:.1f}s")
    except TestError as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
