"""Smoke test with a real Zeek of the build's Broker (Zeek 8.0.10 for the C++20 Broker flavour):
Zeek, running the package on a trace, peers with the bridge, and the records of its conn.log
arrive in Redis, decoded.

Zeek runs bare (`-b`) with the package and the conn analyzer on `wikipedia.pcap`; the package
holds the trace until the bridge is peered (RedisBridge::WAIT_OFFLINE) and Zeek exits at its end
(Broker::peer_counts_as_iosource=F). Zeek's ASCII writer also writes conn.log in the scratch
directory: every uid there must be in Redis, once, and nothing else. The full trace tests
(byte-identical JSON, every trace) are the `zeek` label's harness, not this.

Environment (set by tests/CMakeLists.txt): ZRB_ZEEK (the zeek binary), ZRB_ZEEK_LIBS (a folder
with real links to its libraries), ZRB_BRIDGE, ZRB_SOURCE_DIR, ZRB_SHARED_DIR.
Run: /usr/bin/python3 tests/zeek/test_zeek_smoke.py
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import (Bridge, Checks, RedisServer, Resp, TestError,  # noqa: E402
                     rejected_lines, shared_dir, source_dir, tail)

TRACE = "wikipedia.pcap"


def zeek_env(zeek):
    """Runs `zeek` directly (not its wrapper): ZEEKPATH, plugins and libraries of its install."""
    prefix = os.path.dirname(os.path.dirname(os.path.abspath(zeek)))
    share = os.path.join(prefix, "share", "zeek")
    env = dict(os.environ)
    env["ZEEKPATH"] = ":".join([".", share, os.path.join(share, "policy"),
                                os.path.join(share, "site")])
    env["ZEEK_PLUGIN_PATH"] = os.path.join(prefix, "lib", "zeek", "plugins")
    libs = os.environ.get("ZRB_ZEEK_LIBS") or os.path.join(prefix, "lib")
    env["LD_LIBRARY_PATH"] = libs + (":" + env["LD_LIBRARY_PATH"]
                                     if env.get("LD_LIBRARY_PATH") else "")
    return env


def conn_uids(path):
    """uids of Zeek's own conn.log (ASCII writer, TSV)."""
    uids = []
    fields = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line and not line.startswith("#"):
                uids.append(line.split("\t")[fields.index("uid")])
    return uids


def main():
    checks = Checks("zeek smoke: a real Zeek peers with the bridge")
    zeek = os.environ.get("ZRB_ZEEK")
    if not zeek or not os.access(zeek, os.X_OK):
        raise TestError(f"no zeek binary (ZRB_ZEEK={zeek})")
    trace = os.path.join(shared_dir(), "zeek", "traces", TRACE)
    scripts = os.path.join(source_dir(), "scripts")
    work = tempfile.mkdtemp(prefix="zrb-zeek-")
    try:
        with RedisServer() as redis:
            with Bridge(redis, ["--route.default", "list"]) as bridge:
                cmd = [zeek, "-b", "-C", "-r", trace, scripts, "base/protocols/conn",
                       "Broker::disable_ssl=T", "Broker::peer_counts_as_iosource=F",
                       f"RedisBridge::bridge_port={bridge.port}/tcp"]
                try:
                    run = subprocess.run(cmd, cwd=work, env=zeek_env(zeek), capture_output=True,
                                         text=True, timeout=120)
                except subprocess.TimeoutExpired:
                    raise TestError(f"zeek did not exit within 120 s: {' '.join(cmd)}") from None
                checks.check(run.returncode == 0,
                             f"zeek exited {run.returncode}: {tail(run.stderr)}")
                result = bridge.stop()
            c = Resp("127.0.0.1", redis.port)
            keys = sorted(c.command("KEYS", "*"))
            lines = c.command("LRANGE", "zeek:conn", "0", "-1")
        version = subprocess.run([zeek, "--version"], env=zeek_env(zeek), capture_output=True,
                                 text=True).stdout.strip()
        expected = conn_uids(os.path.join(work, "conn.log"))
        got = [json.loads(x)["uid"] for x in lines]
        print(f"RESULT zeek_smoke: {version}: conn.log {len(expected)} records, Redis "
              f"{len(got)}; keys {keys}")
        checks.check(len(expected) > 0, "Zeek wrote no conn.log records")
        checks.check(sorted(got) == sorted(expected),
                     f"Redis holds {len(got)} conn records, Zeek's conn.log {len(expected)}")
        checks.check(len(set(got)) == len(got), "duplicate records in Redis")
        checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
        rejected = rejected_lines(result.log)
        checks.check(not rejected, f"the bridge rejected: {rejected[:3]}")
        if checks.failures:
            print(tail(result.log))
            print(tail(run.stderr))
        return checks.finish()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
