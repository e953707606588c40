"""Strings keep every byte: control bytes, bytes that are not UTF-8, valid UTF-8 and DEL go
through Broker and the bridge and come out escaped as Zeek's JSON writer escapes them.

The shared corpus is plain ASCII, so this test makes its own strings. Expected text, from
docs/zeek-broker-facts.md ("Zeek's JSON log writer", checked against real Zeek 3.2.4 and
8.0.10): `"` and `\\` as `\\"` and `\\\\`; `\\b \\f \\n \\r \\t` as those JSON escapes; other
control bytes and bytes that are not valid UTF-8 as the literal text `\\xNN` (written `\\\\xNN`
in the JSON); valid UTF-8 as is; DEL (0x7f) raw for Zeek 3.2.4 and `\\\\x7f` for 8.0.10.

The strings are sent as Python bytes (python3-broker carries them as Broker strings with
exactly these bytes), in a `string` column, a `vector of string` and a `set[string]` (one
member, so the order of set members does not matter), from a Zeek 3.2.4 node and a Zeek
8.0.10 node.

Run: /usr/bin/python3 tests/integration/test_string_bytes.py   (env: see harness.py)
"""

import sys

import broker

import harness
import zeek_tsv
from harness import Bridge, BrokerPeer, Checks, RedisServer, TestError

STRINGS = [
    b"plain ascii",
    b"",
    b'quote " backslash \\ slash /',
    b"tab\there, newline\nand\rcr, \x08 backspace, \x0c formfeed",
    b"nul \x00 bell \x07 esc \x1b unit-sep \x1f",
    b"del \x7f end",
    "utf-8: \u00f1 \u20ac \U0001f600".encode("utf-8"),
    b"not utf-8: \xff \xfe \xc3( \xe2\x82 \x80",
    b"literal \\x41 looks escaped",
]


def zeek_json_string(b, zeek_version):
    """The JSON text (with quotes) Zeek's JSON writer writes for the byte string `b`."""
    out = ['"']
    i = 0
    while i < len(b):
        c = b[i]
        if c >= 0x80:
            for n in (4, 3, 2):
                chunk = b[i:i + n]
                if len(chunk) == n:
                    try:
                        out.append(chunk.decode("utf-8"))
                        i += n
                        break
                    except UnicodeDecodeError:
                        pass
            else:
                out.append("\\\\x%02x" % c)
                i += 1
            continue
        if c == 0x22:
            out.append('\\"')
        elif c == 0x5c:
            out.append("\\\\")
        elif c in (0x08, 0x0c, 0x0a, 0x0d, 0x09):
            out.append({0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t"}[c])
        elif c < 0x20 or (c == 0x7f and zeek_version >= 80000):
            out.append("\\\\x%02x" % c)
        else:
            out.append(chr(c))
        i += 1
    out.append('"')
    return "".join(out).encode("utf-8")


def main():
    checks = Checks("test_string_bytes")
    layout = zeek_tsv.Layout(["n", "s", "v", "t"],
                             ["count", "string", "vector[string]", "set[string]"])
    nodes = {"zeek-3.2.4": 30204, "zeek-8.0.10": 80010}
    expected = {}
    with RedisServer() as redis, Bridge(redis) as bridge:
        try:
            with BrokerPeer(bridge.port) as peer:
                for node, version in nodes.items():
                    path = f"strings-{version}"
                    peer.publish(zeek_tsv.schema_event(version, node, path, layout))
                    records, lines = [], []
                    for n, s in enumerate(STRINGS):
                        records.append([broker.Count(n), s, [s, b"x"], zeek_tsv.make_set([s])])
                        js = zeek_json_string(s, version)
                        lines.append(b'{"n":%d,"s":%s,"v":[%s,"x"],"t":[%s]}' % (n, js, js, js))
                    peer.publish(zeek_tsv.batch_event(node, path, records))
                    expected[f"zeek:{path}"] = lines

                def state():
                    if not bridge.running():
                        raise TestError("the bridge exited")
                    return tuple(redis.xlen(k) for k in expected)

                harness.wait_for_progress(
                    state, lambda c: all(n >= len(v) for n, v in zip(c, expected.values())),
                    "the string records", stall=10, timeout=60)
        except TestError as e:
            checks.fail(str(e))
        for key, lines in expected.items():
            actual = redis.stream_json(key)
            checks.check(actual == lines, f"{key}: the bridge's JSON differs:\n"
                         + harness.first_differences(lines, actual, limit=len(lines)))
        result = bridge.stop()
        checks.check(result.exit_code == 0, f"bridge exit code {result.exit_code}, expected 0")
        rejected = harness.rejected_lines(result.log)
        checks.check(not rejected, f"rejections: {[l for _r, l in rejected[:5]]}")
        if checks.failures:
            print(f"tail of the bridge's log:\n{harness.tail(result.log)}")
    return checks.finish(f"{len(STRINGS)} strings x {len(nodes)} Zeek versions x 3 columns")


if __name__ == "__main__":
    sys.exit(main())
