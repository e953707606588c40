"""End to end with a C++ Broker peer: seq_publisher (tests/fault/seq_publisher.cc, built against
the same Broker as the bridge, so this runs in both build flavours) publishes a schema and
20,000 numbered records in batches; Redis must hold exactly those records, in order, once each,
as the JSON lines {"seq":N}, and the bridge must reject nothing.

Run: /usr/bin/python3 tests/integration/test_cpp_peer.py   (env: see harness.py; ZRB_SEQ_PUBLISHER)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))

from fault import (BRIDGE_ARGS, KEY, Bridge, Checks, Publisher, RedisServer, Resp,  # noqa: E402
                   Tally, llen, read_seqs, report, tail, wait_until)
from harness import rejected_lines  # noqa: E402

RECORDS = 20_000


def main():
    checks = Checks("C++ Broker peer -> bridge -> Redis")
    with RedisServer() as redis:
        with Bridge(redis, BRIDGE_ARGS) as bridge:
            with Publisher(bridge.port, RECORDS, batch=100) as pub:
                sent = pub.wait_sent(60)
                wait_until(lambda: llen(redis) >= RECORDS, 60, f"{RECORDS} records in Redis")
            result = bridge.stop()
        tally = Tally(read_seqs(redis), sent)
        first = Resp("127.0.0.1", redis.port).command("LINDEX", KEY, "0")
    report("cpp_peer", tally)
    checks.check(sent == RECORDS, f"seq_publisher sent {sent}")
    checks.check(tally.in_redis == RECORDS and tally.missing == 0 and tally.duplicates == 0 and
                 tally.out_of_order == 0 and tally.foreign == 0, f"Redis holds {tally.line()}")
    checks.check(first == b'{"seq":0}' or first == '{"seq":0}', f"first line {first!r}")
    checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}")
    checks.check(result.counter("records_written") == RECORDS,
                 f"records_written {result.counter('records_written')}")
    rejected = rejected_lines(result.log)
    checks.check(not rejected, f"the bridge rejected: {rejected[:3]}")
    if checks.failures:
        print(tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
