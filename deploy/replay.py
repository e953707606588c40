#!/usr/bin/python3
"""Replays Zeek TSV logs to a running zeek-redis-bridge, as a Zeek node would send them.

    /usr/bin/python3 deploy/replay.py --bridge 127.0.0.1:9999 --zeek-version 80010 deploy/sample

For every log file (a directory is searched for *.log) it peers with the bridge over Broker,
sends the log's schema (RedisBridge::log_schema) and then its records in batches
(RedisBridge::log_batch), exactly as docs/protocol.md describes; the bridge writes them to
Redis like those of a live Zeek. For the quick start, demos, and trying routes.

Values come from the TSV text, so doubles, times and intervals carry the ASCII writer's 6
decimals; where a file sits in a `tsv/` folder with a `json/` sibling holding the same log
written by Zeek's JSON writer (the shared corpus layout), the exact values are taken from there.

Needs python3-broker (Broker 1.4, the Broker of Zeek 3.2): run it with the system Python. The
bridge must listen for Broker peers (`--broker.listen 127.0.0.1:9999`).
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import broker
except ImportError:
    sys.exit("replay.py: the 'broker' module is missing; install python3-broker and run this "
             "with /usr/bin/python3")

import zeek_tsv  # noqa: E402


def parse_zeek_version(text):
    """`80010` or `8.0.10` -> 80010 (Zeek's Version::number)."""
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if m:
        major, minor, patch = (int(x) for x in m.groups())
        return major * 10000 + minor * 100 + patch
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"not a Zeek version: {text!r} (use 80010 or 8.0.10)")


def parse_host_port(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def peer(host, port, topic, timeout, disable_ssl):
    """An endpoint peered with the bridge, once the bridge's subscriptions have arrived."""
    opts = broker.BrokerOptions()
    # Broker peers over TLS unless both sides disable it (the bridge: --broker.disable-ssl).
    opts.disable_ssl = disable_ssl
    ep = broker.Endpoint(broker.Configuration(opts))
    status = ep.make_status_subscriber(True)
    ep.peer_nosync(host, port, 1.0)
    deadline = time.monotonic() + timeout
    peered = False
    while time.monotonic() < deadline:
        # StatusSubscriber.get(timeout) is broken in python3-broker 1.4: poll.
        for st in status.poll():
            if isinstance(st, broker.Status) and st.code() == broker.SC.PeerAdded:
                peered = True
        if peered and any(topic.startswith(t.string()) for t in ep.peer_subscriptions()):
            return ep
        time.sleep(0.05)
    ep.shutdown()
    what = f"subscription to {topic}" if peered else "peering"
    hint = "" if peered else (f" (is it running with --broker.listen {host}:{port}? TLS must "
                              f"match: --disable-ssl here if and only if --broker.disable-ssl "
                              f"there)")
    sys.exit(f"replay.py: no {what} from the bridge at {host}:{port} within {timeout:.0f}s"
             + hint)


def load(filename, use_twin):
    """(TsvLog, per-row converted values) for one file."""
    log = zeek_tsv.read_tsv(filename)
    exact = [None] * len(log.rows)
    twin = zeek_tsv.json_twin(filename) if use_twin else None
    if twin:
        with open(twin, "rb") as f:
            lines = [l for l in f.read().split(b"\n") if l]
        if len(lines) == len(log.rows):
            exact = [zeek_tsv.exact_values(log, json.loads(l)) for l in lines]
        else:
            print(f"  {twin}: {len(lines)} lines for {len(log.rows)} records, not used",
                  file=sys.stderr)
    values = [zeek_tsv.row_values(log, row, ex) for row, ex in zip(log.rows, exact)]
    return log, values


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bridge", type=parse_host_port, default=("127.0.0.1", 9999),
                    metavar="HOST:PORT", help="the bridge's Broker listen address "
                    "(default 127.0.0.1:9999)")
    ap.add_argument("--zeek-version", type=parse_zeek_version, default=80010,
                    help="Version::number the schemas announce: the bridge formats JSON like "
                    "that Zeek (default 80010, i.e. 8.0.10; 30204 for 3.2.4)")
    ap.add_argument("--node", default="replay", help="node name sent with every event "
                    "(default: replay)")
    ap.add_argument("--topic", default=zeek_tsv.LOGS_TOPIC,
                    help=f"topic to publish on (default {zeek_tsv.LOGS_TOPIC})")
    ap.add_argument("--batch-size", type=int, default=100,
                    help="records per log_batch event (default 100)")
    ap.add_argument("--disable-ssl", action="store_true",
                    help="peer without TLS, for a bridge run with --broker.disable-ssl (the "
                    "default, like the bridge's and Zeek's, is TLS)")
    ap.add_argument("--no-json-twin", action="store_true",
                    help="ignore json/ siblings of tsv/ folders; use the TSV digits")
    ap.add_argument("--timeout", type=float, default=15.0,
                    help="seconds to wait for the peering (default 15)")
    ap.add_argument("--linger", type=float, default=1.0,
                    help="seconds to stay peered after the last event so it is delivered "
                    "(default 1)")
    ap.add_argument("logs", nargs="+", metavar="DIR_OR_FILE",
                    help="Zeek TSV log files, or directories searched for *.log")
    args = ap.parse_args(argv)
    if args.batch_size < 1:
        ap.error("--batch-size must be at least 1")

    files = zeek_tsv.find_logs(args.logs)
    if not files:
        ap.error("no .log files found")
    loaded = []
    failed = 0
    for f in files:
        try:
            loaded.append(load(f, not args.no_json_twin))
        except zeek_tsv.TsvError as e:  # names the file itself
            print(f"skipping: {e}", file=sys.stderr)
            failed += 1
        except (OSError, ValueError) as e:
            print(f"skipping {f}: {e}", file=sys.stderr)
            failed += 1
    if not loaded:
        sys.exit("replay.py: nothing to send")

    host, port = args.bridge
    ep = peer(host, port, args.topic, args.timeout, args.disable_ssl)
    total = 0
    try:
        for log, values in loaded:
            layout = zeek_tsv.Layout(log.fields, log.types)
            ep.publish(args.topic, zeek_tsv.schema_event(args.zeek_version, args.node, log.path,
                                                         layout))
            records = [layout.build(v) for v in values]
            for chunk in zeek_tsv.batches(records, args.batch_size):
                ep.publish(args.topic, zeek_tsv.batch_event(args.node, log.path, chunk))
            total += len(records)
            print(f"{log.filename}: {len(records)} records of '{log.path}'")
        time.sleep(args.linger)
    finally:
        ep.shutdown()
    print(f"sent {total} records from {len(loaded)} logs to {host}:{port} as node "
          f"'{args.node}', Zeek {args.zeek_version}" + (f"; {failed} files skipped" if failed
                                                        else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
