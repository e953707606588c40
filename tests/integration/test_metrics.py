"""/metrics: the Prometheus page of a running bridge, scraped over HTTP while records flow.

One redis-server, one bridge, one python3-broker peer. The peer sends the schema of the Zeek
8.0.10 conn.log of a corpus trace under two log paths (conn, conn2) and their records (N1 and
N2 of them), then a schema for a third path (refused: too_many_streams, the table of streams is
full) and a batch for it (unknown_stream); a client connects to the metrics port and says
nothing before the conn2 records. The checks are metrics_checks.py's (shared with
test_cpp_metrics.py): per-path received/written counts exactly N1 and N2, the JSON bytes
converted those of the lines Zeek wrote, each rejection counted once, one peer connected (0 after
it left), valid exposition text, 4xx for bad requests, the silent client blocking nothing,
exit 0 on SIGTERM.

Run: /usr/bin/python3 tests/integration/test_metrics.py   (env: see harness.py)
"""

import contextlib
import sys

import corpus
import harness
import zeek_tsv
from harness import BrokerPeer, Checks
from metrics_checks import PATHS, REFUSED, Sent, run

NODE = "metrics-test"
TRACE = "dns-edns-ecs"


def main():
    log = next(l for l in corpus.load(["zeek-8.0.10"])[("zeek-8.0.10", TRACE)]
               if l.path == "conn")
    layout = log.layout()
    records = log.records(layout)
    n1, n2 = 40, len(records) - 40
    zv = log.zeek_version
    first, second = PATHS

    @contextlib.contextmanager
    def session(bridge, redis, hold_silent):
        with BrokerPeer(bridge.port) as peer:
            peer.publish(zeek_tsv.schema_event(zv, NODE, first, layout))
            peer.publish(zeek_tsv.schema_event(zv, NODE, second, layout))
            peer.publish(zeek_tsv.batch_event(NODE, first, records[:n1]))
            peer.publish(zeek_tsv.schema_event(zv, NODE, REFUSED, layout))
            peer.publish(zeek_tsv.batch_event(NODE, REFUSED, records[:3]))
            hold_silent()
            peer.publish(zeek_tsv.batch_event(NODE, second, records[n1:]))
            harness.wait_until(lambda: redis.xlen(f"zeek:{first}") == n1
                               and redis.xlen(f"zeek:{second}") == n2, 60,
                               f"{n1} entries in zeek:{first} and {n2} in zeek:{second}")
            yield Sent({first: n1, second: n2}, sum(len(l) for l in log.json_lines[:n1 + n2]), 1)

    return run(Checks("test_metrics"), session)


if __name__ == "__main__":
    sys.exit(main())
