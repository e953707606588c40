"""Fault (b): Redis goes away mid-stream, the bridge spills to its disk spool, is stopped with
SIGTERM while Redis is still down, and a new bridge started on the same spool after Redis is
back writes every record: in order, none lost, at most one batch duplicated per lost
connection."""

import os
import shutil
import sys
import tempfile
import time

from fault import (BRIDGE_ARGS, Bridge, Checks, Publisher, RedisServer, Tally, check_tally, llen,
                   read_seqs, received, report, tail, wait_until)

RECORDS = 500_000
BATCH = 512


def main():
    checks = Checks("fault: disk spool across a bridge restart during a Redis outage")
    spool = tempfile.mkdtemp(prefix="zrb-spool-")
    args = BRIDGE_ARGS + ["--redis.batch-size", str(BATCH), "--buffer.max-records", "20000",
                          "--spool.dir", os.path.join(spool, "spool"),
                          "--shutdown.timeout-ms", "2000"]
    try:
        with RedisServer(["--appendonly", "yes", "--appendfsync", "always"]) as redis:
            with Bridge(redis, args) as first, Publisher(first.port, RECORDS) as pub:
                wait_until(lambda: llen(redis) >= RECORDS // 10, 60, "a tenth of the records")
                redis.kill_hard()
                pub.wait_sent(120)
                wait_until(lambda: received(first) >= RECORDS, 120,
                           "the first bridge to receive every record")
                stopped = first.stop()
            checks.check(stopped.exit_code == 0, f"first bridge exit code {stopped.exit_code}")
            checks.check(stopped.counter("records_spooled") > 0, "nothing was spooled")
            checks.check(stopped.counter("records_dropped{shutdown}") == 0,
                         f"{stopped.counter('records_dropped{shutdown}')} records dropped at "
                         f"shutdown")
            checks.check("kept in the spool for the next start" in stopped.log,
                         "the first bridge did not say that it spooled what was left")
            redis.start_again()
            restart = time.monotonic()
            with Bridge(redis, args) as second:
                wait_until(lambda: llen(redis) >= RECORDS, 120, f"{RECORDS} records in Redis")
                recovery = time.monotonic() - restart
                time.sleep(0.5)
                tally = Tally(read_seqs(redis), RECORDS)
                result = second.stop()
            left = [f for f in os.listdir(os.path.join(spool, "spool")) if f != "lock"]
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    reconnects = stopped.counter("redis_reconnects") + result.counter("redis_reconnects")
    report("spool_restart", tally, recovery,
           f"spooled={stopped.counter('records_spooled')} (recovery = second bridge start to "
           f"every record in Redis)")
    checks.check("left by an earlier run" in result.log, "the second bridge did not find the spool")
    checks.check(result.exit_code == 0, f"second bridge exit code {result.exit_code}")
    check_tally(checks, tally, BATCH * (reconnects + 1), " (a batch per lost connection)")
    checks.check(left == [], f"spool files left after everything was written: {left}")
    if checks.failures:
        print(tail(stopped.log), tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
