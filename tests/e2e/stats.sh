#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Statistics: a known number of connections and blocked packets per service
# (3 to APNs and 2 to FaceTime RTP on Apple's address, 1 to an unlisted port
# there, 1 to an unlisted port elsewhere; 3 dropped Game Center packets, 1
# dropped to an unlisted port on Apple's address, 1 elsewhere). Then:
#   - appleflowctl stats --json, over the control socket, reports exactly those
#     counts per service and per product, the kernel's bytes, and the daemon's
#     own counters; the table lists the busiest first; --service, --product
#     and --watch work; an unknown service is an error;
#   - the control socket is 0660, of the configured group: a member may ask,
#     another user may not;
#   - the Prometheus textfile reports the same counts and passes promtool;
#   - the periodic summary entries add up to the same counts;
#   - after SIGTERM and a restart on the same state directory the totals
#     (ended, unanswered and by confidence included) are the same and the
#     rates start from zero; the stop writes the summary of the last period;
#   - a truncated state file is reported and ignored.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

[[ -x $E2E_APPLEFLOWCTL ]] || e2e_fail "appleflowctl not found: '$E2E_APPLEFLOWCTL'"
command -v promtool >/dev/null ||
        e2e_fail "promtool is not installed (package prometheus, scripts/install-deps.sh)"
command -v setpriv >/dev/null || e2e_fail "setpriv is not installed (package util-linux)"

MID_SUMMARY=$(e2e_message_id SUMMARY)
MID_STARTED=$(e2e_message_id STARTED)

# What the catalogue says of each destination port: a connection to Apple's
# address (high confidence, so attributed) counts for every product of every
# entry listing its port (appleflowctl(1), stats). The source ports are the
# kernel's, from the LAN's 49152-65535: they never count.
for p in 5223/tcp 16385/udp 4398/udp; do
        e2e_ctl lookup "$p" --json >"$E2E_TMP/lookup-${p/\//-}.json" || e2e_fail "lookup $p"
done

# A group other than root's, for the control socket.
GROUP=$(getent group nogroup | cut -d: -f1)
[[ -n $GROUP ]] || GROUP=$(getent group | awk -F: '$3 != 0 { print $1; exit }')
GID=$(getent group "$GROUP" | cut -d: -f3)
OTHER_GID=$((GID == 65533 ? 65532 : 65533))

mkdir -p "$E2E_TMP/prom"
PROM=$E2E_TMP/prom/appleflowd.prom
cat >"$E2E_TMP/appleflowd.conf" <<EOF
# appleflowd, end-to-end test $E2E_NAME
[stats]
control_group = $GROUP
prometheus_file = $PROM
prometheus_interval = 1
summary_interval = 2
save_interval = 0
EOF

# Unprivileged users must reach the socket (as in /run/appleflowd) and a copy
# of appleflowctl outside the build tree.
chmod 0711 "$E2E_TMP"
mkdir -m 0755 "$E2E_TMP/bin"
install -m 0755 "$E2E_APPLEFLOWCTL" "$E2E_TMP/bin/appleflowctl"

# The checks, on files: stats.py MODE ARGS... (see each mode below).
STATS_PY=$(cat <<'PYTHON'
import glob, json, os, re, sys

tmp = os.environ["E2E_TMP"]

def lookup_products(port):
    """The products of every entry listing port ("5223/tcp")."""
    with open(os.path.join(tmp, "lookup-" + port.replace("/", "-") + ".json")) as f:
        o = json.load(f)
    return {p["name"] for r in o["results"] for e in r["entries"] for p in e["products"]}

# The traffic: service, connections, blocked packets, the port whose entries'
# products count it ("" for apple-other, which has none), the port whose
# connection-end entries carry its bytes.
FLOWS = [
    ("apns",         3, 0, "5223/tcp",  "5223"),
    ("facetime-rtp", 2, 0, "16385/udp", "16385"),
    ("apple-other",  1, 0, "",          "40123"),
    ("game-center",  0, 3, "4398/udp",  None),
    ("apple-other",  0, 1, "",          None),
]

def ended_bytes():
    """Bytes and packets per destination port from the connection-end entries."""
    got = {}
    with open(os.path.join(tmp, "ends.json")) as f:
        for line in f:
            e = json.loads(line)
            b, p = got.get(e["DESTINATION_PORT"], (0, 0))
            got[e["DESTINATION_PORT"]] = (b + int(e["SOURCE_BYTES"]) + int(e["DESTINATION_BYTES"]),
                                          p + int(e["SOURCE_PACKETS"]) + int(e["DESTINATION_PACKETS"]))
    return got

def expected():
    ends = ended_bytes()
    services, products = {}, {}
    for svc, conns, blocked, port, end_port in FLOWS:
        b, p = ends.get(end_port, (0, 0)) if end_port else (0, 0)
        for table, key in [(services, svc)] + [(products, n) for n in (lookup_products(port) if port else ())]:
            t = table.setdefault(key, dict(connections=0, blocked_packets=0, bytes=0, packets=0))
            t["connections"] += conns
            t["blocked_packets"] += blocked
            t["bytes"] += b
            t["packets"] += p
    return services, products

def fail(msg):
    sys.exit("stats check: " + msg)

def figures(o):
    return {k: o[k] for k in ("connections", "blocked_packets", "bytes", "packets")}

def kept(o):
    """The totals that stats.state keeps across a restart."""
    f = figures(o)
    f.update({k: o[k] for k in ("ended", "unanswered", "confidence")})
    return f

def load(path):
    with open(path) as f:
        return json.load(f)

def check_json(path):
    """appleflowctl stats --json: exactly the expected services and products."""
    o = load(path)
    services, products = expected()
    got = {s["service"]: figures(s) for s in o["services"]}
    if got != services:
        fail(f"services: got {got}, want {services}")
    got = {p["product"]: figures(p) for p in o["products"]}
    if got != products:
        fail(f"products: got {got}, want {products}")
    # One datagram each way per RTP flow: 38 and 128 bytes on IPv4.
    if services["facetime-rtp"]["bytes"] != 2 * (38 + 128) or services["facetime-rtp"]["packets"] != 4:
        fail(f"facetime-rtp bytes from the journal: {services['facetime-rtp']}")
    d = o["daemon"]
    want = dict(malformed_packets=0, entries_dropped=0, write_errors=0, below_threshold=0,
                unmatched_connections=1, unmatched_packets=1)
    for k, v in want.items():
        if d[k] != v:
            fail(f"daemon.{k}: got {d[k]}, want {v}")
    # This run's account: every connection once, none the router's own.
    if d["connections"] != dict(seen=7, tagged=6, unmatched=1, excluded=0):
        fail(f"daemon.connections: {d['connections']}")
    if d["packets"] != dict(seen=5, tagged=4, unmatched=1, excluded=0):
        fail(f"daemon.packets: {d['packets']}")
    if d["unmatched_by_transport"] != {"tcp": {"apple_network": 0, "other": 1},
                                       "udp": {"apple_network": 0, "other": 0}}:
        fail(f"daemon.unmatched_by_transport: {d['unmatched_by_transport']}")
    # Apple's address makes every match high, so every one is attributed.
    for x in o["services"] + o["products"]:
        if x["not_attributed"] != 0 or x["confidence"]["high"] != x["connections"]:
            fail(f"{x.get('service') or x.get('product')}: confidence {x['confidence']}, "
                 f"not attributed {x['not_attributed']}")
    if d["events_lost"] != {"conntrack": 0, "nflog": 0}:
        fail(f"daemon.events_lost: {d['events_lost']}")
    if d["events_received"]["nflog"] != 5:
        fail(f"daemon.events_received.nflog: got {d['events_received']['nflog']}, want 5")
    # 7 connections, each NEW and DESTROY.
    if d["events_received"]["conntrack"] < 14:
        fail(f"daemon.events_received.conntrack: got {d['events_received']['conntrack']}, want >= 14")
    for s in o["services"] + o["products"]:
        for kind in ("connection_rate", "blocked_rate"):
            if set(s[kind]) != {"10s", "1m", "5m", "15m"}:
                fail(f"{kind} windows: {sorted(s[kind])}")

def check_same(path_a, path_b):
    """The totals of two replies are the same; the second's rates are zero."""
    a, b = load(path_a), load(path_b)
    if not sum(x["ended"] for x in a["services"]):
        fail("no connection ended before the restart: the comparison would not cover ended")
    for kind, key in (("services", "service"), ("products", "product")):
        ta = {x[key]: kept(x) for x in a[kind]}
        tb = {x[key]: kept(x) for x in b[kind]}
        if ta != tb:
            fail(f"{kind} after the restart: got {tb}, want {ta}")
        for x in b[kind]:
            for r in ("connection_rate", "blocked_rate"):
                if any(v != 0 for v in x[r].values()):
                    fail(f"{x[key]}: {r} after the restart is not zero: {x[r]}")

def check_empty(path):
    o = load(path)
    if o["services"] or o["products"]:
        fail(f"counted something: {o['services']} {o['products']}")

SAMPLE = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"(?:,|$)')

def check_prom(prom, all_json):
    """The textfile against appleflowctl stats --all --json."""
    o = load(all_json)
    helps, types, samples = set(), set(), {}
    with open(prom) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# HELP "):
                helps.add(line.split()[2])
            elif line.startswith("# TYPE "):
                types.add(line.split()[2])
            else:
                m = SAMPLE.match(line)
                if not m:
                    fail(f"not a sample: {line}")
                labels = dict(LABEL.findall(m.group(2) or ""))
                if not set(labels) <= {"service", "product", "source", "version", "confidence",
                                       "transport", "apple_network"}:
                    fail(f"unexpected label in {line}")
                samples[(m.group(1), tuple(sorted(labels.items())))] = float(m.group(3))
    names = {n for n, _ in samples}
    if names - helps or names - types:
        fail(f"without HELP or TYPE: {sorted((names - helps) | (names - types))}")
    checks = (("connections", "connections_total"), ("blocked_packets", "blocked_packets_total"),
              ("bytes", "connection_bytes_total"), ("packets", "connection_packets_total"))
    n = 0
    for kind, key, prefix in (("services", "service", "appleflowd_"),
                              ("products", "product", "appleflowd_product_")):
        for x in o[kind]:
            for field, metric in checks:
                got = samples.get((prefix + metric, ((key, x[key]),)))
                if got != x[field]:
                    fail(f"{prefix + metric}{{{key}=\"{x[key]}\"}}: got {got}, want {x[field]}")
                n += 1
    d = o["daemon"]
    for metric, want in (("appleflowd_unmatched_connections_total", d["unmatched_connections"]),
                         ("appleflowd_unmatched_packets_total", d["unmatched_packets"])):
        if samples.get((metric, ())) != want:
            fail(f"{metric}: got {samples.get((metric, ()))}, want {want}")
    if samples.get(("appleflowd_events_received_total", (("source", "nflog"),))) != \
            d["events_received"]["nflog"]:
        fail("appleflowd_events_received_total{source=\"nflog\"} differs from the JSON")
    if n < 4 * (o["catalog"]["entries"] + o["catalog"]["products"]):
        fail(f"only {n} counters compared")

def check_summaries(path):
    """Per service, the summary entries add up to the totals."""
    services, _ = expected()
    sums = {}
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            s = sums.setdefault(e["APPLE_SERVICE"], dict(connections=0, blocked_packets=0, bytes=0, packets=0))
            s["connections"] += int(e["SUMMARY_CONNECTIONS"])
            s["blocked_packets"] += int(e["SUMMARY_BLOCKED_PACKETS"])
            s["bytes"] += int(e["SUMMARY_BYTES"])
            s["packets"] += int(e["SUMMARY_PACKETS"])
            if int(e["SUMMARY_TOTAL_CONNECTIONS"]) > services[e["APPLE_SERVICE"]]["connections"]:
                fail(f"summary total above the real one: {line}")
    if sums != services:
        fail(f"summary sums: got {sums}, want {services}")

def check_written(path, count):
    o = load(path)
    if o["daemon"]["entries_written"] != int(count):
        fail(f"entries_written {o['daemon']['entries_written']}, the journal has {count}")

globals()["check_" + sys.argv[1]](*sys.argv[2:])
PYTHON
)
stats_py() { E2E_TMP=$E2E_TMP "$E2E_PYTHON" -c "$STATS_PY" "$@"; }
stats() { e2e_ctl stats --socket "$E2E_CTL_SOCKET" "$@"; }

e2e_servers tcp:5223 udp:16385 tcp:40123
e2e_daemon_start

# ---- the control socket: root and the group only
mode=$(stat -c '%a %G' "$E2E_CTL_SOCKET")
[[ $mode == "660 $GROUP" ]] || e2e_fail "control socket: mode and group '$mode', want '660 $GROUP'"
setpriv --reuid=65534 --regid="$GID" --clear-groups \
        "$E2E_TMP/bin/appleflowctl" stats --socket "$E2E_CTL_SOCKET" >/dev/null 2>"$E2E_TMP/member.err" ||
        e2e_fail "a member of $GROUP cannot ask: $(cat "$E2E_TMP/member.err")"
if setpriv --reuid=65534 --regid="$OTHER_GID" --clear-groups \
        "$E2E_TMP/bin/appleflowctl" stats --socket "$E2E_CTL_SOCKET" >/dev/null 2>"$E2E_TMP/other.err"; then
        e2e_fail "a user outside $GROUP could ask"
fi
grep -q "Permission denied" "$E2E_TMP/other.err" || e2e_fail "outsider: $(cat "$E2E_TMP/other.err")"

# ---- the traffic
for i in 1 2 3; do e2e_client tcp "$APPLE_IP4" 5223 --send 10; done
for i in 1 2; do e2e_client udp "$APPLE_IP4" 16385 --send 10; done
e2e_client tcp "$APPLE_IP4" 40123 --send 10
e2e_client tcp "$OTHER_IP4" 40123 --send 10
e2e_send_dropped "$APPLE_IP4" 4398 0 3
e2e_send_dropped "$APPLE_IP4" 40999 0 1
e2e_send_dropped "$OTHER_IP4" 40999 0 1
in_rtr conntrack -D >/dev/null 2>&1 || true

# Once the entries are in the journal, every event has been counted.
e2e_expect 6 EVENT_ACTION=connection-new
e2e_expect 6 EVENT_ACTION=connection-end
e2e_expect 4 EVENT_ACTION=packet-logged
e2e_entries EVENT_ACTION=connection-end >"$E2E_TMP/ends.json"

# ---- appleflowctl stats --json
e2e_log "checking appleflowctl stats --json"
stats --json >"$E2E_TMP/stats1.json" || e2e_fail "appleflowctl stats --json"
stats_py json "$E2E_TMP/stats1.json" || e2e_fail "appleflowctl stats --json: see above"

# ---- the table, the filters, --watch
e2e_log "checking the table and the filters"
stats >"$E2E_TMP/table.txt" || e2e_fail "appleflowctl stats"
head -1 "$E2E_TMP/table.txt" | grep -q '^SERVICE  *PRODUCTS  *CONNECTIONS  *UNANSWERED  *RATE/10S  *RATE/1M  *RATE/5M  *RATE/15M  *BLOCKED  *BYTES$' ||
        e2e_fail "table header: $(head -1 "$E2E_TMP/table.txt")"
sed -n 2p "$E2E_TMP/table.txt" | grep -q '^apns  .*  3  ' || e2e_fail "first row: $(sed -n 2p "$E2E_TMP/table.txt")"
# The busiest first, once the rates have ticked: apns had the most connections
# and all of them before the others, then FaceTime RTP, then apple-other, then
# game-center (no connections, only blocked packets).
rates_ticked() {
        stats --json >"$E2E_TMP/ticked.json" &&
                "$E2E_PYTHON" -c 'import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(not all(s["connection_rate"]["15m"] > 0 for s in o["services"] if s["connections"]))' \
                        "$E2E_TMP/ticked.json"
}
e2e_wait 10 "the rates to tick" rates_ticked
stats >"$E2E_TMP/table.txt" || e2e_fail "appleflowctl stats"
order=$(sed -n '2,/^$/p' "$E2E_TMP/table.txt" | awk 'NF { printf "%s ", $1 }')
[[ $order == "apns facetime-rtp apple-other game-center " ]] || e2e_fail "table order: $order"
grep -q '^PRODUCT  ' "$E2E_TMP/table.txt" || e2e_fail "no product table"
grep -q '^Events received:  conntrack [0-9]*, nflog 5$' "$E2E_TMP/table.txt" || e2e_fail "daemon figures"
grep -q '^Unmatched:        1 connection (tcp 1, udp 0), 1 packet;' "$E2E_TMP/table.txt" ||
        e2e_fail "unmatched figures"
grep -q '^Connections:      7 seen = 6 tagged + 1 unmatched + 0 excluded' "$E2E_TMP/table.txt" ||
        e2e_fail "the account of the connections"
grep -q '^Entries:          [0-9]* written, 0 dropped, 0 write errors$' "$E2E_TMP/table.txt" ||
        e2e_fail "entry figures: $(grep '^Entries' "$E2E_TMP/table.txt")"

stats --service facetime-rtp --json >"$E2E_TMP/one.json" || e2e_fail "--service"
"$E2E_PYTHON" - "$E2E_TMP/one.json" <<'PYTHON' || e2e_fail "--service facetime-rtp: see above"
import json, sys
o = json.load(open(sys.argv[1]))
assert [s["service"] for s in o["services"]] == ["facetime-rtp"], o["services"]
assert o["services"][0]["connections"] == 2, o["services"][0]
assert sorted(p["product"] for p in o["products"]) == sorted(o["services"][0]["products"]), o["products"]
PYTHON
stats --product 'game center' --json >"$E2E_TMP/product.json" || e2e_fail "--product"
"$E2E_PYTHON" - "$E2E_TMP/product.json" <<'PYTHON' || e2e_fail "--product 'game center': see above"
import json, sys
o = json.load(open(sys.argv[1]))
assert [p["product"] for p in o["products"]] == ["Game Center"], o["products"]
assert o["products"][0]["blocked_packets"] == 3, o["products"][0]
assert {s["service"] for s in o["services"]} == {"apns", "facetime-rtp", "game-center"}, o["services"]
PYTHON
if stats --service no-such-service >/dev/null 2>"$E2E_TMP/unknown.err"; then
        e2e_fail "an unknown service is not an error"
else
        rc=$?
        ((rc == 2)) || e2e_fail "an unknown service: exit status $rc, want 2"
fi
grep -q 'unknown service "no-such-service"' "$E2E_TMP/unknown.err" || e2e_fail "$(cat "$E2E_TMP/unknown.err")"

stats --watch >"$E2E_TMP/watch.txt" 2>&1 &
watch_pid=$!
e2e_wait 10 "two refreshes of --watch" bash -c "(( \$(grep -c 'SERVICE  ' '$E2E_TMP/watch.txt') >= 2 ))"
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null || true
# Piped: plain frames, no terminal escapes, each headed by its time.
grep -q $'\033' "$E2E_TMP/watch.txt" && e2e_fail "stats --watch writes escape codes into a pipe"
(($(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Z]+, every 1 s$' "$E2E_TMP/watch.txt") >= 2)) ||
        e2e_fail "stats --watch frames carry no time: $(head -3 "$E2E_TMP/watch.txt")"
# --json with --watch: one object a line (NDJSON), each with its time.
stats --watch --json >"$E2E_TMP/watch.json" 2>&1 &
watch_pid=$!
e2e_wait 10 "three lines of --watch --json" bash -c "(( \$(wc -l <'$E2E_TMP/watch.json') >= 3 ))"
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null || true
"$E2E_PYTHON" - "$E2E_TMP/watch.json" <<'PYTHON' || e2e_fail "stats --watch --json: see above"
import datetime, json, sys
lines = open(sys.argv[1]).read().splitlines()
complete = lines[:-1] if lines and not lines[-1].endswith("}") else lines
assert len(complete) >= 2, lines
times = []
for line in complete:
    o = json.loads(line)
    assert "services" in o and "daemon" in o, sorted(o)
    t = datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6 - o["time_usec"]) < 1000, o["time"]
    times.append(o["time_usec"])
assert times == sorted(times) and len(set(times)) == len(times), times
PYTHON

# ---- every entry counted as written is in the journal
written_matches() {
        local n
        n=$(e2e_entries | wc -l)
        stats --json >"$E2E_TMP/written.json" && stats_py written "$E2E_TMP/written.json" "$n"
}
e2e_wait 10 "entries_written to match the journal" written_matches

# ---- the Prometheus textfile
e2e_log "checking the Prometheus file"
stats --all --json >"$E2E_TMP/all.json" || e2e_fail "appleflowctl stats --all --json"
e2e_wait 10 "the Prometheus file to report the counts" \
        stats_py prom "$PROM" "$E2E_TMP/all.json"
stats_py prom "$PROM" "$E2E_TMP/all.json" || e2e_fail "the Prometheus file: see above"
promtool check metrics <"$PROM" >"$E2E_TMP/promtool.out" 2>&1 ||
        e2e_fail "promtool check metrics: $(cat "$E2E_TMP/promtool.out")"
[[ $(stat -c %a "$PROM") == 644 ]] || e2e_fail "Prometheus file mode $(stat -c %a "$PROM")"
[[ $(find "$E2E_TMP/prom" -mindepth 1 | wc -l) -eq 1 ]] ||
        e2e_fail "files left beside the Prometheus file: $(ls -A "$E2E_TMP/prom")"

# ---- the periodic summary entries (every 2 s) add up to the totals
e2e_log "checking the summary entries"
summaries_add_up() {
        e2e_entries MESSAGE_ID="$MID_SUMMARY" >"$E2E_TMP/summaries.json" &&
                stats_py summaries "$E2E_TMP/summaries.json"
}
e2e_wait 10 "the summary entries to add up to the totals" summaries_add_up

# ---- stop: the state is saved
e2e_daemon_stop 5
summaries_add_up || e2e_fail "summary entries after the stop: see above"
E2E_TIMEOUT=0 e2e_expect "$(wc -l <"$E2E_TMP/summaries.json")" MESSAGE_ID="$MID_SUMMARY" -- \
        EVENT_ACTION=summary PRIORITY=6 'APPLE_SERVICE~apns|facetime-rtp|apple-other|game-center' \
        'SUMMARY_PERIOD_SEC~[0-9]+' 'SUMMARY_CONNECTION_RATE_1M~[0-9]+\.[0-9]{3}' \
        'SUMMARY_BLOCKED_RATE_15M~[0-9]+\.[0-9]{3}' "MESSAGE~[a-z-]+: [0-9]+ connections, .*"
[[ $(stat -c %a "$E2E_TMP/state/stats.state") == 640 ]] ||
        e2e_fail "state file mode $(stat -c %a "$E2E_TMP/state/stats.state")"

# ---- restart on the same state directory, summaries only at the stop
e2e_log "checking the totals after a restart"
rm -f "$PROM"
sed -i 's/^summary_interval = .*/summary_interval = 1h/' "$E2E_CONFIG"
e2e_daemon_start
uptime_at_least() {
        stats --json >"$E2E_TMP/stats2.json" &&
                "$E2E_PYTHON" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["uptime_sec"] < 2)' \
                        "$E2E_TMP/stats2.json"
}
# Rates tick every second: after two, loaded totals would show as a burst.
e2e_wait 10 "two seconds of uptime" uptime_at_least
stats_py same "$E2E_TMP/stats1.json" "$E2E_TMP/stats2.json" || e2e_fail "after the restart: see above"
stats --all --json >"$E2E_TMP/all2.json" || e2e_fail "appleflowctl stats --all --json"
e2e_wait 10 "the Prometheus file to be written again" test -s "$PROM"
stats_py prom "$PROM" "$E2E_TMP/all2.json" || e2e_fail "the Prometheus file after the restart: see above"

# One more connection: the stop writes the last period's summary.
e2e_log "checking the summary at the stop"
e2e_client tcp "$APPLE_IP4" 5223 --send 10
in_rtr conntrack -D >/dev/null 2>&1 || true
e2e_expect 7 EVENT_ACTION=connection-end
E2E_TIMEOUT=0 e2e_expect 0 MESSAGE_ID="$MID_SUMMARY" SUMMARY_TOTAL_CONNECTIONS=4
e2e_daemon_stop 5
e2e_expect 1 MESSAGE_ID="$MID_SUMMARY" SUMMARY_TOTAL_CONNECTIONS=4 -- \
        APPLE_SERVICE=apns SUMMARY_CONNECTIONS=1 'SUMMARY_BYTES>=1'

# ---- a truncated state file: reported, ignored, counting from zero; and a
# group that does not exist: reported, the socket stays root's
e2e_log "checking a truncated state file and an unknown group"
truncate -s 40 "$E2E_TMP/state/stats.state"
sed -i 's/^control_group = .*/control_group = no-such-group-afe2e/' "$E2E_CONFIG"
e2e_daemon_start
e2e_expect 1 MESSAGE_ID="$MID_STARTED" PRIORITY=4 SYSLOG_IDENTIFIER=appleflowd \
        "MESSAGE=Saved statistics ignored, counting from zero: $E2E_TMP/state/stats.state: checksum mismatch (truncated or corrupt)"
e2e_expect 1 MESSAGE_ID="$MID_STARTED" PRIORITY=4 SYSLOG_IDENTIFIER=appleflowd \
        "MESSAGE=$E2E_CTL_SOCKET stays open to root only: cannot give it to group no-such-group-afe2e: no such group"
mode=$(stat -c '%a %U %G' "$E2E_CTL_SOCKET")
[[ $mode == "600 root root" ]] || e2e_fail "control socket without its group: '$mode', want '600 root root'"
stats --json >"$E2E_TMP/stats3.json" || e2e_fail "appleflowctl stats --json"
stats_py empty "$E2E_TMP/stats3.json" || e2e_fail "after a truncated state file: see above"
e2e_daemon_stop 5

e2e_pass
