#!/usr/bin/env python3
"""Check data/apple-ports.tsv against the five versions of Apple's port article.

usage: check-seed-coverage.py [--without ID]... CATALOG.tsv SEEDS_DIR

Every table row of every seed version (port or range, transport) must be
covered by an entry that lists that version's token and has exactly that port
or range among its ports and a transport that includes the row's. Rows and
entries are counted per (version, port or range, transport): a version that
lists 500/udp twice (VPN and Wi-Fi Calling) needs two entries claiming it, and
an entry may not claim a version whose seed does not list that port and
transport. The catalogue's basic shape (docs/catalogue-format.md) is checked
too. Exits 0 when everything matches, 1 otherwise, 77 (skip) when SEEDS_DIR
does not exist. --without ID checks as if that entry were missing (a test
that the check can fail).
"""
import collections
import os
import re
import sys

# seed file prefix -> version token (docs/catalogue-format.md)
VERSIONS = [("000", "en2015"), ("001", "pl"), ("002", "zh"), ("003", "nl"), ("004", "de2015")]
TOKENS = [t for _, t in VERSIONS]

TRANSPORTS = {"TCP": "tcp", "UDP": "udp", "TCP/UDP": "tcp/udp", "-": "-"}

# A port, a range (hyphen or en dash, spaces allowed around it), or several
# of them separated by ',' or '&' (`1099 & 8043`, `8821, 8826`).
_ONE = r"\d{1,5}(?:\s*[-\u2013]\s*\d{1,5})?"
PORTSPEC = r"%s(?:\s*[,&]\s*%s)*" % (_ONE, _ONE)
PORTSPEC_RE = re.compile(r"^(%s)$" % PORTSPEC)

Row = collections.namedtuple("Row", "prefix line ranges transport")


class ParseError(Exception):
    pass


def parse_portspec(text):
    """'1099 & 8043' -> [(1099, 1099), (8043, 8043)]; None if not a port spec."""
    text = text.strip()
    if not PORTSPEC_RE.match(text):
        return None
    ranges = []
    for item in re.split(r"\s*[,&]\s*", text):
        lo, _, hi = re.sub(r"\s*[-\u2013]\s*", "-", item).partition("-")
        lo = int(lo)
        hi = int(hi) if hi else lo
        if lo > 65535 or hi > 65535 or hi < lo:
            return None
        ranges.append((lo, hi))
    return ranges


def transport_of(text):
    return TRANSPORTS.get(text.strip().replace(" ", ""))


def parse_pipe_table(prefix, lines):
    """000 (English 2015): `port | transport | protocol | ...`; a few rows are
    broken over two lines (`8821, 8826 |` then `TCP | Stored | ...`)."""
    rows = []
    for i, line in enumerate(lines):
        fields = [f.strip() for f in line.split("|")]
        if len(fields) < 2:
            continue
        ranges = parse_portspec(fields[0])
        if ranges is None:
            continue
        transport = transport_of(fields[1])
        if transport is None and fields[1] == "" and len(fields) == 2 and i + 1 < len(lines):
            transport = transport_of(lines[i + 1].split("|")[0])
        if transport is None:
            continue        # a continuation such as `1939 | pop3 | Mail ...`
        rows.append(Row(prefix, i + 1, ranges, transport))
    return rows


def table_region(lines, is_header, is_end):
    start = next((i + 1 for i, l in enumerate(lines) if is_header(l)), None)
    if start is None:
        raise ParseError("table header not found")
    end = next((i for i in range(start, len(lines)) if is_end(lines[i])), len(lines))
    return start, end


_SPACED_RE = re.compile(r"^(%s)(?=\s|$)(?:\s+(TCP/UDP|TCP|UDP)(?=\s|$))?\s*(.*)$" % PORTSPEC)
_LEADING_TRANSPORT_RE = re.compile(r"^(TCP/UDP|TCP|UDP)(?=\s|$)")


def parse_spaced_table(prefix, lines):
    """001 (Polish), 003 (Dutch): `port transport protocol rfc name used-by`
    separated by spaces, cells broken over lines. A port alone on a line takes
    the transport that starts the next line (`8821, 8826` / `TCP Stored ...`).
    A line starting with a number but no transport is a row without transport
    (11211, 50003) only if it keeps the table's ascending port order;
    otherwise it is a wrapped cell (`1939 pop3 Mail ...` after 110)."""
    start, end = table_region(lines, lambda l: l.startswith("RFC2 "), lambda l: l.startswith("1. "))
    cands = []          # (line index, ranges, transport or None)
    for i in range(start, end):
        line = lines[i].strip()
        m = _SPACED_RE.match(line)
        if not m:
            continue
        ranges = parse_portspec(m.group(1))
        if ranges is None:
            continue
        transport = transport_of(m.group(2)) if m.group(2) else None
        if transport is None and not m.group(3):
            nxt = next((l.strip() for l in lines[i + 1:end] if l.strip()), "")
            t = _LEADING_TRANSPORT_RE.match(nxt)
            if t:
                transport = transport_of(t.group(1))
            else:
                continue
        cands.append((i, ranges, transport))
    rows = []
    for k, (i, ranges, transport) in enumerate(cands):
        if transport is None:
            prev = rows[-1].ranges[0][0] if rows else 0
            nxt = next((c[1][0][0] for c in cands[k + 1:] if c[2] is not None), 65536)
            if not prev <= ranges[0][0] <= nxt:
                continue
            transport = "-"
        rows.append(Row(prefix, i + 1, ranges, transport))
    return rows


def parse_tab_table(prefix, lines):
    """002 (Chinese): tab-separated cells, some wrapped over lines."""
    start, end = table_region(lines, lambda l: l.startswith("\u7aef\u53e3\t"), lambda l: False)
    rows = []
    for i in range(start, end):
        fields = lines[i].split("\t")
        if len(fields) < 2:
            continue
        ranges = parse_portspec(fields[0])
        transport = transport_of(fields[1])
        if ranges is None or transport is None:
            continue
        rows.append(Row(prefix, i + 1, ranges, transport))
    return rows


_BOLD_PORT_RE = re.compile(r"^\*\*\s*(%s)\s*(?:\*\*)?\s*$" % PORTSPEC)


def parse_bold_blocks(prefix, lines):
    """004 (German 2015): one cell per line, each row opened by `**port**`;
    the transport is the next line that is not empty or a stray `**`."""
    rows = []
    for i, line in enumerate(lines):
        m = _BOLD_PORT_RE.match(line.strip())
        if not m:
            continue
        nxt = next((l.strip() for l in lines[i + 1:] if l.strip() not in ("", "**")), "")
        transport = transport_of(nxt)
        if transport is None:
            raise ParseError("line %d: port %s followed by %r, not a transport" % (i + 1, m.group(1), nxt))
        rows.append(Row(prefix, i + 1, parse_portspec(m.group(1)), transport))
    return rows


PARSERS = {"000": parse_pipe_table, "001": parse_spaced_table, "002": parse_tab_table,
           "003": parse_spaced_table, "004": parse_bold_blocks}


def seed_file(seeds, prefix):
    names = sorted(n for n in os.listdir(seeds) if n.startswith(prefix + "_"))
    if len(names) != 1:
        raise ParseError("%s: expected one file named %s_*, found %d" % (seeds, prefix, len(names)))
    return os.path.join(seeds, names[0])


# --- the catalogue ---------------------------------------------------------

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LIMITS = {"protocol": 127, "iana": 63, "rfc": 31, "versions": 63, "note": 255}
COLUMNS = ["id", "ports", "transport", "protocol", "iana", "rfc", "products", "versions", "scope", "note"]

Entry = collections.namedtuple("Entry", "line id ranges transport versions")


def load_catalog(path, errors):
    entries = []
    seen = {}
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        errors.append("%s: not UTF-8: %s" % (path, e))
        return entries
    for n, line in enumerate(text.split("\n"), 1):
        if line == "" or line.startswith("#"):
            continue
        where = "%s:%d" % (path, n)
        if len(line.encode()) > 2047:
            errors.append("%s: line longer than 2047 bytes" % where)
        fields = line.split("\t")
        if len(fields) != 10:
            errors.append("%s: %d fields, expected 10" % (where, len(fields)))
            continue
        e = dict(zip(COLUMNS, fields))
        bad = [c for c in COLUMNS if e[c] == "" or e[c] != e[c].strip()]
        if bad:
            errors.append("%s: empty field or stray space in %s" % (where, ", ".join(bad)))
        if not ID_RE.match(e["id"]) or len(e["id"]) > 47:
            errors.append("%s: bad id %r" % (where, e["id"]))
        if e["id"] in seen:
            errors.append("%s: duplicate id %r (first on line %d)" % (where, e["id"], seen[e["id"]]))
        seen.setdefault(e["id"], n)
        for c, limit in LIMITS.items():
            if len(e[c].encode()) > limit:
                errors.append("%s: %s longer than %d bytes" % (where, c, limit))
        ranges = []
        items = e["ports"].split(",")
        if len(items) > 8:
            errors.append("%s: more than 8 port items" % where)
        for item in items:
            m = re.match(r"^(\d{1,5})(?:-(\d{1,5}))?$", item)
            lo, hi = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (-1, -1)
            if not m or hi > 65535 or lo > hi:
                errors.append("%s: bad port or range %r" % (where, item))
                continue
            ranges.append((lo, hi))
        if e["transport"] not in ("tcp", "udp", "tcp/udp", "-"):
            errors.append("%s: bad transport %r" % (where, e["transport"]))
        products = [] if e["products"] == "-" else e["products"].split(";")
        if len(products) > 12:
            errors.append("%s: more than 12 products" % where)
        for p in products:
            name = p.split(" (")[0]
            if not name or name != name.strip() or len(name.encode()) > 47:
                errors.append("%s: bad product name %r" % (where, p))
        versions = e["versions"].split(",")
        for v in versions:
            if v not in TOKENS:
                errors.append("%s: unknown version %r" % (where, v))
        if len(set(versions)) != len(versions):
            errors.append("%s: a version listed twice" % where)
        if e["scope"] not in ("apple", "shared"):
            errors.append("%s: bad scope %r" % (where, e["scope"]))
        entries.append(Entry(n, e["id"], ranges, e["transport"], versions))
    return entries


def keys(ranges, transport):
    """(lo, hi, tcp|udp|-) for each range and transport a row or entry has."""
    ts = ["tcp", "udp"] if transport == "tcp/udp" else [transport]
    return [(lo, hi, t) for lo, hi in ranges for t in ts]


def fmt(key):
    lo, hi, t = key
    return "%s/%s" % (lo if lo == hi else "%d-%d" % (lo, hi), t)


def main(argv):
    args, without = argv[1:], set()
    while len(args) >= 2 and args[0] == "--without":
        without.add(args[1])
        args = args[2:]
    if len(args) != 2:
        sys.exit(__doc__)
    catalog, seeds = args
    if not os.path.isdir(seeds):
        print("seed directory %s not found; skipping" % seeds)
        return 77

    errors = []
    rows = {}
    for prefix, token in VERSIONS:
        try:
            path = seed_file(seeds, prefix)
            with open(path, encoding="utf-8") as f:
                rows[token] = PARSERS[prefix](prefix, f.read().split("\n"))
        except (OSError, ParseError) as e:
            errors.append("%s (%s): %s" % (prefix, token, e))
            rows[token] = []
        if not rows[token]:
            errors.append("%s (%s): no table rows found" % (prefix, token))
    entries = load_catalog(catalog, errors)
    unknown = without - {e.id for e in entries}
    if unknown:
        errors.append("--without: no entry %s" % ", ".join(sorted(unknown)))
    entries = [e for e in entries if e.id not in without]

    seed_keys = {t: collections.defaultdict(list) for t in TOKENS}
    for token, rs in rows.items():
        for r in rs:
            for k in keys(r.ranges, r.transport):
                seed_keys[token][k].append(r)
    entry_keys = {t: collections.defaultdict(list) for t in TOKENS}
    for e in entries:
        for v in e.versions:
            if v in entry_keys:
                for k in keys(e.ranges, e.transport):
                    entry_keys[v][k].append(e)

    for token in TOKENS:
        for k, rs in sorted(seed_keys[token].items()):
            es = entry_keys[token].get(k, [])
            if not es:
                for r in rs:
                    errors.append("%s line %d: %s not covered for %s" % (r.prefix, r.line, fmt(k), token))
            elif len(es) < len(rs):
                errors.append("%s lines %s: %s listed %d times, but only %d entries claim %s (%s)" % (
                    rs[0].prefix, ",".join(str(r.line) for r in rs), fmt(k), len(rs), len(es), token,
                    ", ".join(e.id for e in es)))
        for k, es in sorted(entry_keys[token].items()):
            n = len(seed_keys[token].get(k, []))
            if len(es) > n:
                for e in es:
                    errors.append("%s:%d: %s claims %s for %s, but that version lists it %d times "
                                  "and %d entries claim it" % (catalog, e.line, e.id, token, fmt(k),
                                                               n, len(es)))

    for prefix, token in VERSIONS:
        print("%s %-6s %3d seed rows" % (prefix, token, len(rows[token])))
    print("catalogue: %d entries" % len(entries))
    for e in errors:
        print(e)
    if errors:
        print("FAIL: %d problems" % len(errors))
        return 1
    print("OK: every seed row is covered and every version claim matches a seed row")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
