#!/usr/bin/env python3
"""Checks that every include in bridge/ points where its folder may point.

Each folder of bridge/ has a README.md whose line "May include: a, b, ..."
names the folders (relative to bridge/) its files may include; a folder may
always include itself. A file belongs to the deepest folder above it that
has a README.md, and so does an included path. Besides:
  - libbroker and CAF (<broker/...>, <caf/...>) only below bridge/transport/
    (in a transport's own folder, not in transport/ itself);
  - unit tests (*.test.cc) may also include the test helpers, "support/...".

Usage: check_includes.py [BRIDGE_DIR]    (default: the bridge/ beside tests/)
       check_includes.py --self-test     (proves it fails on a bad include)
Exit 0 when every include is allowed; 1 with one line per violation.
"""
import pathlib
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
TRANSPORT_LIBS = ("broker/", "caf/")


def folder_of(path, folders):
    """The deepest folder in `folders` that holds `path` ('' is the root)."""
    parts = pathlib.PurePosixPath(path).parts[:-1]
    for n in range(len(parts), 0, -1):
        candidate = "/".join(parts[:n])
        if candidate in folders:
            return candidate
    return ""


def read_rules(bridge):
    rules = {}
    for readme in bridge.rglob("README.md"):
        folder = readme.parent.relative_to(bridge).as_posix()
        folder = "" if folder == "." else folder
        allowed = None
        for line in readme.read_text().splitlines():
            if line.startswith("May include:"):
                names = line[len("May include:"):].split(",")
                allowed = {n.strip() for n in names if n.strip()}
        if allowed is None:
            raise SystemExit(f"{readme}: no 'May include:' line")
        rules[folder] = allowed
    return rules


def check(bridge):
    bridge = pathlib.Path(bridge)
    rules = read_rules(bridge)
    violations, checked = [], 0
    for source in sorted(bridge.rglob("*")):
        if source.suffix not in (".cc", ".hh"):
            continue
        rel = source.relative_to(bridge).as_posix()
        here = folder_of(rel, rules)
        is_test = rel.endswith(".test.cc") or rel.endswith(".test.hh")
        for number, line in enumerate(source.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            checked += 1
            kind, target = m.groups()
            where = f"{rel}:{number}: "
            if kind == "<":
                if target.startswith(TRANSPORT_LIBS) and not (
                        here.startswith("transport/")):
                    violations.append(where + f"<{target}> outside a transport's folder")
                continue
            if is_test and target.startswith("support/"):
                continue
            if "/" not in target and here != "":
                violations.append(where + f'"{target}" is not written from bridge/')
                continue
            if not (bridge / target).exists():
                violations.append(where + f'"{target}" does not exist below bridge/')
                continue
            there = folder_of(target, rules)
            if there != here and there not in rules[here]:
                violations.append(
                    where + f'{here or "the root"} may not include {there or "the root"} ("{target}")')
    return violations, checked


def self_test():
    """A tree with one allowed and one forbidden include must give exactly
    the forbidden one; the real rules must be readable."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for folder, allowed in (("", "low, high"), ("low", ""), ("high", "low")):
            (root / folder).mkdir(exist_ok=True)
            (root / folder / "README.md").write_text(f"# x\n\nMay include: {allowed}\n")
        (root / "low/a.hh").write_text('#include "high/b.hh"\n#include <broker/data.hh>\n')
        (root / "high/b.hh").write_text('#include "low/a.hh"\n')
        violations, checked = check(root)
        expected = ["low/a.hh:1: low may not include high", "low/a.hh:2: <broker/data.hh>"]
        ok = checked == 3 and len(violations) == 2 and all(
            v.startswith(e) for v, e in zip(violations, expected))
        print("self-test:", "passed" if ok else f"FAILED {violations}")
        return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    bridge = argv[1] if len(argv) > 1 else pathlib.Path(__file__).resolve().parents[2] / "bridge"
    violations, checked = check(bridge)
    for v in violations:
        print(v)
    print(f"{checked} includes checked, {len(violations)} not allowed")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
