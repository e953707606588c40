"""Zeek scripts' Redis operations (docs/protocol.md, "Commands"): a python3-broker peer plays
Zeek and sends RedisBridge::op_* events; every operation changes a real Redis as documented
(TTLs checked with PTTL, NX/XX, the namespace prefix, NUL and CRLF in keys and values); replies
arrive on the requested topic with the right id and type; the allowlist refuses FLUSHALL and
friends without touching data; wrong argument types are rejected while the bridge keeps
serving; fire-and-forget requests are batched; requests made while Redis is down run once it is
back, and a full queue answers with an error reply.

Run: /usr/bin/python3 tests/integration/test_commands.py   (env: see harness.py)
"""

import sys
import time

import broker

import harness
from harness import Bridge, Checks, RedisServer, TestError

COMMANDS = "zeek/redis/commands"
REPLIES = "zeek/redis/replies/test"
NS = "t:"  # --commands.namespace


class Zeek(harness.BrokerPeer):
    """A Broker peer subscribed to the reply topic: `with Zeek(bridge.port) as z:`."""

    def __init__(self, port):
        super().__init__(port, topic=COMMANDS, subscribe=REPLIES)
        self.next_id = 1
        self.replies = {}

    def send(self, op, *args, reply=True):
        """Publishes RedisBridge::op_<op>(args..., id, reply_topic); returns the id (0: none)."""
        rid = 0
        if reply:
            rid = self.next_id
            self.next_id += 1
        self.publish(broker.zeek.Event("RedisBridge::op_" + op, *args, broker.Count(rid),
                                       REPLIES if reply else ""))
        return rid

    def raw(self, name, *args):
        self.publish(broker.zeek.Event(name, *args))

    def collect(self, timeout=0.1):
        while True:
            msg = self.subscriber.get(float(timeout))
            if msg is None:
                return
            topic, data = msg
            ev = broker.zeek.Event(data)
            args = ev.args()
            self.replies[int(args[0].value)] = (topic, ev.name(), args[1])

    def reply(self, rid, timeout=10):
        """The Reply record for request `rid` as [kind, integer, str, elements]."""
        deadline = time.monotonic() + timeout
        while rid not in self.replies and time.monotonic() < deadline:
            self.collect()
        if rid not in self.replies:
            raise TestError(f"no reply for request {rid} within {timeout} s")
        topic, name, record = self.replies[rid]
        if topic != REPLIES or name != "RedisBridge::reply":
            raise TestError(f"reply {rid} came as {name} on {topic}")
        return record

    def ask(self, op, *args):
        return self.reply(self.send(op, *args))


def kind(record):
    return record[0].name.split("::")[-1]


def as_bytes(x):
    return x.encode("utf-8", "surrogateescape") if isinstance(x, str) else x


def span(seconds):
    return broker.Timespan(float(seconds))


def cond(name):
    return broker.Enum("RedisBridge::SET_" + name)


def check_reply(checks, record, want_kind, want_int=None, want_str=None, what=""):
    ok = kind(record) == want_kind
    if want_int is not None:
        ok = ok and record[1] == want_int
    if want_str is not None:
        ok = ok and as_bytes(record[2]) == as_bytes(want_str)
    checks.check(ok, f"{what}: reply {want_kind} {want_int!r} {want_str!r}, got {record!r}")


def typed_operations(checks, z, redis):
    # SET: plain, with TTL, NX and XX.
    check_reply(checks, z.ask("set", "plain", "v1", span(0), cond("ALWAYS")), "REPLY_STRING",
                want_str="OK", what="set")
    checks.check(redis.command("GET", NS + "plain") == b"v1", "set writes the prefixed key")
    checks.check(redis.command("PTTL", NS + "plain") == -1, "set without TTL: no expiry")
    z.ask("set", "ttl", "v", span(100), cond("ALWAYS"))
    pttl = redis.command("PTTL", NS + "ttl")
    checks.check(90000 < pttl <= 100000, f"set with 100 s TTL: PTTL {pttl}")
    z.ask("set", "sub-ms", "v", span(0.0004), cond("ALWAYS"))  # rounds up to 1 ms, not 0
    check_reply(checks, z.ask("set", "plain", "v2", span(60), cond("NX")), "REPLY_NIL",
                what="set NX on an existing key")
    checks.check(redis.command("GET", NS + "plain") == b"v1", "set NX leaves an existing key")
    check_reply(checks, z.ask("set", "fresh", "v", span(60), cond("NX")), "REPLY_STRING",
                want_str="OK", what="set NX on a new key")
    check_reply(checks, z.ask("set", "absent", "v", span(0), cond("XX")), "REPLY_NIL",
                what="set XX on a missing key")
    checks.check(redis.command("EXISTS", NS + "absent") == 0, "set XX creates nothing")
    check_reply(checks, z.ask("set", "plain", "v3", span(50), cond("XX")), "REPLY_STRING",
                want_str="OK", what="set XX on an existing key")
    checks.check(redis.command("GET", NS + "plain") == b"v3", "set XX overwrites")
    pttl = redis.command("PTTL", NS + "plain")
    checks.check(40000 < pttl <= 50000, f"set XX with TTL: PTTL {pttl}")

    # GET, DEL, EXPIRE.
    check_reply(checks, z.ask("get", "plain"), "REPLY_STRING", want_str="v3", what="get")
    check_reply(checks, z.ask("get", "nothing"), "REPLY_NIL", what="get of a missing key")
    check_reply(checks, z.ask("del", "fresh"), "REPLY_INTEGER", want_int=1, what="del")
    checks.check(redis.command("EXISTS", NS + "fresh") == 0, "del removes the key")
    redis.command("SET", NS + "exp", "x")
    check_reply(checks, z.ask("expire", "exp", span(30)), "REPLY_INTEGER", want_int=1,
                what="expire")
    pttl = redis.command("PTTL", NS + "exp")
    checks.check(20000 < pttl <= 30000, f"expire 30 s: PTTL {pttl}")

    # Counters.
    check_reply(checks, z.ask("incrby", "n", 5), "REPLY_INTEGER", want_int=5, what="incrby")
    check_reply(checks, z.ask("incrby", "n", -7), "REPLY_INTEGER", want_int=-2,
                what="incrby negative")
    check_reply(checks, z.ask("incrby", "n", broker.Count(3)), "REPLY_INTEGER", want_int=1,
                what="incrby with a count")
    checks.check(redis.command("GET", NS + "n") == b"1", "incrby counts in Redis")

    # Hashes.
    check_reply(checks, z.ask("hset", "h", "f", "v"), "REPLY_INTEGER", want_int=1, what="hset")
    check_reply(checks, z.ask("hincrby", "h", "c", 4), "REPLY_INTEGER", want_int=4,
                what="hincrby")
    check_reply(checks, z.ask("hget", "h", "f"), "REPLY_STRING", want_str="v", what="hget")
    check_reply(checks, z.ask("hdel", "h", "f"), "REPLY_INTEGER", want_int=1, what="hdel")
    checks.check(redis.command("HGETALL", NS + "h") == [b"c", b"4"], "hash holds what is left")

    # Sets.
    check_reply(checks, z.ask("sadd", "s", "a"), "REPLY_INTEGER", want_int=1, what="sadd")
    check_reply(checks, z.ask("sadd", "s", "a"), "REPLY_INTEGER", want_int=0, what="sadd again")
    z.ask("sadd", "s", "b")
    check_reply(checks, z.ask("sismember", "s", "a"), "REPLY_INTEGER", want_int=1,
                what="sismember")
    check_reply(checks, z.ask("srem", "s", "a"), "REPLY_INTEGER", want_int=1, what="srem")
    check_reply(checks, z.ask("sismember", "s", "a"), "REPLY_INTEGER", want_int=0,
                what="sismember after srem")
    checks.check(redis.command("SMEMBERS", NS + "s") == [b"b"], "set holds b")

    # Sorted sets, HyperLogLog.
    z.ask("zincrby", "z", "m", 1.5)
    check_reply(checks, z.ask("zincrby", "z", "m", 1), "REPLY_STRING", want_str="2.5",
                what="zincrby")
    checks.check(redis.command("ZSCORE", NS + "z", "m") == b"2.5", "zset score 2.5")
    check_reply(checks, z.ask("pfadd", "hll", "x"), "REPLY_INTEGER", want_int=1, what="pfadd")
    for e in ["x", "y", "z", "y"]:
        z.send("pfadd", "hll", e, reply=False)
    check_reply(checks, z.ask("pfcount", "hll"), "REPLY_INTEGER", want_int=3, what="pfcount")

    # LPUSH with trim: the newest max_len stay, newest first.
    for i in range(5):
        z.send("lpush", "l", f"e{i}", broker.Count(3), reply=False)
    check_reply(checks, z.ask("lpush", "l", "e5", broker.Count(3)), "REPLY_INTEGER", want_int=4,
                what="lpush (reply of LPUSH, before the trim)")
    checks.check(redis.command("LRANGE", NS + "l", 0, -1) == [b"e5", b"e4", b"e3"],
                 f"lpush trims to 3: {redis.command('LRANGE', NS + 'l', 0, -1)}")
    z.ask("lpush", "unbounded", "a", broker.Count(0))
    z.ask("lpush", "unbounded", "b", broker.Count(0))
    checks.check(redis.command("LLEN", NS + "unbounded") == 2, "lpush with max 0 keeps all")

    # Binary-safe keys and values: NUL, CRLF, bytes that are not UTF-8.
    key, value = b"bin\x00key\r\n", b"v\x00a\r\nl\xff\xfeue"
    z.ask("set", key, value, span(0), cond("ALWAYS"))
    checks.check(redis.command("GET", NS.encode() + key) == value,
                 "NUL/CRLF/0xff in key and value reach Redis exactly")
    got = z.ask("get", key)
    check_reply(checks, got, "REPLY_STRING", want_str=value, what="get of binary value")


def generic_commands(checks, z, redis):
    # Allowed: run as given, no namespace.
    check_reply(checks, z.ask("command", ["HSET", "raw", "f", "v"]), "REPLY_INTEGER", want_int=1,
                what="generic HSET")
    checks.check(redis.command("HGET", "raw", "f") == b"v", "generic command writes 'raw'")
    check_reply(checks, z.ask("command", ["hget", "raw", "f"]), "REPLY_STRING", want_str="v",
                what="generic command in lower case")
    redis.command("RPUSH", "arr", "a", "b", "c")
    arr = z.ask("command", ["LRANGE", "arr", "0", "-1"])
    ok = (kind(arr) == "REPLY_ARRAY" and arr[1] == 3 and len(arr[3]) == 3 and
          [as_bytes(e[2]) for e in arr[3]] == [b"a", b"b", b"c"] and
          all(kind(e) == "REPLY_STRING" for e in arr[3]))
    checks.check(ok, f"array reply: {arr!r}")
    # A nested array (XRANGE: [[id, [field, value]]]) comes flattened in pre-order.
    entry_id = redis.command("XADD", "xs", "*", "f", "v")
    nested = z.ask("command", ["XRANGE", "xs", "-", "+"])
    flat = [(kind(e), e[1], as_bytes(e[2]) if e[2] is not None else None) for e in nested[3]]
    want = [("REPLY_ARRAY", 2, None), ("REPLY_STRING", None, entry_id),
            ("REPLY_ARRAY", 2, None), ("REPLY_STRING", None, b"f"), ("REPLY_STRING", None, b"v")]
    checks.check(kind(nested) == "REPLY_ARRAY" and nested[1] == 1 and flat == want,
                 f"nested array flattened: {flat}")
    check_reply(checks, z.ask("command", ["INCR", "raw"]), "REPLY_ERROR", what="WRONGTYPE")
    checks.check("WRONGTYPE" in str(z.ask("command", ["INCR", "raw"])[2]),
                 "Redis's error text is the reply")

    # Refused: never executed, answered with an error, data untouched.
    keys_before = sorted(redis.keys())
    refused = [["FLUSHALL"], ["flushdb"], ["CONFIG", "SET", "maxmemory", "1"],
               ["EVAL", "redis.call('flushall')", "0"], ["SCRIPT", "FLUSH"], ["KEYS", "*"],
               ["SHUTDOWN", "NOSAVE"], ["DEBUG", "SLEEP", "0"], ["SELECT", "1"],
               ["BLPOP", "x", "0"], ["MONITOR"], ["ACL", "LIST"]]
    for argv in refused:
        r = z.ask("command", argv)
        checks.check(kind(r) == "REPLY_ERROR" and str(r[2]).startswith("REFUSED"),
                     f"{argv[0]} refused with an error reply: {r!r}")
    checks.check(sorted(redis.keys()) == keys_before and redis.command("PING") == b"PONG",
                 "refused commands changed nothing")
    checks.check(redis.command("CONFIG", "GET", "maxmemory")[1] == b"0", "CONFIG SET not run")


def bad_requests(checks, z, redis, bridge):
    r = z.ask("set", 42, "v", span(0), cond("ALWAYS"))
    checks.check(kind(r) == "REPLY_ERROR" and str(r[2]).startswith("BADARG") and
                 "argument 1" in str(r[2]), f"int key: BADARG reply: {r!r}")
    r = z.ask("set", "k", "v", span(-1), cond("ALWAYS"))
    checks.check(kind(r) == "REPLY_ERROR", f"negative TTL: {r!r}")
    r = z.ask("set", "k", "v", span(0), broker.Enum("RedisBridge::SET_MAYBE"))
    checks.check(kind(r) == "REPLY_ERROR", f"unknown condition: {r!r}")
    r = z.ask("get", "k", "extra")
    checks.check(kind(r) == "REPLY_ERROR" and "arguments" in str(r[2]), f"arity: {r!r}")
    r = z.ask("expire", "k", span(0))
    checks.check(kind(r) == "REPLY_ERROR", f"expire 0: {r!r}")
    r = z.ask("incrby", "k", 1.5)
    checks.check(kind(r) == "REPLY_ERROR", f"incrby by a double: {r!r}")
    r = z.ask("command", [])
    checks.check(kind(r) == "REPLY_ERROR", f"empty command: {r!r}")
    r = z.ask("command", ["SET", 1, 2])
    checks.check(kind(r) == "REPLY_ERROR", f"command with ints: {r!r}")
    r = z.ask("nope", "k")
    checks.check(kind(r) == "REPLY_ERROR", f"unknown op: {r!r}")
    # Without a readable id and topic: rejected, no reply possible.
    z.raw("RedisBridge::op_get", "k")
    z.raw("RedisBridge::op_get", "k", "not-an-id", REPLIES)
    checks.check(redis.command("EXISTS", NS + "k") == 0, "nothing bad was written")
    # Still serving.
    check_reply(checks, z.ask("set", "after", "ok", span(0), cond("ALWAYS")), "REPLY_STRING",
                want_str="OK", what="a good request after the bad ones")
    harness.wait_until(lambda: "rejected bad_command" in bridge.log(), 10, "rejection logged")


def batching(checks, z, redis):
    n = 5000
    start = time.monotonic()
    for _ in range(n):
        z.send("incrby", "many", 1, reply=False)
    check_reply(checks, z.ask("get", "many"), "REPLY_STRING", want_str=str(n),
                what=f"{n} fire-and-forget incrby then get (in order)")
    print(f"{n} fire-and-forget + 1 request: {time.monotonic() - start:.2f} s")


def outage(checks, z, redis):
    redis.kill_hard()
    time.sleep(0.3)
    z.send("set", "during", "outage", span(0), cond("ALWAYS"), reply=False)
    rid = z.send("get", "during")
    time.sleep(0.5)
    redis.start_again()
    check_reply(checks, z.reply(rid, timeout=20), "REPLY_STRING", want_str="outage",
                what="requests made while Redis was down run after it is back, in order")


def main():
    checks = Checks("commands")
    with RedisServer() as redis, Bridge(redis, ["--commands.namespace", NS,
                                                "--stats.interval-s", "0"]) as bridge:
        with Zeek(bridge.port) as z:
            typed_operations(checks, z, redis)
            generic_commands(checks, z, redis)
            bad_requests(checks, z, redis, bridge)
            batching(checks, z, redis)
            outage(checks, z, redis)
        result = bridge.stop()
        checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
        checks.check("runtime error" not in result.log, "no sanitizer report")
        checks.check(result.counter("rejected{command_refused}") == 12,
                     f"12 refusals counted: {result.counters}")
        checks.check(result.counter("rejected{bad_command}") == 11,
                     f"11 bad commands counted: {result.counter('rejected{bad_command}')}")
        checks.check(result.counter("rejected{unknown_event}") == 0,
                     "the bridge does not receive its own replies")
        checks.check(result.counter("commands_executed{incrby}") >= 5003, "incrby executed")
        if checks.failures:
            print(harness.tail(result.log, 60))

    # A full queue: Redis is down, two may wait, the rest are answered with an error at once.
    with RedisServer() as redis, Bridge(redis, ["--commands.max-queued", "2"]) as bridge:
        with Zeek(bridge.port) as z:
            redis.kill_hard()
            ids = [z.send("get", "k") for _ in range(5)]
            z.collect(1.0)
            over = [i for i in ids if i in z.replies]
            checks.check(len(over) == 3 and all(
                kind(z.replies[i][2]) == "REPLY_ERROR" and str(z.replies[i][2][2]).startswith(
                    "OVERLOAD") for i in over), f"3 OVERLOAD replies: {z.replies}")
            redis.start_again()
            for i in ids[:2]:
                check_reply(checks, z.reply(i, timeout=20), "REPLY_NIL",
                            what="the two queued requests run after the outage")
        result = bridge.stop()
        checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
        checks.check(result.counter("rejected{command_queue_full}") == 3, "3 queue_full counted")
    return checks.finish()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except TestError as e:
        print(f"commands: ERROR {e}")
        sys.exit(1)
