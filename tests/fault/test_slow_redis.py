"""Fault (e): a slow Redis (CLIENT PAUSE WRITE) fills the bridge's memory buffer.

* drop-oldest: the bridge keeps reading; what does not fit is dropped oldest first, and every
  dropped record is counted: records sent = records in Redis + records_dropped{overflow},
  exactly, with no duplicate and nothing out of order; the log has one line per burst, not one
  per record.
* block: the bridge stops reading from Broker until Redis takes writes again; nothing is lost.
"""

import sys
import time

from fault import (BRIDGE_ARGS, Bridge, Checks, Publisher, RedisServer, Tally, counters_now,
                   llen, read_seqs, received, report, tail, wait_until)

RECORDS = 300_000
BUFFER = 20_000
PAUSE_MS = 3000


def run(checks, policy):
    args = BRIDGE_ARGS + ["--buffer.max-records", str(BUFFER), "--buffer.overflow", policy]
    with RedisServer() as redis:
        with Bridge(redis, args) as bridge, Publisher(bridge.port, RECORDS) as pub:
            wait_until(lambda: llen(redis) >= BUFFER, 60, "the first records in Redis")
            redis.command("CLIENT", "PAUSE", str(PAUSE_MS), "WRITE")
            paused = time.monotonic()
            pub.wait_sent(120)
            wait_until(lambda: received(bridge) >= RECORDS, 120, "every record received")

            def settled():
                dropped = counters_now(bridge).get("records_dropped{overflow}", 0)
                return llen(redis) + dropped >= RECORDS

            wait_until(settled, 120, "every record written or counted as dropped")
            recovery = time.monotonic() - paused - PAUSE_MS / 1000
            time.sleep(1.2)  # one more counters line, in case a batch was still on its way
            result = bridge.stop()
        tally = Tally(read_seqs(redis), RECORDS)
    dropped = result.counter("records_dropped{overflow}")
    report(f"slow_redis_{policy}", tally, recovery, f"dropped={dropped} pause_ms={PAUSE_MS}")
    checks.check(result.exit_code == 0, f"{policy}: exit code {result.exit_code}")
    checks.check(result.counter("records_received") == RECORDS,
                 f"{policy}: received {result.counter('records_received')}")
    checks.check(tally.duplicates == 0, f"{policy}: {tally.duplicates} duplicates")
    checks.check(tally.out_of_order == 0, f"{policy}: {tally.out_of_order} out of order")
    checks.check(tally.foreign == 0, f"{policy}: {tally.foreign} records never sent")
    if policy == "drop-oldest":
        checks.check(dropped > 0, "drop-oldest: the pause dropped nothing (it missed the stream)")
        checks.check(tally.in_redis + dropped == RECORDS,
                     f"drop-oldest: {tally.in_redis} in Redis + {dropped} dropped != {RECORDS}")
        checks.check(tally.missing == dropped, f"drop-oldest: {tally.missing} missing, "
                     f"{dropped} counted as dropped")
        lines = result.log.count("dropping the oldest records")
        checks.check(1 <= lines <= 3, f"drop-oldest: {lines} 'dropping' lines for one pause")
    else:
        checks.check(dropped == 0, f"block: {dropped} dropped")
        checks.check(tally.missing == 0, f"block: {tally.missing} missing")
        checks.check(result.counter("writer_queue_full") > 0, "block: the buffer never filled")
    if checks.failures:
        print(tail(result.log))


def main():
    checks = Checks("fault: slow Redis fills the buffer")
    run(checks, "drop-oldest")
    run(checks, "block")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
