"""Zeek TSV logs turned into the Broker events a Zeek node sends the bridge.

A Zeek ASCII log (`LogAscii::use_json=F`, the default) carries every field's
name and type in its `#fields` and `#types` header lines, so a log file alone
is enough to rebuild, value by value, what the zeek-redis-bridge package would
have published for the same records (docs/protocol.md):

* one `RedisBridge::log_schema(version, zeek_version, node, path, columns)`
  per log, its columns in the log's column order, flattened names such as
  `id.orig_h` mapped back to nested records (`id` is one nested record at the
  position of its first column), types spelled as `record_fields()` spells
  them (`vector of string`, not the TSV header's `vector[string]`);
* one `RedisBridge::log_batch(node, path, records)` per batch, each record the
  positional vector of the Zeek record, unset fields as nil.

What the text cannot give back exactly:

* doubles, times and intervals: the ASCII writer rounds them to 6 decimals.
  Callers that have the exact values (the JSON twin of a log) pass them in;
  otherwise the TSV digits are used. A time or interval becomes a Broker
  timestamp/timespan through `broker._broker.Timestamp(float)` /
  `Timespan(float)`, which convert seconds to nanoseconds with the same
  `std::chrono::duration_cast` as Zeek's own Broker conversion.
* a port's protocol: the TSV writes the number only. The record's own `proto`
  (or `port_proto`) field is used where it has one, else tcp; the bridge
  renders the number only, so this never shows in its output.
* the fields that are not `&log`: they are not in the file. Records carry the
  log columns only, unless `pad=True` asks for made-up unlogged fields in
  between (see `Layout`), which is what a real Zeek record looks like to the
  bridge: columns found by index, not by position.

Needs the `broker` Python module (python3-broker); run with the system Python.
This module is shared by deploy/replay.py and the integration tests.
"""

import ipaddress
import os
import re

import broker
from broker import _broker

PROTOCOL_VERSION = 1
SCHEMA_EVENT = "RedisBridge::log_schema"
BATCH_EVENT = "RedisBridge::log_batch"
LOGS_TOPIC = "zeek/redis/logs"

# The ASCII writer's two escapes, read left to right: a doubled backslash is one backslash,
# "\\xNN" one byte. (A backslash in a value is always escaped, so every
# backslash in the file starts one of the two.)
_ESCAPE = re.compile(rb"\\(\\|x([0-9a-fA-F]{2}))")

ATOMIC_TYPES = {
    "bool", "count", "int", "double", "time", "interval", "string", "addr", "subnet", "port",
    "enum", "pattern",
}


class TsvError(ValueError):
    """A log file or value this module cannot read."""


# --- reading files ---

class TsvLog:
    """One Zeek ASCII log: header values and the raw (still escaped) fields of each row."""

    def __init__(self, filename, path, fields, types, rows, separator, set_separator,
                 empty_field, unset_field):
        self.filename = filename
        #: log path (`conn`, `http`, ...): the `#path` header, else the file name.
        self.path = path
        self.fields = fields
        #: types as the `#types` header spells them (`vector[string]`).
        self.types = types
        #: list of rows, each a list of raw field bytes.
        self.rows = rows
        self.separator = separator
        self.set_separator = set_separator
        self.empty_field = empty_field
        self.unset_field = unset_field

    def column(self, row, name):
        """The raw bytes of column `name` in `row`, or None if the log has no such column."""
        try:
            return row[self.fields.index(name)]
        except ValueError:
            return None


def unescape(raw):
    """Undoes the ASCII writer's escapes: `\\\\` for a backslash, `\\xNN` for other bytes
    it must escape (separators, control and non-printable bytes)."""
    return _ESCAPE.sub(lambda m: b"\\" if m.group(2) is None else bytes([int(m.group(2), 16)]),
                       raw)


def read_tsv(filename):
    """Reads a Zeek ASCII log file into a `TsvLog`."""
    with open(filename, "rb") as f:
        data = f.read()
    separator = b"\t"
    header = {}
    rows = []
    for lineno, line in enumerate(data.split(b"\n"), 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            continue
        if line.startswith(b"#separator "):
            separator = unescape(line[len(b"#separator "):])
            continue
        if line.startswith(b"#"):
            parts = line.split(separator)
            header[parts[0][1:].decode("ascii", "replace")] = parts[1:]
            continue
        if "fields" not in header:
            raise TsvError(f"{filename}:{lineno}: data before the #fields line")
        row = line.split(separator)
        if len(row) != len(header["fields"]):
            raise TsvError(f"{filename}:{lineno}: {len(row)} fields, header has "
                           f"{len(header['fields'])}")
        rows.append(row)
    for key in ("fields", "types"):
        if key not in header:
            raise TsvError(f"{filename}: no #{key} line (not a Zeek ASCII log?)")
    fields = [f.decode("utf-8") for f in header["fields"]]
    types = [t.decode("utf-8") for t in header["types"]]
    if len(fields) != len(types):
        raise TsvError(f"{filename}: #fields and #types differ in length")

    def one(key, default):
        v = header.get(key)
        return unescape(v[0]) if v else default

    if "path" in header and header["path"]:
        path = header["path"][0].decode("utf-8")
    else:
        path = os.path.basename(filename).split(".")[0]
    return TsvLog(filename, path, fields, types, rows, separator,
                  one("set_separator", b","), one("empty_field", b"(empty)"),
                  one("unset_field", b"-"))


# --- types ---

def split_container(tsv_type):
    """("set", "string") for `set[string]`, ("vector", "interval") for `vector[interval]` or
    `vector of interval`, (None, t) for an atomic type."""
    m = re.fullmatch(r"(set|vector)\[(.+)\]", tsv_type)
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(r"vector of (.+)", tsv_type)
    if m:
        return "vector", m.group(1)
    return None, tsv_type


def ztype_name(tsv_type):
    """The type's name as Zeek's `record_fields()` reports it: TSV `vector[string]` becomes
    `vector of string`; `set[string]`, `count`, ... stay as they are."""
    kind, elem = split_container(tsv_type)
    if kind == "vector":
        return "vector of " + elem
    return tsv_type


def is_exact_type(tsv_type):
    """True for types whose TSV text is rounded (double, time, interval and containers of them)."""
    return split_container(tsv_type)[1] in ("double", "time", "interval")


# --- layout: flattened columns <-> nested records ---

class Layout:
    """How the flat columns of a log map onto a (nested) Zeek record.

    `columns` is the schema: one (name, ztype, index) per column, in column order. `build`
    turns one row's column values into the record's positional vector.

    Names are grouped by the part before the first '.', recursively: `id.orig_h`, `id.orig_p`,
    ... become one nested record `id` at the position of its first column. With `pad=True`
    every record (top-level and nested) also gets unlogged fields that no column points to: a
    nil, a string, a count and a nested record, interleaved with the logged ones, as Zeek's
    records have (conn's `Conn::Info` has a dozen non-`&log` fields, `conn_id` gained a `proto`
    in Zeek 8). The bridge must find the columns by their index and skip the rest.
    """

    _PAD_VALUES = (None, "not logged", broker.Count(7), ["nested", broker.Count(1), None])

    def __init__(self, fields, tsv_types, pad=False):
        self.pad = pad
        self._pad_counter = 0
        # tree: list of ("col", column number) or ("rec", name, subtree) or ("pad", value)
        self.tree = self._group(list(enumerate(fields)), depth=0)
        self.columns = [None] * len(fields)
        self._assign(self.tree, [], fields, tsv_types)

    def _next_pad(self):
        v = self._PAD_VALUES[self._pad_counter % len(self._PAD_VALUES)]
        self._pad_counter += 1
        return ("pad", v)

    def _group(self, items, depth):
        """items: (column number, remaining name). Returns a subtree."""
        tree = []
        groups = {}
        for col, name in items:
            head, dot, rest = name.partition(".")
            if dot:
                if head not in groups:
                    groups[head] = []
                    tree.append(("rec", head, groups[head]))
                groups[head].append((col, rest))
            else:
                tree.append(("col", col))
        out = []
        for i, node in enumerate(tree):
            if self.pad and i % 3 == 1:
                out.append(self._next_pad())
            if node[0] == "rec":
                out.append(("rec", node[1], self._group(node[2], depth + 1)))
            else:
                out.append(node)
        if self.pad:
            out.append(self._next_pad())
        return out

    def _assign(self, tree, prefix, fields, tsv_types):
        for pos, node in enumerate(tree):
            if node[0] == "col":
                col = node[1]
                self.columns[col] = (fields[col], ztype_name(tsv_types[col]), prefix + [pos])
            elif node[0] == "rec":
                self._assign(node[2], prefix + [pos], fields, tsv_types)

    def build(self, values):
        """The record for one row: `values[i]` is column i's Broker-ready value."""
        return self._build(self.tree, values)

    def _build(self, tree, values):
        rec = []
        for node in tree:
            if node[0] == "col":
                rec.append(values[node[1]])
            elif node[0] == "rec":
                sub = self._build(node[2], values)
                # An &optional record field that is unset arrives as nil, not as a vector of
                # nils. Zeek sends the nested vector when the record is set, even if all its
                # logged fields are unset; the padded layout sends that form, the plain one nil.
                logged = [v for n, v in zip(node[2], sub) if n[0] != "pad"]
                if not self.pad and all(v is None for v in logged):
                    rec.append(None)
                else:
                    rec.append(sub)
            else:
                rec.append(node[1])
        return rec


# --- values ---

def port_protocol(name):
    """broker.Port protocol for a transport name (`tcp`, `udp`, `icmp`, else unknown)."""
    return {
        "tcp": broker.Port.TCP,
        "udp": broker.Port.UDP,
        "icmp": broker.Port.ICMP,
    }.get(name, broker.Port.Unknown)


def _string(raw):
    b = unescape(raw)
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b  # python3-broker carries bytes as a Broker string with these exact bytes


def to_timestamp(seconds):
    """A Zeek `time` (double seconds) as Broker sends it: ns = trunc(seconds * 1e9)."""
    return _broker.Timestamp(float(seconds))


def to_timespan(seconds):
    """A Zeek `interval` (double seconds) as Broker sends it: ns = trunc(seconds * 1e9)."""
    return _broker.Timespan(float(seconds))


def _atom(raw, t, log, proto, exact):
    """One non-container value. `raw` is the field text as in the file (escaped)."""
    if t in ("double", "time", "interval"):
        x = float(exact) if exact is not None else float(raw)
        if t == "double":
            return x
        return to_timestamp(x) if t == "time" else to_timespan(x)
    if t in ("string", "pattern"):
        if raw == log.empty_field:
            return ""
        return _string(raw)
    if t == "count":
        return broker.Count(int(raw))
    if t == "int":
        return int(raw)
    if t == "bool":
        if raw == b"T":
            return True
        if raw == b"F":
            return False
        raise TsvError(f"bad bool {raw!r}")
    if t == "addr":
        return ipaddress.ip_address(raw.decode("ascii"))
    if t == "subnet":
        return ipaddress.ip_network(raw.decode("ascii"), strict=False)
    if t == "port":
        return broker.Port(int(raw), port_protocol(proto))
    if t == "enum":
        return broker.Enum(unescape(raw).decode("utf-8"))
    raise TsvError(f"unsupported type {t!r}")


def make_set(elements):
    """A Broker set of already converted elements (a Python set needs hashable ones)."""
    return _broker.Set([broker.Data(e) for e in elements])


def parse_value(raw, tsv_type, log, proto="tcp", exact=None):
    """One TSV field as the Broker-ready Python value Zeek would send.

    `exact`: for double/time/interval (and containers of them), the exact value(s) in seconds
    (a float, or a list of floats for a container), used instead of the rounded TSV digits.
    """
    if raw == log.unset_field:
        return None
    kind, elem = split_container(tsv_type)
    if kind is None:
        return _atom(raw, elem, log, proto, exact)
    if raw == log.empty_field:
        items = []
    else:
        items = raw.split(log.set_separator)
    if exact is not None and len(exact) != len(items):
        raise TsvError(f"{len(items)} elements, {len(exact)} exact values")
    values = []
    for i, item in enumerate(items):
        if item == log.unset_field:
            values.append(None)
        else:
            values.append(_atom(item, elem, log, proto, None if exact is None else exact[i]))
    return make_set(values) if kind == "set" else values


def record_proto(log, row):
    """The transport protocol to give the record's ports: its `proto` or `port_proto` enum."""
    for name in ("proto", "port_proto"):
        raw = log.column(row, name)
        if raw is not None and raw != log.unset_field:
            return raw.decode("ascii", "replace")
    return "tcp"


def row_values(log, row, exact=None):
    """Every column of `row` converted; `exact` maps a column number to its exact value."""
    proto = record_proto(log, row)
    out = []
    for i, (raw, t) in enumerate(zip(row, log.types)):
        try:
            out.append(parse_value(raw, t, log, proto, None if exact is None else exact.get(i)))
        except (ValueError, TsvError) as e:
            raise TsvError(f"{log.filename}: column {log.fields[i]} ({t}) = {raw!r}: {e}")
    return out


# --- exact values from a JSON twin ---

def exact_values(log, json_object):
    """{column number: exact value} for the double/time/interval columns of one row, from the
    same record as Zeek's JSON writer wrote it (epoch timestamps): the ASCII writer rounds these
    to 6 decimals, the JSON writer does not. `json_object` is the parsed JSON line."""
    out = {}
    for i, (name, t) in enumerate(zip(log.fields, log.types)):
        if is_exact_type(t) and name in json_object:
            out[i] = json_object[name]
    return out


def json_twin(filename):
    """For `.../tsv/<path>.log`, the JSON-writer log of the same records, `.../json/<path>.log`,
    if it exists (the layout of the shared corpus); else None."""
    d, name = os.path.split(os.path.abspath(filename))
    parent, leaf = os.path.split(d)
    if leaf != "tsv":
        return None
    twin = os.path.join(parent, "json", name)
    return twin if os.path.isfile(twin) else None


# --- events ---

def schema_columns(layout):
    """The `columns` argument of log_schema: [[name, ztype, [Count(i), ...]], ...]."""
    return [[name, ztype, [broker.Count(i) for i in index]]
            for name, ztype, index in layout.columns]


def schema_event(zeek_version, node, path, layout, version=PROTOCOL_VERSION):
    """RedisBridge::log_schema(version, zeek_version, node, path, columns)."""
    return broker.zeek.Event(SCHEMA_EVENT, broker.Count(version), broker.Count(zeek_version),
                             node, path, schema_columns(layout))


def batch_event(node, path, records):
    """RedisBridge::log_batch(node, path, records)."""
    return broker.zeek.Event(BATCH_EVENT, node, path, list(records))


def batches(items, size):
    """Splits a list into consecutive lists of at most `size` elements."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def is_tsv_log(filename):
    """True if the file starts like a Zeek ASCII log (`#separator ...`)."""
    try:
        with open(filename, "rb") as f:
            return f.read(11) == b"#separator "
    except OSError:
        return False


def find_logs(paths):
    """Expands files and directories into a sorted list of log files. Directories are searched
    recursively for `*.log` files that are Zeek ASCII logs (JSON logs beside them are left out);
    files named explicitly are always kept."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                out.extend(os.path.join(root, f) for f in files
                           if f.endswith(".log") and is_tsv_log(os.path.join(root, f)))
        else:
            out.append(p)
    return sorted(out)
