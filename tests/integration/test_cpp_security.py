"""Broker TLS with certificates through the bridge's own Broker: test_security.py's TLS checks
(tls_checks.py) with seq_publisher (tests/fault/seq_publisher.cc) as the peer, built against
the same Broker as the bridge, so they run in both build flavours, Zeek 8.0's C++20 Broker
included (where the bridge's openssl_* settings go through that Broker's own setters).

seq_publisher sets TLS as a Zeek node does (Broker::ssl_certificate, ssl_keyfile, ssl_cafile;
--tls alone: anonymous TLS). A peer without a certificate and one whose certificate another CA
signed do not peer (each gives up after 4 s), the bridge keeps running and logs no peer for
them; the peer with a certificate of the bridge's CA peers and its 500 numbered records are
all in Redis, in order; one peer in the log, exit 0, the key's passphrase never shown.

Run: /usr/bin/python3 tests/integration/test_cpp_security.py
     (env: see harness.py; ZRB_SEQ_PUBLISHER, default build/tests/seq_publisher)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))

import harness  # noqa: E402
import tls_checks  # noqa: E402
from fault import Publisher  # noqa: E402
from harness import Checks, TestError  # noqa: E402

RECORDS = 500
KEY = "zeek:seq"


def main():
    checks = Checks("test_cpp_security")

    def connect(port, who, files):
        args = ["--tls", "--wait-s", "30" if who == tls_checks.GOOD else "4"]
        for name, path in files.items():
            args += [f"--ssl-{name}", path]
        return Publisher(port, RECORDS, batch=100, node="security-test", args=args)

    def deliver(peer, redis):
        peer.wait_sent(30)
        harness.wait_until(lambda: redis.xlen(KEY) >= RECORDS, 30,
                           f"{RECORDS} records over TLS")
        expected = [f'{{"seq":{n}}}'.encode() for n in range(RECORDS)]
        got = redis.stream_json(KEY)
        if got != expected:
            raise TestError(f"{KEY} holds other records than sent: "
                            f"{harness.first_differences(expected, got)}")

    tls_checks.run(checks, connect, deliver)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
