#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where the thread that sends entries and journald run, while they run.

Run beside a benchmark (bench/journal.sh), from outside its namespaces:
every 10 ms it finds the process of comm "systemd-journal" and the sender:
the thread of comm "writer" in a process of comm "appleflowd", or else a
process of comm "journal-sender"; it records both threads' state, the CPU
each last ran on and their CPU ticks, and the machine's busy and idle time
per CPU (/proc/stat). Then, for each sender it saw send, over its busiest
stretch (the seconds in which it used 10 % of a CPU or more): the CPU use
of both by their ticks, how often the sender was runnable, how often the
two shared a CPU, and how busy each CPU of the machine was.

Per-thread ticks are sampled by the kernel's timer: when two threads hand
work to each other thousands of times a second, one may be charged for the
other's time. The machine's per-CPU figures do not have that bias.

    bench/thread-placement.py SECONDS
"""

import os
import sys
import time
from collections import defaultdict

HZ = os.sysconf("SC_CLK_TCK")


def comm(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def find():
    """(name, stat path) of the sender, and journald's stat path."""
    writer = sender = journald = None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        name = comm(f"/proc/{pid}/comm")
        if name == "systemd-journal":
            journald = f"/proc/{pid}/stat"
        elif name == "journal-sender":
            sender = (f"journal-sender {pid}", f"/proc/{pid}/stat")
        elif name == "appleflowd":
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                if comm(f"/proc/{pid}/task/{tid}/comm") == "writer":
                    writer = (f"appleflowd {pid}", f"/proc/{pid}/task/{tid}/stat")
    return sender or writer, journald


def stat(path):
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return fields[0], fields[36], int(fields[11]) + int(fields[12])   # state, processor, ticks


def cpu_times():
    """Per CPU: (busy, idle) ticks so far."""
    out = []
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                v = [int(x) for x in line.split()[1:9]]
                out.append((v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4]))
    return out


def sample(seconds):
    rows, end = [], time.time() + seconds
    while time.time() < end:
        sender, journald = find()
        if not sender or not journald:
            time.sleep(0.05)
            continue
        for _ in range(20):                 # the same threads for 0.2 s
            try:
                rows.append((time.time(), sender[0], *stat(sender[1]), *stat(journald), cpu_times()))
            except OSError:
                break
            time.sleep(0.01)
    return rows


def report(rows):
    by_sender = defaultdict(list)
    for r in rows:
        by_sender[r[1]].append(r)
    for name, rs in by_sender.items():
        busy = []
        for i, r in enumerate(rs):
            j = next((k for k in range(i, len(rs)) if rs[k][0] - r[0] >= 1.0), None)
            if j is not None and (rs[j][4] - r[4]) / HZ / (rs[j][0] - r[0]) >= 0.1:
                busy.append(r[0])
        if not busy:
            continue
        sel = [r for r in rs if busy[0] <= r[0] <= busy[-1] + 1.0]
        span = sel[-1][0] - sel[0][0]
        if span <= 0:
            continue
        cpus = []
        for c, ((b0, i0), (b1, i1)) in enumerate(zip(sel[0][8], sel[-1][8])):
            total = (b1 - b0) + (i1 - i0)
            cpus.append(f"cpu{c} {(b1 - b0) / total * 100 if total else 0:.0f} %")
        print(f"{name}: {span:.1f} s sending; by ticks the sender {(sel[-1][4] - sel[0][4]) / HZ / span * 100:.0f} %"
              f" of a CPU, journald {(sel[-1][7] - sel[0][7]) / HZ / span * 100:.0f} %; sender runnable"
              f" {sum(r[2] == 'R' for r in sel) / len(sel) * 100:.0f} % of {len(sel)} samples, on journald's CPU"
              f" {sum(r[3] == r[6] for r in sel) / len(sel) * 100:.0f} %; machine busy: {', '.join(cpus)}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    report(sample(float(sys.argv[1])))


if __name__ == "__main__":
    main()
