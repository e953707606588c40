"""Fault (c): a python3-broker peer stops mid-stream and comes back, while another peer keeps
sending. The bridge keeps serving the other peer throughout; the returning peer sends its
schema again (as the scripts do after every new peering, docs/protocol.md) and everything it
sends after that is written. Both directions of peering are covered: a peer that connected to
the bridge (it comes back by itself), and a peer the bridge connects to (--broker.peer; the
bridge retries every --broker.retry-s until it is back)."""

import sys
import time

import broker

from fault import (BRIDGE_ARGS, Bridge, BrokerPeer, Checks, RedisServer, Tally, check_peers_back,
                   free_port, llen, read_seqs, report, tail, wait_until)

BATCH = 100
TOPIC = "zeek/redis/logs"


def schema(node, path):
    return broker.zeek.Event("RedisBridge::log_schema", broker.Count(1), broker.Count(30204), node,
                             path, [["seq", "count", [broker.Count(0)]]])


def batch(node, path, first):
    return broker.zeek.Event("RedisBridge::log_batch", node, path,
                             [[broker.Count(i)] for i in range(first, first + BATCH)])


class ListeningPeer:
    """A python3-broker endpoint that listens on `port` for the bridge to peer with it."""

    def __init__(self, port):
        self.port = port
        self.endpoint = None

    def __enter__(self):
        opts = broker.BrokerOptions()
        opts.disable_ssl = True
        self.endpoint = broker.Endpoint(broker.Configuration(opts))
        status = self.endpoint.make_status_subscriber(True)
        wait_until(lambda: self.endpoint.listen("127.0.0.1", self.port) == self.port, 20,
                   f"listening on {self.port}")

        def peered():
            return any(isinstance(s, broker.Status) and s.code() == broker.SC.PeerAdded
                       for s in status.poll())

        wait_until(peered, 30, "the bridge to peer with us")
        wait_until(lambda: any(TOPIC.startswith(t.string())
                               for t in self.endpoint.peer_subscriptions()), 30,
                   "the bridge's subscription")
        return self

    def publish(self, message):
        self.endpoint.publish(TOPIC, message)

    def close(self):
        if self.endpoint is not None:
            self.endpoint.shutdown()
            self.endpoint = None

    def __exit__(self, *exc):
        self.close()
        return False


def stream(peer, node, path, first, count):
    for start in range(first, first + count, BATCH):
        peer.publish(batch(node, path, start))
        time.sleep(0.01)


def main():
    checks = Checks("fault: Broker peers lost and back")
    out_port = free_port()
    args = BRIDGE_ARGS + ["--broker.peer", f"127.0.0.1:{out_port}", "--broker.retry-s", "1"]
    with RedisServer() as redis, Bridge(redis, args) as bridge:
        with BrokerPeer(bridge.port) as steady:
            steady.publish(schema("a", "seqa"))
            # Session 1 of the inbound peer (it connected to us) and of the outbound one.
            with BrokerPeer(bridge.port) as inbound, ListeningPeer(out_port) as outbound:
                inbound.publish(schema("b", "seqb"))
                outbound.publish(schema("c", "seqc"))
                for k in range(10):
                    steady.publish(batch("a", "seqa", k * BATCH))
                    inbound.publish(batch("b", "seqb", k * BATCH))
                    outbound.publish(batch("c", "seqc", k * BATCH))
                    time.sleep(0.02)
                wait_until(lambda: llen(redis, "zeek:seqb") >= 1000 and
                           llen(redis, "zeek:seqc") >= 1000, 30, "session 1 in Redis")
            lost_at = time.monotonic()
            # Both gone: the steady peer goes on and is served.
            wait_until(lambda: bridge.log().count("peer lost") >= 2, 30, "both losses noticed")
            stream(steady, "a", "seqa", 1000, 1000)
            wait_until(lambda: llen(redis, "zeek:seqa") >= 2000, 30, "the steady peer served")
            # Session 2: new endpoints, schema first, then the rest.
            with BrokerPeer(bridge.port) as inbound, ListeningPeer(out_port) as outbound:
                back = time.monotonic() - lost_at
                inbound.publish(schema("b", "seqb"))
                outbound.publish(schema("c", "seqc"))
                for k in range(10, 20):
                    steady.publish(batch("a", "seqa", k * BATCH + 1000))
                    inbound.publish(batch("b", "seqb", k * BATCH))
                    outbound.publish(batch("c", "seqc", k * BATCH))
                    time.sleep(0.02)
                wait_until(lambda: llen(redis, "zeek:seqa") >= 3000 and
                           llen(redis, "zeek:seqb") >= 2000 and
                           llen(redis, "zeek:seqc") >= 2000, 30, "session 2 in Redis")
                time.sleep(0.3)
        tallies = {"seqa": Tally(read_seqs(redis, "zeek:seqa"), 3000),
                   "seqb": Tally(read_seqs(redis, "zeek:seqb"), 2000),
                   "seqc": Tally(read_seqs(redis, "zeek:seqc"), 2000)}
        result = bridge.stop()
    for path, t in tallies.items():
        report(f"peer_restart_{path}", t, back if path != "seqa" else None)
    check_peers_back(checks, tallies, result, 5)
    if checks.failures:
        print(tail(result.log))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
