"""/metrics: the Prometheus page of a running bridge, scraped over HTTP while records flow.

One redis-server, one bridge (`--metrics.listen 127.0.0.1:0`, `--limits.max-streams 2`), one
Broker peer. The peer sends the schema of the Zeek 8.0.10 conn.log of a corpus trace under two
log paths (conn, conn2) and their records (N1 and N2 of them), then a schema for a third path
(refused: too_many_streams, the table of streams is full) and a batch for it (unknown_stream).

Checks, once Redis holds every record: on the page, records received and written per path are
exactly N1 and N2 (and the totals their sum), each rejection reason counts 1, one peer is
connected; every line of the page is valid text exposition (a # HELP and # TYPE per family,
`name{label="value"} number` samples, families sorted); the log shows one `rejected` line for
each. Bad requests get their 4xx (POST: 405, another path: 404, garbage: 400) and the bridge
keeps serving; a client that connects and sends nothing does not stop records from flowing
nor a later scrape. After the peer leaves, peers connected drops to 0. SIGTERM: exit 0.

Run: /usr/bin/python3 tests/integration/test_metrics.py   (env: see harness.py)
"""

import re
import socket
import sys
import time
import urllib.error
import urllib.request

import corpus
import harness
import zeek_tsv
from harness import Bridge, BrokerPeer, Checks, RedisServer, TestError

NODE = "metrics-test"
TRACE = "dns-edns-ecs"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*",?)*\})?'
                    r' (-?[0-9.e+-]+|\+Inf|NaN)$')


def metrics_port(bridge):
    m = re.search(r"metrics: serving http://127\.0\.0\.1:(\d+)/metrics", bridge.log())
    return int(m.group(1)) if m else None


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode("utf-8")


def parse_page(text, checks):
    """{(name, label_text): value}; checks the grammar on the way."""
    values, families, typed = {}, [], set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            families.append(line.split()[2])
            continue
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        m = SAMPLE.match(line)
        if not checks.check(m is not None, f"not a valid exposition line: {line!r}"):
            continue
        values[(m.group(1), m.group(2) or "")] = float(m.group(3))
    checks.check(families == sorted(families), "families are not sorted by name")
    checks.check(set(families) == typed, "a family lacks its # HELP or # TYPE line")
    checks.check(text.endswith("\n"), "the page does not end with a newline")
    return values


def http_status(port, method="GET", path="/metrics"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def raw_request(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return out
            out += chunk


def main():
    checks = Checks("test_metrics")
    log = next(l for l in corpus.load(["zeek-8.0.10"])[("zeek-8.0.10", TRACE)]
               if l.path == "conn")
    layout = log.layout()
    records = log.records(layout)
    n1, n2 = 40, len(records) - 40
    zv = log.zeek_version
    args = ["--metrics.listen", "127.0.0.1:0", "--limits.max-streams", "2"]
    with RedisServer() as redis, Bridge(redis, args) as bridge:
        try:
            port = harness.wait_until(lambda: metrics_port(bridge), 10, "the metrics line")
            with BrokerPeer(bridge.port) as peer:
                peer.publish(zeek_tsv.schema_event(zv, NODE, "conn", layout))
                peer.publish(zeek_tsv.schema_event(zv, NODE, "conn2", layout))
                peer.publish(zeek_tsv.batch_event(NODE, "conn", records[:n1]))
                peer.publish(zeek_tsv.schema_event(zv, NODE, "conn3", layout))
                peer.publish(zeek_tsv.batch_event(NODE, "conn3", records[:3]))
                # A client that connects and says nothing holds the metrics thread for its
                # timeout; records must keep flowing meanwhile.
                silent = socket.create_connection(("127.0.0.1", port))
                peer.publish(zeek_tsv.batch_event(NODE, "conn2", records[n1:]))
                harness.wait_until(lambda: redis.xlen("zeek:conn") == n1
                                   and redis.xlen("zeek:conn2") == n2, 60,
                                   f"{n1} entries in zeek:conn and {n2} in zeek:conn2")
                status, ctype, page = scrape(port)
                silent.close()
                checks.check(status == 200, f"scrape status {status}")
                checks.check(ctype == "text/plain; version=0.0.4; charset=utf-8",
                             f"content type {ctype}")
                v = parse_page(page, checks)
                expect = {
                    ("zrb_path_records_received_total", '{path="conn"}'): n1,
                    ("zrb_path_records_received_total", '{path="conn2"}'): n2,
                    ("zrb_path_records_written_total", '{path="conn"}'): n1,
                    ("zrb_path_records_written_total", '{path="conn2"}'): n2,
                    ("zrb_records_received_total", ""): n1 + n2,
                    ("zrb_records_written_total", ""): n1 + n2,
                    ("zrb_rejected_total", '{reason="too_many_streams"}'): 1,
                    ("zrb_rejected_total", '{reason="unknown_stream"}'): 1,
                    ("zrb_broker_peers_connected", ""): 1,
                    ("zrb_log_streams", ""): 2,
                }
                # Every record's JSON line, as Zeek wrote it, is what was converted.
                expect[("zrb_bytes_converted_total", "")] = sum(
                    len(l) for l in log.json_lines[:n1 + n2])
                for key, want in expect.items():
                    got = v.get(key)
                    checks.check(got == want, f"{key[0]}{key[1]} = {got}, expected {want}")
                checks.check(not any(k[1] == '{path="conn3"}' for k in v),
                             "a refused stream got a per-path series")
                # The writer's side: nothing left in the buffer, every batch's round trip
                # in the histogram, and the RESP bytes written hold every JSON line.
                checks.check(v.get(("zrb_buffer_records", "")) == 0, "buffer_records is not 0")
                checks.check(v.get(("zrb_buffer_bytes", "")) == 0, "buffer_bytes is not 0")
                checks.check(v.get(("zrb_spool_records", "")) == 0, "spool_records is not 0")
                trips = v.get(("zrb_redis_roundtrip_seconds_count", ""))
                batches = v.get(("zrb_batches_written_total", ""))
                checks.check(trips is not None and batches is not None and trips >= batches >= 1,
                             f"round trips {trips} for {batches} batches written")
                checks.check(v.get(("zrb_redis_roundtrip_seconds_bucket", '{le="+Inf"}')) == trips,
                             "the +Inf bucket is not the count")
                checks.check((v.get(("zrb_bytes_written_total", "")) or 0)
                             > expect[("zrb_bytes_converted_total", "")],
                             "bytes_written does not cover the JSON converted")

                # Bad requests, then the page again.
                checks.check(http_status(port, "POST") == 405, "POST /metrics is not 405")
                checks.check(http_status(port, path="/") == 404, "GET / is not 404")
                checks.check(http_status(port, path="/metricsx") == 404, "GET /metricsx not 404")
                reply = raw_request(port, b"\x16\x03\x01garbage\r\n\r\n")
                checks.check(reply.startswith(b"HTTP/1.1 400"), f"garbage got {reply[:40]!r}")
                status, _, _ = scrape(port)
                checks.check(status == 200, "the bridge stopped serving after bad requests")
            harness.wait_until(
                lambda: parse_page(scrape(port)[2], Checks("quiet")).get(
                    ("zrb_broker_peers_connected", "")) == 0, 30,
                "peers connected to drop to 0 after the peer left")
            checks.check(bridge.running(), "the bridge is not running")
        except TestError as e:
            checks.fail(str(e))
        result = bridge.stop()
        checks.check(result.exit_code == 0, f"exit code {result.exit_code} after SIGTERM")
        reasons = [r for r, _ in harness.rejected_lines(result.log)]
        checks.check(sorted(reasons) == ["too_many_streams", "unknown_stream"],
                     f"rejected lines: {reasons}")
        if checks.failures:
            print(harness.tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
