"""Runs a real Zeek from the shared installs (`<source dir>/../shared/zeek`) for the `zeek` tests.

Which Zeek: $ZRB_ZEEK names a version folder under shared/zeek ("3.2" picks zeek-3.2.*, "8.0"
picks zeek-8.0.*) or an install prefix (a folder holding bin/zeek); default 3.2. Tests that
take another Zeek by configuration call `Zeek(version)` with that same text.

The shared installs may hold their library symlinks as small text files naming a sibling
(`lib/libbroker.so.2` containing `libbroker.so.1.4`), which the dynamic loader cannot use. So
the library path is a scratch folder of real symlinks: every file of lib/ that is a small text
naming a sibling becomes a link to that sibling, and real symlinks and libraries are linked as
they are. Then `<prefix>/bin/zeek` runs with ZEEKPATH and ZEEK_PLUGIN_PATH of that install, in
a scratch working directory of its own (Zeek writes its logs there).
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402


def zeek_root():
    return os.path.join(harness.shared_dir(), "zeek")


def traces():
    """Every trace of shared/zeek/traces, sorted by name."""
    return sorted(glob.glob(os.path.join(zeek_root(), "traces", "*.pcap")))


def find_prefix(version):
    if os.path.isfile(os.path.join(version, "bin", "zeek")):
        return os.path.abspath(version)
    found = sorted(glob.glob(os.path.join(zeek_root(), f"zeek-{version}*", "bin", "zeek")))
    if not found:
        raise harness.TestError(f"no Zeek {version} under {zeek_root()} (set ZRB_ZEEK)")
    return os.path.dirname(os.path.dirname(found[-1]))


def link_libraries(lib_dir, into):
    """Fills `into` with symlinks to the libraries of `lib_dir`, resolving small files whose
    content names a sibling file (flattened symlinks)."""
    for name in os.listdir(lib_dir):
        path = os.path.join(lib_dir, name)
        if not os.path.isfile(path):
            continue
        target = path
        for _ in range(8):  # a chain of flattened links, bounded
            if os.path.islink(target) or os.path.getsize(target) > 255:
                break
            with open(target, "rb") as f:
                text = f.read().strip().decode("utf-8", "replace")
            sibling = os.path.join(lib_dir, text)
            if "/" in text or not text or not os.path.isfile(sibling):
                break
            target = sibling
        os.symlink(os.path.realpath(target), os.path.join(into, name))


class Zeek:
    """One Zeek install: `Zeek("3.2").run(args, cwd=...)`."""

    def __init__(self, version=None):
        self.version = version or os.environ.get("ZRB_ZEEK") or "3.2"
        self.prefix = find_prefix(self.version)
        self.libs = tempfile.mkdtemp(prefix="zrb-zeek-lib-")
        link_libraries(os.path.join(self.prefix, "lib"), self.libs)
        share = os.path.join(self.prefix, "share", "zeek")
        self.env = dict(os.environ)
        self.env.update({
            "LD_LIBRARY_PATH": self.libs,
            "ZEEKPATH": ".:" + ":".join([share, share + "/policy", share + "/site"]),
            "ZEEK_PLUGIN_PATH": os.path.join(self.prefix, "lib", "zeek", "plugins"),
        })
        self.number = self._version_number()

    def _version_number(self):
        out = subprocess.run([os.path.join(self.prefix, "bin", "zeek"), "--version"],
                             env=self.env, capture_output=True, timeout=60)
        m = re.search(rb"(\d+)\.(\d+)\.(\d+)", out.stdout + out.stderr)
        if not m:
            raise harness.TestError(f"zeek --version said {out.stdout + out.stderr!r}")
        major, minor, patch = (int(x) for x in m.groups())
        return major * 10000 + minor * 100 + patch

    def start(self, args, cwd, env=None):
        """Starts zeek with `args` in `cwd` (and the variables of `env` added to this install's
        environment); returns the Popen (stdout/stderr in cwd)."""
        out = open(os.path.join(cwd, "zeek.stdout"), "wb")
        err = open(os.path.join(cwd, "zeek.stderr"), "wb")
        return subprocess.Popen([os.path.join(self.prefix, "bin", "zeek"), *args], cwd=cwd,
                                env={**self.env, **(env or {})}, stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    def run(self, args, cwd, timeout):
        """Runs zeek to its end. Returns (exit code or None if it had to be killed after
        `timeout` s, wall seconds, stdout+stderr text)."""
        start = time.monotonic()
        proc = self.start(args, cwd)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            code = None
        return code, time.monotonic() - start, output(cwd)

    def close(self):
        shutil.rmtree(self.libs, ignore_errors=True)


def output(cwd):
    text = ""
    for name in ("zeek.stdout", "zeek.stderr"):
        try:
            with open(os.path.join(cwd, name), "rb") as f:
                text += f.read().decode("utf-8", "replace")
        except OSError:
            pass
    return text


def scripts_dir():
    return os.path.join(harness.source_dir(), "scripts")


def read_log_lines(path):
    """The lines of a JSON log Zeek wrote (bytes, without newline); [] if there is none."""
    try:
        with open(path, "rb") as f:
            return [l for l in f.read().split(b"\n") if l]
    except FileNotFoundError:
        return []


def run_parts(name, parts):
    """Runs each part(zeek, checks, summary) against one Zeek (ZRB_ZEEK); returns the exit
    code, after printing the parts' summary lines and the time taken."""
    zeek = Zeek()
    checks = harness.Checks(f"{name} (Zeek {zeek.number})")
    summary = []
    start = time.monotonic()
    try:
        for part in parts:
            part(zeek, checks, summary)
    except harness.TestError as e:
        checks.fail(str(e))
    finally:
        zeek.close()
    summary.append(f"took {time.monotonic() - start:.1f}s")
    return checks.finish("\n".join(summary))
