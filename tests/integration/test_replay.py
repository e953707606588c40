"""deploy/replay.py, the quick start's log replayer, against the real bridge.

1. Replays a corpus trace folder (Zeek 8.0.10, http_bro.org, tsv/ with its json/ twin) with
   `--zeek-version 80010 --disable-ssl` to a bridge run with --broker.disable-ssl: every stream
   must equal Zeek's JSON lines (exact values come from the twin; sets may list their members
   in another order, see docs/protocol.md).
2. The quick start: a bridge run with the shipped deploy/zeek-redis-bridge.conf (Broker over
   TLS, the default) and replay.py with its defaults on deploy/sample (no twin): every stream
   must hold one entry per TSV record, each a JSON object with the record's uid, in order.
Each replay runs the CLI as a user would: /usr/bin/python3 deploy/replay.py --bridge ...

Run: /usr/bin/python3 tests/integration/test_replay.py   (env: see harness.py)
"""

import json
import os
import subprocess
import sys

import corpus
import harness
import zeek_tsv
from harness import Bridge, Checks, RedisServer, TestError

VERSION, TRACE = "zeek-8.0.10", "http_bro.org"


def replay(bridge, paths, checks, what, options=()):
    cmd = [sys.executable, os.path.join(harness.source_dir(), "deploy", "replay.py"),
           "--bridge", f"127.0.0.1:{bridge.port}", "--zeek-version", "80010", *options, *paths]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return checks.fail(f"{what}: replay.py did not finish within 120s")
    return checks.check(p.returncode == 0, f"{what}: replay.py exited {p.returncode}:\n"
                        f"{p.stdout}{p.stderr}")


def wait_filled(redis, bridge, want, what, checks):
    def state():
        if not bridge.running():
            raise TestError("the bridge exited")
        return tuple(redis.xlen(k) for k in want)
    try:
        harness.wait_for_progress(state, lambda c: all(n >= len(v) for n, v in
                                                       zip(c, want.values())),
                                  f"{what}: streams to fill", stall=10, timeout=120)
    except TestError as e:
        checks.fail(str(e))


def check_stopped(bridge, checks, what):
    result = bridge.stop()
    checks.check(result.exit_code == 0, f"{what}: bridge exit code {result.exit_code}, expected 0")
    rejected = harness.rejected_lines(result.log)
    checks.check(not rejected, f"{what}: rejections: {[l for _r, l in rejected[:5]]}")
    if checks.failures:
        print(f"{what}: bridge command: {' '.join(bridge.command_line())}")
        print(f"{what}: tail of the bridge's log:\n{harness.tail(result.log)}")


def main():
    checks = Checks("test_replay")
    logs = corpus.load([VERSION])[(VERSION, TRACE)]
    sample_dir = os.path.join(harness.source_dir(), "deploy", "sample")
    sample = {}
    for f in zeek_tsv.find_logs([sample_dir]):
        log = zeek_tsv.read_tsv(f)
        sample[f"zeek:{log.path}"] = [r[log.fields.index("uid")].decode() for r in log.rows]
    checks.check(sorted(sample) == ["zeek:conn", "zeek:dns", "zeek:files", "zeek:http"],
                 f"deploy/sample holds {sorted(sample)}")
    exact = compared = 0
    with RedisServer() as redis:
        # 1. a corpus folder with its JSON twin: exact
        with Bridge(redis) as bridge:
            try:
                tsv_dir = os.path.join(corpus.corpus_root(), VERSION, TRACE, "tsv")
                if replay(bridge, [tsv_dir], checks, "corpus trace",
                          ["--disable-ssl", "--batch-size", "4"]):
                    want = {f"zeek:{l.path}": l.json_lines for l in logs}
                    wait_filled(redis, bridge, want, "corpus trace", checks)
                    for log in logs:
                        key = f"zeek:{log.path}"
                        sets = {n for n, t, _i in log.layout().columns if t.startswith("set[")}
                        actual = redis.stream_json(key)
                        explained = [e if a != e and harness.same_but_set_order(e, a, sets) else a
                                     for e, a in zip(log.json_lines, actual)]
                        explained += actual[len(log.json_lines):]
                        exact += sum(a == e for a, e in zip(actual, log.json_lines))
                        compared += len(log.json_lines)
                        checks.check(explained == log.json_lines,
                                     f"{key} differs from Zeek's JSON:\n"
                                     + harness.first_differences(log.json_lines, explained))
                    keys = sorted(k.decode() for k in redis.keys())
                    checks.check(keys == sorted(want), f"keys {keys}, expected {sorted(want)}")
            except TestError as e:
                checks.fail(f"corpus trace: {e}")
            check_stopped(bridge, checks, "corpus trace")
        redis.command("FLUSHALL")

        # 2. the quick start: shipped config (TLS), replay.py defaults, deploy/sample
        conf = os.path.join(harness.source_dir(), "deploy", "zeek-redis-bridge.conf")
        with Bridge(redis, ["--config", conf], disable_ssl=False) as bridge:
            try:
                if replay(bridge, [sample_dir], checks, "deploy/sample"):
                    wait_filled(redis, bridge, sample, "deploy/sample", checks)
                    for key, uids in sample.items():
                        got = []
                        for line in redis.stream_json(key):
                            try:
                                got.append(json.loads(line).get("uid"))
                            except (ValueError, TypeError, AttributeError):
                                got.append(f"<not a JSON object: {line!r:.80}>")
                        checks.check(got == uids, f"{key}: uids {got}, expected {uids}")
                    keys = sorted(k.decode() for k in redis.keys())
                    checks.check(keys == sorted(sample), f"keys {keys}, expected {sorted(sample)}")
            except TestError as e:
                checks.fail(f"deploy/sample: {e}")
            check_stopped(bridge, checks, "deploy/sample")
    return checks.finish(f"corpus trace: {compared} lines compared, {exact} byte-identical; "
                         f"sample: {sum(len(v) for v in sample.values())} records")


if __name__ == "__main__":
    sys.exit(main())
