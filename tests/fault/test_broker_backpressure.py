"""Fault (g): Redis stops answering (SIGSTOP) while a peer sends far more than the bridge may
hold. With Broker 1.4 the bridge must push back on the peer instead of taking the burst in:
its resident memory may grow only by what `--broker.queue`, the memory buffer and Broker's
credit window allow, and once Redis runs again every record arrives, once and in order.

Before issue 14 part 3 Broker 1.4's subscriber and core granted credit by CAF 0.17's
estimate and took in whatever the peer sent (this test: 111 MiB more while Redis was stopped,
2 MiB after; bench/RESULTS.md). Broker 1.4 only: the C++20 Broker has no backpressure from a peer (a
sender's peer buffer overflows; bench/RESULTS.md, Zeek 8 section), and run in that flavour the
test does not get every record into Redis, so tests/CMakeLists.txt disables it there.
"""

import os
import signal
import sys
import time

from fault import (BRIDGE_ARGS, Bridge, Checks, Publisher, RedisServer, Tally, check_tally, llen,
                   read_seqs, report, tail, wait_until)

RECORDS = 500_000
BATCH = 10  # many small messages: Broker's windows count messages
STALL_S = 4.0
# 16 messages of 10 records queued, 5,000 records buffered, Broker's core window (its size
# depends on CAF's timing, see bench/RESULTS.md) and the allocator's slack: 2 MiB were
# measured; what the peer sends in STALL_S is over 100 MiB.
MAX_GROWTH_MIB = 32
ARGS = BRIDGE_ARGS + ["--broker.queue", "16", "--buffer.max-records", "5000"]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sanitized(pid):
    """AddressSanitizer keeps freed memory in quarantine (256 MiB by default), so under it the
    bridge's RSS grows with what passes through, bounded or not: its RSS says nothing here."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def main():
    checks = Checks("fault: Broker backpressure while Redis is stopped")
    with RedisServer() as redis:
        with Bridge(redis, ARGS) as bridge, Publisher(bridge.port, RECORDS, batch=BATCH) as pub:
            wait_until(lambda: llen(redis) >= 1, 60, "the first records in Redis")
            asan = sanitized(bridge.proc.pid)
            os.kill(redis.proc.pid, signal.SIGSTOP)
            try:
                start = rss_mib(bridge.proc.pid)
                peak = start
                until = time.monotonic() + STALL_S
                while time.monotonic() < until:
                    peak = max(peak, rss_mib(bridge.proc.pid))
                    time.sleep(0.05)
            finally:
                os.kill(redis.proc.pid, signal.SIGCONT)
            resumed = time.monotonic()
            pub.wait_sent(120)
            wait_until(lambda: llen(redis) >= RECORDS, 120, "every record in Redis")
            recovery = time.monotonic() - resumed
            result = bridge.stop()
        tally = Tally(read_seqs(redis), RECORDS)
    growth = peak - start
    report("broker_backpressure", tally, recovery,
           f"rss_start_mib={start:.0f} rss_peak_mib={peak:.0f} growth_mib={growth:.0f}")
    checks.check(result.exit_code == 0, f"exit code {result.exit_code}")
    check_tally(checks, tally)
    if asan:
        print("AddressSanitizer build: the RSS bound is not checked")
    else:
        checks.check(growth <= MAX_GROWTH_MIB,
                     f"the bridge grew by {growth:.0f} MiB while Redis was stopped "
                     f"(at most {MAX_GROWTH_MIB}): Broker took the burst in")
    if checks.failures:
        print(tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
