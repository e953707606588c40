"""The command line as an operator meets it: --help lists every option with its default, and
an invalid configuration is refused with a message and exit code 2 before anything connects
(no Broker port is opened, Redis is never contacted).

Run: /usr/bin/python3 tests/integration/test_cli.py   (env: see harness.py)
"""

import socket
import subprocess
import sys

import harness
from harness import Checks


def run(*args):
    return subprocess.run([harness.bridge_path(), *args], capture_output=True, text=True,
                          timeout=30)


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def main():
    checks = Checks("cli")
    help_run = run("--help")
    checks.check(help_run.returncode == 0, f"--help exits 0, got {help_run.returncode}")
    for option in ("--broker.listen", "--broker.peer", "--redis.url", "--route",
                   "--json.timestamps", "--limits.max-record-bytes", "--shutdown.timeout-ms"):
        checks.check(option in help_run.stdout, f"--help lists {option}")
    checks.check("(=127.0.0.1:9999)" in help_run.stdout, "--help shows the listen default")

    port = harness.free_port()
    listen = f"127.0.0.1:{port}"
    for args, says in [
        (["--redis.url", "http://127.0.0.1:1"], "redis.url"),
        (["--json.timestamps", "nanos"], "json.timestamps"),
        (["--route", "dns=tape"], "route"),
        (["--redis.batch-size", "0"], "redis.batch-size"),
        (["--unknown-option"], "unknown-option"),
    ]:
        r = run("--broker.listen", listen, *args)
        checks.check(r.returncode == 2, f"{args}: exit code 2, got {r.returncode}")
        checks.check(says in r.stderr, f"{args}: the message names {says!r}: {r.stderr!r}")
        checks.check("listening" not in r.stderr, f"{args}: refused before listening")
        checks.check(port_is_free(port), f"{args}: port {port} was never bound")
        # --check-config refuses the same configurations the same way.
        c = run("--check-config", "--broker.listen", listen, *args)
        checks.check(c.returncode == 2 and says in c.stderr,
                     f"{args}: --check-config exits 2 naming {says!r}, got {c.returncode}")

    # --check-config on a valid config (the example one) exits 0, connects to nothing.
    example = f"{harness.source_dir()}/deploy/zeek-redis-bridge.conf"
    ok = run("--check-config", "--config", example, "--broker.listen", listen)
    checks.check(ok.returncode == 0 and "configuration OK" in ok.stdout,
                 f"--check-config accepts the example config: {ok.returncode} {ok.stderr!r}")
    checks.check(port_is_free(port), "--check-config never binds the Broker port")
    return checks.finish("help, --check-config and 5 invalid configurations")


if __name__ == "__main__":
    sys.exit(main())
