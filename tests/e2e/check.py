#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks journal entries (journalctl -o json, one per line, on stdin).

  check.py --count N [--what TEXT] CHECK...
      Exactly N entries, and every CHECK holds for each:
        FIELD=VALUE     present once, equal to VALUE
        FIELD~REGEX     present once, the whole value matches REGEX
        FIELD[]=A|B     present, and its values (repeated field) are exactly {A, B}
        FIELD[]+=A      present, and A is one of its values
        FIELD*=TEXT     present once, contains TEXT
        FIELD!=VALUE    absent, or present once and not VALUE
        FIELD>=N        present once, an integer >= N
        !FIELD          absent
  check.py --print FIELD
      The value of FIELD in the single entry given.

On failure it prints every entry's fields, so the log shows what was written.
"""

import argparse
import json
import re
import sys

HIDE = ("_", "__")


def values(entry, field):
    v = entry.get(field)
    if v is None:
        return []
    if isinstance(v, list):
        if v and isinstance(v[0], int):         # binary value: a list of bytes
            return [bytes(v).decode(errors="replace")]
        return [x if isinstance(x, str) else bytes(x).decode(errors="replace") for x in v]
    return [v]


def check(entry, spec):
    """Returns None when SPEC holds for ENTRY, else the reason."""
    if spec.startswith("!"):
        field = spec[1:]
        got = values(entry, field)
        return None if not got else f"{field} should be absent, is {got}"
    m = re.fullmatch(r"([A-Z0-9_]+)(\[\]=|\[\]\+=|>=|\*=|!=|=|~)(.*)", spec, re.S)
    if not m:
        sys.exit(f"check.py: bad check '{spec}'")
    field, op, want = m.groups()
    got = values(entry, field)
    if op == "!=":
        return None if want not in got else f"{field}={want!r}, wanted anything else"
    if not got:
        return f"{field} is missing (wanted {op}{want})"
    if op == "[]=":
        if sorted(got) != sorted(want.split("|")):
            return f"{field} is {got}, wanted exactly {want.split('|')}"
        return None
    if op == "[]+=":
        return None if want in got else f"{field} is {got}, wanted {want!r} among them"
    if len(got) != 1:
        return f"{field} appears {len(got)} times: {got}"
    v = got[0]
    if op == "=" and v != want:
        return f"{field}={v!r}, wanted {want!r}"
    if op == "*=" and want not in v:
        return f"{field}={v!r} does not contain {want!r}"
    if op == "~" and not re.fullmatch(want, v, re.S):
        return f"{field}={v!r} does not match /{want}/"
    if op == ">=":
        if not re.fullmatch(r"[0-9]+", v) or int(v) < int(want):
            return f"{field}={v!r}, wanted an integer >= {want}"
    return None


def show(entry):
    return "  " + " ".join(
        f"{k}={values(entry, k) if len(values(entry, k)) > 1 else values(entry, k)[0]!r}"
        for k in sorted(entry) if not k.startswith(HIDE) and values(entry, k))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int)
    p.add_argument("--what", default="entries")
    p.add_argument("--print", dest="field")
    p.add_argument("checks", nargs="*")
    args = p.parse_args()
    entries = [json.loads(line) for line in sys.stdin if line.strip()]

    if args.field:
        if len(entries) != 1:
            sys.exit(f"check.py: {len(entries)} entries for {args.what}, wanted exactly 1")
        got = values(entries[0], args.field)
        if len(got) != 1:
            sys.exit(f"check.py: {args.field} is {got} in the entry")
        print(got[0])
        return

    problems = []
    if args.count is not None and len(entries) != args.count:
        problems.append(f"{len(entries)} entries, wanted {args.count}")
    for i, e in enumerate(entries):
        for spec in args.checks:
            why = check(e, spec)
            if why:
                problems.append(f"entry {i + 1}: {why}")
    if problems:
        print(f"check: {args.what}:", file=sys.stderr)
        for line in problems:
            print("  " + line, file=sys.stderr)
        print("the entries:", file=sys.stderr)
        for e in entries:
            print(show(e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
