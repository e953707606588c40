"""The Zeek package installed with Debian's zkg and loaded by the real Zeek (ZRB_ZEEK: 3.2 in
the Debian flavour, 8.0 in the Zeek 8.0.10 flavour), without network:

  - a clean copy of the checkout (its tracked files, committed into a fresh git repository
    named zeek-redis-bridge, as zkg names a package after its folder) is installed with
    `zkg --configfile <scratch config> install --force <copy>`: zkg reads zkg.meta, runs its
    test_command with that Zeek (the package parses bare and with the base scripts; zkg
    --force installs even if it fails, so the test also asserts zkg said no error) and copies
    script_dir into a scratch state; with Zeek 3.2.4 its zeek-config is on PATH, so zkg also
    checks `depends = zeek >=3.2.0` (checked by hand: `>=99.0.0` makes the install fail);
    Zeek 8.0.10 here has no zeek-config, and zkg then skips that check without a word;
  - `zeek -b misc/loaded-scripts zeek-redis-bridge script_only.zeek` with ZEEKPATH holding
    zkg's script_dir, peered with the real bridge and a real redis-server: every record of
    the script reaches Redis, and Redis's loaded_scripts shows the package loaded from zkg's
    copy, not from the checkout.

Run: /usr/bin/python3 tests/deploy/test_zkg.py   (env: see tests/integration/harness.py)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "zeek"))

import zeek_runner  # noqa: E402
import harness  # noqa: E402
import zeek_logs  # noqa: E402
from harness import Bridge, RedisServer  # noqa: E402

SCRIPT_ONLY = os.path.join(HERE, "..", "zeek", "scripts", "script_only.zeek")
RECORDS = 50


def clean_copy(into):
    """The checkout's tracked files as they are now, committed into a new repository at
    `into` (zkg installs from git)."""
    src = harness.source_dir()
    names = subprocess.run(["git", "-C", src, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        if os.path.isfile(os.path.join(src, name)):
            os.makedirs(os.path.join(into, os.path.dirname(name)), exist_ok=True)
            shutil.copy2(os.path.join(src, name), os.path.join(into, name))
    git = ["git", "-C", into, "-c", "user.name=zrb-test", "-c", "user.email=zrb-test@localhost"]
    subprocess.run(["git", "init", "-q", into], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "clean copy"], check=True)


def zkg(zeek, checks, summary):
    scratch = tempfile.mkdtemp(prefix="zrb-zkg-")
    try:
        copy = os.path.join(scratch, "zeek-redis-bridge")
        clean_copy(copy)
        site = os.path.join(scratch, "site")
        config = os.path.join(scratch, "zkg.config")
        with open(config, "w") as f:
            f.write("[sources]\n[paths]\n"
                    f"state_dir = {scratch}/state\nscript_dir = {site}\n"
                    f"plugin_dir = {scratch}/plugins\nbin_dir = {scratch}/bin\n")
        # zkg runs test_command with this PATH (the Zeek of this flavour, and for 3.2.4 its
        # zeek-config) and the ZEEKPATH/ZEEK_PLUGIN_PATH of that Zeek; HOME keeps it out of
        # the user's ~/.zkg.
        env = dict(zeek.env, HOME=scratch,
                   PATH=os.path.join(zeek.prefix, "bin") + os.pathsep + os.environ["PATH"])
        t0 = time.monotonic()
        p = subprocess.run(["zkg", "--configfile", config, "install", "--force", copy],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        said = (p.stdout + p.stderr).decode("utf-8", "replace")
        installed = os.path.join(site, "packages", "zeek-redis-bridge", "__load__.zeek")
        # With --force zkg installs even when test_command failed (it only says so).
        checks.check(p.returncode == 0 and "Running unit tests" in said
                     and "error" not in said and os.path.isfile(installed),
                     f"zkg install: exit {p.returncode}, installed: {os.path.isfile(installed)}"
                     f"\n{harness.tail(said)}")
        summary.append(f"zkg install: exit {p.returncode} in {time.monotonic() - t0:.1f}s: "
                       + " | ".join(l.strip() for l in said.splitlines() if l.strip()))

        p = subprocess.run(["zkg", "--configfile", config, "list", "installed"], env=env,
                           capture_output=True, timeout=60)
        listed = p.stdout.decode("utf-8", "replace").strip()
        checks.check("zeek-redis-bridge" in listed, f"zkg list installed: {listed!r}")
        summary.append(f"zkg list installed: {listed}")

        zeek.env["ZEEKPATH"] += os.pathsep + site
        with RedisServer() as redis, Bridge(redis) as bridge:
            run = zeek_logs.Run(zeek, ["-b", "misc/loaded-scripts", "zeek-redis-bridge",
                                       SCRIPT_ONLY, f"ScriptOnly::records={RECORDS}",
                                       "LogAscii::use_json=T", *zeek_logs.bridge_args(bridge)])
            run.go(60)
            try:
                checks.check(run.code == 0, f"zeek: exit {run.code}\n{harness.tail(run.output)}")
                zeek_logs.wait_for_redis(redis, RECORDS, stall=5, timeout=30)
                got = [json.loads(j)["n"] for j in redis.stream_json("zeek:scriptonly")]
                checks.check(got == list(range(1, RECORDS + 1)),
                             f"zeek:scriptonly in Redis: {len(got)} records, expected {RECORDS}")
                loaded = [json.loads(j)["name"] for j in redis.stream_json("zeek:loaded_scripts")]
                package = [n for n in loaded if "zeek-redis-bridge" in n]
                from_zkg = [n for n in package if n.strip().startswith(site)]
                checks.check(package and from_zkg == package,
                             f"loaded_scripts in Redis: the package's scripts {package}, "
                             f"expected all below {site}")
                summary.append(f"zeek -b zeek-redis-bridge (ZEEKPATH + zkg's script_dir): exit "
                               f"{run.code} in {run.seconds:.1f}s; Redis zeek:scriptonly "
                               f"{len(got)} records, zeek:loaded_scripts: {len(from_zkg)} of the "
                               f"package's scripts, all from zkg's copy")
            finally:
                run.cleanup()
    except (OSError, subprocess.SubprocessError) as e:  # no zkg or git, a timeout
        checks.fail(str(e))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(zeek_runner.run_parts("zkg", [zkg]))
