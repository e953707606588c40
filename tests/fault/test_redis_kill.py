"""Fault (a): kill -9 redis-server while a million records stream through the bridge, start
it again 3 s later: every record is in Redis, in order, with at most one batch duplicated per
lost connection (docs/protocol.md, "Delivery").

Redis runs with appendfsync always, so every write it acknowledged survives the kill and a
missing record can only be the bridge's fault."""

import sys
import time

from fault import (BRIDGE_ARGS, Bridge, Checks, Publisher, RedisServer, Tally, check_tally, llen,
                   read_seqs, report, tail, wait_until)

RECORDS = 1_000_000
BATCH = 512


def main():
    checks = Checks("fault: kill -9 redis-server mid-stream")
    with RedisServer(["--appendonly", "yes", "--appendfsync", "always"]) as redis, \
            Bridge(redis, BRIDGE_ARGS + ["--redis.batch-size", str(BATCH)]) as bridge, \
            Publisher(bridge.port, RECORDS) as pub:
        start = time.monotonic()
        wait_until(lambda: llen(redis) >= RECORDS // 5, 60, "a fifth of the records in Redis")
        redis.kill_hard()
        killed = time.monotonic()
        time.sleep(3)
        redis.start_again()
        restarted = time.monotonic()
        base = llen(redis)  # what the AOF kept
        wait_until(lambda: llen(redis) > base, 30, "the bridge to write again after the restart")
        recovery = time.monotonic() - restarted
        pub.wait_sent(120)
        wait_until(lambda: llen(redis) >= RECORDS, 150, f"{RECORDS} records in Redis")
        time.sleep(0.5)  # a resent batch may still be on its way: count it too
        total = time.monotonic() - start
        tally = Tally(read_seqs(redis), RECORDS)
        result = bridge.stop()
    reconnects = result.counter("redis_reconnects")
    report("redis_kill", tally, recovery,
           f"outage_s={restarted - killed:.1f} reconnects={reconnects} total_s={total:.1f}")
    checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
    checks.check(reconnects >= 1, "the bridge never reconnected: the kill missed the stream")
    check_tally(checks, tally, BATCH * max(reconnects, 1),
                f" (one batch of {BATCH} per reconnect, {reconnects})")
    checks.check(result.counter("records_written") >= RECORDS,
                 f"records_written {result.counter('records_written')}")
    if checks.failures:
        print(tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
