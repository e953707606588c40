#!/usr/bin/python3
"""Zeek's CPU per record for sending with protocol 1 and 2 (bench/zeek_send_cost.zeek).

    /usr/bin/python3 bench/zeek_send_cost.py [--zeek 8.0] [--records 200000] [--rounds 3]

Runs the real Zeek (tests/zeek/zeek_runner.py) with `-b bench/zeek_send_cost.zeek` in modes
0 to 3, alternating, --rounds times; prints user+sys CPU seconds per run (wait4 of the Zeek
process), the medians, and microseconds per record above mode 0's baseline.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "zeek"))

import zeek_runner  # noqa: E402

NAMES = {0: "baseline (batches only)", 1: "protocol 1 (publish)",
         2: "protocol 2 (publish + to_json per batch)", 3: "to_json per record"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zeek", default="8.0")
    ap.add_argument("--records", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    zeek = zeek_runner.Zeek(a.zeek)
    cpu = {m: [] for m in NAMES}
    try:
        for _ in range(a.rounds):
            for mode in NAMES:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run([os.path.join(zeek.prefix, "bin", "zeek"), "-b",
                                os.path.join(HERE, "zeek_send_cost.zeek"), f"mode={mode}",
                                f"n={a.records}"], env=zeek.env, cwd=zeek.libs, check=True,
                               capture_output=True, timeout=600)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[mode].append(after.ru_utime - before.ru_utime +
                                 after.ru_stime - before.ru_stime)
    finally:
        zeek.close()
    base = statistics.median(cpu[0])
    print(f"Zeek {zeek.number}, {a.records} conn records, batches of 100, load "
          f"{os.getloadavg()[0]:.2f}")
    for mode, name in NAMES.items():
        med = statistics.median(cpu[mode])
        print(f"  mode {mode} {name:42} cpu s {' '.join(f'{c:.2f}' for c in cpu[mode])}  "
              f"median {med:.2f}  us/record above baseline {(med - base) / a.records * 1e6:.2f}")


if __name__ == "__main__":
    main()
