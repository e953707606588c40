"""Security defaults: Broker TLS with certificates, and the Redis password never shown.

TLS: tls_checks.py's checks (shared with test_cpp_security.py) with python3-broker peers: a
throwaway CA and certificates made at test time; a peer with no certificate (Broker's anonymous
TLS) and a peer whose certificate another CA signed must not peer, the bridge keeps running;
a peer with a certificate of the bridge's CA peers (a real TLS handshake with certificate
checks on both sides) and 10 real conn records reach Redis.

Password. Redis gets an ACL user with a password holding `@` (percent-encoded in the URL);
the bridge authenticates with it and writes records. The password, raw or encoded, appears
nowhere: not in the log (including the final counters), not on /metrics, not in --help output
given that URL, not in the error for an invalid configuration holding it, and not in the log
of a bridge given a wrong password (which must report the failure).

Run: /usr/bin/python3 tests/integration/test_security.py   (env: see harness.py)
"""

import subprocess
import sys
import urllib.request

import corpus
import harness
import tls_checks
import zeek_tsv
from harness import Bridge, BrokerPeer, Checks, RedisServer, TestError

NODE = "security-test"
TRACE = "dns-edns-ecs"
PASSWORD = "s3cr3t-Pw@x9"           # what Redis holds
PASSWORD_IN_URL = "s3cr3t-Pw%40x9"  # how the URL spells it
SECRET_PARTS = ("s3cr3t", "Pw@x9", "Pw%40x9")
WRONG = "WrOng-Pass-55"


class Url:
    """Stands in for a RedisServer where Bridge only needs `.url`."""

    def __init__(self, url):
        self.url = url


def send_records(peer, path, records, zv, layout):
    peer.publish(zeek_tsv.schema_event(zv, NODE, path, layout))
    peer.publish(zeek_tsv.batch_event(NODE, path, records))


def tls_part(checks, log):
    layout, zv = log.layout(), log.zeek_version
    records = log.records(layout)[:10]

    def connect(port, who, files):
        tls = {f"openssl_{name}": path for name, path in files.items()}
        # A refused peer gives up after 6 s; the good one has the usual 30 s.
        return BrokerPeer(port, disable_ssl=False, tls=tls,
                          timeout=30 if who == tls_checks.GOOD else 6)

    def deliver(peer, redis):
        send_records(peer, "conn", records, zv, layout)
        harness.wait_until(lambda: redis.xlen("zeek:conn") == len(records), 30,
                           f"{len(records)} records over TLS")

    tls_checks.run(checks, connect, deliver)


def leaks(text):
    return [s for s in SECRET_PARTS if s in text]


def password_checks(checks, log):
    layout, zv = log.layout(), log.zeek_version
    records = log.records(layout)[:10]
    exe = harness.bridge_path()
    with RedisServer() as redis:
        redis.command("ACL", "SETUSER", "zrb", "on", f">{PASSWORD}", "~*", "&*", "+@all")
        url = f"redis://zrb:{PASSWORD_IN_URL}@127.0.0.1:{redis.port}/0"
        with Bridge(Url(url), ["--metrics.listen", "127.0.0.1:0"]) as bridge:
            try:
                port = harness.wait_until(
                    lambda: __import__("re").search(r"metrics: serving http://[^:]+:(\d+)",
                                                    bridge.log()), 10, "the metrics line")
                with BrokerPeer(bridge.port) as p:
                    send_records(p, "conn", records, zv, layout)
                    harness.wait_until(lambda: redis.xlen("zeek:conn") == len(records), 30,
                                       "records written with the ACL user")
                with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/metrics",
                                            timeout=10) as r:
                    page = r.read().decode()
                checks.check("zrb_records_written_total 10" in page, "metrics: 10 records written")
                checks.check(not leaks(page), f"password on /metrics: {leaks(page)}")
            except TestError as e:
                checks.fail(f"password: {e}")
            result = bridge.stop()
            checks.check(result.exit_code == 0, f"password: exit code {result.exit_code}")
            checks.check("redis://zrb:***@127.0.0.1" in result.log,
                         "the log does not show the masked URL")
            checks.check(not leaks(result.log), f"password in the log: {leaks(result.log)}")

        wrong = f"redis://zrb:{WRONG}@127.0.0.1:{redis.port}/0"
        with Bridge(Url(wrong)) as bridge:
            try:
                harness.wait_until(lambda: "WRONGPASS" in bridge.log() or
                                   "invalid username-password" in bridge.log(), 15,
                                   "the bridge to report the refused password")
                checks.passed += 1
            except TestError as e:
                checks.fail(f"wrong password: {e}\n{harness.tail(bridge.log())}")
            result = bridge.stop()
            checks.check(WRONG not in result.log, "the wrong password is in the log")

    for args, what in (([url, "--help"], "--help"),
                       ([url, "--redis.batch-size", "0"], "a config error"),
                       ([url.replace(f":{redis.port}/", ":99999/"), ], "an invalid URL"),
                       ([url.replace("redis://", "redis:/"), ], "a malformed URL")):
        proc = subprocess.run([exe, "--broker.listen", "127.0.0.1:0", "--redis.url", *args],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        if what != "--help":
            checks.check(proc.returncode == 2, f"{what}: exit code {proc.returncode}, not 2")
        checks.check(not leaks(text), f"password in the output of {what}: {text[:300]!r}")


def main():
    checks = Checks("test_security")
    log = next(l for l in corpus.load(["zeek-8.0.10"])[("zeek-8.0.10", TRACE)]
               if l.path == "conn")
    password_checks(checks, log)
    tls_part(checks, log)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
