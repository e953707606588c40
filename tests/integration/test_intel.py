"""Redis -> Zeek: intel JSON published on a Redis channel reaches a Broker peer (standing in
for the Zeek manager) as typed intel events; invalid indicators are rejected with the right
reason, counted and reported on the error stream while the valid part of their batch arrives;
generic channels and patterns arrive as redis_message events; after a Redis restart later
messages still arrive.

Run: /usr/bin/python3 tests/integration/test_intel.py   (env: see harness.py)
"""

import datetime
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

import broker

import harness
from harness import Bridge, Checks, RedisServer, TestError


class Manager:
    """A python3-broker endpoint subscribed to the bridge's Redis->Zeek topics, peered with it."""

    def __init__(self, port):
        opts = broker.BrokerOptions()
        opts.disable_ssl = True
        self.endpoint = broker.Endpoint(broker.Configuration(opts))
        # Subscribe before peering, so the subscription travels with the handshake.
        self.sub = self.endpoint.make_subscriber("zeek/redis/")
        status = self.endpoint.make_status_subscriber(True)
        self.endpoint.peer_nosync("127.0.0.1", port, 1.0)

        def peered():
            return any(isinstance(s, broker.Status) and s.code() == broker.SC.PeerAdded
                       for s in status.poll())

        harness.wait_until(peered, 30, "peering with the bridge")

    def events(self, timeout=0.2):
        """Every event that arrives within `timeout` seconds of quiet: [(topic, name, args)]."""
        out = []
        while True:
            msg = self.sub.get(float(timeout))
            if msg is None:
                return out
            topic, data = msg
            ev = broker.zeek.Event(data)
            out.append((topic, ev.name(), ev.args()))

    def wait_for(self, predicate, what, timeout=20, resend=None):
        """Collects events until one satisfies `predicate`; calls `resend` every 0.5 s."""
        got = []
        deadline = time.monotonic() + timeout
        next_send = 0
        while time.monotonic() < deadline:
            if resend is not None and time.monotonic() >= next_send:
                resend()
                next_send = time.monotonic() + 0.5
            for e in self.events(0.1):
                got.append(e)
                if predicate(e):
                    return got
        raise TestError(f"no event for {what} within {timeout} s; got {harness.short(got)}")

    def wait_for_path(self, redis):
        """Probes until the whole path is up: the bridge's Redis subscription and our Broker
        subscription reaching the bridge (indicator probe.example of source `probe`)."""
        probe = json.dumps(intel("probe.example", "DOMAIN", source="probe"))
        self.wait_for(lambda e: e[1] == "RedisBridge::intel_add" and e[2][0] == "probe.example",
                      "the probe indicator",
                      resend=lambda: redis.command("PUBLISH", "zeek:intel", probe))
        self.events(0.5)  # drain duplicate probes

    def close(self):
        self.endpoint.shutdown()


def intel(indicator, itype, source="feed-a", action=None, **meta):
    item = {"indicator": indicator, "type": itype, "meta": {"source": source, **meta}}
    if action:
        item["action"] = action
    return item


GOOD = [
    intel("198.51.100.7", "ADDR", desc="C2", url="https://example.org/r/1", expire=3600),
    intel("2001:db8::1", "Intel::ADDR"),
    intel("203.0.113.0/24", "SUBNET"),
    intel("http://evil.example/x", "URL"),
    intel("BadSoft/1.0", "SOFTWARE"),
    intel("a@evil.example", "EMAIL"),
    intel("evil.example", "DOMAIN"),
    intel("mallory", "USER_NAME"),
    intel("0123456789abcdef0123456789abcdef01234567", "CERT_HASH"),
    intel("fedcba98765432100123456789abcdef", "PUBKEY_HASH"),
    intel("d41d8cd98f00b204e9800998ecf8427e", "FILE_HASH"),
    intel("invoice.exe", "FILE_NAME"),
]


def main():
    checks = Checks("intel")
    with RedisServer() as redis, Bridge(redis, ["--redis-in.channel", "alerts",
                                                "--redis-in.pattern", "feed:*"]) as bridge:
        mgr = Manager(bridge.port)
        try:
            mgr.wait_for_path(redis)

            redis.command("PUBLISH", "zeek:intel", json.dumps(GOOD))
            got = []
            deadline = time.monotonic() + 10
            while len(got) < len(GOOD) and time.monotonic() < deadline:
                got += mgr.events(0.2)
            checks.check(len(got) == len(GOOD), f"{len(GOOD)} intel events, got {len(got)}")
            by_indicator = {str(e[2][0]): e for e in got}
            topic, name, args = by_indicator.get("198.51.100.7", (None, None, None))
            checks.check(topic == "zeek/redis/intel", f"intel on zeek/redis/intel, got {topic}")
            checks.check(name == "RedisBridge::intel_add_addr", f"ADDR -> intel_add_addr: {name}")
            if args:
                checks.check(isinstance(args[0], ipaddress.IPv4Address), f"addr typed: {args!r}")
                checks.check(list(args[1:4]) == ["feed-a", "C2", "https://example.org/r/1"],
                             f"meta: {args!r}")
                checks.check(args[4] == datetime.timedelta(seconds=3600), f"expire: {args!r}")
            _t, name, args = by_indicator.get("2001:db8::1", (None, None, None))
            checks.check(name == "RedisBridge::intel_add_addr" and
                         isinstance(args[0], ipaddress.IPv6Address), f"IPv6 addr: {name} {args!r}")
            _t, name, args = by_indicator.get("203.0.113.0/24", (None, None, None))
            checks.check(name == "RedisBridge::intel_add_subnet" and
                         isinstance(args[0], ipaddress.IPv4Network), f"subnet: {name} {args!r}")
            for item in GOOD[3:]:
                _t, name, args = by_indicator.get(item["indicator"], (None, None, None))
                want_type = "Intel::" + item["type"]
                ok = (name == "RedisBridge::intel_add" and args is not None and len(args) == 6 and
                      isinstance(args[1], broker.Enum) and args[1].name == want_type and
                      list(args[2:5]) == ["feed-a", "", ""] and
                      args[5] == datetime.timedelta(0))
                checks.check(ok, f"{item['type']}: {name} {args!r}")

            # Removal, and a batch with bad items between good ones.
            batch = [
                intel("198.51.100.7", "ADDR", action="remove"),
                intel("x", "NOT_A_TYPE"),
                intel("999.1.1.1", "ADDR"),
                {"indicator": "nosource.example", "type": "DOMAIN", "meta": {}},
                intel("evil.example", "DOMAIN", action="remove"),
            ]
            redis.command("PUBLISH", "zeek:intel", json.dumps(batch))
            redis.command("PUBLISH", "zeek:intel", "{not json")
            got = []
            deadline = time.monotonic() + 10
            while len(got) < 2 and time.monotonic() < deadline:
                got += mgr.events(0.2)
            names = [(e[1], str(e[2][0])) for e in got]
            checks.check(names == [("RedisBridge::intel_remove_addr", "198.51.100.7"),
                                   ("RedisBridge::intel_remove", "evil.example")],
                         f"the two valid removals in order, got {names}")
            errors = harness.wait_until(
                lambda: redis.command("XLEN", "zeek:intel:errors") >= 4 and
                redis.command("XRANGE", "zeek:intel:errors", "-", "+"), 10, "4 error entries")
            reasons = [json.loads(dict(zip(e[1][0::2], e[1][1::2]))[b"error"])["reason"]
                       for e in errors]
            checks.check(reasons == ["unknown_type", "bad_address", "missing_field",
                                     "invalid_json"], f"error stream reasons: {reasons}")

            # Generic channels and patterns; binary payloads stay bytes.
            redis.command("PUBLISH", "alerts", b"hello\x00world")
            redis.command("PUBLISH", "feed:x", b"p")
            got = []
            deadline = time.monotonic() + 10
            while len(got) < 2 and time.monotonic() < deadline:
                got += mgr.events(0.2)
            seen = sorted((e[0], e[1], tuple(e[2])) for e in got)
            checks.check(seen == sorted([
                ("zeek/redis/messages", "RedisBridge::redis_message", ("alerts", "", "hello\x00world")),
                ("zeek/redis/messages", "RedisBridge::redis_message", ("feed:x", "feed:*", "p"))]),
                f"redis_message events, got {seen}")

            # The producer tool: indicators from the command line and from a Zeek intel file.
            tool = os.path.join(harness.source_dir(), "tools", "zeek-intel")
            with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
                f.write("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
                        "192.0.2.1\tIntel::ADDR\tfile-feed\tfrom a file\n"
                        "bad.example\tIntel::DOMAIN\tfile-feed\t-\n")
                intel_file = f.name
            try:
                for args in (["add", "--type", "EMAIL", "--source", "cli", "x@bad.example",
                              "y@bad.example"], ["add", "--file", intel_file]):
                    r = subprocess.run([sys.executable, tool, *args, "--redis", redis.url],
                                       capture_output=True, text=True, timeout=30)
                    checks.check(r.returncode == 0, f"zeek-intel {args}: {r.stdout}{r.stderr}")
            finally:
                os.unlink(intel_file)
            got = []
            deadline = time.monotonic() + 10
            while len(got) < 4 and time.monotonic() < deadline:
                got += mgr.events(0.2)
            seen = [(e[1], str(e[2][0]), e[2][-4] if e[1].endswith("_addr") else e[2][2])
                    for e in got]
            checks.check(seen == [("RedisBridge::intel_add", "x@bad.example", "cli"),
                                  ("RedisBridge::intel_add", "y@bad.example", "cli"),
                                  ("RedisBridge::intel_add_addr", "192.0.2.1", "file-feed"),
                                  ("RedisBridge::intel_add", "bad.example", "file-feed")],
                         f"indicators from zeek-intel, got {seen}")

            # Redis goes away and comes back: the bridge subscribes again by itself.
            redis.kill_hard()
            time.sleep(1.0)
            redis.start_again()
            after = json.dumps(intel("after.example", "DOMAIN"))
            mgr.wait_for(lambda e: e[1] == "RedisBridge::intel_add" and e[2][0] == "after.example",
                         "an indicator published after the Redis restart", timeout=30,
                         resend=lambda: redis.command("PUBLISH", "zeek:intel", after))
            checks.check(True, "intel flows again after a Redis restart")
        finally:
            mgr.close()
        result = bridge.stop()
    checks.check(result.exit_code == 0, f"bridge exit code 0, got {result.exit_code}")
    for reason in ("intel_unknown_type", "intel_bad_address", "intel_missing_field",
                   "intel_invalid_json"):
        checks.check(result.counter(f"rejected{{{reason}}}") == 1,
                     f"counter rejected{{{reason}}} == 1, got {result.counter(f'rejected{{{reason}}}')}")
    return checks.finish("typed intel for 11 types, rejections, generic messages, Redis restart")


def run(test_main):
    """Exits with `test_main`'s code; a TestError (a wait ran out) is a failure."""
    try:
        sys.exit(test_main())
    except TestError as e:
        print(f"FAIL: {e}")
        sys.exit(1)


if __name__ == "__main__":
    run(main)
