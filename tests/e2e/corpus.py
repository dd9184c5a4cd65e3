#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The tagging corpus (tests/tagging-corpus.txt) in the end-to-end lab.

  corpus.py plan CORPUS [--only CLASS --total N]
      What tests/e2e/corpus.sh does, one step a line, in order:
        DNAT PROTO WAN-PORT LAN-ADDRESS LAN-PORT
        SERVE NAMESPACE ADDRESS,... SPEC...
        CLIENT NAMESPACE PROTO ADDRESS PORT [--sport N] [--bind ADDRESS]
      Clients from a fixed LAN port go before the LAN's servers, which may
      listen on the same ports. With --only iphone|linux --total N: only the
      rows of that client, N connections in all in the corpus' proportions
      (each row N / rows times, the remainder to the first rows), as
        MANY NAMESPACE PROTO ADDRESS PORT TIMES
      for peer.py many.

  corpus.py check CORPUS JOURNAL STATS PROMETHEUS [--only CLASS --total N]
      JOURNAL: appleflowd's entries (journalctl -o json); STATS: appleflowctl
      stats --json; PROMETHEUS: the textfile. Every connection written has
      the service, side and confidence the corpus says, nothing else is
      written, and the statistics count exactly the corpus: per service,
      unmatched, excluded, seen. Prints what differs; exits 1 then.
"""

import ipaddress
import json
import re
import sys

RANGES = {"iphone": (49152, 65535), "linux": (32768, 60999)}
CONF = ["low", "medium", "high"]


def load(path, only=None, total=None):
    rows, router = load_all(path)
    if only:
        rows = [r for r in rows if r["sport"] == only]
        for i, r in enumerate(rows):
            r["times"] = total // len(rows) + (1 if i < total % len(rows) else 0)
    return rows, router


def load_all(path):
    rows, router = [], []
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@router"):
            router = [str(ipaddress.ip_address(a)) for a in line.split()[1:]]
            continue
        proto, src, dst, dnat, service, side, conf = line.split()[:7]
        r = {"line": n, "proto": proto, "service": service, "side": side, "confidence": conf,
             "times": 1}
        r["src"], r["sport"] = split(src)
        r["dst"], r["dport"] = split(dst)
        r["dnat"] = split(dnat) if dnat != "-" else None
        rows.append(r)
    return rows, router


def split(endpoint):
    addr, _, port = endpoint.rpartition(":")
    addr = str(ipaddress.ip_address(addr.strip("[]")))
    return addr, port if port in RANGES else int(port)


LAN = {"192.168.77.2": "lan", "fd77::2": "lan", "192.168.78.2": "lan2", "fd78::2": "lan2"}


def origin(r, router):
    if r["src"] in LAN:
        return LAN[r["src"]]
    return "rtr" if r["src"] in router else "inet"


def plan(path, only=None, total=None):
    rows, router = load(path, only, total)
    serve = {"inet": {}, "rtr": {}, "lan": {}}
    for r in rows:
        if r["dnat"]:
            addr, port = r["dnat"]
            print(f"DNAT {r['proto']} {r['dport']} {addr} {port}")
            serve["lan"].setdefault(addr, set()).add(f"{r['proto']}:{port}")
        else:
            ns = "rtr" if r["dst"] in router else "inet"
            serve[ns].setdefault(r["dst"], set()).add(f"{r['proto']}:{r['dport']}")
    for ns in ("inet", "rtr"):
        specs = sorted(set().union(*serve[ns].values())) if serve[ns] else []
        if specs:
            print(f"SERVE {ns} {','.join(sorted(serve[ns]))} {' '.join(specs)}")

    def client(r):
        ns = origin(r, router)
        if total:
            print(f"MANY {ns} {r['proto']} {r['dst']} {r['dport']} {r['times']}")
            return
        args = [f"CLIENT {ns} {r['proto']} {r['dst']} {r['dport']}"]
        if isinstance(r["sport"], int):
            args.append(f"--sport {r['sport']}")
        if ns in ("inet", "rtr"):
            args.append(f"--bind {r['src']}")
        print(" ".join(args))

    first = [r for r in rows if origin(r, router) == "lan" and isinstance(r["sport"], int)]
    for r in first:
        client(r)
    specs = sorted(set().union(*serve["lan"].values())) if serve["lan"] else []
    if specs:
        print(f"SERVE lan {','.join(sorted(serve['lan']))} {' '.join(specs)}")
    for r in rows:
        if r not in first:
            client(r)


class Checker:
    def __init__(self):
        self.errors = []

    def expect(self, cond, msg):
        if not cond:
            self.errors.append(msg)


def field(e, name):
    v = e.get(name)
    return v[0] if isinstance(v, list) else v


def check(path, journal, stats_path, prom_path, only=None, total=None, min_conf="medium"):
    rows, router = load(path, only, total)
    c = Checker()
    entries = [json.loads(l) for l in open(journal) if l.strip()]
    new = [e for e in entries if field(e, "EVENT_ACTION") == "connection-new"]
    used = set()
    written = 0
    for r in rows:
        if r["service"] in ("unmatched", "excluded") or CONF.index(r["confidence"]) < CONF.index(min_conf):
            continue
        written += r["times"]
        found = [i for i, e in enumerate(new)
                 if field(e, "SOURCE_IP") == r["src"] and field(e, "DESTINATION_IP") == r["dst"]
                 and field(e, "DESTINATION_PORT") == str(r["dport"])
                 and field(e, "NETWORK_TRANSPORT") == r["proto"]]
        what = f"line {r['line']} ({r['proto']} {r['src']} -> {r['dst']}:{r['dport']})"
        c.expect(len(found) == r["times"], f"{what}: {len(found)} connection-new entries, expected {r['times']}")
        used.update(found)
        for i in found:
            check_entry(c, r, what, new[i])
    for i, e in enumerate(new):
        c.expect(i in used, "an entry the corpus does not expect: " + str(field(e, "MESSAGE")))
    c.expect(len(new) == written, f"{len(new)} connection-new entries, expected {written}")
    check_stats(c, rows, stats_path, prom_path)
    for msg in c.errors[:50]:
        print(f"corpus: {msg}", file=sys.stderr)
    print(f"corpus: {sum(r['times'] for r in rows)} connections, {written} written, "
          f"{len(c.errors)} differences", file=sys.stderr)
    return 1 if c.errors else 0


def check_entry(c, r, what, e):
    got = (field(e, "APPLE_SERVICE"), field(e, "APPLE_MATCHED_SIDE"), field(e, "APPLE_CONFIDENCE"))
    c.expect(got == (r["service"], r["side"], r["confidence"]),
             f"{what}: {got}, the corpus says {(r['service'], r['side'], r['confidence'])}")
    sport = int(field(e, "SOURCE_PORT"))
    if isinstance(r["sport"], int):
        c.expect(sport == r["sport"], f"{what}: source port {sport}, expected {r['sport']}")
    else:
        lo, hi = RANGES[r["sport"]]
        c.expect(lo <= sport <= hi, f"{what}: source port {sport} not in {r['sport']}'s {lo}-{hi}")
    if r["side"] != "none":
        port = r["dnat"][1] if r["dnat"] else (r["sport"] if r["side"] == "client" else r["dport"])
        c.expect(field(e, "APPLE_MATCHED_PORT") == str(port),
                 f"{what}: APPLE_MATCHED_PORT {field(e, 'APPLE_MATCHED_PORT')}, expected {port}")
    if r["dnat"]:
        c.expect(field(e, "DESTINATION_NAT_IP") == r["dnat"][0] and
                 field(e, "DESTINATION_NAT_PORT") == str(r["dnat"][1]),
                 f"{what}: DESTINATION_NAT {field(e, 'DESTINATION_NAT_IP')}:{field(e, 'DESTINATION_NAT_PORT')}")


# Catalogue entries whose only ports are the dynamic range every client
# takes its ports from: a connection there would be a client's port.
BROAD_ONLY = ("xsan-data", "back-to-my-mac-dynamic")


def check_stats(c, rows, stats_path, prom_path):
    stats = json.load(open(stats_path))
    d = stats["daemon"]
    total = sum(r["times"] for r in rows)
    count = lambda what: sum(r["times"] for r in rows if r["service"] == what)
    want, conf = {}, {}
    for r in rows:
        if r["service"] not in ("unmatched", "excluded"):
            want[r["service"]] = want.get(r["service"], 0) + r["times"]
            k = conf.setdefault(r["service"], {x: 0 for x in CONF})
            k[r["confidence"]] += r["times"]
    got = {s["service"]: s["connections"] for s in stats["services"] if s["connections"]}
    c.expect(got == want, f"stats per service {got}, expected {want}")
    for s in stats["services"]:
        c.expect(s["confidence"] == conf.get(s["service"], {x: 0 for x in CONF}),
                 f"{s['service']}: confidence {s['confidence']}, expected {conf.get(s['service'])}")
        if s["service"] in BROAD_ONLY:
            c.expect(s["connections"] == 0, f"{s['service']}: {s['connections']} connections")
    acc = d["connections"]
    expected = {"seen": total, "tagged": sum(want.values()), "unmatched": count("unmatched"),
                "excluded": count("excluded")}
    c.expect(acc == expected, f"stats connections {acc}, expected {expected}")
    c.expect(acc["seen"] == acc["tagged"] + acc["unmatched"] + acc["excluded"], "seen != the sum")
    for proto in ("tcp", "udp"):
        n = sum(r["times"] for r in rows if r["service"] == "unmatched" and r["proto"] == proto)
        u = d["unmatched_by_transport"][proto]
        c.expect(u == {"apple_network": 0, "other": n}, f"unmatched {proto} {u}, expected {n} other")

    prom = {}
    for line in open(prom_path):
        m = re.match(r"^(appleflowd_\w+) (\d+)$", line)
        if m:
            prom[m.group(1)] = int(m.group(2))
    seen = prom.get("appleflowd_connections_seen_total")
    parts = [prom.get(k) for k in ("appleflowd_connections_tagged_total",
                                   "appleflowd_unmatched_connections_total",
                                   "appleflowd_excluded_connections_total")]
    c.expect(None not in parts and seen == sum(parts) == total,
             f"textfile: seen {seen}, tagged + unmatched + excluded {parts}, corpus {total}")


def options(args):
    only = total = None
    while args:
        if args[0] == "--only" and len(args) > 1:
            only, args = args[1], args[2:]
        elif args[0] == "--total" and len(args) > 1:
            total, args = int(args[1]), args[2:]
        else:
            raise SystemExit(f"corpus.py: unknown option {args[0]}")
    if (only is None) != (total is None):
        raise SystemExit("corpus.py: --only and --total go together")
    return only, total


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "plan":
        plan(sys.argv[2], *options(sys.argv[3:]))
        return 0
    if len(sys.argv) >= 6 and sys.argv[1] == "check":
        return check(*sys.argv[2:6], *options(sys.argv[6:]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
