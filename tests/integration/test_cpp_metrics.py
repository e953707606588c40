"""/metrics through the bridge's own Broker: test_metrics.py's checks (metrics_checks.py) with C++
peers, seq_publisher (tests/fault/seq_publisher.cc) built against the same Broker as the bridge,
so this runs in both build flavours, Zeek 8.0's C++20 Broker included.

Three peers, each staying connected until the page is checked: the first sends N1 numbered
records on path conn; then a client connects to the metrics port and says nothing; the second
sends N2 on conn2; the third a schema for conn3 (refused: too_many_streams, with
--limits.max-streams 2) and a batch for it (unknown_stream). Checks: per-path received/written
counts exactly N1 and N2, the JSON bytes converted those of the `{"seq":N}` lines, each rejection
counted once, 3 peers connected (0 after they left), valid exposition text, 4xx for bad
requests, the silent client blocking nothing, exit 0 on SIGTERM.

Run: /usr/bin/python3 tests/integration/test_cpp_metrics.py
     (env: see harness.py; ZRB_SEQ_PUBLISHER, default build/tests/seq_publisher)
"""

import contextlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))

import harness  # noqa: E402
from fault import Publisher  # noqa: E402
from harness import Checks  # noqa: E402
from metrics_checks import PATHS, REFUSED, Sent, run  # noqa: E402

NODE = "metrics-test"
N1, N2 = 300, 700


def json_bytes(first, count):
    """Bytes of the JSON lines {"seq":N} of records first .. first+count-1."""
    return sum(len(f'{{"seq":{n}}}') for n in range(first, first + count))


def main():
    first, second = PATHS

    @contextlib.contextmanager
    def session(bridge, redis, hold_silent):
        with contextlib.ExitStack() as peers:
            def send(path, records, first_seq=0):
                peer = peers.enter_context(Publisher(bridge.port, records, first=first_seq,
                                                     batch=100, node=NODE, path=path))
                peer.wait_sent(30)

            send(first, N1)
            harness.wait_until(lambda: redis.xlen(f"zeek:{first}") == N1, 30,
                               f"{N1} entries in zeek:{first}")
            hold_silent()
            send(second, N2, N1)
            harness.wait_until(lambda: redis.xlen(f"zeek:{second}") == N2, 30,
                               f"{N2} entries in zeek:{second}")
            send(REFUSED, 3)
            harness.wait_until(lambda: len(harness.rejected_lines(bridge.log())) >= 2, 30,
                               f"the schema and the batch for {REFUSED} rejected")
            yield Sent({first: N1, second: N2}, json_bytes(0, N1) + json_bytes(N1, N2), 3)

    return run(Checks("test_cpp_metrics"), session)


if __name__ == "__main__":
    sys.exit(main())
