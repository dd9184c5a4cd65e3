#!/usr/bin/env python3
"""Tests of appleflowctl as a user runs it: output, JSON, exit codes, rules.

usage: test-ctl.py APPLEFLOWCTL GROUP
GROUP is one of: lookup, json, exit, list, check, rules, firewall, domains.
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


def run(*args, ok=(0, 1, 2)):
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
    p = run(*args, ok=(0, 1, 2, 3, 77, 127, -6, -11))
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
    expect_exit(["lookup", "2001:db8::1"], 1, stdout_re=r"not in Apple's networks")


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
    expect(j == {"file": str(SAMPLE), "valid": True, "entries": 8, "products": 3},
           f"check --json: {j}")


def test_exit():
    port = unlisted_port("tcp")
    expect_exit(["lookup", f"{port}/tcp"], 1, stdout_re=r"no entry")
    expect_exit(["lookup", f"{port}"], 1)
    j = load_json(["lookup", f"{port}/udp"])
    expect(j.get("confidence") == "none" and j["results"][0]["entries"] == [],
           f"unlisted port JSON: {j}")
    expect_exit(["lookup", "192.0.2.7"], 1)

    for args, msg in ((["lookup"], r"exactly one"),
                      (["lookup", "1", "2"], r"exactly one"),
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
                      (["check"], r"exactly one FILE"),
                      (["--catalog", "/nonexistent/catalog.tsv", "lookup", "5223"], r"nonexistent"),
                      (["--networks", "/nonexistent/networks.txt", "lookup", "17.1.2.3:1"],
                       r"nonexistent")):
        p = expect_exit(args, 2, stderr_re=msg)
        expect(p.stdout == "", f"{args}: error printed output on stdout: {p.stdout[:200]}")

    expect_exit(["--help"], 0, stdout_re=r"lookup")
    expect_exit(["lookup", "--help"], 0, stdout_re=r"usage: appleflowctl .*lookup")
    expect_exit(["rules", "--help"], 0, stdout_re=r"--format")
    expect_exit(["--version"], 0, stdout_re=r"appleflowctl \d")
    # Global options work before and after the verb.
    expect_exit(["--catalog", str(SAMPLE), "lookup", "400/udp"], 0, stdout_re=r"alpha-any")
    expect_exit(["lookup", "400/udp", "--catalog", str(SAMPLE)], 0, stdout_re=r"alpha-any")
    expect_exit(["lookup", "5223/tcp", "--catalog", str(SAMPLE)], 1)


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
    expect_exit(["list", "--service", "apns", "--product", "Bonjour"], 1)

    p = expect_exit(["products"], 0, stdout_re=r"^PRODUCT +ENTRIES")
    expect(re.search(r"^Messages +\d+ +.*iChat", p.stdout, re.M), "products: Messages row")
    p = expect_exit(["--catalog", str(SAMPLE), "products"], 0)
    expect(re.search(r"^Alpha +5 +Old Alpha$", p.stdout, re.M), f"sample products:\n{p.stdout}")


def test_check():
    expect_exit(["check", str(SAMPLE)], 0, stdout_re=rf"^{re.escape(str(SAMPLE))}: 8 entries, 3 products$")
    expect_exit(["check", "--networks", str(NETWORKS)], 0, stdout_re=r": \d+ prefixes$")

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
            p = expect_exit(["check", str(path)], 2, stderr_re=rf"^{re.escape(str(path))}:{lineno}: \S")
            expect(p.stdout == "", f"check {what}: printed on stdout")
            # The same file is refused as --catalog, with the same message.
            expect_exit(["--catalog", str(path), "list"], 2,
                        stderr_re=rf"{re.escape(str(path))}:{lineno}:")
            j = load_json(["check", str(path)])
            expect(j.get("valid") is False and f":{lineno}:" in j.get("error", ""),
                   f"check --json {what}: {j}")

        nets = Path(d) / "networks.txt"
        nets.write_text("17.0.0.0/8\n# comment\n10.0.0.0/33\n")
        expect_exit(["check", "--networks", str(nets)], 2, stderr_re=rf"^{re.escape(str(nets))}:3: ")
        # A networks file is not a catalogue.
        expect_exit(["check", str(NETWORKS)], 2, stderr_re=rf"{re.escape(str(NETWORKS))}:\d+: ")
    expect_exit(["check", "/nonexistent/file.tsv"], 2, stderr_re=r"/nonexistent/file\.tsv")


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


def test_domains():
    """Apple's domain list: lookup NAME, list --suffixes, check --domains, --domains PATH."""
    expect_exit(["lookup", "gateway.icloud.com"], 0,
                stdout_re=r"^gateway\.icloud\.com: icloud, under icloud\.com \(iCloud; source 101555\)$")
    expect_exit(["lookup", "1-COURIER.push.apple.com."], 0, stdout_re=r"^1-courier\.push\.apple\.com: apns, ")
    expect_exit(["lookup", "www.apple.com"], 0, stdout_re=r"apple \(Apple's, service unknown\), under apple\.com")
    expect_exit(["lookup", "www.example.org"], 1, stdout_re=r"^www\.example\.org: not an Apple name$")
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
        expect_exit(["--domains", str(mine), "lookup", "gateway.icloud.com"], 1)
        mine.write_text("example.net\tmine\tiCloud\tme\nexample.net\tother\t-\tme\n")
        expect_exit(["check", "--domains", str(mine)], 2,
                    stderr_re=rf"^{re.escape(str(mine))}:2: duplicate suffix example\.net \(first on line 1\)$")
        expect_exit(["--domains", str(mine), "lookup", "x.example.net"], 2, stderr_re=rf"{re.escape(str(mine))}:2:")
        j = load_json(["check", "--domains", str(mine)])
        expect(j.get("valid") is False and ":2:" in j.get("error", ""), f"check --domains --json: {j}")
    # A catalogue is not a domain list.
    expect_exit(["check", "--domains", str(SAMPLE)], 2, stderr_re=rf"{re.escape(str(SAMPLE))}:\d+: ")


GROUPS = {
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
