"""Corpus fidelity: the bridge writes, for every record of the shared corpus, exactly the JSON
line Zeek's own JSON writer wrote for it.

For both corpora (Zeek 3.2.4 and 8.0.10), every trace, every log (websocket/ is not logs), and
both timestamp formats:

  run 1: bridge with the default `--json.timestamps epoch`, compared with json/
  run 2: bridge with `--json.timestamps iso8601`, compared with json-iso/; this run also pads
         every record with unlogged fields (as real Zeek records have) and sends all-unset
         nested records as a vector of nils instead of nil, so the bridge must follow each
         column's index rather than the position of values.

Each run has its own redis-server and bridge. The traces go through one after another, each
from its own node name ("<version>-<trace>", with that version's Version::number in its
schemas), in batches of 1, 5 and 23 records interleaved across the trace's logs; after each
trace the test waits until every stream `zeek:<path>` holds as many entries as records were
sent, compares the `json` field of every entry with Zeek's line, in order, checks that no other
key exists, and FLUSHALLs. At the end the bridge is stopped with SIGTERM: it must exit 0 and
its final counters must show every record written and nothing rejected.

A line must be byte-identical to Zeek's, with one exception that docs/protocol.md documents:
Broker carries a set sorted while Zeek writes it in hash order, so a set-valued field may list
the same members in another order (files.log `analyzers`: Zeek wrote ["SHA1","MD5"]). Such
lines are accepted only if everything else is byte-identical, and are counted apart.

Before anything is sent, corpus.py checks the test input itself: every value converted from
the TSV must agree with Zeek's JSON line, and every time/interval must carry
trunc(seconds * 1e9) nanoseconds.

Run: /usr/bin/python3 tests/integration/test_corpus_fidelity.py   (env: see harness.py)
"""

import itertools
import sys
import time

import corpus
import harness
import zeek_tsv
from harness import Bridge, BrokerPeer, Checks, RedisServer, TestError

BATCH_SIZES = (5, 1, 23)
WAIT_SECONDS = 120
STALL_SECONDS = 20


def interleaved_batches(logs, layouts):
    """(log, records) pairs: each log cut into batches of varying size, round-robin over the
    logs, so batches of different paths interleave as they do from a live Zeek."""
    queues = []
    for log in logs:
        records = log.records(layouts[log.path])
        sizes = itertools.cycle(BATCH_SIZES)
        chunks = []
        i = 0
        while i < len(records):
            n = next(sizes)
            chunks.append(records[i:i + n])
            i += n
        queues.append((log, chunks))
    while any(chunks for _log, chunks in queues):
        for log, chunks in queues:
            if chunks:
                yield log, chunks.pop(0)


def run_format(fmt, pad, data, checks):
    """One bridge run over the whole corpus. Returns (lines identical to Zeek's, lines equal up
    to the order of set members, records sent)."""
    expected_attr = "json_lines" if fmt == "epoch" else "iso_lines"
    args = [] if fmt == "epoch" else ["--json.timestamps", fmt]
    identical = reordered = 0
    sent = 0
    label = f"[{fmt}{', padded records' if pad else ''}]"
    with RedisServer() as redis, Bridge(redis, args) as bridge:
        try:
            with BrokerPeer(bridge.port) as peer:
                for (version, trace), logs in data.items():
                    node = f"{version}-{trace}"
                    layouts = {log.path: log.layout(pad=pad) for log in logs}
                    for log in logs:
                        peer.publish(zeek_tsv.schema_event(log.zeek_version, node, log.path,
                                                           layouts[log.path]))
                    for log, chunk in interleaved_batches(logs, layouts):
                        peer.publish(zeek_tsv.batch_event(node, log.path, chunk))
                        sent += len(chunk)
                    same, sets = check_trace(redis, bridge, logs, expected_attr,
                                             f"{label} {node}", checks)
                    identical += same
                    reordered += sets
                    redis.command("FLUSHALL")
        except TestError as e:
            checks.fail(f"{label} {e}")
        finally:
            running = bridge.running()
            result = bridge.stop()
        checks.check(running, f"{label} the bridge was no longer running at the end")
        checks.check(result.exit_code == 0,
                     f"{label} bridge exit code {result.exit_code} after SIGTERM, expected 0")
        counters = result.counters
        if checks.check(counters is not None, f"{label} no final 'counters:' line in the log"):
            written = counters.get("records_written")
            checks.check(written == sent, f"{label} counter records_written={written}, "
                                          f"expected {sent}")
            received = counters.get("records_received")
            checks.check(received in (None, sent), f"{label} counter records_received="
                                                   f"{received}, expected {sent}")
            bad = {k: v for k, v in counters.items() if k.startswith("rejected") and v}
            checks.check(not bad, f"{label} rejections in the final counters: {bad}")
        rejected = harness.rejected_lines(result.log)
        checks.check(not rejected, f"{label} the bridge rejected input: "
                                   f"{[l for _r, l in rejected[:5]]}")
        if checks.failures:
            print(f"{label} bridge command: {' '.join(bridge.command_line())}")
            print(f"{label} tail of the bridge's log:\n{harness.tail(result.log)}")
    return identical, reordered, sent


def check_trace(redis, bridge, logs, expected_attr, label, checks):
    """Waits for the trace's streams to fill, then compares them with Zeek's lines."""
    want = {f"zeek:{log.path}": getattr(log, expected_attr) for log in logs}

    def state():
        if not bridge.running():
            raise TestError("the bridge exited")
        return tuple(redis.xlen(k) for k in want)

    try:
        harness.wait_for_progress(
            state, lambda counts: all(n >= len(v) for n, v in zip(counts, want.values())),
            f"{label}: all streams to fill", stall=STALL_SECONDS, timeout=WAIT_SECONDS)
    except TestError as e:
        counts = {k: f"{redis.xlen(k)}/{len(v)}" for k, v in want.items()}
        checks.fail(f"{e} (entries/expected: {counts})")
    # Anything still in flight after the counts are reached would show up as extra entries.
    time.sleep(0.2)
    identical = reordered = 0
    for log in logs:
        key = f"zeek:{log.path}"
        expected = want[key]
        set_fields = {name for name, ztype, _i in log.layout().columns if ztype.startswith("set[")}
        problems = []
        actual = redis.stream_json(key, problems)
        for p in problems[:3]:
            checks.fail(f"{label} {p}")
        # per line: identical, or equal but for the order of set members, or wrong
        explained = []
        for i, line in enumerate(actual):
            want_line = expected[i] if i < len(expected) else None
            if line == want_line:
                identical += 1
                explained.append(line)
            elif want_line is not None and harness.same_but_set_order(want_line, line, set_fields):
                reordered += 1
                explained.append(want_line)
            else:
                explained.append(line)
        checks.check(explained == expected, f"{label} {key}: stream differs from Zeek's JSON:\n"
                     + harness.first_differences(expected, explained))
    keys = [k.decode() for k in redis.keys()]
    checks.check(sorted(keys) == sorted(want), f"{label} keys in redis {keys}, expected "
                                               f"{sorted(want)}")
    return identical, reordered


def main():
    checks = Checks("test_corpus_fidelity")
    start = time.monotonic()
    data = corpus.load()
    total_logs = sum(len(v) for v in data.values())
    total_records = sum(len(l.json_lines) for v in data.values() for l in v)
    versions = sorted({v for v, _t in data})
    checks.check(versions == ["zeek-3.2.4", "zeek-8.0.10"], f"corpus versions {versions}")
    checks.check(total_records > 0, "the corpus has no records")
    for logs in data.values():
        for log in logs:
            for p in log.problems[:5]:
                checks.fail(f"test input: {p}")
    print(f"corpus: {len(data)} traces, {total_logs} logs, {total_records} records "
          f"({', '.join(versions)})", flush=True)
    if checks.failures:
        return checks.finish()

    summary = []
    for fmt, pad in (("epoch", False), ("iso8601", True)):
        try:
            identical, reordered, sent = run_format(fmt, pad, data, checks)
        except TestError as e:
            checks.fail(f"[{fmt}] {e}")
            identical, reordered, sent = 0, 0, 0
        summary.append(f"  {fmt}: {identical + reordered} of {sent} records sent match Zeek's "
                       f"lines: {identical} byte-identical, {reordered} equal up to the order of "
                       f"set members")
        print(summary[-1], flush=True)
    return checks.finish(f"lines compared ({total_records} records per run):\n"
                         + "\n".join(summary) + f"\n  ({time.monotonic() - start:.1f}s)")


if __name__ == "__main__":
    sys.exit(main())
