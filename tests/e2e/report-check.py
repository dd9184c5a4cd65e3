#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks `appleflowctl report` against the journal entries it read, added
up here independently (tests/e2e/report.sh).

  report-check.py same BY REPORT.json ENTRIES.json
      Every group and the total of REPORT.json (report --by BY --json)
      equal the figures added up from ENTRIES.json (journalctl -o json of
      appleflowd's entries, one per line), and nothing is left out.
  report-check.py csv REPORT.csv REPORT.json
      The CSV says what the JSON says, row by row.
  report-check.py table REPORT.txt REPORT.json
      The table's rows and total say what the JSON says.
  report-check.py fleet REPORT.json COLLECTOR.json ROUTER.json...
      REPORT.json (report --by router over a collector's directory) gives
      each router the figures of that router's own journal (ROUTER.json,
      journalctl -o json there), and their sum as the total; the collector's
      entries (COLLECTOR.json) hold each entry once.
  report-check.py get REPORT.json GROUP FIGURE
      Prints one figure of one group ("total" for the total).
"""

import csv
import json
import sys
import time
from collections import defaultdict

IDS = {
    "fd9fd13f564b4308be583094f3978cff": "new",
    "609e0dafbd8641ea883bbaffb24a6aae": "end",
    "5e4dc41e3c774903b9cdc40510ca593e": "blocked",
}
FIGURES = ("connections", "ended", "bytes", "source_bytes", "destination_bytes", "blocked_packets")
FIELD = {"router": "_HOSTNAME", "service": "APPLE_SERVICE", "product": "APPLE_PRODUCT", "client": "SOURCE_IP"}


def fail(msg):
    sys.exit("report-check: " + msg)


def keys(e, by):
    if by in ("hour", "day"):
        t = time.localtime(int(e["__REALTIME_TIMESTAMP"]) // 1000000)
        return [time.strftime("%Y-%m-%d %H:00" if by == "hour" else "%Y-%m-%d", t)]
    v = e.get(FIELD[by])
    if v is None:
        return [None]
    return sorted(set(v)) if isinstance(v, list) else [v]


def entries(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def expected(by, path):
    groups = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    total = dict.fromkeys(FIGURES, 0)
    for e in entries(path) if isinstance(path, str) else path:
        kind = IDS.get(e.get("MESSAGE_ID"))
        if kind is None:
            continue
        add = dict.fromkeys(FIGURES, 0)
        if kind == "new":
            add["connections"] = 1
        elif kind == "blocked":
            add["blocked_packets"] = 1
        else:
            add["ended"] = 1
            add["source_bytes"] = int(e.get("SOURCE_BYTES", 0))
            add["destination_bytes"] = int(e.get("DESTINATION_BYTES", 0))
            add["bytes"] = add["source_bytes"] + add["destination_bytes"]
        for k in keys(e, by):
            for n in FIGURES:
                groups[k][n] += add[n]
        for n in FIGURES:
            total[n] += add[n]
    return groups, total


def load(path):
    with open(path) as f:
        return json.load(f)


def same(by, report_path, entries_path):
    o = load(report_path)
    groups, total = expected(by, entries_path)
    if o["by"] != by:
        fail(f"by is {o['by']!r}, asked {by!r}")
    got = {g[by]: {n: g[n] for n in FIGURES} for g in o["groups"]}
    if len(got) != len(o["groups"]):
        fail(f"a group printed twice: {o['groups']}")
    if got != dict(groups):
        fail(f"--by {by}: report says\n  {got}\nthe entries add up to\n  {dict(groups)}")
    if {n: o["total"][n] for n in FIGURES} != total:
        fail(f"--by {by}: total {o['total']}, the entries add up to {total}")
    if o["other"] is not None:
        fail(f"an (other) row with {len(got)} groups: {o['other']}")
    print(f"report --by {by}: {len(got)} groups, every figure as the entries add up")


def csv_same(csv_path, json_path):
    o = load(json_path)
    by = o["by"]
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    want = [{by: g[by] or ""} | {n: str(g[n]) for n in FIGURES} for g in o["groups"]]
    got = [{k: r[k] for k in [by, *FIGURES]} for r in rows]
    if got != want:
        fail(f"CSV\n  {got}\nJSON\n  {want}")
    print(f"report --by {by} --csv: {len(rows)} rows as in the JSON")


def table_same(txt_path, json_path):
    o = load(json_path)
    by = o["by"]
    with open(txt_path) as f:
        lines = f.read().splitlines()
    head = next(i for i, l in enumerate(lines) if l.startswith(by.upper() + " "))
    cols = lines[head].split()
    want = [[g[by] or "-", g["connections"], g["ended"], g["bytes"], g["blocked_packets"]] for g in o["groups"]]
    t = o["total"]
    want.append(["total", t["connections"], t["ended"], t["bytes"], t["blocked_packets"]])
    got = []
    for line in lines[head + 1:head + 1 + len(want)]:
        parts = line.rsplit(None, len(cols) - 1)
        got.append([parts[0].strip()] + [int(x) for x in parts[1:5]])
    if got != [[str(w[0])] + w[1:] for w in want]:
        fail(f"table\n  {got}\nJSON\n  {want}")
    print(f"report --by {by}: the table as in the JSON")


def fleet(report_path, collector_path, *router_paths):
    o = load(report_path)
    got = {g["router"]: {n: g[n] for n in FIGURES} for g in o["groups"]}
    seen, twice = set(), 0
    for e in entries(collector_path):
        key = (e.get("_BOOT_ID"), e.get("__MONOTONIC_TIMESTAMP"), e.get("__REALTIME_TIMESTAMP"), e.get("MESSAGE"))
        twice += key in seen
        seen.add(key)
    if twice:
        fail(f"{collector_path}: {twice} entries more than once")
    want_total = dict.fromkeys(FIGURES, 0)
    for path in router_paths:
        own = entries(path)
        hosts = {e["_HOSTNAME"] for e in own if e.get("MESSAGE_ID") in IDS}
        if len(hosts) != 1:
            fail(f"{path}: appleflowd's entries of {hosts}, not one router")
        host = hosts.pop()
        groups, _ = expected("router", own)
        if got.get(host) != groups[host]:
            fail(f"router {host}: the collector's report says {got.get(host)}, its own journal {groups[host]}")
        if groups[host]["connections"] == 0:
            fail(f"router {host}: no connections in its journal")
        for n in FIGURES:
            want_total[n] += groups[host][n]
    if {n: o["total"][n] for n in FIGURES} != want_total or len(got) != len(router_paths):
        fail(f"total {o['total']} over {sorted(got)}, the routers add up to {want_total}")
    print(f"report --by router over the collector: {len(got)} routers, each as its own journal, "
          f"and their sum")


def get(path, group, figure):
    o = load(path)
    if group == "total":
        print(o["total"][figure])
        return
    for g in o["groups"]:
        if g[o["by"]] == group:
            print(g[figure])
            return
    print(0)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "same":
        same(*args)
    elif mode == "csv":
        csv_same(*args)
    elif mode == "table":
        table_same(*args)
    elif mode == "fleet":
        fleet(*args)
    elif mode == "get":
        get(*args)
    else:
        fail(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
