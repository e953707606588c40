"""NaN and infinite doubles, intervals and times through a real Zeek (ZRB_ZEEK, default 3.2),
the package, the bridge and Redis: Zeek's JSON writer writes null for each of them
(tests/zeek/scripts/nonfinite.zeek logs them beside finite values); Redis must hold Zeek's
lines, except where Broker cannot carry the value (docs/protocol.md, "Values Broker cannot
carry"): on Zeek 3.2 (Broker 1.4, CAF 0.17) a NaN double arrives as -1.0 and -0.0 as 0.0, and
an infinite double is not sent at all (the script leaves it out there); the lines expected to
differ for that reason are in EXPECTED_DIFFERENT, and every other line must be identical.

Run: /usr/bin/python3 tests/zeek/test_zeek_nonfinite.py
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zeek_runner  # noqa: E402
import zeek_logs  # noqa: E402
from harness import Bridge, Checks, RedisServer  # noqa: E402

SCRIPT = os.path.join(HERE, "scripts", "nonfinite.zeek")
# Broker 1.4 / CAF 0.17 (Zeek before 4.0) packs doubles without a sign for zero and turns NaN
# into -1.0: what Redis then holds for these lines (docs/protocol.md).
EXPECTED_DIFFERENT = {
    "finite": b'{"what":"finite","d":0.30000000000000007,"i":0.0015,"t":1.25,"dv":[1e300,0.0]}',
    "nan": b'{"what":"nan","d":-1.0,"i":null,"dv":[-1.0]}',
}
TRACE = [t for t in zeek_runner.traces() if "wikipedia" in t][0]


def main():
    checks = Checks("zeek nonfinite")
    zeek = zeek_runner.Zeek()
    try:
        with RedisServer() as redis, Bridge(redis) as bridge:
            # A trace, so that the package holds processing until the bridge is peered.
            args = ["-b", "-C", "-r", TRACE, zeek_runner.scripts_dir(), SCRIPT,
                    "LogAscii::use_json=T", *zeek_logs.bridge_args(bridge)]
            run = zeek_logs.Run(zeek, args).go(60)
            checks.check(run.code == 0, f"zeek exit {run.code}\n{run.output}")
            expected = run.logs().get("nftest", [])
            checks.check(len(expected) == 6, f"Zeek wrote {len(expected)} nftest lines, want 6")
            zeek_logs.wait_for_redis(redis, len(expected), stall=3, timeout=30)
            problems = []
            actual = redis.stream_json("zeek:nftest", problems)
            print(f"Zeek {zeek.number}: what  | Zeek's JSON | Redis")
            for e, a in zip(expected, actual):
                what = json.loads(e)["what"]
                same = e == a
                known = zeek.number < 40000 and EXPECTED_DIFFERENT.get(what) == a
                print(f"  {what:9} {'same' if same else 'known CAF 0.17 loss' if known else 'DIFFERENT'}"
                      f"\n    zeek:  {e.decode()}\n    redis: {a.decode()}")
                checks.check(same or known, f"{what}: Redis differs from Zeek")
            checks.check(len(actual) == len(expected) and not problems,
                         f"Redis holds {len(actual)} entries {problems[:2]}\n"
                         f"zeek: {run.output[-2000:]}\nbridge: {bridge.log()[-3000:]}")
            run.cleanup()
        return checks.finish("non-finite doubles, intervals and times")
    finally:
        zeek.close()


if __name__ == "__main__":
    sys.exit(main())
