#!/usr/bin/python3
"""Zeek scripts' Redis operations end to end: a python3-broker peer (playing Zeek) sends
RedisBridge::op_* events to the real bridge, which runs them against a real redis-server.

    ZRB_BRIDGE=build/bridge/zeek-redis-bridge /usr/bin/python3 bench/commands.py \
        [--ops 200000] [--round-trips 5000] [--window 100] [--cpp build/bench/bench_command_publisher]

With --cpp the phases are run by the libbroker program bench_command_publisher
(bench/command_publisher.cc) instead of this python3-broker peer.

Phases, one "key=value ..." line each:
  fire_and_forget  N op_incrby without an id, then one op_get with an id; done when its reply
                   arrives (requests run in order, so every incrby has run). Includes the
                   Python peer's publishing, which is the bottleneck (see bench/RESULTS.md).
  round_trip_1     R op_get with an id, one outstanding at a time (Broker + bridge + Redis).
  round_trip_W     R op_get with W outstanding at a time.
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))

import broker  # noqa: E402

import harness  # noqa: E402

COMMANDS = "zeek/redis/commands"
REPLIES = "zeek/redis/replies/bench/"


def event(op, *args, rid=0):
    return broker.zeek.Event("RedisBridge::op_" + op, *args, broker.Count(rid),
                             REPLIES if rid else "")


def replies(peer, want, timeout=120):
    """Waits for `want` replies; returns how many arrived."""
    got = 0
    deadline = time.monotonic() + timeout
    while got < want and time.monotonic() < deadline:
        got += len(peer.subscriber.poll())
        if got < want:
            time.sleep(0.00005)  # python3-broker 1.4's get(timeout) is broken: poll
    return got


def round_trips(peer, total, window):
    sent = answered = 0
    start = time.monotonic()
    while answered < total:
        while sent < total and sent - answered < window:
            sent += 1
            peer.publish(event("get", "rt", rid=sent))
        answered += replies(peer, 1)
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=200000)
    ap.add_argument("--round-trips", type=int, default=5000)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--cpp", help="path of bench_command_publisher")
    a = ap.parse_args()
    if a.cpp:
        with harness.RedisServer() as redis, \
                harness.Bridge(redis, ["--stats.interval-s", "0"]) as bridge:
            subprocess.run([a.cpp, "--peer", f"127.0.0.1:{bridge.port}", "--ops", str(a.ops),
                            "--round-trips", str(a.round_trips), "--window", str(a.window)],
                           check=True, timeout=900)
            print(f"redis_value={redis.command('GET', 'zeek:kv:n')}")
            result = bridge.stop()
            print(f"bridge counters: commands_executed{{incrby}}="
                  f"{result.counter('commands_executed{incrby}')} "
                  f"command_replies={result.counter('command_replies')}")
        return
    with harness.RedisServer() as redis, \
            harness.Bridge(redis, ["--stats.interval-s", "0"]) as bridge, \
            harness.BrokerPeer(bridge.port, topic=COMMANDS, subscribe=REPLIES) as peer:
        # Warm up: the bridge's Redis connection and our subscription at the bridge.
        harness.wait_until(lambda: (peer.publish(event("get", "rt", rid=1)),
                                    replies(peer, 1, timeout=0.5))[1] == 1, 30, "a first reply")
        time.sleep(0.5)
        peer.subscriber.poll()

        start = time.monotonic()
        for _ in range(a.ops):
            peer.publish(event("incrby", "n", 1))
        sent = time.monotonic() - start
        peer.publish(event("get", "n", rid=2))
        if replies(peer, 1) != 1:
            raise SystemExit("no reply to the final get")
        seconds = time.monotonic() - start
        value = redis.command("GET", "zeek:kv:n")
        print(f"fire_and_forget ops={a.ops + 1} seconds={seconds:.3f} "
              f"ops_per_s={(a.ops + 1) / seconds:.0f} publish_s={sent:.3f} redis_value={value}")

        seconds = round_trips(peer, a.round_trips, 1)
        print(f"round_trip_1 trips={a.round_trips} seconds={seconds:.3f} "
              f"trips_per_s={a.round_trips / seconds:.0f} mean_us={seconds / a.round_trips * 1e6:.0f}")
        n = a.round_trips * 4
        seconds = round_trips(peer, n, a.window)
        print(f"round_trip_{a.window} trips={n} seconds={seconds:.3f} trips_per_s={n / seconds:.0f}")
        result = bridge.stop()
        print(f"bridge counters: commands_executed{{incrby}}="
              f"{result.counter('commands_executed{incrby}')} "
              f"command_replies={result.counter('command_replies')}")


if __name__ == "__main__":
    main()
