#!/usr/bin/env python3
"""Tests of appleflowctl as a user runs it: output, JSON, exit codes, rules.

Exit statuses (appleflowctl(1), EXIT STATUS): 0 found or valid, 1 failure,
2 bad usage, 3 nothing matches, 4 not permitted, 6 invalid data, 7 no daemon.

usage: test-ctl.py APPLEFLOWCTL GROUP
GROUP is one of: lookup, json, exit, list, check, rules, golden, firewall, domains.
Exit 0 passed, 1 failed, 77 skipped (meson's convention).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample.tsv"
NETWORKS = HERE.parent.parent / "data" / "apple-networks.txt"
DOMAINS = HERE.parent.parent / "data" / "apple-domains.tsv"
CTL = None
failures = []
OK, FAILURE, USAGE, NO_MATCH, NO_PERMISSION, INVALID_DATA, NOT_RUNNING = 0, 1, 2, 3, 4, 6, 7


def run(*args, ok=(0, 1, 2, 3, 6)):
    p = subprocess.run([CTL, *args], capture_output=True, text=True, timeout=60)
    if p.returncode not in ok:
        fail(f"{' '.join(args)}: exit {p.returncode}, expected one of {ok}\n{p.stderr}")
    return p


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}", file=sys.stderr)


def expect(cond, msg):
    if not cond:
        fail(msg)


def expect_exit(args, code, stderr_re=None, stdout_re=None):
    p = run(*args, ok=(0, 1, 2, 3, 4, 6, 7, 77, 127, -6, -11))
    expect(p.returncode == code,
           f"appleflowctl {' '.join(args)}: exit {p.returncode}, expected {code}\n"
           f"stdout: {p.stdout[:500]}\nstderr: {p.stderr[:500]}")
    if stderr_re:
        expect(re.search(stderr_re, p.stderr),
               f"appleflowctl {' '.join(args)}: stderr {p.stderr!r} lacks /{stderr_re}/")
    if stdout_re:
        expect(re.search(stdout_re, p.stdout),
               f"appleflowctl {' '.join(args)}: stdout lacks /{stdout_re}/:\n{p.stdout[:2000]}")
    return p


def load_json(args):
    p = run(*args, "--json")
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError as e:
        fail(f"{' '.join(args)} --json: not JSON ({e}):\n{p.stdout[:1000]}")
        return {}


def covered(entries, transport, port):
    for e in entries:
        if e["transport"] not in (transport, "tcp/udp", "unspecified"):
            continue
        for r in e["ports"]:
            if r["lo"] <= port <= r["hi"]:
                return True
    return False


def unlisted_port(transport):
    """A port no catalogue entry lists for this transport (nor for the other)."""
    entries = load_json(["list"])["entries"]
    for port in list(range(1, 1024)) + list(range(30000, 49152)):
        if not covered(entries, "tcp", port) and not covered(entries, "udp", port):
            return port
    raise SystemExit("test-ctl: every port is listed; cannot test 'nothing matches'")


# --- groups -----------------------------------------------------------------

def test_lookup():
    p = expect_exit(["lookup", "5223/tcp"], 0, stdout_re=r"\bapns\b")
    expect("APNs" in p.stdout, "lookup 5223/tcp does not name APNs")
    expect("udp" not in p.stdout.split("\n")[0], "lookup 5223/tcp looked at udp")

    p = expect_exit(["lookup", "16385/udp"], 0)
    for product in ("FaceTime", "Game Center", "Messages", "iChat"):
        expect(product in p.stdout, f"lookup 16385/udp does not name {product}:\n{p.stdout}")
    expect(re.search(r"confidence (medium|high)", p.stdout), "16385/udp: no confidence")

    for q in ("17.1.2.3:443/tcp", "[2620:149::1]:443/tcp"):
        p = expect_exit(["lookup", q], 0)
        expect("in Apple's networks" in p.stdout, f"lookup {q}: no Apple network:\n{p.stdout}")
        expect("confidence high" in p.stdout, f"lookup {q}: not high confidence:\n{p.stdout}")
        expect(re.search(r"\bhttps\b", p.stdout), f"lookup {q}: https entry missing")

    p = expect_exit(["lookup", "192.0.2.1:443/tcp"], 0)
    expect("not in Apple's networks" in p.stdout, "192.0.2.1 reported as Apple's")
    expect("confidence high" not in p.stdout, "192.0.2.1:443 got high confidence")

    # A bare port looks at both transports.
    p = expect_exit(["lookup", "5223"], 0)
    expect("5223/tcp:" in p.stdout and "5223/udp:" in p.stdout,
           f"lookup 5223 did not look at tcp and udp:\n{p.stdout}")

    # Apple address, unlisted port: apple-other, high.
    port = unlisted_port("tcp")
    p = expect_exit(["lookup", f"17.1.2.3:{port}/tcp"], 0, stdout_re=r"apple-other")
    expect("confidence high" in p.stdout, "unlisted port on an Apple address is not high")

    # An address alone says whether it is Apple's.
    expect_exit(["lookup", "17.253.1.1"], 0, stdout_re=r"17\.0\.0\.0/8")
    expect_exit(["lookup", "2001:db8::1"], NO_MATCH, stdout_re=r"not in Apple's networks")

    # A whole connection, explained: an iPhone's port to an unlisted port.
    p = expect_exit(["lookup", "192.168.1.20:60321", "17.1.2.3:8/tcp"], 0, stdout_re=r"apple-other")
    expect("ephemeral" in p.stdout and "side none" in p.stdout, f"lookup connection:\n{p.stdout}")
    p = expect_exit(["lookup", "192.168.1.20:60321", "203.0.113.10:4"], NO_MATCH, stdout_re=r"unmatched")
    expect("xsan" not in p.stdout and "back-to-my-mac" not in p.stdout,
           f"a client's port made a tag:\n{p.stdout}")
    p = expect_exit(["lookup", "--dnat", "192.168.1.10:548", "198.51.100.7:50123",
                     "203.0.113.1:8548/tcp"], 0, stdout_re=r"afp, confidence medium, matched port 548")
    expect_exit(["lookup", "192.168.1.3:5223", "192.168.1.20:40000/tcp"], 0, stdout_re=r"side client")
    # --local-port-range makes 40000 a client's port or not.
    expect_exit(["lookup", "--local-port-range", "1024-2000", "192.168.1.3:5223", "192.168.1.20:1085/tcp"],
                0, stdout_re=r"side client")
    expect_exit(["lookup", "192.168.1.3:5223", "192.168.1.20:1085/tcp"], 0, stdout_re=r"side server")
    lookup_corpus()


def lookup_corpus():
    """Every row of the tagging corpus, at both ends of its client's port
    range: lookup gives the tag the tagger's own test expects."""
    ranges = {"iphone": (49152, 65535), "linux": (32768, 60999)}
    n = 0
    for line in (HERE.parent / "tagging-corpus.txt").read_text().splitlines():
        if not line.strip() or line.startswith(("#", "@")):
            continue
        proto, src, dst, dnat, service, side, confidence = line.split()[:7]
        if service == "excluded":
            continue
        addr, _, port = src.rpartition(":")
        for sport in ranges.get(port, (int(port),) if port.isdigit() else ()):
            args = ["lookup", f"{addr}:{sport}", f"{dst}/{proto}"]
            if dnat != "-":
                args[1:1] = ["--dnat", dnat]
            j = load_json(args)
            r = (j.get("results") or [{}])[0]
            got = (r.get("service") or "unmatched", r.get("side"), r.get("confidence"))
            want = (service, "none" if side == "-" else side, "none" if confidence == "-" else confidence)
            expect(got == want, f"{' '.join(args)}: {got}, the corpus says {want}")
            n += 1
    expect(n >= 80, f"only {n} corpus lookups")


def test_json():
    entry_keys = {"id", "ports", "transport", "products", "protocol", "iana", "rfc", "scope",
                  "confidence", "versions", "note", "line"}
    j = load_json(["lookup", "5223/tcp"])
    expect(j.get("query") == "5223/tcp" and j.get("port") == 5223, f"lookup JSON head: {j}")
    expect(j.get("confidence") in ("medium", "high"), f"5223/tcp confidence {j.get('confidence')}")
    expect(len(j.get("results", [])) == 1 and j["results"][0]["transport"] == "tcp",
           "5223/tcp: not exactly one tcp result")
    entries = j["results"][0]["entries"]
    expect(any(e["id"] == "apns" for e in entries), "5223/tcp JSON lacks apns")
    for e in entries:
        expect(set(e) == entry_keys, f"entry keys {sorted(e)} != {sorted(entry_keys)}")
        expect(all(set(p) == {"name", "aliases"} for p in e["products"]), "product keys")
        expect(isinstance(e["versions"], list) and e["versions"], "versions not a list")
        expect(all(r["lo"] <= 5223 <= r["hi"] for r in e["ports"][:1]) or len(e["ports"]) > 1,
               f"{e['id']} does not cover 5223")

    j = load_json(["lookup", "16385/udp"])
    products = {p["name"]: p["aliases"] for r in j["results"] for e in r["entries"]
                for p in e["products"]}
    for name in ("FaceTime", "Game Center", "Messages"):
        expect(name in products, f"16385/udp JSON lacks {name}")
    expect("iChat" in products.get("Messages", []), "Messages does not carry its alias iChat")

    j = load_json(["lookup", "17.1.2.3:443/tcp"])
    expect(j.get("apple_network") is True and j.get("network_prefix") == "17.0.0.0/8",
           f"17.1.2.3 JSON: {j.get('apple_network')} {j.get('network_prefix')}")
    expect(j.get("confidence") == "high" and j["results"][0]["confidence"] == "high",
           "17.1.2.3:443/tcp JSON confidence not high")

    j = load_json(["lookup", "5223"])
    expect([r["transport"] for r in j["results"]] == ["tcp", "udp"], "bare port JSON results")

    j = load_json(["list"])
    expect(len(j.get("entries", [])) > 50, "list --json has few entries")
    expect(all(set(e) == entry_keys for e in j["entries"]), "list --json entry keys")
    expect(len({e["id"] for e in j["entries"]}) == len(j["entries"]), "list --json ids repeat")
    expect(not any(e["id"] == "apple-other" for e in j["entries"]), "list shows apple-other")

    j = load_json(["products"])
    names = {p["name"]: p for p in j.get("products", [])}
    expect("FaceTime" in names and names["FaceTime"]["entries"] > 0, "products --json: FaceTime")
    expect("iChat" in names.get("Messages", {}).get("aliases", []), "products --json: iChat alias")

    j = load_json(["check", str(SAMPLE)])
    expect(j == {"valid": True, "catalog": {"file": str(SAMPLE), "valid": True, "entries": 8,
                                             "products": 3}}, f"check --json: {j}")
    # "catalog" is one type in every verb, the same as in stats.
    for verb in ("list", "products"):
        j = load_json(["--catalog", str(SAMPLE), verb])
        expect(j.get("catalog") == {"source": str(SAMPLE), "entries": 8, "products": 3},
               f"{verb} --json catalog: {j.get('catalog')}")


def test_exit():
    port = unlisted_port("tcp")
    expect_exit(["lookup", f"{port}/tcp"], NO_MATCH, stdout_re=r"no entry")
    expect_exit(["lookup", f"{port}"], NO_MATCH)
    j = load_json(["lookup", f"{port}/udp"])
    expect(j.get("confidence") == "none" and j["results"][0]["entries"] == [],
           f"unlisted port JSON: {j}")
    expect_exit(["lookup", "192.0.2.7"], NO_MATCH)

    for args, msg in ((["lookup"], r"exactly one"),
                      (["lookup", "1", "2"], r"ADDRESS:PORT"),
                      (["lookup", "65536/tcp"], r"not a port|bad port"),
                      (["lookup", "-1"], r"unrecognized|invalid"),
                      (["lookup", "5223/sctp"], r"unknown transport"),
                      (["lookup", "17.1.2.3:x/tcp"], r"bad port"),
                      (["lookup", "300.1.2.3:443"], r"bad IPv4"),
                      (["lookup", "[2620:149::1:443/tcp"], r"bad IPv6"),
                      (["lookup", "17.1.2.3/tcp"], r"needs a port"),
                      (["lookup", "--nonsense", "1"], r"unrecognized"),
                      ([], r"no verb"),
                      (["frobnicate"], r"unknown verb"),
                      (["list", "extra"], r"unexpected argument"),
                      (["list", "--product", "NoSuchProduct"], r"unknown product"),
                      (["list", "--service", "no-such-service"], r"unknown service"),
                      (["rules"], r"at least one --product"),
                      (["rules", "--product", "NoSuchProduct"], r"unknown product"),
                      (["rules", "--product", "FaceTime", "--format", "pf"], r"not nft or iptables"),
                      (["rules", "--product", "FaceTime", "--chain", "forward"], r"flush"),
                      (["rules", "--product", "FaceTime", "--chain", "a;b"], r"bad chain"),
                      (["rules", "--product", "FaceTime", "--table", "arp x"], r"family"),
                      (["rules", "--product", "FaceTime", "--format", "iptables", "--table", "nat"],
                       r"--table"),
                      (["check"], r"nothing to check: give a catalogue FILE, --networks FILE, --domains FILE, or several"),
                      (["check", "a", "b"], r"unexpected argument 'b'"),
                      (["lookup", "17.1.2.3/24"], r"'17\.1\.2\.3/24': lookup takes one address, not a prefix")):
        p = expect_exit(args, USAGE, stderr_re=msg)
        expect(p.stdout == "", f"{args}: error printed output on stdout: {p.stdout[:200]}")
    # A file that cannot be read is invalid data: the path and the reason, no line 0.
    for args, msg in ((["--catalog", "/nonexistent/catalog.tsv", "lookup", "5223"],
                       r"^/nonexistent/catalog\.tsv: No such file or directory$"),
                      (["--networks", "/nonexistent/networks.txt", "lookup", "17.1.2.3:1"],
                       r"^/nonexistent/networks\.txt: No such file or directory$"),
                      (["check", "/"], r"^/: is a directory; give the path of a catalogue file \(TSV\)$")):
        p = expect_exit(args, INVALID_DATA, stderr_re=msg)
        expect(p.stdout == "", f"{args}: error printed output on stdout: {p.stdout[:200]}")

    expect_exit(["--help"], 0, stdout_re=r"lookup")
    expect_exit(["lookup", "--help"], 0, stdout_re=r"usage: appleflowctl .*lookup")
    expect_exit(["rules", "--help"], 0, stdout_re=r"--format")
    expect_exit(["--version"], 0, stdout_re=r"appleflowctl \d")
    # Global options work before and after the verb.
    expect_exit(["--catalog", str(SAMPLE), "lookup", "400/udp"], 0, stdout_re=r"alpha-any")
    expect_exit(["lookup", "400/udp", "--catalog", str(SAMPLE)], 0, stdout_re=r"alpha-any")
    expect_exit(["lookup", "5223/tcp", "--catalog", str(SAMPLE)], NO_MATCH)
    # --opt=value as well as --opt value, options after the verb.
    expect_exit(["lookup", "400/udp", f"--catalog={SAMPLE}"], 0, stdout_re=r"alpha-any")
    expect_exit(["list", "--product=Beta", f"--catalog={SAMPLE}"], 0, stdout_re=r"beta-many")
    # Keywords take any case.
    expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "beta", "--format", "IPTABLES"], 0,
                stdout_re=r"(?m)^iptables ")
    # One meaning per option in --help: no option listed twice.
    for verb in ("lookup", "list", "products", "rules", "check", "stats", "report"):
        p = expect_exit([verb, "--help"], 0)
        opts = re.findall(r"^  (--[a-z-]+)", p.stdout, re.M)
        expect(len(opts) == len(set(opts)), f"{verb} --help lists an option twice: {opts}")
    expect_exit(["stats", "--socket", "/nonexistent/control"], NOT_RUNNING,
                stderr_re=r"^appleflowctl: /nonexistent/control: No such file or directory: appleflowd is "
                          r"not running")


def test_list():
    p = expect_exit(["list"], 0, stdout_re=r"^ID +PORTS")
    expect(re.search(r"^apns +5223 +tcp", p.stdout, re.M), "list lacks the apns row")

    for name in ("iChat", "ichat", "MESSAGES"):
        j = load_json(["list", "--product", name])
        ids = {e["id"] for e in j.get("entries", [])}
        expect(any("messages" in i or "ichat" in i for i in ids) and j["entries"],
               f"list --product {name}: {sorted(ids)}")
        expect(all(any(p["name"] == "Messages" for p in e["products"]) for e in j["entries"]),
               f"list --product {name} lists entries without Messages")

    ft = {e["id"] for e in load_json(["list", "--product", "FaceTime"])["entries"]}
    gc = {e["id"] for e in load_json(["list", "--product", "Game Center"])["entries"]}
    both = {e["id"] for e in load_json(["list", "--product", "FaceTime",
                                        "--product", "Game Center"])["entries"]}
    expect(both == ft | gc, "two --product options are not the union")
    expect("facetime-rtp" in ft or any("rtp" in i for i in ft), f"FaceTime entries: {ft}")

    j = load_json(["list", "--service", "apns"])
    expect([e["id"] for e in j["entries"]] == ["apns"], "list --service apns")
    expect_exit(["list", "--service", "apns", "--product", "Bonjour"], NO_MATCH)

    p = expect_exit(["products"], 0, stdout_re=r"^PRODUCT +ENTRIES")
    expect(re.search(r"^Messages +\d+ +.*iChat", p.stdout, re.M), "products: Messages row")
    p = expect_exit(["--catalog", str(SAMPLE), "products"], 0)
    expect(re.search(r"^Alpha +5 +Old Alpha$", p.stdout, re.M), f"sample products:\n{p.stdout}")


def test_check():
    expect_exit(["check", str(SAMPLE)], 0, stdout_re=rf"^{re.escape(str(SAMPLE))}: 8 entries, 3 products$")
    expect_exit(["check", "--networks", str(NETWORKS)], 0, stdout_re=r": \d+ prefixes$")
    # Both files, in any order, --opt=value or --opt value: one line each.
    for args in (["check", str(SAMPLE), "--networks", str(NETWORKS)],
                 ["check", f"--networks={NETWORKS}", str(SAMPLE)],
                 ["check", "--catalog", str(SAMPLE), "--networks", str(NETWORKS)]):
        p = expect_exit(args, 0)
        expect(p.stdout == f"{SAMPLE}: 8 entries, 3 products\n{NETWORKS}: 11 prefixes\n",
               f"{args}: {p.stdout!r}")

    lines = SAMPLE.read_text().splitlines(keepends=True)
    broken = {
        "bad port": (4, lambda l: l.replace("150-250", "150-70000")),
        "hi < lo": (5, lambda l: l.replace("251", "251-200")),
        "transport": (6, lambda l: l.replace("\tudp\t", "\tsctp\t")),
        "columns": (7, lambda l: l.split("\t", 1)[0] + "\t400\n"),
        "duplicate": (8, lambda l: l.replace("beta-many", "alpha-low")),
    }
    with tempfile.TemporaryDirectory() as d:
        for what, (lineno, edit) in broken.items():
            bad = list(lines)
            bad[lineno - 1] = edit(bad[lineno - 1])
            path = Path(d) / f"broken-{what.replace(' ', '-')}.tsv"
            path.write_text("".join(bad))
            p = expect_exit(["check", str(path)], INVALID_DATA,
                            stderr_re=rf"^{re.escape(str(path))}:{lineno}: \S")
            expect(p.stdout == "", f"check {what}: printed on stdout")
            # The same file is refused as --catalog, with the same message.
            expect_exit(["--catalog", str(path), "list"], INVALID_DATA,
                        stderr_re=rf"{re.escape(str(path))}:{lineno}:")
            j = load_json(["check", str(path)])
            expect(j.get("valid") is False and f":{lineno}:" in j.get("catalog", {}).get("error", ""),
                   f"check --json {what}: {j}")

        # What a person gets wrong, told with the fix.
        golden = {
            "empty.tsv": ("# nothing but a comment\n",
                          "{}: no entries: expected lines of 10 columns separated by tabs "
                          "(docs/catalogue-format.md)"),
            "spaces.tsv": ("a 1 tcp - - - - en2015 apple -\n",
                           "{}:1: no tab on the line: the 10 columns are separated by tabs, not spaces"),
            "bom.tsv": ("\ufeff" + lines[3],
                        "{}:1: the file starts with a byte order mark: save it as UTF-8 without one "
                        "(plain text, columns separated by tabs)"),
            "short.tsv": ("a\t1\ttcp\n",
                          "{}:1: 3 columns, expected 10 separated by tabs (the protocol column is missing)"),
        }
        for name, (text, message) in golden.items():
            path = Path(d) / name
            path.write_text(text)
            p = expect_exit(["check", str(path)], INVALID_DATA)
            expect(p.stderr == message.format(path) + "\n", f"check {name}: {p.stderr!r}")
        empty_nets = Path(d) / "empty-networks.txt"
        empty_nets.write_text("# no prefix\n")
        p = expect_exit(["check", "--networks", str(empty_nets)], INVALID_DATA)
        expect(p.stderr == f"{empty_nets}: no prefix: expected one network per line, address/length "
                          f"(17.0.0.0/8, 2620:149::/36)\n", f"empty networks: {p.stderr!r}")

        nets = Path(d) / "networks.txt"
        nets.write_text("17.0.0.0/8\n# comment\n10.0.0.0/33\n")
        expect_exit(["check", "--networks", str(nets)], INVALID_DATA, stderr_re=rf"^{re.escape(str(nets))}:3: ")
        # A networks file is not a catalogue.
        expect_exit(["check", str(NETWORKS)], INVALID_DATA, stderr_re=rf"{re.escape(str(NETWORKS))}:\d+: ")
    expect_exit(["check", "/nonexistent/file.tsv"], INVALID_DATA,
                stderr_re=r"^/nonexistent/file\.tsv: No such file or directory$")


def nft_sets(text):
    """{'apple_tcp': [...], 'apple_udp': [...]} from 'add element' blocks."""
    sets = {"apple_tcp": [], "apple_udp": []}
    for m in re.finditer(r"add element \S+ \S+ (\w+) \{([^}]*)\}", text):
        sets[m.group(1)] += [x.strip() for x in m.group(2).split(",") if x.strip()]
    return sets


def iptables_rules(text):
    """[(command, proto, [ports])] of the -A lines, checking their shape."""
    rules = []
    for line in text.splitlines():
        if not line.startswith(("iptables", "ip6tables")) or " -A " not in line:
            continue
        m = re.fullmatch(r"(ip6?tables) -A apple_allow -p (tcp|udp) -m multiport "
                         r"--dports ([0-9:,]+) -j ACCEPT", line)
        expect(m, f"iptables line malformed: {line}")
        if not m:
            continue
        ports = m.group(3).split(",")
        slots = sum(2 if ":" in p else 1 for p in ports)
        expect(slots <= 15, f"multiport with {slots} > 15 ports: {line}")
        for p in ports:
            lo, _, hi = p.partition(":")
            expect(0 <= int(lo) <= int(hi or lo) <= 65535, f"bad range {p} in {line}")
        rules.append((m.group(1), m.group(2), ports))
    return rules


def test_rules():
    # The small catalogue: overlapping and adjacent ranges merge, an entry
    # without transport goes to both sets.
    p = expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "Alpha", "--product", "Beta"], 0)
    sets = nft_sets(p.stdout)
    expect(sets["apple_tcp"] == ["100-251", "400", "1001", "1003", "1005", "1007", "1009", "1011",
                                 "1013", "1015", "2001", "2003", "2005", "2007", "2009",
                                 "2011-2020", "2030-2040"], f"tcp set {sets['apple_tcp']}")
    expect(sets["apple_udp"] == ["300", "302", "304-310", "400"], f"udp set {sets['apple_udp']}")
    expect("table inet appleflow {" in p.stdout, "default table")
    expect("add rule inet appleflow apple_allow tcp dport @apple_tcp accept" in p.stdout, "tcp rule")
    expect("add rule inet appleflow apple_allow udp dport @apple_udp accept" in p.stdout, "udp rule")
    expect("flags interval" in p.stdout, "sets lack flags interval")

    # Former names select the same ports; repeated products count once.
    q = expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "old alpha",
                     "--product", "ALPHA", "--product", "Beta"], 0)
    expect(nft_sets(q.stdout) == sets, "alias product gives other ports")

    p = expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "Beta", "--format",
                     "iptables", "--chain", "apple_allow"], 0)
    rules = iptables_rules(p.stdout)
    for cmd in ("iptables", "ip6tables"):
        tcp = [x for c, t, ports in rules if c == cmd and t == "tcp" for x in ports]
        udp = [x for c, t, ports in rules if c == cmd and t == "udp" for x in ports]
        expect(tcp == ["1001", "1003", "1005", "1007", "1009", "1011", "1013", "1015", "2001",
                       "2003", "2005", "2007", "2009", "2011:2020", "2030:2040"],
               f"{cmd} tcp ports {tcp}")
        expect(udp == ["300", "302", "304:310"], f"{cmd} udp ports {udp}")
        expect(f"{cmd} -N apple_allow" in p.stdout, f"{cmd} chain not created")
    expect(len([r for r in rules if r[1] == "tcp"]) == 4, "tcp ports not split into 2 rules each")

    # The real catalogue: FaceTime's RTP range in udp only, APNs in tcp only.
    p = expect_exit(["rules", "--product", "FaceTime"], 0)
    sets = nft_sets(p.stdout)
    expect(any(x.startswith("16384-") for x in sets["apple_udp"]), f"FaceTime udp {sets['apple_udp']}")
    expect("5223" in sets["apple_tcp"] and "5223" not in sets["apple_udp"], "5223 in the wrong set")
    p = expect_exit(["rules", "--product", "FaceTime", "--table", "ip filter", "--chain", "apple"], 0)
    expect("add rule ip filter apple tcp dport @apple_tcp accept" in p.stdout, "--table/--chain")
    p = expect_exit(["rules", "--product", "FaceTime", "--format", "iptables", "--table", "mangle"], 0)
    expect("iptables -t mangle -A apple_allow" in p.stdout, "iptables --table")
    iptables_rules(p.stdout.replace(" -t mangle", ""))


def all_products():
    return [p["name"] for p in load_json(["products"])["products"]]


def test_firewall():
    if os.geteuid() != 0:
        print("SKIP: loading rules needs root (a network namespace of its own)")
        sys.exit(77)
    for tool in ("nft", "iptables", "ip6tables", "ip"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            print(f"SKIP: {tool} is not installed")
            sys.exit(77)

    ns = f"ctltest-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        with tempfile.TemporaryDirectory() as d:
            cases = {
                "facetime": ["rules", "--product", "FaceTime"],
                "messages-ip6": ["rules", "--product", "iChat", "--table", "ip6 apple6"],
                "facetime-apple": ["rules", "--product", "FaceTime", "--apple-only", "--apple-networks"],
                "facetime-apple-ip": ["rules", "--product", "FaceTime", "--apple-networks", "--table", "ip a4"],
                "sample": ["--catalog", str(SAMPLE), "rules", "--product", "Alpha",
                           "--product", "Beta", "--product", "Gamma"],
                "everything": ["rules"] + [a for p in all_products() for a in ("--product", p)],
            }
            for name, args in cases.items():
                path = Path(d) / f"{name}.nft"
                path.write_text(run(*args, ok=(0,)).stdout)
                c = subprocess.run(["ip", "netns", "exec", ns, "nft", "-c", "-f", str(path)],
                                   capture_output=True, text=True)
                expect(c.returncode == 0, f"nft -c -f {name}: {c.stderr}")

            # Loading twice gives the same ruleset: the file replaces its own.
            path = Path(d) / "everything.nft"
            listings = []
            for _ in range(2):
                c = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", str(path)],
                                   capture_output=True, text=True)
                expect(c.returncode == 0, f"nft -f everything: {c.stderr}")
                listings.append(subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"],
                                               capture_output=True, text=True).stdout)
            expect(listings[0] == listings[1] and "@apple_udp" in listings[0],
                   "loading the rules twice changed them")

            script = Path(d) / "rules.sh"
            script.write_text(run("rules", "--format", "iptables",
                                  *[a for p in all_products() for a in ("--product", p)],
                                  ok=(0,)).stdout)
            iptables_rules(script.read_text())
            listings = []
            for _ in range(2):
                c = subprocess.run(["ip", "netns", "exec", ns, "sh", str(script)],
                                   capture_output=True, text=True)
                expect(c.returncode == 0, f"iptables script: {c.stderr}")
                listings.append(subprocess.run(["ip", "netns", "exec", ns, "iptables", "-S",
                                                "apple_allow"], capture_output=True, text=True).stdout)
            expect(listings[0] == listings[1] and "--dports" in listings[0],
                   f"running the iptables script twice changed it:\n{listings}")
    finally:
        subprocess.run(["ip", "netns", "del", ns])


LIST_GOLDEN = """\
ID          PORTS                                         TRANSPORT  SCOPE   PRODUCTS     PROTOCOL
alpha-low   100-200                                       tcp        apple   Alpha        Alpha low
alpha-high  150-250                                       tcp        apple   Alpha        Alpha high
alpha-next  251                                           tcp        apple   Alpha        Alpha next
alpha-udp   300,302,304-310                               udp        apple   Alpha, Beta  Alpha media
alpha-any   400                                           -          shared  Alpha        Alpha any
beta-many   1001,1003,1005,1007,1009,1011,1013,1015       tcp        apple   Beta         Beta one
beta-more   2001,2003,2005,2007,2009,2011-2020,2030-2040  tcp        apple   Beta         Beta two
gamma-wide  49152-65535                                   udp        apple   Gamma        Gamma
"""

RULES_HEADER_GOLDEN = """\
#!/usr/sbin/nft -f
# Accepts the ports Apple lists for: Gamma, Alpha
# What they allow: TCP to 153 ports in 2 ranges and UDP to 16394 ports in 5 ranges, to any destination.
# Included, of scope shared (ports that other services use too): alpha-any;
# --apple-only leaves them out.
# Warning: 49152-65535/udp is 16384 ports (gamma-wide), open to any destination;
# --apple-networks limits them to Apple's networks.
"""


def on_terminal(args, columns):
    """stdout of appleflowctl ARGS on a pseudo-terminal COLUMNS wide."""
    import pty
    main, sub = pty.openpty()
    env = dict(os.environ, COLUMNS=str(columns))
    p = subprocess.Popen([CTL, *args], stdout=sub, stderr=subprocess.DEVNULL, env=env)
    os.close(sub)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=60)
    os.close(main)
    return out.decode().replace("\r\n", "\n")


def test_golden():
    """The tables and messages as a person reads them, byte for byte."""
    p = expect_exit(["--catalog", str(SAMPLE), "list"], 0)
    expect(p.stdout == LIST_GOLDEN, f"list:\n{p.stdout}")

    # On a terminal, lines fit its width; piped, they are whole (above).
    for columns in (80, 100):
        out = on_terminal(["list"], columns)
        widths = [len(line) for line in out.splitlines()]
        expect(widths and max(widths) <= columns, f"list on {columns} columns: widest {max(widths or [0])}")
        expect("…" in out, f"list on {columns} columns cut nothing")
    piped = run("list").stdout
    expect("…" not in piped and max(len(l) for l in piped.splitlines()) > 100, "piped list lines cut")

    # Products by name, whatever the catalogue's order.
    names = [line.split("  ")[0] for line in run("products").stdout.splitlines()[1:]]
    expect(names == sorted(names, key=str.lower), f"products not sorted by name: {names}")
    names = [p["name"] for p in load_json(["products"])["products"]]
    expect(names == sorted(names, key=str.lower), f"products --json not sorted by name: {names}")

    # A port for both transports: each with its own.
    p = expect_exit(["lookup", "3283/tcp"], 0)
    expect("  net-assistant  3283/tcp, 3283/udp\n" in p.stdout, f"lookup 3283/tcp:\n{p.stdout}")
    expect("/tcp/udp" not in p.stdout, "lookup prints tcp/udp after a port")

    # The rules say what they allow and warn on a broad range, also on stderr.
    p = expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "Gamma", "--product", "Alpha"], 0)
    expect(p.stdout.startswith(RULES_HEADER_GOLDEN), f"rules header:\n{p.stdout[:800]}")
    expect(p.stderr == "appleflowctl: warning: the rules accept 49152-65535/udp, 16384 ports (gamma-wide), "
                       "to any destination; --apple-networks limits them to Apple's networks\n",
           f"rules warning: {p.stderr!r}")
    p = expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "Alpha", "--apple-only",
                     "--apple-networks"], 0)
    expect(p.stderr == "" and "alpha-any" not in p.stdout, "--apple-only kept a shared entry")
    expect("# What they allow: TCP to 152 ports in 1 range and UDP to 9 ports in 3 ranges, "
           "to Apple's networks only.\n" in p.stdout, f"--apple-networks header:\n{p.stdout[:600]}")
    expect("add rule inet appleflow apple_allow ip daddr @apple_net4 udp dport @apple_udp accept" in p.stdout,
           "--apple-networks: no IPv4 destination rule")
    expect("add rule inet appleflow apple_allow ip6 daddr @apple_net6 tcp dport @apple_tcp accept" in p.stdout,
           "--apple-networks: no IPv6 destination rule")
    expect(re.search(r"add element inet appleflow apple_net4 \{[^}]*\b17\.0\.0\.0/8\b", p.stdout),
           "--apple-networks: 17.0.0.0/8 not in the set")
    p = expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "Beta", "--apple-networks",
                     "--format", "iptables"], 0)
    expect("iptables -A apple_allow -d 17.0.0.0/8 -p tcp -m multiport --dports" in p.stdout and
           "ip6tables -A apple_allow -d 2620:149::/32 -p udp" in p.stdout, "iptables --apple-networks")
    expect_exit(["--catalog", str(SAMPLE), "rules", "--product", "Alpha", "--product", "Beta",
                 "--apple-only", "--format", "iptables"], 0)

    # One entry, one product: the singular.
    with tempfile.TemporaryDirectory() as d:
        one = Path(d) / "one.tsv"
        one.write_text(SAMPLE.read_text().splitlines(keepends=True)[3])
        p = expect_exit(["check", str(one)], 0)
        expect(p.stdout == f"{one}: 1 entry, 1 product\n", f"check one entry: {p.stdout!r}")


def test_domains():
    """Apple's domain list: lookup NAME, list --suffixes, check --domains, --domains PATH."""
    expect_exit(["lookup", "gateway.icloud.com"], 0,
                stdout_re=r"^gateway\.icloud\.com: icloud, under icloud\.com \(iCloud; source 101555\)$")
    expect_exit(["lookup", "1-COURIER.push.apple.com."], 0, stdout_re=r"^1-courier\.push\.apple\.com: apns, ")
    expect_exit(["lookup", "www.apple.com"], 0, stdout_re=r"apple \(Apple's, service unknown\), under apple\.com")
    expect_exit(["lookup", "www.example.org"], NO_MATCH, stdout_re=r"^www\.example\.org: not an Apple name$")
    expect_exit(["lookup", "a..b.com"], 2, stderr_re=r"not a host name")
    j = load_json(["lookup", "swcdn.apple.com"])
    expect(j.get("match", {}).get("service") == "software-update" and
           j["match"].get("products") == ["Software Update"], f"lookup --json swcdn.apple.com: {j}")
    j = load_json(["lookup", "example.net"])
    expect(j == {"name": "example.net", "match": None}, f"lookup --json example.net: {j}")

    rows = [l for l in DOMAINS.read_text().splitlines() if l.strip() and not l.startswith("#")]
    p = expect_exit(["list", "--suffixes"], 0, stdout_re=r"(?m)^SUFFIX +SERVICE +PRODUCTS +SOURCE$")
    expect(len(p.stdout.splitlines()) == len(rows) + 1, f"list --suffixes: {len(p.stdout.splitlines())} lines")
    listed = load_json(["list", "--suffixes"])
    expect(len(listed) == len(rows) and listed[0]["suffix"] == rows[0].split("\t")[0],
           f"list --suffixes --json: {listed[:2]}")
    expect_exit(["check", "--domains", str(DOMAINS)], 0, stdout_re=rf": {len(rows)} suffixes$")

    with tempfile.TemporaryDirectory() as d:
        mine = Path(d) / "domains.tsv"
        mine.write_text("# mine\nexample.net\tmine\tiCloud\tme\n")
        expect_exit(["--domains", str(mine), "lookup", "a.example.net"], 0, stdout_re=r": mine, under example\.net")
        expect_exit(["--domains", str(mine), "lookup", "gateway.icloud.com"], NO_MATCH)
        mine.write_text("example.net\tmine\tiCloud\tme\nexample.net\tother\t-\tme\n")
        expect_exit(["check", "--domains", str(mine)], INVALID_DATA,
                    stderr_re=rf"^{re.escape(str(mine))}:2: duplicate suffix example\.net \(first on line 1\)$")
        expect_exit(["--domains", str(mine), "lookup", "x.example.net"], INVALID_DATA, stderr_re=rf"{re.escape(str(mine))}:2:")
        j = load_json(["check", "--domains", str(mine)])
        expect(j.get("valid") is False and ":2:" in j.get("domains", {}).get("error", ""),
               f"check --domains --json: {j}")
    # A catalogue is not a domain list.
    expect_exit(["check", "--domains", str(SAMPLE)], INVALID_DATA, stderr_re=rf"{re.escape(str(SAMPLE))}:\d+: ")


GROUPS = {
    "golden": test_golden,
    "lookup": test_lookup,
    "json": test_json,
    "exit": test_exit,
    "list": test_list,
    "check": test_check,
    "rules": test_rules,
    "firewall": test_firewall,
    "domains": test_domains,
}


def main():
    global CTL
    if len(sys.argv) != 3 or sys.argv[2] not in GROUPS:
        sys.exit(__doc__)
    CTL = sys.argv[1]
    GROUPS[sys.argv[2]]()
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
