"""Fault (d): SIGTERM while records stream in at full speed. The bridge stops reading, takes
what Broker already delivered, writes it all, exits 0 and says so. What it accepted is its
final records_received counter; exactly those records, the first that were sent, are in
Redis, once each."""

import sys
import time

from fault import (BRIDGE_ARGS, Bridge, Checks, Publisher, RedisServer, Tally, llen, read_seqs,
                   report, tail, wait_until)

RECORDS = 1_000_000


def main():
    checks = Checks("fault: SIGTERM under load")
    with RedisServer() as redis:
        # Batches of 100: Broker's queue for the bridge (1024 messages) then holds about
        # 100,000 records, what the bridge may still take after the signal.
        with Bridge(redis, BRIDGE_ARGS) as bridge, Publisher(bridge.port, RECORDS, batch=100):
            wait_until(lambda: llen(redis) >= RECORDS // 5, 60, "a fifth of the records")
            signalled = time.monotonic()
            result = bridge.stop()
            took = time.monotonic() - signalled
        accepted = result.counter("records_received")
        tally = Tally(read_seqs(redis), accepted)
    report("sigterm_load", tally, None,
           f"accepted={accepted} written={result.counter('records_written')} "
           f"exit_s={took:.2f}")
    checks.check(result.exit_code == 0, f"exit code {result.exit_code}")
    checks.check(0 < accepted < RECORDS, f"accepted {accepted}: SIGTERM missed the stream")
    checks.check(result.counter("records_written") == accepted,
                 f"records_written {result.counter('records_written')} != accepted {accepted}")
    checks.check(tally.in_redis == accepted and tally.missing == 0 and tally.duplicates == 0,
                 f"Redis holds {tally.line()}")
    checks.check(tally.foreign == 0, f"{tally.foreign} records beyond the accepted ones")
    checks.check(tally.out_of_order == 0, f"{tally.out_of_order} records out of order")
    checks.check("all records written to Redis" in result.log, "no 'all records written' line")
    if checks.failures:
        print(tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
