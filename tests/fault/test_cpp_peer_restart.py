"""Fault (c) through the bridge's own Broker: C++ peers (seq_publisher, built against the same
Broker as the bridge, so this runs in both build flavours, Zeek 8.0's C++20 Broker included)
are killed with SIGKILL mid-stream and come back, while another keeps sending. Both directions
of peering: a peer that connected to the bridge (path seqb), and one the bridge connects to
(seqc: it listens, the bridge has --broker.peer and retries every --broker.retry-s).

The steady peer (seqa) sends STEADY records at RATE/s from start to end. Each returning peer
sends, in its first session, numbers from 0 at RATE/s and is killed once KILL_AT of them are in
Redis (mid-stream: it had far more to send); its second session (a new process: schema first,
then BACK records numbered from SECOND) starts once the bridge logged both losses.

Checks (test_peer_restart.py's, fault.check_peers_back): the steady peer lost nothing (all
STEADY in Redis once, in order) and was still sending when both peers were back and done (12 s
of sending against about 4 s of restart on an idle machine, so a loaded one keeps the margin);
for each returning peer every record of its second session is in Redis once, in order, after
those of its first session, which are a gap-free run 0 .. m-1 (what reached the bridge before
the kill is written, nothing out of order or twice), m >= KILL_AT; nothing rejected; the bridge
ran throughout and exits 0 on SIGTERM, having logged 5 peerings and 2 losses.

Run: /usr/bin/python3 tests/fault/test_cpp_peer_restart.py   (env: see fault.py, harness.py)
"""

import sys
import time

from fault import (BRIDGE_ARGS, Bridge, Checks, Publisher, RedisServer, Tally, TestError,
                   check_peers_back, free_port, llen, read_seqs, report, tail, wait_until)

RATE = 2000       # records/s of every peer
STEADY = 24000    # the steady peer's records: 12 s, three times the restart unloaded
KILL_AT = 1000    # a first session is killed once this many of its records are in Redis
SECOND = 1000000  # a second session's first number
BACK = 2000       # a second session's records


def returning(port, path, first, records, listen):
    return Publisher(port, records, first=first, batch=100, rate=RATE, node=path, path=path,
                     listen=listen)


def split(seqs):
    """A returning peer's numbers: (first session, second session), and whether all of the
    first came before all of the second."""
    one = [s for s in seqs if s < SECOND]
    two = [s for s in seqs if s >= SECOND]
    return one, two, seqs == one + two


def main():
    checks = Checks("fault: C++ Broker peers killed and back")
    out_port = free_port()
    args = BRIDGE_ARGS + ["--broker.peer", f"127.0.0.1:{out_port}", "--broker.retry-s", "1"]
    back = None
    steady_busy = False
    with RedisServer() as redis, Bridge(redis, args) as bridge:
        try:
            with Publisher(bridge.port, STEADY, batch=100, rate=RATE, node="a", path="seqa"):
                # Session 1 of the inbound peer (it connected to us) and of the outbound one.
                with returning(bridge.port, "seqb", 0, 10**8, False) as inbound, \
                        returning(out_port, "seqc", 0, 10**8, True) as outbound:
                    wait_until(lambda: llen(redis, "zeek:seqb") >= KILL_AT and
                               llen(redis, "zeek:seqc") >= KILL_AT, 30, "session 1 in Redis")
                    inbound.close()
                    outbound.close()
                lost_at = time.monotonic()
                wait_until(lambda: bridge.log().count("peer lost") >= 2, 30,
                           "both losses noticed")
                # Session 2: new processes, schema first, then the rest.
                with returning(bridge.port, "seqb", SECOND, BACK, False) as inbound, \
                        returning(out_port, "seqc", SECOND, BACK, True) as outbound:
                    back = time.monotonic() - lost_at
                    inbound.wait_sent(30)
                    outbound.wait_sent(30)
                    wait_until(lambda: sum(1 for s in read_seqs(redis, "zeek:seqb")
                                           if s >= SECOND) >= BACK and
                               sum(1 for s in read_seqs(redis, "zeek:seqc")
                                   if s >= SECOND) >= BACK, 30, "session 2 in Redis")
                    steady_busy = llen(redis, "zeek:seqa") < STEADY
                wait_until(lambda: llen(redis, "zeek:seqa") >= STEADY, 30,
                           "the steady peer's records in Redis")
                time.sleep(0.3)
            checks.check(bridge.running(), "the bridge stopped")
        except TestError as e:
            checks.fail(str(e))
        seqs = {path: read_seqs(redis, f"zeek:{path}") for path in ("seqa", "seqb", "seqc")}
        result = bridge.stop()
    tallies = {"seqa": Tally(seqs["seqa"], STEADY)}
    for path in ("seqb", "seqc"):
        one, two, ordered = split(seqs[path])
        # The first session's numbers, complete from 0 up to the last one written.
        tallies[f"{path} first session"] = Tally(one, len(set(one)))
        tallies[f"{path} second session"] = Tally(two, BACK, first=SECOND)
        checks.check(len(set(one)) >= KILL_AT, f"{path}: {len(set(one))} records of the first "
                     f"session in Redis, expected at least {KILL_AT}")
        checks.check(ordered, f"{path}: second-session records before first-session ones")
    for name, t in tallies.items():
        report(f"cpp_peer_restart_{name.replace(' ', '_')}", t,
               back if "second" in name else None)
    checks.check(steady_busy, "the steady peer had finished before both peers were back: "
                 "it did not send throughout")
    check_peers_back(checks, tallies, result, 5)
    checks.check(result.log.count("peer lost") >= 2, "fewer than 2 losses in the log")
    if checks.failures:
        print(tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
