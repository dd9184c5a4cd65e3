#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where appleflowd's writer thread and journald run, while they run.

Run beside a benchmark (bench/journal.sh), from outside its namespaces:
every 10 ms it finds the process of comm "systemd-journal" and the thread of
comm "writer" in a process of comm "appleflowd", and records both threads'
state, the CPU each last ran on and their CPU ticks. Then, for each
appleflowd it saw write, over its busiest stretch (from the first to the
last second in which the writer used 10 % of a CPU or more): the writer's
and journald's CPU use, how often both were runnable, and how often they
shared a CPU.

    bench/thread-placement.py SECONDS
"""

import os
import sys
import time
from collections import Counter, defaultdict

HZ = os.sysconf("SC_CLK_TCK")


def comm(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def find():
    writer = journald = None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        name = comm(f"/proc/{pid}/comm")
        if name == "systemd-journal":
            journald = f"/proc/{pid}/stat"
        elif name == "appleflowd":
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                if comm(f"/proc/{pid}/task/{tid}/comm") == "writer":
                    writer = (pid, f"/proc/{pid}/task/{tid}/stat")
    return writer, journald


def stat(path):
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return fields[0], fields[36], int(fields[11]) + int(fields[12])   # state, processor, ticks


def sample(seconds):
    rows, end = [], time.time() + seconds
    while time.time() < end:
        writer, journald = find()
        if not writer or not journald:
            time.sleep(0.2)
            continue
        for _ in range(100):                # the same threads for a second
            try:
                rows.append((time.time(), writer[0], *stat(writer[1]), *stat(journald)))
            except OSError:
                break
            time.sleep(0.01)
    return rows


def report(rows):
    by_pid = defaultdict(list)
    for r in rows:
        by_pid[r[1]].append(r)
    for pid, rs in by_pid.items():
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
        states = Counter((r[2], r[5]) for r in sel)
        print(f"appleflowd {pid}: {span:.1f} s writing; writer {(sel[-1][4] - sel[0][4]) / HZ / span * 100:.0f} % CPU,"
              f" journald {(sel[-1][7] - sel[0][7]) / HZ / span * 100:.0f} %; writer runnable"
              f" {sum(r[2] == 'R' for r in sel) / len(sel) * 100:.0f} % of {len(sel)} samples,"
              f" both runnable {states[('R', 'R')] / len(sel) * 100:.0f} %,"
              f" on the same CPU {sum(r[3] == r[6] for r in sel) / len(sel) * 100:.0f} %")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    report(sample(float(sys.argv[1])))


if __name__ == "__main__":
    main()
