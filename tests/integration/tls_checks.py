"""Broker TLS with certificates: what test_security.py (python3-broker peers, Broker 1.4) and
test_cpp_security.py (seq_publisher, built against the bridge's own Broker, both build flavours)
both assert, and the throwaway certificates they use.

A CA and certificates for the bridge and for a peer are made with `openssl` in a temporary
directory (never committed), plus a rogue CA and a certificate it signed; the bridge's key is
encrypted and its passphrase given in the config file. The bridge runs with
--broker.ssl-certificate/-key/-passphrase/-cafile. Then, in this order: a peer with no
certificate (Broker's anonymous TLS) and a peer whose certificate the rogue CA signed must not
peer, the bridge must keep running and log no peer for them; a peer with a certificate of the
bridge's CA peers (a real TLS handshake with certificate checks on both sides) and all its
records reach Redis; the bridge exits 0 on SIGTERM, logged exactly that one peer and never the
passphrase.
"""

import os
import shutil
import subprocess
import tempfile

import harness
from harness import Bridge, RedisServer, TestError

PASSPHRASE = "k3y-Phrase-77"

# The three peers, in the order they try; each names the files it peers with (peer_files).
ANONYMOUS = "a peer without a certificate"
ROGUE = "a peer with a certificate of another CA"
GOOD = "the peer with a good certificate"


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


def peer_files(pki, who):
    """{"certificate", "key", "cafile"} of peer `who` (Broker::ssl_certificate, ssl_keyfile,
    ssl_cafile); {} for the anonymous one. The rogue peer trusts the bridge's CA too (its
    certificate is what another CA signed), so only the bridge's check of the peer's
    certificate can refuse it."""
    if who == ANONYMOUS:
        return {}
    name = "peer" if who == GOOD else "rogue"
    return {"certificate": pki[f"{name}.pem"], "key": pki[f"{name}.key"], "cafile": pki["ca.pem"]}


def run(checks, connect, deliver):
    """The TLS checks, adding to `checks`. `connect(port, who, files)`: a context manager for
    peer `who` peered with the bridge at `port` with `files` (peer_files; TLS on, with no
    files anonymous), raising TestError if it cannot peer within a few seconds.
    `deliver(peer, redis)`: the good peer sends its records; returns once every one is in Redis
    as expected, raises TestError otherwise."""
    if not shutil.which("openssl"):
        checks.fail("openssl is not installed: cannot make test certificates")
        return
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
            for who in (ANONYMOUS, ROGUE):
                try:
                    with connect(bridge.port, who, peer_files(pki, who)):
                        checks.fail(f"TLS: {who} peered with the bridge")
                except TestError:
                    checks.passed += 1
            checks.check(bridge.running(), "TLS: the bridge died after refused handshakes")
            checks.check("peer added" not in bridge.log(),
                         "TLS: the bridge logged a refused peer as added")
            try:
                with connect(bridge.port, GOOD, peer_files(pki, GOOD)) as peer:
                    deliver(peer, redis)
                    checks.passed += 1
            except TestError as e:
                checks.fail(f"TLS: {GOOD}: {e}")
            result = bridge.stop()
            checks.check(result.exit_code == 0, f"TLS: exit code {result.exit_code}")
            added = result.log.count("peer added")
            checks.check(added == 1, f"TLS: {added} peers added in the log, not 1")
            checks.check(PASSPHRASE not in result.log, "TLS: the key's passphrase is in the log")
            if checks.failures:
                print(harness.tail(result.log))
    finally:
        shutil.rmtree(d, ignore_errors=True)
