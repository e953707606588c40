"""Redis -> Zeek: the intel snapshot. Every valid add and remove the bridge handles is kept in
Redis (a hash per source plus a set of sources), and a Zeek peer that connects gets the current
set replayed: a peer that was away while indicators were added, removed and expired receives,
on reconnecting, exactly the indicators current then (addresses and subnets typed, removed and
expired ones not), each once, with its remaining expiry.

Run: /usr/bin/python3 tests/integration/test_intel_snapshot.py   (env: see harness.py)
"""

import datetime
import ipaddress
import json
import re
import time

import harness
from harness import Bridge, Checks, RedisServer
from test_intel import Manager, intel, run

PREFIX = "zeek:intel:snapshot:"
SOURCES = "zeek:intel:sources"


def publish(redis, *items):
    redis.command("PUBLISH", "zeek:intel", json.dumps(list(items)))


def field(itype, indicator):
    return f"Intel::{itype} {indicator}"


def snapshot(redis, source):
    flat = redis.command("HGETALL", PREFIX + source) or []
    return {flat[i].decode(): json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}


def collect_quiet(mgr, quiet=1.5, limit=20):
    """[(arrival, event)] until `quiet` seconds pass without one (bounded by `limit`)."""
    got = []
    deadline = time.monotonic() + limit
    last = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last < quiet:
        new = mgr.events(0.1)
        if new:
            got += [(time.monotonic(), e) for e in new]
            last = time.monotonic()
    return got


def main():
    checks = Checks("intel_snapshot")
    with RedisServer() as redis, Bridge(redis) as bridge:
        mgr = Manager(bridge.port)
        try:
            mgr.wait_for_path(redis)
            publish(redis,
                    intel("198.51.100.7", "ADDR", desc="C2", url="https://example.org/r/1",
                          expire=3600),
                    intel("203.0.113.77/24", "SUBNET", source="feed-b"),
                    intel("evil.example", "DOMAIN"),
                    intel("http://gone.example/x", "URL"),
                    intel("2001:db8::1", "ADDR", source="feed-b"))
            # The same text as a different type is a different indicator.
            publish(redis, intel("evil.example", "USER_NAME"))
            harness.wait_until(lambda: len(snapshot(redis, "feed-a")) == 4, 10,
                               "4 feed-a indicators in the snapshot")
            a = snapshot(redis, "feed-a")
            checks.check(set(a) == {field("ADDR", "198.51.100.7"), field("DOMAIN", "evil.example"),
                                    field("URL", "http://gone.example/x"),
                                    field("USER_NAME", "evil.example")},
                         f"feed-a snapshot fields: {sorted(a)}")
            c2 = a.get(field("ADDR", "198.51.100.7"), {})
            checks.check(c2.get("meta") == {"source": "feed-a", "desc": "C2",
                                            "url": "https://example.org/r/1"},
                         f"meta kept in the snapshot: {c2}")
            checks.check(abs(c2.get("expire_at", 0) - (time.time() + 3600)) < 60,
                         f"absolute expiry kept: {c2.get('expire_at')}")
            b = snapshot(redis, "feed-b")
            checks.check(field("SUBNET", "203.0.113.0/24") in b,
                         f"subnet stored with host bits masked: {sorted(b)}")
            members = {m.decode() for m in redis.command("SMEMBERS", SOURCES)}
            checks.check(members == {"probe", "feed-a", "feed-b"}, f"sources set: {members}")
            collect_quiet(mgr, quiet=0.5)
        finally:
            mgr.close()

        # The manager is away: its changes reach only the snapshot.
        harness.wait_until(lambda: bridge_peers_lost(bridge), 20, "the bridge to see the peer go")
        publish(redis, intel("http://gone.example/x", "URL", action="remove"),
                intel("short.example", "DOMAIN", source="feed-c", expire=0.5),
                intel("invoice.exe", "FILE_NAME", source="feed-c"),
                intel("192.0.2.1", "ADDR", source="feed-c"))
        publish(redis, intel("192.0.2.1", "ADDR", source="feed-c", action="remove"))
        harness.wait_until(lambda: field("URL", "http://gone.example/x") not in snapshot(
            redis, "feed-a") and len(snapshot(redis, "feed-c")) == 2, 10,
            "the removes and adds in the snapshot")
        time.sleep(1.0)  # short.example expires

        mgr = Manager(bridge.port)
        try:
            arrivals = collect_quiet(mgr)
            got = [e for _t, e in arrivals]
        finally:
            mgr.close()
        # Broker 1.4 may still deliver to the new peer some live events of the time it was away
        # (they come before the replay); applying every event in order, as Zeek's Intel framework
        # would, must leave exactly the current set, and the replay itself must be that set.
        state = {}
        now = time.monotonic()
        for arrival, e in arrivals:
            is_add = e[1].startswith("RedisBridge::intel_add")
            key = (str(e[2][0]), str(e[2][1]) if e[1] in ("RedisBridge::intel_add",
                                                          "RedisBridge::intel_remove") else "",
                   str(e[2][-4] if is_add else e[2][-1]))
            if is_add:
                left = e[2][-1].total_seconds()
                state[key] = (e[1], arrival + left if left > 0 else None)
            else:
                state.pop(key, None)
        final = sorted((v[0],) + k for k, v in state.items() if v[1] is None or v[1] > now)
        expected = sorted([
            ("RedisBridge::intel_add", "probe.example", "Intel::DOMAIN", "probe"),
            ("RedisBridge::intel_add_addr", "198.51.100.7", "", "feed-a"),
            ("RedisBridge::intel_add", "evil.example", "Intel::DOMAIN", "feed-a"),
            ("RedisBridge::intel_add", "evil.example", "Intel::USER_NAME", "feed-a"),
            ("RedisBridge::intel_add_subnet", "203.0.113.0/24", "", "feed-b"),
            ("RedisBridge::intel_add_addr", "2001:db8::1", "", "feed-b"),
            ("RedisBridge::intel_add", "invoice.exe", "Intel::FILE_NAME", "feed-c"),
        ])
        checks.check(final == expected,
                     f"the peer ends with exactly the current set: got {final}; "
                     f"first differences: {harness.first_differences(expected, final)}")
        replays = re.findall(r"intel snapshot replay: (\d+) indicators from (\d+) sources .*"
                             r"\((\d+) expired", bridge.log())
        checks.check(len(replays) == 2 and replays[-1] == ("7", "4", "1"),
                     f"two replays, the second of the 7 current indicators of 4 sources, 1 "
                     f"expired skipped: {replays}")
        by = {(e[1], str(e[2][0])): e for e in got}
        addr = by.get(("RedisBridge::intel_add_addr", "198.51.100.7"))
        if addr:
            checks.check(isinstance(addr[2][0], ipaddress.IPv4Address), "address replayed typed")
            checks.check(addr[2][2:4] == ["C2", "https://example.org/r/1"],
                         f"desc and url replayed: {addr[2][2:4]}")
            left = addr[2][4]
            checks.check(isinstance(left, datetime.timedelta) and
                         3000 < left.total_seconds() < 3600,
                         f"remaining expiry replayed: {left}")
        sub = by.get(("RedisBridge::intel_add_subnet", "203.0.113.0/24"))
        checks.check(sub is not None and isinstance(sub[2][0], ipaddress.IPv4Network),
                     "subnet replayed typed")

        checks.check(field("DOMAIN", "short.example") not in snapshot(redis, "feed-c"),
                     "the expired indicator was deleted from the snapshot by the replay")
        result = bridge.stop()
        checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
        checks.check(result.counter("intel_replays") >= 2, "replays counted")
        checks.check(result.counter("intel_replayed") >= 7, "replayed indicators counted")
        checks.check(result.counter("intel_replay_skipped{expired}") >= 1, "expired counted")
        checks.check(result.counter("intel_snapshot_pruned") >= 1, "pruned counted")
    return checks.finish()


def bridge_peers_lost(bridge):
    return "broker: peer lost" in bridge.log()


if __name__ == "__main__":
    run(main)
