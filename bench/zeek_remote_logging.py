#!/usr/bin/python3
"""What Zeek's own remote logging costs Zeek 3.2, the route the bridge does not take.

    /usr/bin/python3 bench/zeek_remote_logging.py [--repeat 100] [--rounds 6]

Zeek can send its log writes to Broker peers itself (`Log::enable_remote_logging`, the
`$log_remote` of each filter): the logging manager converts each record, serializes it and
publishes it, batched in C++, as LogWrite messages on zeek/logs/<stream>. This measures that
cost with the real Zeek 3.2.4 (tests/zeek/zeek_runner.py) on the trace of bench/zeek_cost.py
(bench/make_trace.py, generated at run time), `local`, JSON files written in every mode,
alternating, --rounds times:

  a   JSON files only (remote logging off): the baseline
  p   peered with a python3-broker endpoint that subscribes to nothing, remote logging
      off: what the peering itself costs
  r   peered with a python3-broker endpoint subscribed to zeek/logs/, remote logging on
      (Broker::log_batch_interval 1 s of network time: on a fast trace about 5 records a
      message)
  rb  as r, with Broker::log_batch_interval so long that only Broker::log_batch_size (400)
      flushes: the largest batches

Zeek's CPU seconds (user + system of the Zeek process and its threads, wait4) per run, the
medians and their ratios to a; for r and rb the messages the subscriber received per topic.
python3-broker speaks Broker 1.4 only, so this is Zeek 3.2. Loopback only; every wait bounded.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "zeek"))

import zeek_runner  # noqa: E402
import harness  # noqa: E402

PEER = os.path.join(HERE, "zeek_remote_logging.zeek")

# The subscriber: listens on argv[1], subscribes to argv[2] ("" for nothing) and counts what
# arrives until argv[3] exists (Zeek has ended) and nothing came for a second, or 300 s.
SUBSCRIBER = r"""
import broker, os, select, sys, time
port, topic, done = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ep = broker.Endpoint()
sub = ep.make_subscriber(topic or "zeek-remote-logging/none")
ep.listen("127.0.0.1", port)
print("listening", flush=True)
topics, last, start = {}, time.time(), time.time()
while time.time() - start < 300:
    select.select([sub.fd()], [], [], 0.2)
    for t, _ in sub.poll():
        topics[t] = topics.get(t, 0) + 1
        last = time.time()
    if os.path.exists(done) and time.time() - last > 1.0:
        break
print(sum(topics.values()), " ".join(f"{t.split('/')[-1]}:{n}" for t, n in sorted(topics.items())), flush=True)
"""

MODES = {
    "a": ("JSON files only", None, ["Log::enable_remote_logging=F"]),
    "p": ("peered, remote logging off", "", ["Log::enable_remote_logging=F",
                                             "ZeekRemoteLogging::linger=0.0"]),
    "r": ("files + Zeek's remote logging", "zeek/logs/", []),
    "rb": ("files + remote logging, batches of 400", "zeek/logs/",
           ["Broker::log_batch_interval=100000sec"]),
}


def run(zeek, trace, mode, work):
    folder = tempfile.mkdtemp(prefix=f"run-{mode}-", dir=work)
    args = ["-C", "-r", trace, "local", "LogAscii::use_json=T", *MODES[mode][2]]
    sub = None
    topic = MODES[mode][1]
    done = os.path.join(folder, "zeek-ended")
    if topic is not None:
        port = harness.free_port()
        sub = subprocess.Popen(["/usr/bin/python3", "-c", SUBSCRIBER, str(port), topic, done],
                               stdout=subprocess.PIPE, text=True)
        if sub.stdout.readline().strip() != "listening":
            raise SystemExit("the python3-broker subscriber did not start")
        args += [PEER, f"ZeekRemoteLogging::peer_port={port}/tcp"]
    proc = zeek.start(args, folder)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        open(done, "w").close()
    received = ""
    if sub:
        try:
            received = sub.communicate(timeout=310)[0].strip()
        except subprocess.TimeoutExpired:
            sub.kill()
            received = "subscriber did not end"
    if status != 0:
        raise SystemExit(f"mode {mode}: zeek ended with status {status}\n"
                         + zeek_runner.output(folder)[-2000:])
    lines = sum(1 for name in os.listdir(folder) if name.endswith(".log")
                for _ in open(os.path.join(folder, name), "rb"))
    return usage.ru_utime + usage.ru_stime, lines, received


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--trace", default="http_bro.org")
    a = ap.parse_args()
    zeek = zeek_runner.Zeek("3.2")
    work = tempfile.mkdtemp(prefix="zrb-remote-logging-")
    trace = os.path.join(work, "big.pcap")
    source = [t for t in zeek_runner.traces() if a.trace in os.path.basename(t)]
    subprocess.run([sys.executable, os.path.join(HERE, "make_trace.py"), "--out", trace,
                    "--repeat", str(a.repeat), *source], check=True)
    order = list(MODES)
    cpu = {m: [] for m in order}
    try:
        for r in range(a.rounds):
            # Even rounds run the modes after a in reverse, as bench/zeek_cost.py does.
            for m in order if r % 2 == 0 else order[:1] + order[:0:-1]:
                secs, lines, received = run(zeek, trace, m, work)
                cpu[m].append(secs)
                print(f"round {r + 1} mode {m}: Zeek CPU {secs:.2f} s, {lines} log lines"
                      + (f"; subscriber got {received}" if received else "") + "; load average "
                      + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    finally:
        zeek.close()
        zeek_runner.shutil.rmtree(work, ignore_errors=True)
    print(f"\nZeek {zeek.number}, trace {a.trace} x{a.repeat}, {a.rounds} rounds; "
          f"{os.cpu_count()} CPUs")
    print("| mode | Zeek CPU s (median) | all runs | vs a (medians) | vs a (median of rounds) |")
    print("|---|---:|---|---:|---:|")
    for m in order:
        med = statistics.median(cpu[m])
        paired = statistics.median(x / y for x, y in zip(cpu[m], cpu["a"]))
        print(f"| {m}: {MODES[m][0]} | {med:.2f} | {', '.join(f'{x:.2f}' for x in cpu[m])} | "
              f"{med / statistics.median(cpu['a']):.2f} | {paired:.2f} |")


if __name__ == "__main__":
    main()
