"""Running a real Zeek against the real bridge and comparing what Redis got with Zeek's own
JSON logs of the same run (the `zeek` tests' shared part; redis and bridge from harness.py)."""

import glob
import os
import shutil
import tempfile
import time

import harness
import zeek_runner

HERE = os.path.dirname(os.path.abspath(__file__))
SET_FIELDS = os.path.join(HERE, "set_fields.zeek")


def bridge_args(bridge):
    """Zeek redefs that point the package at `bridge` (a harness.Bridge, TLS off)."""
    return [f"RedisBridge::bridge_port={bridge.port}/tcp", "Broker::disable_ssl=T"]


def logs_in(folder):
    """{path: [json line bytes]} of every log Zeek wrote into `folder`."""
    out = {}
    for f in glob.glob(os.path.join(folder, "*.log")):
        out[os.path.basename(f)[:-4]] = zeek_runner.read_log_lines(f)
    return out


def set_fields_in(folder):
    """{path: {field}} of set-typed columns (set_fields.zeek's set_fields.txt in `folder`)."""
    out = {}
    try:
        with open(os.path.join(folder, "set_fields.txt")) as f:
            for line in f:
                path, _, field = line.strip().partition(" ")
                out.setdefault(path, set()).add(field)
    except FileNotFoundError:
        pass
    return out


class Run:
    """One Zeek run in a scratch directory: `Run(zeek, args).go(timeout)`."""

    def __init__(self, zeek, args):
        self.zeek = zeek
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="zrb-zeek-run-")
        self.code = self.seconds = None
        self.output = ""

    def go(self, timeout):
        self.code, self.seconds, self.output = self.zeek.run(self.args, self.dir, timeout)
        return self

    def logs(self):
        """{path: [json line bytes]} of every log Zeek wrote."""
        return logs_in(self.dir)

    def set_fields(self):
        """{path: {field}} of set-typed columns (written by set_fields.zeek)."""
        return set_fields_in(self.dir)

    def messages(self):
        """The package's reporter messages ("RedisBridge: ..."), from Zeek's output and
        reporter.log, without duplicates, in order."""
        import json
        found = []
        lines = self.output.splitlines()
        for line in zeek_runner.read_log_lines(os.path.join(self.dir, "reporter.log")):
            try:
                lines.append(json.loads(line).get("message", ""))
            except ValueError:
                lines.append(line.decode("utf-8", "replace"))
        for line in lines:
            if "RedisBridge: " in line:
                m = "RedisBridge: " + line.split("RedisBridge: ", 1)[1].split("\t")[0]
                if m not in found:
                    found.append(m)
        return found

    def drain_figures(self):
        """(confirmed records, seconds from the end of the input to the confirmation, records
        sent at shutdown not confirmed); None where the package said nothing."""
        import re
        confirmed = after = at_shutdown = None
        for m in self.messages():
            c = re.search(r"confirmed (\d+) records .*, ([\d.]+) s after", m)
            if c:
                confirmed, after = int(c.group(1)), float(c.group(2))
            s = re.search(r"(\d+) records sent at shutdown, not confirmed", m)
            if s:
                at_shutdown = int(s.group(1))
        return confirmed, after, at_shutdown

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_paths(redis):
    return sorted(k.decode()[5:] for k in redis.keys("zeek:*")
                  if redis.command("TYPE", k) == b"stream")


def wait_for_redis(redis, expected, stall=10, timeout=120):
    """Waits until Redis holds at least `expected` entries over all zeek:* streams or nothing
    changes for `stall` s; returns the total."""
    def total():
        return sum(redis.xlen("zeek:" + p) for p in redis_paths(redis))
    try:
        return harness.wait_for_progress(total, lambda n: n >= expected, "records in Redis",
                                         stall=stall, timeout=timeout)
    except harness.TestError:
        return total()


class Comparison:
    """Per path: Zeek's lines vs Redis's entries."""

    def __init__(self, zeek_logs, redis, set_fields, checks, label):
        self.rows = []
        paths = sorted(set(zeek_logs) | set(redis_paths(redis)))
        for path in paths:
            expected = zeek_logs.get(path, [])
            problems = []
            actual = redis.stream_json("zeek:" + path, problems) if path in redis_paths(redis) else []
            identical = set_order = 0
            for e, a in zip(expected, actual):
                if e == a:
                    identical += 1
                elif harness.same_but_set_order(e, a, set_fields.get(path, set())):
                    set_order += 1
            n = min(len(expected), len(actual))
            differing = n - identical - set_order
            missing = max(0, len(expected) - len(actual))
            extra = max(0, len(actual) - len(expected))
            self.rows.append((path, len(expected), len(actual), identical, set_order, missing,
                              extra, differing))
            ok = missing == 0 and extra == 0 and differing == 0 and not problems
            checks.check(ok, f"{label} {path}: zeek {len(expected)} redis {len(actual)} identical "
                             f"{identical} set-order {set_order} missing {missing} extra {extra} "
                             f"differing {differing} {problems[:2]}\n"
                             + (harness.first_differences(expected, actual) if not ok else ""))

    def totals(self):
        return tuple(sum(r[i] for r in self.rows) for i in range(1, 8))

    def table(self, label):
        lines = [f"  {label}: path zeek redis identical set-order missing extra differing"]
        for r in self.rows:
            lines.append("    " + " ".join(str(x) for x in r))
        return "\n".join(lines)
