"""What both /metrics tests assert (test_metrics.py with a python3-broker peer, test_cpp_metrics.py
with C++ peers built against the bridge's own Broker), and the HTTP pieces they scrape with.

One redis-server, one bridge (BRIDGE_ARGS: `--metrics.listen 127.0.0.1:0`,
`--limits.max-streams 2`). A test's `session` sends, through its peer(s), the schemas of PATHS and
their records, a schema for REFUSED (too_many_streams: the table of streams is full) and a batch
for it (unknown_stream), and calls `hold_silent()` before some of its records: a client that
connects to the metrics port and says nothing. `run` then checks, once Redis holds every record:
on the page, records received and written per path exactly as sent (and the totals their sum),
the JSON bytes converted, each rejection reason counted once, the peers connected, two log
streams, an empty buffer and spool, every batch's round trip in the histogram; every line of the
page valid text exposition (a # HELP and # TYPE per family, `name{label="value"} number` samples,
families sorted). Bad requests get their 4xx (POST: 405, another path: 404, garbage: 400) and
the bridge keeps serving; the silent client stopped neither records nor a later scrape. After the
peers leave, peers connected drops to 0. SIGTERM: exit 0, and the log holds one `rejected` line
for each rejection.
"""

import contextlib
import re
import socket
import urllib.error
import urllib.request

import harness
from harness import Bridge, Checks, RedisServer, TestError

BRIDGE_ARGS = ["--metrics.listen", "127.0.0.1:0", "--limits.max-streams", "2"]
PATHS = ("conn", "conn2")
REFUSED = "conn3"
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


def gauge(port, name):
    """One unlabelled sample of the page now (None if absent)."""
    return parse_page(scrape(port)[2], Checks("quiet")).get((name, ""))


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


def check_page(checks, port, sent):
    """The page once Redis holds every record; `sent` is the session's Sent."""
    status, ctype, page = scrape(port)
    checks.check(status == 200, f"scrape status {status}")
    checks.check(ctype == "text/plain; version=0.0.4; charset=utf-8", f"content type {ctype}")
    v = parse_page(page, checks)
    total = sum(sent.records.values())
    expect = {
        ("zrb_records_received_total", ""): total,
        ("zrb_records_written_total", ""): total,
        ("zrb_rejected_total", '{reason="too_many_streams"}'): 1,
        ("zrb_rejected_total", '{reason="unknown_stream"}'): 1,
        ("zrb_broker_peers_connected", ""): sent.peers,
        ("zrb_log_streams", ""): len(PATHS),
        # Every record's JSON line is what was converted.
        ("zrb_bytes_converted_total", ""): sent.json_bytes,
    }
    for path, n in sent.records.items():
        expect[("zrb_path_records_received_total", f'{{path="{path}"}}')] = n
        expect[("zrb_path_records_written_total", f'{{path="{path}"}}')] = n
    for key, want in expect.items():
        got = v.get(key)
        checks.check(got == want, f"{key[0]}{key[1]} = {got}, expected {want}")
    checks.check(not any(k[1] == f'{{path="{REFUSED}"}}' for k in v),
                 "a refused stream got a per-path series")
    # The writer's side: nothing left in the buffer, every batch's round trip in the
    # histogram, and the RESP bytes written hold every JSON line.
    checks.check(v.get(("zrb_buffer_records", "")) == 0, "buffer_records is not 0")
    checks.check(v.get(("zrb_buffer_bytes", "")) == 0, "buffer_bytes is not 0")
    checks.check(v.get(("zrb_spool_records", "")) == 0, "spool_records is not 0")
    trips = v.get(("zrb_redis_roundtrip_seconds_count", ""))
    batches = v.get(("zrb_batches_written_total", ""))
    checks.check(trips is not None and batches is not None and trips >= batches >= 1,
                 f"round trips {trips} for {batches} batches written")
    checks.check(v.get(("zrb_redis_roundtrip_seconds_bucket", '{le="+Inf"}')) == trips,
                 "the +Inf bucket is not the count")
    checks.check((v.get(("zrb_bytes_written_total", "")) or 0) > sent.json_bytes,
                 "bytes_written does not cover the JSON converted")


def check_bad_requests(checks, port):
    """Bad requests get their 4xx, then the page is served again."""
    checks.check(http_status(port, "POST") == 405, "POST /metrics is not 405")
    checks.check(http_status(port, path="/") == 404, "GET / is not 404")
    checks.check(http_status(port, path="/metricsx") == 404, "GET /metricsx not 404")
    reply = raw_request(port, b"\x16\x03\x01garbage\r\n\r\n")
    checks.check(reply.startswith(b"HTTP/1.1 400"), f"garbage got {reply[:40]!r}")
    status, _, _ = scrape(port)
    checks.check(status == 200, "the bridge stopped serving after bad requests")


class Sent:
    """What a session sent: `records` {path: records}, `json_bytes` (their JSON lines' bytes),
    `peers` (its peers still connected)."""

    def __init__(self, records, json_bytes, peers):
        self.records, self.json_bytes, self.peers = records, json_bytes, peers


def run(checks, session):
    """`session(bridge, redis, hold_silent)`: a context manager that sends (module docstring)
    and yields a Sent once Redis holds every record, its peers still connected; on exit they
    leave."""
    with RedisServer() as redis, Bridge(redis, BRIDGE_ARGS) as bridge:
        try:
            port = harness.wait_until(lambda: metrics_port(bridge), 10, "the metrics line")
            silent = contextlib.ExitStack()
            with silent, session(bridge, redis, lambda: silent.enter_context(
                    socket.create_connection(("127.0.0.1", port)))) as sent:
                # A client that connected and said nothing holds the metrics thread for its
                # timeout; records had to flow meanwhile, and the scrape waits at most for it.
                check_page(checks, port, sent)
                silent.close()
                check_bad_requests(checks, port)
            harness.wait_until(lambda: gauge(port, "zrb_broker_peers_connected") == 0, 30,
                               "peers connected to drop to 0 after the peers left")
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
