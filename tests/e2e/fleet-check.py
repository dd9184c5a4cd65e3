#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The collector's journal against the routers' own: every entry of every
router exactly once, with every field and every value of a repeated field.

  fleet-check.py [--missing-only] COLLECTOR.json ROUTER.json...

Each file is `journalctl --all -o json` output. An entry is compared whole:
every field journald and the program wrote, its timestamps, boot and machine
ID, hostname; only the cursor (which names the file it is stored in) is left
out, and the values of a repeated field are compared as a multiset, because
journalctl lists them in the order they are stored in the file.

An entry in the collector more than once fails, whatever the reason (an
upload resumed at its saved cursor rather than after it, or sent twice).
--missing-only: succeed once nothing is missing (while waiting).
"""
import argparse
import collections
import json
import sys

PER_FILE = {"__CURSOR", "__SEQNUM", "__SEQNUM_ID"}


def canonical(entry):
    items = []
    for field, value in entry.items():
        if field in PER_FILE:
            continue
        if isinstance(value, list) and value and not isinstance(value[0], int):
            value = tuple(sorted(value))        # repeated field
        elif isinstance(value, list):
            value = ("binary",) + tuple(value)
        items.append((field, value))
    return tuple(sorted(items))


def load(path):
    return [json.loads(line) for line in open(path)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--missing-only", action="store_true")
    p.add_argument("collector")
    p.add_argument("routers", nargs="+")
    args = p.parse_args()
    collector = load(args.collector)
    routers = [load(p) for p in args.routers]
    errors = []
    want = collections.Counter()
    for path, entries in zip(args.routers, routers):
        hosts = {e.get("_HOSTNAME") for e in entries}
        machines = {e.get("_MACHINE_ID") for e in entries}
        if len(hosts) != 1 or len(machines) != 1:
            errors.append(f"{path}: hostnames {hosts}, machine IDs {machines}: want one of each")
        want.update(canonical(e) for e in entries)
    for field in ("_HOSTNAME", "_MACHINE_ID"):
        values = [{e.get(field) for e in r} for r in routers]
        if len(set().union(*values)) != len(routers):
            errors.append(f"the routers do not each have a {field} of their own: {values}")
    got = collections.Counter(canonical(e) for e in collector)
    missing = want - got
    if args.missing_only:
        return 1 if missing else 0
    extra = got - want
    again = collections.Counter()
    for entry, n in extra.items():
        if entry in want:
            host = dict(entry).get("_HOSTNAME")
            again[host] += n
            if again[host] <= 5:
                errors.append(f"{n + 1} times in the collector: {dict(entry).get('MESSAGE')!r} "
                              f"from {host} ({dict(entry).get('SYSLOG_IDENTIFIER')})")
    for host, n in again.items():
        errors.append(f"{host}: {n} entries more than once in the collector")
    for entry, n in list(missing.items())[:5]:
        errors.append(f"missing from the collector ({n}x): {dict(entry).get('MESSAGE')!r} "
                      f"from {dict(entry).get('_HOSTNAME')}")
    for entry, n in [(e, n) for e, n in extra.items() if e not in want][:5]:
        errors.append(f"in the collector but not in a router ({n}x): {dict(entry).get('MESSAGE')!r}")
    multi = sum(n for e, n in got.items()
                if any(f == "APPLE_PRODUCT" and isinstance(v, tuple) and len(v) >= 3 for f, v in e))
    if multi == 0:
        errors.append("no entry with three products or more reached the collector")
    for e in errors:
        print(f"fleet-check: {e}", file=sys.stderr)
    if errors:
        print(f"fleet-check: {sum(missing.values())} missing, {sum(extra.values())} extra "
              f"of {sum(want.values())}", file=sys.stderr)
        return 1
    per_host = collections.Counter(dict(e).get("_HOSTNAME") for e in want.elements())
    print(f"fleet-check: {sum(want.values())} entries, every one in the collector with every "
          f"field, exactly once ({dict(per_host)}); {multi} with three products or more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
