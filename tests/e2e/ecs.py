#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The journal-to-ECS mapping of docs/journal-fields.md, and a check of a
shipper's output against it.

  ecs.py mapping
      FIELD ecs.name, one a line, from the tables of docs/journal-fields.md.
  ecs.py check --config FILE --journal ENTRIES.json --output SHIPPED.json
      The shipper's configuration maps every field of the page (but the
      repeated APPLE_PRODUCT, which these shippers cannot carry: APPLE_PRODUCTS
      does), and each line of SHIPPED.json is the ECS document of the journal
      entry in the same place of ENTRIES.json (journalctl -o json): every
      field under its ECS name with its value, apple.products the list of
      every APPLE_PRODUCT value, host.name and @timestamp; nothing more.
      A search by product finds as many documents as journalctl does.
"""
import argparse
import collections
import datetime
import json
import os
import re
import sys

TOPDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
REPEATED = {"APPLE_PRODUCT": "APPLE_PRODUCTS"}
SEPARATOR = ";"


def mapping():
    """FIELD -> ECS name: the first name in backquotes of the ECS column."""
    text = open(os.path.join(TOPDIR, "docs", "journal-fields.md")).read()
    m = {}
    for line in text.splitlines():
        r = re.match(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*)\|", line)
        if not r:
            continue
        ecs = re.search(r"`([a-z0-9_.@]+)`", r[2])
        if not ecs:
            sys.exit(f"journal-fields.md: {r[1]} has no ECS name")
        if m.setdefault(r[1], ecs[1]) != ecs[1]:
            sys.exit(f"journal-fields.md: {r[1]} has two ECS names, {m[r[1]]} and {ecs[1]}")
    names = sorted(m.values())
    for a, b in zip(names, names[1:]):
        if b.startswith(a + "."):
            sys.exit(f"journal-fields.md: ECS name {a} is a value and the parent of {b}")
    return m


def flatten(doc, prefix=""):
    out = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def values(v):
    return v if isinstance(v, list) else [v]


def usec(iso):
    t = datetime.datetime.fromisoformat(iso)
    return int(t.timestamp()) * 1000000 + t.microsecond


def expected(entry, m):
    doc = {}
    for field, value in entry.items():
        if field in m and field not in REPEATED:
            if isinstance(value, list):
                raise SystemExit(f"{field} is repeated in an entry: {value}")
            doc[m[field]] = value
    if "APPLE_PRODUCTS" in entry:
        doc["apple.products"] = entry["APPLE_PRODUCTS"].split(SEPARATOR)
    doc["host.name"] = entry["_HOSTNAME"]
    return doc


def check(args):
    m = mapping()
    config = open(args.config).read()
    errors = []
    for field, name in m.items():
        if field in REPEATED:
            continue
        if not re.search(r"[!.]" + field + r"\b", config):
            errors.append(f"{args.config}: reads no {field}")
        if name not in config.replace("!", "."):
            errors.append(f"{args.config}: writes no {name} (for {field})")
    journal = [json.loads(line) for line in open(args.journal)]
    shipped = [json.loads(line) for line in open(args.output)]
    if len(shipped) != len(journal):
        errors.append(f"{len(journal)} journal entries, {len(shipped)} documents")
    multi = 0
    for i, (entry, doc) in enumerate(zip(journal, shipped)):
        flat = flatten(doc)
        stamp = flat.pop("@timestamp", None)
        want = expected(entry, m)
        if flat != want:
            missing = {k: v for k, v in want.items() if flat.get(k) != v}
            extra = {k: v for k, v in flat.items() if k not in want}
            errors.append(f"document {i + 1} ({entry.get('MESSAGE')!r}): wrong or missing {missing}, "
                          f"extra {extra}")
        # The time the entry was written, to the microsecond.
        times = {entry.get("_SOURCE_REALTIME_TIMESTAMP"), entry.get("__REALTIME_TIMESTAMP")}
        if stamp is None or str(usec(stamp)) not in times:
            errors.append(f"document {i + 1}: @timestamp {stamp}, the entry's {sorted(t for t in times if t)}")
        products = values(entry.get("APPLE_PRODUCT", []))
        if sorted(products) != sorted(flat.get("apple.products", [])):
            errors.append(f"document {i + 1}: apple.products {flat.get('apple.products')}, "
                          f"APPLE_PRODUCT {products}")
        if len(products) >= 3:
            multi += 1
    # A search by product: as many documents as journalctl APPLE_PRODUCT=P.
    in_journal = collections.Counter(p for e in journal for p in values(e.get("APPLE_PRODUCT", [])))
    in_shipped = collections.Counter(p for d in shipped for p in flatten(d).get("apple.products", []))
    if in_journal != in_shipped:
        errors.append(f"documents per product: journal {dict(in_journal)}, shipped {dict(in_shipped)}")
    if multi < args.min_multi:
        errors.append(f"{multi} entries with three products or more, wanted at least {args.min_multi}")
    for e in errors:
        print(f"ecs: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"ecs: {len(shipped)} documents, every field under its ECS name; {multi} with three "
          f"products or more; per product {dict(in_shipped)}")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("mapping")
    c = sub.add_parser("check")
    c.add_argument("--config", required=True)
    c.add_argument("--journal", required=True)
    c.add_argument("--output", required=True)
    c.add_argument("--min-multi", type=int, default=1)
    args = p.parse_args()
    if args.cmd == "mapping":
        for field, name in mapping().items():
            print(field, name)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
