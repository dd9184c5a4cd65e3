#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs a command that must fail, and fail for the reason named.

    expect-failure.py --exit N [--output REGEX]... -- COMMAND [ARG]...

Passes (exit 0) when COMMAND exits with status N and every REGEX is found in
what it wrote (stdout and stderr together); fails (exit 1) otherwise, saying
which. A should-fail test written with it cannot pass on a crash, a missing
file or any other failure than the one it is about.
"""
import argparse
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exit", type=int, required=True, dest="status")
    ap.add_argument("--output", action="append", default=[])
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no command")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    sys.stdout.write(p.stdout)
    problems = []
    if p.returncode != a.status:
        problems.append(f"exit status {p.returncode}, expected {a.status}")
    for rx in a.output:
        if not re.search(rx, p.stdout, re.M):
            problems.append(f"no output matching {rx!r}")
    for problem in problems:
        print(f"expect-failure: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
