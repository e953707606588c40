"""What a bad-input test checks, whatever its Broker peer: test_bad_input.py (python3-broker 1.4)
and test_cpp_bad_input.py (tests/integration/bad_input_peer.cc, built against the bridge's own
Broker, so it runs in both build flavours) send malformed messages between good records and
hand the outcome to `check_outcome`.

The checks: the bridge kept running; the stream holds every good record, once, in order, exactly
the expected line, and nothing else exists in Redis; the log has one `rejected` line per bad
input naming its reason (and none without a known reason); a log path holding CR LF did not
forge a log line and a 2 MB name did not reach the log; SIGTERM ends the bridge with exit code
0; the final counters show exactly the expected count per reason, no other reason, and every
good record written.
"""

import collections
import time

import harness
from harness import TestError

# Oversized values and the bridge limits they are measured against: a HUGE string is over
# --limits.max-string-bytes (string_too_long), a LARGE one under it but its record's JSON over
# --limits.max-record-bytes (too_large), a BIG_OK one under both (written).
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_STRING_BYTES = 32 * 1024 * 1024
HUGE_BYTES = 64 * 1024 * 1024
LARGE_BYTES = 20 * 1024 * 1024
BIG_OK_BYTES = 1024 * 1024
LIMIT_ARGS = ["--limits.max-record-bytes", str(MAX_RECORD_BYTES),
              "--limits.max-string-bytes", str(MAX_STRING_BYTES)]
# A value nested deeper than --limits.max-depth (default 64): too_deep.
DEPTH = 1000

# Text a peer puts in a log path (after CR LF) to forge a line of the bridge's log.
FORGED = "2026-01-01T00:00:00.000Z error FORGED by a peer"


class Outcome:
    """What a run left: the stream's JSON lines, the keys in Redis, the bridge's BridgeResult,
    and problems with the stream's entries."""

    def __init__(self, actual, keys, result, problems):
        self.actual = actual
        self.keys = keys
        self.result = result
        self.problems = problems


def await_outcome(checks, redis, bridge, key, n_lines):
    """Waits until `key` holds `n_lines` entries (the last good batch was sent after every bad
    input: once it is in, every rejection has been logged; at most 15 s without a new one),
    gives stragglers a moment to show
    up as extras, checks the bridge still runs, then stops it: an Outcome."""
    try:
        def state():
            if not bridge.running():
                raise TestError("the bridge exited")
            return redis.xlen(key)

        try:
            harness.wait_for_progress(state, lambda n: n >= n_lines, f"{n_lines} entries in {key}",
                                      stall=15, timeout=120)
        except TestError as e:
            checks.fail(f"{e} (it has {redis.xlen(key)})")
        time.sleep(1)
        checks.check(bridge.running(), "the bridge is not running after the bad input")
    except TestError as e:
        checks.fail(str(e))
    problems = []
    actual = redis.stream_json(key, problems) if redis.keys() else []
    keys = [k.decode() for k in redis.keys()]
    return Outcome(actual, keys, bridge.stop(), problems)


def check_outcome(checks, outcome, key, expected_lines, expected_reasons):
    """The checks of this module's docstring. `expected_reasons`: reason -> count."""
    for p in outcome.problems[:3]:
        checks.fail(p)
    checks.check(outcome.actual == expected_lines,
                 f"{key} differs from the good records sent:\n"
                 + harness.first_differences(expected_lines, outcome.actual))
    checks.check(outcome.keys == [key], f"keys in redis: {outcome.keys}, expected only {key}")

    result = outcome.result
    # one `rejected` line per bad input, with its reason
    lines = harness.rejected_lines(result.log)
    logged = collections.Counter(r for r, _l in lines)
    checks.check(None not in logged, "rejected lines without a known reason: "
                 + str([l for r, l in lines if r is None][:5]))
    for reason in harness.REJECT_REASONS:
        want = expected_reasons.get(reason, 0)
        got = logged.get(reason, 0)
        checks.check(got == want, f"log: {got} 'rejected' lines for {reason}, expected {want}")

    # Names a peer chose cannot forge log lines or flood the log.
    log_lines = result.log.splitlines()
    checks.check(not any(l.startswith(FORGED[:20]) for l in log_lines),
                 "a log path holding CR LF forged a line of the bridge's log")
    checks.check(any("x\\x0d\\x0a" + FORGED in l for l in log_lines),
                 "the CR LF path is logged on one line with \\x0d\\x0a")
    longest = max((len(l) for l in log_lines), default=0)
    checks.check(longest < 20000, f"longest log line {longest} bytes: a 2 MB name went into the log")

    checks.check(result.exit_code == 0,
                 f"bridge exit code {result.exit_code} after SIGTERM, expected 0")
    counters = result.counters
    if checks.check(counters is not None, "no final 'counters:' line in the bridge log"):
        for reason in harness.REJECT_REASONS:
            want = expected_reasons.get(reason, 0)
            got = counters.get(f"rejected{{{reason}}}", 0)
            checks.check(got == want, f"counter rejected{{{reason}}}={got}, expected {want}")
        other = {k: v for k, v in counters.items() if k.startswith("rejected{")
                 and k[len("rejected{"):-1] not in harness.REJECT_REASONS}
        checks.check(not other, f"rejections with other reasons: {other}")
        written = counters.get("records_written")
        checks.check(written == len(expected_lines),
                     f"counter records_written={written}, expected {len(expected_lines)}")


def summary(n_lines, expected_reasons):
    return (f"{n_lines} good records checked, {sum(expected_reasons.values())} bad inputs: "
            + ", ".join(f"{r}={n}" for r, n in sorted(expected_reasons.items())))
