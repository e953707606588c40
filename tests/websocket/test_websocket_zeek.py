"""Zeek 8.0.10's WebSocket API end to end: the real Zeek listens with
Cluster::listen_websocket (ws_e2e.zeek), the bridge connects with
--transport.kind websocket; the log record Zeek publishes arrives in Redis as
Zeek's JSON, and intel published on Redis reaches Zeek, which writes it to a
file and exits by itself.

Run: /usr/bin/python3 tests/websocket/test_websocket_zeek.py   (env: see harness.py)
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import Bridge, Checks, RedisServer, TestError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def zeek_command(install, scratch, args):
    """Runs <install>/bin/zeek directly: the shared installs hold their library symlinks as
    small text files, so real symlinks to the libraries go into `scratch/lib`."""
    lib = os.path.join(scratch, "lib")
    os.makedirs(lib, exist_ok=True)
    for name in os.listdir(os.path.join(install, "lib")):
        path = os.path.join(install, "lib", name)
        if os.path.isfile(path) and os.path.getsize(path) < 100:
            with open(path) as f:
                target = f.read().strip()
            if re.fullmatch(r"lib[\w.+-]+", target) and not os.path.exists(os.path.join(lib, name)):
                os.symlink(os.path.join(install, "lib", target), os.path.join(lib, name))
    share = os.path.join(install, "share", "zeek")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = lib
    env["ZEEKPATH"] = ":".join([".", share, share + "/policy", share + "/site"])
    env["ZEEK_PLUGIN_PATH"] = os.path.join(install, "lib", "zeek", "plugins")
    return [os.path.join(install, "bin", "zeek"), *args], env


class WebSocketBridge(Bridge):
    """The bridge with the WebSocket transport; ready once connected to Zeek."""

    def __init__(self, redis, url, args=()):
        super().__init__(redis, ["--transport.kind", "websocket", "--websocket.url", url, *args])

    def _listening_port(self):
        if "websocket: connected to" in self.log():
            return True
        if self.proc.poll() is not None:
            raise TestError(f"the bridge exited with {self.proc.returncode} before connecting")
        return None


def main():
    install = os.path.join(harness.shared_dir(), "zeek", "zeek-8.0.10")
    if not os.path.isdir(install):
        print(f"SKIP: no Zeek 8.0.10 at {install}")
        return 0
    checks = Checks("websocket_zeek")
    scratch = tempfile.mkdtemp(prefix="zrb-ws-zeek-")
    zeek = None
    try:
        port = harness.free_port()
        cmd, env = zeek_command(install, scratch, [
            "-b", os.path.join(HERE, "ws_e2e.zeek"),
            f"RedisBridgeTest::port_number={port}",
            "RedisBridgeTest::deadline=60sec"])
        with open(os.path.join(scratch, "zeek.log"), "wb") as zlog:
            zeek = subprocess.Popen(cmd, cwd=scratch, env=env, stdin=subprocess.DEVNULL,
                                    stdout=zlog, stderr=zlog)

        def zeek_listening():
            if zeek.poll() is not None:
                raise TestError(f"zeek exited with {zeek.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                return None
        harness.wait_until(zeek_listening, 30, "Zeek's WebSocket server")

        url = f"ws://127.0.0.1:{port}/v1/messages/json"
        with RedisServer() as redis, WebSocketBridge(redis, url) as bridge:
            def record():
                entries = redis.stream_json("zeek:wstest")
                return [json.loads(e) for e in entries] or None
            try:
                got = harness.wait_until(record, 30, "the record in Redis stream zeek:wstest")
            except TestError as e:
                raise TestError(f"{e}\nbridge log:\n{harness.tail(bridge.log())}") from None
            expected = {"ts": 1700000000.5, "uid": "CwsT1", "h": "2001:db8::1", "p": 443,
                        "n": 42, "d": 1.5, "tags": ["a"]}
            checks.check(got == [expected], f"record in Redis: {got} (expected {expected})")

            intel = {"indicator": "198.51.100.7", "type": "ADDR",
                     "meta": {"source": "ws-feed", "desc": "over websocket"}}
            out = os.path.join(scratch, "intel.out")

            def intel_arrived():
                redis.command("PUBLISH", "zeek:intel", json.dumps(intel))
                return os.path.exists(out) or None
            harness.wait_until(intel_arrived, 30, "intel in Zeek", interval=0.5)
            try:
                zeek.wait(30)
            except subprocess.TimeoutExpired:
                checks.fail("Zeek did not exit by itself after the intel")
            with open(out) as f:
                line = f.read().strip()
            checks.check(line == "198.51.100.7 ws-feed over websocket", f"intel in Zeek: {line!r}")
            result = bridge.stop()
            checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
            checks.check(not any(k.startswith("rejected") for k in (result.counters or {})) and
                         not harness.rejected_lines(result.log),
                         f"no rejections: {harness.rejected_lines(result.log)}")
        return checks.finish()
    except TestError as e:
        zlog = ""
        try:
            with open(os.path.join(scratch, "zeek.log")) as f:
                zlog = f.read()
        except OSError:
            pass
        print(f"FAIL: {e}\nzeek output:\n{harness.tail(zlog)}")
        return 1
    finally:
        if zeek and zeek.poll() is None:
            zeek.kill()
            zeek.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
