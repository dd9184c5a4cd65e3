#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes appleflowd-shaped journal entries in journal export format
(journalctl -o export), for systemd-journal-remote to turn into journal
files: bench/report.sh measures `appleflowctl report` on them.

  report-entries.py --count N [--routers R] [--days D] [--end SECONDS] [--seed S]

Entries as appleflowd writes them (docs/journal-fields.md): for each
connection a connection-new and, for most, a connection-end with byte
counts; some blocked packets; a summary per service every few thousand
entries; now and then a loss. Services, products, clients and routers are
drawn from fixed lists with a fixed seed, spread evenly over D days ending
at END (default: now), one host name per router (_HOSTNAME), so that
`--split-mode=host` makes one file per router as a collector does.
"""

import argparse
import random
import sys
import time

IDS = {
    "connection-new": "fd9fd13f564b4308be583094f3978cff",
    "connection-end": "609e0dafbd8641ea883bbaffb24a6aae",
    "packet-logged": "5e4dc41e3c774903b9cdc40510ca593e",
    "summary": "11273cb38051456499d5af49d5e775b5",
    "events-lost": "e9c264b830524f16b0c467e2af19a306",
}

# (service, port, transport, products, confidence), weighted by how often
# routers see them.
SERVICES = [
    ("apns", 5223, "tcp", ["APNs", "iCloud", "FaceTime", "Game Center", "iMessage", "Back to My Mac"], "high", 40),
    ("https", 443, "tcp", ["iCloud", "App Store", "iTunes Store", "Maps", "Siri"], "high", 30),
    ("facetime-rtp", 16393, "udp", ["FaceTime", "Game Center"], "medium", 10),
    ("mdns", 5353, "udp", ["Bonjour"], "medium", 8),
    ("game-center", 4398, "udp", ["Game Center"], "medium", 5),
    ("airplay", 7000, "tcp", ["AirPlay"], "medium", 4),
    ("apple-other", 40999, "tcp", [], "high", 3),
]
WEIGHTS = [s[5] for s in SERVICES]


def field(out, name, value):
    out.append(f"{name}={value}\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--routers", type=int, default=4)
    p.add_argument("--days", type=float, default=30)
    p.add_argument("--end", type=int, default=int(time.time()))
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    rnd = random.Random(a.seed)
    span = int(a.days * 86400 * 1e6)
    start = a.end * 1000000 - span
    step = max(span // max(a.count, 1), 1)
    boots = [f"{rnd.getrandbits(128):032x}" for _ in range(a.routers)]
    machines = [f"{rnd.getrandbits(128):032x}" for _ in range(a.routers)]
    ctid = 100000
    out = []
    w = sys.stdout.write
    for i in range(a.count):
        r = rnd.randrange(a.routers)
        t = start + i * step
        out.clear()
        field(out, "__REALTIME_TIMESTAMP", t)
        field(out, "__MONOTONIC_TIMESTAMP", t - start + 1)
        field(out, "_BOOT_ID", boots[r])
        field(out, "_MACHINE_ID", machines[r])
        field(out, "_HOSTNAME", f"router-{r + 1}")
        field(out, "_TRANSPORT", "journal")
        field(out, "_PID", 400 + r)
        field(out, "_UID", 0)
        field(out, "_COMM", "appleflowd")
        field(out, "SYSLOG_IDENTIFIER", "appleflowd")
        roll = rnd.random()
        svc, port, transport, products, conf, _ = rnd.choices(SERVICES, WEIGHTS)[0]
        if i % 5000 == 4999:
            kind = "summary"
        elif i % 100000 == 77777:
            kind = "events-lost"
        elif roll < 0.50:
            kind = "connection-new"
        elif roll < 0.95:
            kind = "connection-end"
        else:
            kind = "packet-logged"
        field(out, "MESSAGE_ID", IDS[kind])
        field(out, "EVENT_ACTION", kind)
        if kind == "summary":
            field(out, "PRIORITY", 6)
            field(out, "MESSAGE", f"{svc}: summary")
            field(out, "APPLE_SERVICE", svc)
            field(out, "SUMMARY_PERIOD_SEC", 300)
            field(out, "SUMMARY_CONNECTIONS", rnd.randrange(1000))
            field(out, "SUMMARY_BLOCKED_PACKETS", rnd.randrange(10))
            field(out, "SUMMARY_BYTES", rnd.randrange(10**7))
        elif kind == "events-lost":
            field(out, "PRIORITY", 4)
            field(out, "MESSAGE", "conntrack: the kernel dropped events")
            field(out, "EVENT_PROVIDER", "conntrack")
            field(out, "EVENTS_LOST", rnd.randrange(1, 500))
        else:
            client = f"192.168.{r}.{rnd.randrange(2, 200)}"
            sport = rnd.randrange(32768, 61000)
            dst = f"17.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
            field(out, "PRIORITY", 5 if kind == "packet-logged" else 6)
            field(out, "MESSAGE", f"{', '.join(products) or 'Apple'} ({svc} {port}/{transport}): "
                                  f"{client}:{sport} -> {dst}:{port}")
            field(out, "APPLE_SERVICE", svc)
            for prod in products:
                field(out, "APPLE_PRODUCT", prod)
            field(out, "APPLE_NETWORK", 1)
            field(out, "APPLE_CONFIDENCE", conf)
            field(out, "NETWORK_TRANSPORT", transport)
            field(out, "NETWORK_TYPE", "ipv4")
            field(out, "SOURCE_IP", client)
            field(out, "SOURCE_PORT", sport)
            field(out, "DESTINATION_IP", dst)
            field(out, "DESTINATION_PORT", port)
            if kind == "packet-logged":
                field(out, "NFLOG_GROUP", 2)
                field(out, "NFLOG_PREFIX", "drop")
                field(out, "IN_INTERFACE", "lan0")
                field(out, "OUT_INTERFACE", "wan0")
            else:
                ctid += 1
                field(out, "SOURCE_NAT_IP", f"198.51.100.{r + 1}")
                field(out, "SOURCE_NAT_PORT", sport)
                field(out, "CT_ID", ctid)
                field(out, "CT_MARK", 0)
                field(out, "CT_ZONE", 0)
            if kind == "connection-end":
                field(out, "SOURCE_BYTES", rnd.randrange(40, 100000))
                field(out, "SOURCE_PACKETS", rnd.randrange(1, 100))
                field(out, "DESTINATION_BYTES", rnd.randrange(40, 1000000))
                field(out, "DESTINATION_PACKETS", rnd.randrange(1, 1000))
                field(out, "EVENT_DURATION", rnd.randrange(10**6, 10**11))
        out.append("\n")
        w("".join(out))


if __name__ == "__main__":
    main()
