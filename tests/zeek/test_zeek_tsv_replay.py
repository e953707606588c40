"""deploy/replay.py (and so deploy/zeek_tsv.py, the quick start and the corpus tests) on a log
that a real Zeek wrote with strings holding backslashes: the ASCII writer writes a backslash as
`\\\\` and other escaped bytes as `\\xNN`, so a reader that only undoes `\\xNN` reads two
backslashes, or reads the text "\\x41" as "A".

A real Zeek (ZRB_ZEEK, default 3.2) runs tests/zeek/scripts/backslash.zeek twice, once with the
ASCII (TSV) writer and once with its JSON writer: tsv/btest.log and its twin json/btest.log,
the layout of the shared corpus. replay.py replays the TSV log to the real bridge; Redis must
hold exactly Zeek's JSON lines (sets compared up to member order).

Run: /usr/bin/python3 tests/zeek/test_zeek_tsv_replay.py
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zeek_runner  # noqa: E402
import harness  # noqa: E402
import zeek_logs  # noqa: E402
from harness import Bridge, Checks, RedisServer  # noqa: E402

SCRIPT = os.path.join(HERE, "scripts", "backslash.zeek")


def main():
    checks = Checks("zeek tsv replay")
    zeek = zeek_runner.Zeek()
    root = tempfile.mkdtemp(prefix="zrb-tsv-")
    try:
        for kind, extra in (("tsv", []), ("json", ["LogAscii::use_json=T"])):
            folder = os.path.join(root, kind)
            os.mkdir(folder)
            code, _, out = zeek.run(["-b", SCRIPT, *extra], folder, 60)
            checks.check(code == 0, f"zeek ({kind}) exited {code}: {out}")
        tsv = os.path.join(root, "tsv", "btest.log")
        with open(tsv, "rb") as f:
            checks.check(b"VeriSign\\\\\\x2c Inc." in f.read(),
                         "Zeek's TSV writer escaped the backslash as \\\\ (the case under test)")
        expected = zeek_runner.read_log_lines(os.path.join(root, "json", "btest.log"))
        with RedisServer() as redis, Bridge(redis) as bridge:
            cmd = [sys.executable, os.path.join(harness.source_dir(), "deploy", "replay.py"),
                   "--bridge", f"127.0.0.1:{bridge.port}", "--zeek-version", str(zeek.number),
                   "--disable-ssl", tsv]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            checks.check(p.returncode == 0, f"replay.py exited {p.returncode}: {p.stderr}")
            zeek_logs.wait_for_redis(redis, len(expected), stall=5, timeout=60)
            cmp = zeek_logs.Comparison({"btest": expected}, redis, {"btest": {"st"}}, checks,
                                       "backslashes")
            print(cmp.table("backslashes (Zeek JSON vs Redis after replaying Zeek's TSV)"))
        return checks.finish(f"{len(expected)} records with backslashes replayed from TSV")
    finally:
        zeek.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
