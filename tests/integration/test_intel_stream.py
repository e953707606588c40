"""Redis -> Zeek: intel from a Redis stream through a consumer group, at-least-once. Entries that
an earlier bridge of the same consumer name read but never acknowledged (a crash) are delivered
and acknowledged; entries added while the bridge was down arrive once it runs; while no Zeek
peer is connected the bridge may read entries but must not acknowledge them (nothing was handed
to a listening Broker yet); rejected entries are reported on the error stream and acknowledged;
after a Redis restart (the group is gone) the bridge creates the group again and later entries
still arrive.

Run: /usr/bin/python3 tests/integration/test_intel_stream.py   (env: see harness.py)
"""

import json
import os
import subprocess
import sys
import time

import harness
from harness import Bridge, Checks, RedisServer
from test_intel import Manager, intel, run

STREAM = "zeek:intel:stream"
GROUP = "zeek-redis-bridge"
CONSUMER = "bridge-test"


def xadd(redis, payload, field="intel"):
    return redis.command("XADD", STREAM, "*", field, payload).decode()


def pending(redis):
    """{entry id: (consumer, deliveries)} of the group's pending entries."""
    rows = redis.command("XPENDING", STREAM, GROUP, "-", "+", "100") or []
    return {r[0].decode(): (r[1].decode(), int(r[3])) for r in rows}


def indicators(events):
    return {str(e[2][0]) for e in events}


def main():
    checks = Checks("intel_stream")
    with RedisServer() as redis:
        # An earlier bridge, consumer CONSUMER, read two entries and died before acknowledging.
        redis.command("XGROUP", "CREATE", STREAM, GROUP, "0", "MKSTREAM")
        id1 = xadd(redis, json.dumps(intel("198.51.100.1", "ADDR", source="stream-a")))
        id2 = xadd(redis, json.dumps([intel("pending.example", "DOMAIN", source="stream-a"),
                                      intel("300.1.1.1", "ADDR", source="stream-a")]))
        read = redis.command("XREADGROUP", "GROUP", GROUP, CONSUMER, "COUNT", "10",
                             "STREAMS", STREAM, ">")
        checks.check(read is not None and len(read[0][1]) == 2, "the earlier consumer read 2")
        # Added while no bridge runs.
        id3 = xadd(redis, json.dumps(intel("203.0.113.9/24", "SUBNET", source="stream-b")))
        id4 = xadd(redis, "no intel here", field="other")

        with Bridge(redis, ["--intel.stream", STREAM, "--intel.consumer", CONSUMER,
                            "--intel.snapshot", "false"]) as bridge:
            # No Zeek peer yet: the bridge reads all four (the two pending ones again, so their
            # delivery count rises) but must acknowledge none.
            def all_read():
                p = pending(redis)
                return (set(p) == {id1, id2, id3, id4} and p[id1][1] >= 2 and p[id2][1] >= 2
                        and all(c == CONSUMER for c, _n in p.values()))
            harness.wait_until(all_read, 20, "the bridge to read the 4 entries")
            time.sleep(1.0)
            checks.check(set(pending(redis)) == {id1, id2, id3, id4},
                         f"nothing acknowledged while no peer listens: {pending(redis)}")

            mgr = Manager(bridge.port)
            try:
                got = []
                want = {"198.51.100.1", "pending.example", "203.0.113.0/24"}
                deadline = time.monotonic() + 20
                while not want <= indicators(got) and time.monotonic() < deadline:
                    got += mgr.events(0.2)
                checks.check(want <= indicators(got),
                             f"pending and missed entries delivered: {indicators(got)}")
                harness.wait_until(lambda: not pending(redis), 10, "XPENDING to reach 0")
                checks.check(True, "every entry acknowledged after hand-over")
                errors = [json.loads(dict(zip(f[0::2], f[1::2]))[b"error"])
                          for _id, f in redis.stream_entries("zeek:intel:errors")]
                by_reason = {e.get("reason"): e for e in errors}
                bad = by_reason.get("bad_address", {})
                checks.check(bad.get("stream") == STREAM and bad.get("id") == id2,
                             f"bad address reported with stream and entry id: {bad}")
                missing = by_reason.get("missing_field", {})
                checks.check(missing.get("id") == id4 and "'intel'" in missing.get("detail", ""),
                             f"entry without the intel field reported: {missing}")

                # Live: a new entry arrives and is acknowledged.
                xadd(redis, json.dumps(intel("live.example", "DOMAIN", source="stream-a")))
                mgr.wait_for(lambda e: str(e[2][0]) == "live.example", "the live entry")
                harness.wait_until(lambda: not pending(redis), 10, "the live entry acknowledged")
                # The producer tool's --stream mode.
                tool = os.path.join(harness.source_dir(), "tools", "zeek-intel")
                r = subprocess.run([sys.executable, tool, "--redis", redis.url, "--stream", STREAM,
                                    "add", "--type", "DOMAIN", "--source", "tool",
                                    "tool.example"], capture_output=True, text=True, timeout=30)
                checks.check(r.returncode == 0 and "added 1 indicator" in r.stdout,
                             f"zeek-intel --stream: {r.stdout}{r.stderr}")
                mgr.wait_for(lambda e: str(e[2][0]) == "tool.example", "the tool's entry")

                # Redis restarts empty: the group is gone; the bridge creates it again.
                redis.kill_hard()
                redis.start_again()
                xadd(redis, json.dumps(intel("after.example", "DOMAIN", source="stream-a")))
                mgr.wait_for(lambda e: str(e[2][0]) == "after.example",
                             "an entry after the Redis restart", timeout=30)
                harness.wait_until(lambda: not pending(redis), 10,
                                   "the entry after the restart acknowledged")
                checks.check(True, "entries after a Redis restart arrive and are acknowledged")
            finally:
                mgr.close()
            result = bridge.stop()
        checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
        checks.check(result.counter("intel_stream_acks") >= 6,
                     f"acks counted: {result.counter('intel_stream_acks')}")
        checks.check(result.counter("rejected{intel_bad_address}") == 1, "rejection counted")
        checks.check(result.counter("intel_stream_reconnects") >= 1, "reconnect counted")
    return checks.finish()


if __name__ == "__main__":
    run(main)
