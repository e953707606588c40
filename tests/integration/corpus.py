"""The shared corpus as test input: each log's records as a Zeek node would send them, and the
JSON lines Zeek itself wrote for them (the expected output).

corpus/<version>/<trace>/tsv/<path>.log      Zeek's ASCII log: types, the records
corpus/<version>/<trace>/json/<path>.log     Zeek's JSON writer, epoch timestamps
corpus/<version>/<trace>/json-iso/<path>.log Zeek's JSON writer, JSON::TS_ISO8601

The TSV -> Broker conversion is deploy/zeek_tsv.py (shared with deploy/replay.py). This module
adds what only the corpus has: exact doubles, times and intervals. The ASCII writer rounds them
to 6 decimals, so they are taken from the JSON line at the same position (a Python float parses
the writer's digits back to the same double) and wrapped with broker's Timestamp/Timespan,
which compute the nanoseconds with the same duration_cast as Zeek.

It also checks itself: every other value converted from the TSV is compared with the JSON
line (same string, same number, same address text, ...), and every time and interval is checked
to carry trunc(seconds * 1e9) nanoseconds through broker.Data. A mismatch there is a defect of
the test input, reported by `CorpusLog.problems`, not of the bridge.
"""

import json
import os
import re

import harness  # noqa: F401  (puts deploy/ on sys.path and checks the broker module)
import zeek_tsv
import broker

SKIP_DIRS = {"websocket"}


def zeek_version_number(version_dir):
    """`zeek-3.2.4` -> 30204, `zeek-8.0.10` -> 80010 (Zeek's Version::number)."""
    m = re.fullmatch(r"zeek-(\d+)\.(\d+)\.(\d+)", version_dir)
    if not m:
        raise ValueError(f"not a corpus version folder: {version_dir}")
    major, minor, patch = (int(x) for x in m.groups())
    return major * 10000 + minor * 100 + patch


def _read_lines(filename):
    with open(filename, "rb") as f:
        return [l for l in f.read().split(b"\n") if l]


class CorpusLog:
    """One log of one trace of one Zeek version."""

    def __init__(self, root, version, trace, path):
        self.version = version
        self.trace = trace
        self.path = path
        self.zeek_version = zeek_version_number(version)
        base = os.path.join(root, version, trace)
        self.tsv = zeek_tsv.read_tsv(os.path.join(base, "tsv", path + ".log"))
        self.json_lines = _read_lines(os.path.join(base, "json", path + ".log"))
        self.iso_lines = _read_lines(os.path.join(base, "json-iso", path + ".log"))
        self.problems = []
        if not (len(self.tsv.rows) == len(self.json_lines) == len(self.iso_lines)):
            self.problems.append(f"{self.name}: {len(self.tsv.rows)} TSV rows, "
                                 f"{len(self.json_lines)} json lines, {len(self.iso_lines)} "
                                 f"json-iso lines")
        self.json_objects = [json.loads(l) for l in self.json_lines]
        self.values = []  # per row: converted column values
        for n, (row, obj) in enumerate(zip(self.tsv.rows, self.json_objects)):
            values = zeek_tsv.row_values(self.tsv, row, zeek_tsv.exact_values(self.tsv, obj))
            self.values.append(values)
            self._check_row(n, values, obj)

    @property
    def name(self):
        return f"{self.version}/{self.trace}/{self.path}"

    def layout(self, pad=False):
        return zeek_tsv.Layout(self.tsv.fields, self.tsv.types, pad=pad)

    def records(self, layout):
        return [layout.build(v) for v in self.values]

    # --- self-check of the conversion against Zeek's JSON ---

    def _check_row(self, n, values, obj):
        for i, (name, t) in enumerate(zip(self.tsv.fields, self.tsv.types)):
            v = values[i]
            where = f"{self.name} row {n} column {name} ({t})"
            if v is None:
                if name in obj:
                    self.problems.append(f"{where}: unset in TSV, {obj[name]!r} in JSON")
                continue
            if name not in obj:
                self.problems.append(f"{where}: {v!r} in TSV, absent from JSON")
                continue
            kind, elem = zeek_tsv.split_container(t)
            if kind is None:
                self._same(v, elem, obj[name], where)
            else:
                items = [broker.Data.to_py(d) for d in v] if kind == "set" else v
                js = obj[name]
                if not isinstance(js, list) or len(js) != len(items):
                    self.problems.append(f"{where}: {len(items)} elements, JSON has {js!r}")
                    continue
                if kind == "set":
                    # Broker sorts sets; compare members, not order.
                    if sorted(map(str, (_plain(x) for x in items))) != sorted(map(str, js)):
                        self.problems.append(f"{where}: set {items!r} vs JSON {js!r}")
                else:
                    for x, j in zip(items, js):
                        self._same(x, elem, j, where)

    def _same(self, v, t, js, where):
        if t in ("time", "interval"):
            # exact value came from this JSON; check the wrapping: ns = trunc(seconds * 1e9)
            ns = v.time_since_epoch().count() if t == "time" else v.count()
            want = int(float(js) * 1e9)
            d = broker.Data(v)
            dtype = broker.Data.Type.Timestamp if t == "time" else broker.Data.Type.Timespan
            if ns != want or d.get_type() != dtype:
                self.problems.append(f"{where}: {js!r} s became {ns} ns ({d.get_type()}), "
                                     f"expected {want}")
                return False
            return True
        if t == "double":
            ok = isinstance(v, float) and v == js
        elif t in ("string", "pattern"):
            ok = _zeek_json_string(v, self.zeek_version) == js
        elif t in ("count", "int"):
            n = v.value if isinstance(v, broker.Count) else v
            ok = isinstance(n, int) and n == js and not isinstance(js, bool)
        elif t == "bool":
            ok = v is js
        elif t in ("addr", "subnet"):
            ok = str(v) == js
        elif t == "port":
            ok = v.number() == js
        elif t == "enum":
            ok = v.name == js if hasattr(v, "name") else str(v) == js
        else:
            ok = False
        if not ok:
            self.problems.append(f"{where}: converted {v!r}, JSON has {js!r}")
        return ok


def _plain(x):
    """A value from broker.Data.to_py in the JSON writer's spelling (for set members)."""
    if hasattr(x, "name"):  # Enum
        return x.name
    if isinstance(x, broker.Count):
        return x.value
    return x


def _zeek_json_string(v, zeek_version):
    """What json.loads returns for the writer's rendering of a string value (bytes or str):
    valid UTF-8 kept, \\b \\f \\n \\r \\t as themselves, other control bytes and bytes that
    are not UTF-8 as the literal text \\xNN, DEL raw before Zeek 8 and \\x7f from it."""
    b = v if isinstance(v, bytes) else v.encode("utf-8")
    out = []
    i = 0
    while i < len(b):
        c = b[i]
        if c >= 0x80:
            for n in (4, 3, 2):
                try:
                    out.append(b[i:i + n].decode("utf-8"))
                    i += n
                    break
                except UnicodeDecodeError:
                    continue
            else:
                out.append("\\x%02x" % c)
                i += 1
            continue
        if c in b"\b\f\n\r\t" or (0x20 <= c < 0x7f) or (c == 0x7f and zeek_version < 70000):
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
        i += 1
    return "".join(out)


def corpus_root():
    return os.path.join(harness.shared_dir(), "corpus")


def load(versions=None):
    """Every log of every trace of every version (websocket/ skipped), as
    {(version, trace): [CorpusLog, ...]} in a stable order."""
    root = corpus_root()
    out = {}
    for version in sorted(os.listdir(root)):
        if not version.startswith("zeek-") or (versions and version not in versions):
            continue
        for trace in sorted(os.listdir(os.path.join(root, version))):
            if trace in SKIP_DIRS or not os.path.isdir(os.path.join(root, version, trace, "tsv")):
                continue
            logs = []
            for f in sorted(os.listdir(os.path.join(root, version, trace, "tsv"))):
                if f.endswith(".log"):
                    logs.append(CorpusLog(root, version, trace, f[:-4]))
            out[(version, trace)] = logs
    return out
