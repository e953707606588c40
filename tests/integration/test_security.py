"""Security defaults: Broker TLS with certificates, and the Redis password never shown.

TLS. A throwaway CA and certificates for the bridge and for a peer are made with `openssl` in a
temporary directory (never committed); the bridge's key is encrypted and its passphrase given in
the config file. The bridge runs with --broker.ssl-certificate/-key/-passphrase/-cafile and a
python3-broker peer with the same CA and its own certificate: they peer (a real TLS handshake
with certificate checks on both sides) and records reach Redis. A peer with no certificate
(Broker's anonymous TLS) and a peer whose certificate another CA signed must not peer; the
bridge keeps running and still serves the good peer afterwards.

Password. Redis gets an ACL user with a password holding `@` (percent-encoded in the URL);
the bridge authenticates with it and writes records. The password, raw or encoded, appears
nowhere: not in the log (including the final counters), not on /metrics, not in --help output
given that URL, not in the error for an invalid configuration holding it, and not in the log
of a bridge given a wrong password (which must report the failure).

Run: /usr/bin/python3 tests/integration/test_security.py   (env: see harness.py)
"""

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import corpus
import harness
import zeek_tsv
from harness import Bridge, BrokerPeer, Checks, RedisServer, TestError

NODE = "security-test"
TRACE = "dns-edns-ecs"
PASSWORD = "s3cr3t-Pw@x9"           # what Redis holds
PASSWORD_IN_URL = "s3cr3t-Pw%40x9"  # how the URL spells it
SECRET_PARTS = ("s3cr3t", "Pw@x9", "Pw%40x9")
PASSPHRASE = "k3y-Phrase-77"
WRONG = "WrOng-Pass-55"


class Url:
    """Stands in for a RedisServer where Bridge only needs `.url`."""

    def __init__(self, url):
        self.url = url


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_pki(d):
    """Two CAs; bridge and peer certificates from the first, a rogue one from the second."""
    for ca in ("ca", "rogue-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key",
                "-out", f"{ca}.pem", "-days", "2", "-subj", f"/CN=zrb test {ca}", cwd=d)
    for name, ca, key_args in (("bridge", "ca", ["-passout", f"pass:{PASSPHRASE}"]),
                               ("peer", "ca", ["-nodes"]), ("rogue", "rogue-ca", ["-nodes"])):
        openssl("req", "-newkey", "rsa:2048", *key_args, "-keyout", f"{name}.key", "-out",
                f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", cwd=d)
    return {n: os.path.join(d, n) for n in os.listdir(d)}


def peer_tls(pki, name):
    return {"openssl_certificate": pki[f"{name}.pem"], "openssl_key": pki[f"{name}.key"],
            "openssl_cafile": pki["ca.pem"]}


def send_records(peer, path, records, zv, layout):
    peer.publish(zeek_tsv.schema_event(zv, NODE, path, layout))
    peer.publish(zeek_tsv.batch_event(NODE, path, records))


def tls_checks(checks, log):
    layout, zv = log.layout(), log.zeek_version
    records = log.records(layout)[:10]
    d = tempfile.mkdtemp(prefix="zrb-pki-")
    try:
        pki = make_pki(d)
        conf = os.path.join(d, "bridge.conf")
        with open(conf, "w") as f:
            f.write(f"[broker]\nssl-certificate = {pki['bridge.pem']}\n"
                    f"ssl-key = {pki['bridge.key']}\nssl-passphrase = {PASSPHRASE}\n"
                    f"ssl-cafile = {pki['ca.pem']}\n")
        with RedisServer() as redis, Bridge(redis, ["--config", conf],
                                            disable_ssl=False) as bridge:
            for who, tls in (("a peer without a certificate", {}),
                             ("a peer with a certificate of another CA",
                              {**peer_tls(pki, "rogue"), "openssl_cafile": pki["rogue-ca.pem"]})):
                try:
                    with BrokerPeer(bridge.port, disable_ssl=False, tls=tls, timeout=6):
                        checks.fail(f"TLS: {who} peered with the bridge")
                except TestError:
                    checks.passed += 1
            checks.check(bridge.running(), "TLS: the bridge died after refused handshakes")
            try:
                with BrokerPeer(bridge.port, disable_ssl=False, tls=peer_tls(pki, "peer")) as p:
                    send_records(p, "conn", records, zv, layout)
                    harness.wait_until(lambda: redis.xlen("zeek:conn") == len(records), 30,
                                       f"{len(records)} records over TLS")
                    checks.passed += 1
            except TestError as e:
                checks.fail(f"TLS: the peer with a good certificate: {e}")
            result = bridge.stop()
            checks.check(result.exit_code == 0, f"TLS: exit code {result.exit_code}")
            checks.check(PASSPHRASE not in result.log, "TLS: the key's passphrase is in the log")
            if checks.failures:
                print(harness.tail(result.log))
    finally:
        shutil.rmtree(d, ignore_errors=True)


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
    if shutil.which("openssl"):
        tls_checks(checks, log)
    else:
        checks.fail("openssl is not installed: cannot make test certificates")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
