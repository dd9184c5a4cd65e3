#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Flow figures that mean what they say, from the kernel's own ports through
# the NAT router, both families:
#   - a TCP exchange of about 10 ms (to APNs, 5223) has an EVENT_DURATION
#     between its pause less one jiffy and the client's own measure of the
#     whole exchange plus one jiffy; its CONNTRACK_LIFETIME is that duration
#     plus the TIME_WAIT timeout, exactly; TCP_STATE=TIME_WAIT, answered;
#   - a SYN nobody answers (2195, dropped upstream) and a UDP probe nobody
#     answers (16402) end as CONNECTION_ANSWERED=no ("ended unanswered"),
#     the SYN in SYN_SENT, and count as unanswered in `stats`, per service
#     and product;
#   - a connection that stays open (443 over IPv6) shows its bytes in `stats`
#     while open, growing across two reads of the table; when it ends, its
#     total is the kernel's (SOURCE_BYTES + DESTINATION_BYTES of its end
#     entry), counted once; the exchanges' bytes too.
# The router's conntrack timeouts are shortened (2-3 s) so that ends come
# soon; the daemon reads them from the namespace, as it would the defaults.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

MID_END=$(e2e_message_id CONNECTION_END)

in_rtr sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=2 \
        net.netfilter.nf_conntrack_tcp_timeout_syn_sent=3 \
        net.netfilter.nf_conntrack_tcp_timeout_close=2 \
        net.netfilter.nf_conntrack_udp_timeout=2 \
        net.netfilter.nf_conntrack_udp_timeout_stream=3
# Upstream, the SYNs to 2195 and the datagrams to 16402 vanish.
in_inet nft -f - <<-'EOF'
	table inet ff_upstream {
		chain input {
			type filter hook input priority filter; policy accept;
			tcp dport 2195 drop
			udp dport 16402 drop
		}
	}
	EOF

e2e_servers tcp:5223 tcp:443
# Every product of every entry listing the port counts (high confidence on
# Apple's addresses): appleflowctl lookup says which.
for p in 5223/tcp 2195/tcp 16402/udp; do
        e2e_ctl lookup "[$LAN_IP6]:50000" "[$APPLE_IP6]:$p" --json >"$E2E_TMP/lookup-${p%/*}.json" ||
                e2e_fail "appleflowctl lookup $p"
done
cat >"$E2E_TMP/appleflowd.conf" <<EOF
# appleflowd, end-to-end test $E2E_NAME
[stats]
live_bytes_interval = 1
EOF
e2e_daemon_start

# The exchanges: 10 ms between the request and the client's FIN.
for ip in "$APPLE_IP4" "$APPLE_IP6"; do
        e2e_client tcp "$ip" 5223 --send 1000 --pause 10 --timing "$E2E_TMP/timing-$(e2e_family "$ip")"
done
# Unanswered: SYNs for 1.5 s (the first and one retransmission), one datagram.
e2e_client tcp "$APPLE_IP4" 2195 --unanswered 1.5
e2e_client udp "$APPLE_IP6" 16402 --no-reply --send 30

ends() { (($(e2e_entries MESSAGE_ID="$MID_END" | wc -l) >= $1)); }
e2e_wait 60 "four connection-end entries" ends 4
e2e_entries MESSAGE_ID="$MID_END" >"$E2E_TMP/ends-1.json"
e2e_ctl stats --json --socket "$E2E_CTL_SOCKET" >"$E2E_TMP/stats-1.json" || e2e_fail "appleflowctl stats"

# The connection that stays open: 200 kB, a read, 200 kB, a read, the end.
mkdir "$E2E_TMP/sync"
in_lan "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" stream "$APPLE_IP6" 443 --chunk 200000 --chunks 2 \
        --sync "$E2E_TMP/sync" >"$E2E_TMP/stream.log" 2>&1 &
STREAM_PID=$!
E2E_PIDS+=("$STREAM_PID")

# Bytes of the service of 443 in stats --json, 0 when it is not listed.
service_bytes() {
        e2e_ctl stats --json --socket "$E2E_CTL_SOCKET" |
                "$E2E_PYTHON" -c 'import json, sys
o = json.load(sys.stdin)
print(sum(s["bytes"] for s in o["services"] if s["service"] == sys.argv[1]))' "$1"
}
HTTPS_SERVICE=$(e2e_ctl lookup "[$LAN_IP6]:50000" "[$APPLE_IP6]:443/tcp" --json |
        "$E2E_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["results"][0]["service"])') ||
        e2e_fail "appleflowctl lookup of 443/tcp"
at_least() { (($(service_bytes "$HTTPS_SERVICE") >= $1)); }
open_now() { ! e2e_entries MESSAGE_ID="$MID_END" DESTINATION_PORT=443 | grep -q .; }

e2e_wait 20 "the first chunk sent" test -e "$E2E_TMP/sync/sent-1"
e2e_wait 20 "the first chunk's bytes in stats while the connection is open" at_least 200000
B1=$(service_bytes "$HTTPS_SERVICE")
open_now || e2e_fail "the connection to 443 ended before its second chunk"
touch "$E2E_TMP/sync/go-1"
e2e_wait 20 "the second chunk sent" test -e "$E2E_TMP/sync/sent-2"
e2e_wait 20 "the second chunk's bytes in stats while the connection is open" at_least $((B1 + 200000))
B2=$(service_bytes "$HTTPS_SERVICE")
open_now || e2e_fail "the connection to 443 ended before it was told to"
touch "$E2E_TMP/sync/go-2"
wait "$STREAM_PID" || e2e_fail "the streaming client failed: $(cat "$E2E_TMP/stream.log")"
e2e_log "$HTTPS_SERVICE while open: $B1 bytes after one chunk, $B2 after two"

e2e_wait 30 "the end of the connection to 443" eval '! open_now'
e2e_entries MESSAGE_ID="$MID_END" DESTINATION_PORT=443 >"$E2E_TMP/end-443.json"
sleep 2 # a read or two after the end: nothing more may count
e2e_ctl stats --json --socket "$E2E_CTL_SOCKET" >"$E2E_TMP/stats-2.json" || e2e_fail "appleflowctl stats"

"$E2E_PYTHON" - "$E2E_TMP" "$HTTPS_SERVICE" "$B1" "$B2" <<'PYTHON' || e2e_fail "flow figures: see above"
import json, os, sys

tmp, https, b1, b2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
JIFFY = 10_000_000  # the coarsest tick (CONFIG_HZ=100): the kernel's timeouts are in jiffies
errors = []

def check(ok, msg):
    if not ok:
        errors.append(msg)

def lines(name):
    with open(os.path.join(tmp, name)) as f:
        return [json.loads(l) for l in f if l.strip()]

ends = lines("ends-1.json")
by_port = {}
for e in ends:
    by_port.setdefault(e["DESTINATION_PORT"], []).append(e)
check(sorted(by_port) == ["16402", "2195", "5223"], f"end entries by port: {sorted(by_port)}")

# The exchanges: duration from the timeout of TIME_WAIT (2 s here).
for e in by_port.get("5223", []):
    fam = e["NETWORK_TYPE"]
    with open(os.path.join(tmp, "timing-" + fam)) as f:
        client_ns = int(f.read())
    dur, life = int(e.get("EVENT_DURATION", -1)), int(e.get("CONNTRACK_LIFETIME", -1))
    print(f"5223/{fam}: EVENT_DURATION {dur} ns, CONNTRACK_LIFETIME {life} ns, client {client_ns} ns")
    check(10_000_000 - JIFFY <= dur <= client_ns + JIFFY,
          f"5223/{fam}: EVENT_DURATION {dur} not within [10 ms - 1 jiffy, {client_ns} + 1 jiffy]")
    check(life - dur == 2_000_000_000, f"5223/{fam}: lifetime {life} - duration {dur} is not the 2 s TIME_WAIT")
    check(e.get("TCP_STATE") == "TIME_WAIT", f"5223/{fam}: TCP_STATE {e.get('TCP_STATE')}")
    check(e.get("CONNECTION_ANSWERED") == "yes", f"5223/{fam}: CONNECTION_ANSWERED {e.get('CONNECTION_ANSWERED')}")
    check(" ended: " in e["MESSAGE"] and ", lasted 0.0" in e["MESSAGE"], f"5223/{fam}: MESSAGE {e['MESSAGE']}")
check(len(by_port.get("5223", [])) == 2, "two ends to 5223")

# The SYN nobody answered: SYN_SENT, its last SYN (a retransmission, if the
# client's 1 s timer fired before it gave up) within the 1.5 s it tried.
for e in by_port.get("2195", []):
    dur = int(e.get("EVENT_DURATION", -1))
    print(f"2195: EVENT_DURATION {dur} ns, MESSAGE {e['MESSAGE']}")
    check(e.get("CONNECTION_ANSWERED") == "no", f"2195: CONNECTION_ANSWERED {e.get('CONNECTION_ANSWERED')}")
    check(e.get("TCP_STATE") == "SYN_SENT", f"2195: TCP_STATE {e.get('TCP_STATE')}")
    check(" ended unanswered: " in e["MESSAGE"], f"2195: MESSAGE {e['MESSAGE']}")
    check(0 <= dur <= 1_500_000_000 + JIFFY, f"2195: EVENT_DURATION {dur}: SYNs went out for 1.5 s only")
    check(e.get("DESTINATION_BYTES") == "0", f"2195: DESTINATION_BYTES {e.get('DESTINATION_BYTES')}")
for e in by_port.get("16402", []):
    check(e.get("CONNECTION_ANSWERED") == "no", f"16402: CONNECTION_ANSWERED {e.get('CONNECTION_ANSWERED')}")
    check("TCP_STATE" not in e, "16402: a TCP_STATE on UDP")
    # One datagram: the last packet is the first.
    check(int(e.get("EVENT_DURATION", -1)) <= JIFFY, f"16402: EVENT_DURATION {e.get('EVENT_DURATION')}")

# stats: ended and unanswered per service and product, as the entries say.
def items(o, key):
    return {x[key]: x for x in o[key + "s"]}

s1 = json.load(open(os.path.join(tmp, "stats-1.json")))
want_ended, want_unanswered = {}, {}
want_p_ended, want_p_unanswered = {}, {}
def lookup_products(port):
    with open(os.path.join(tmp, f"lookup-{port}.json")) as f:
        o = json.load(f)
    return {p["name"] for r in o["results"] for e in r["entries"] for p in e["products"]}

for e in ends:
    svc = e["APPLE_SERVICE"]
    want_ended[svc] = want_ended.get(svc, 0) + 1
    products = lookup_products(e["DESTINATION_PORT"])
    for p in products:
        want_p_ended[p] = want_p_ended.get(p, 0) + 1
    if e["CONNECTION_ANSWERED"] == "no":
        want_unanswered[svc] = want_unanswered.get(svc, 0) + 1
        for p in products:
            want_p_unanswered[p] = want_p_unanswered.get(p, 0) + 1
got_ended = {k: v["ended"] for k, v in items(s1, "service").items() if v["ended"]}
got_unanswered = {k: v["unanswered"] for k, v in items(s1, "service").items() if v["unanswered"]}
check(got_ended == want_ended, f"stats ended per service {got_ended}, entries say {want_ended}")
check(got_unanswered == want_unanswered and sum(want_unanswered.values()) == 2,
      f"stats unanswered per service {got_unanswered}, entries say {want_unanswered}")
got = {k: v["unanswered"] for k, v in items(s1, "product").items() if v["unanswered"]}
check(got == want_p_unanswered, f"stats unanswered per product {got}, entries say {want_p_unanswered}")
got = {k: v["ended"] for k, v in items(s1, "product").items() if v["ended"]}
check(got == want_p_ended, f"stats ended per product {got}, entries say {want_p_ended}")

# Bytes: every service's total is its ends' kernel counters, once.
def kernel_total(es):
    return sum(int(e["SOURCE_BYTES"]) + int(e["DESTINATION_BYTES"]) for e in es)

for svc in want_ended:
    got = items(s1, "service")[svc]["bytes"]
    want = kernel_total([e for e in ends if e["APPLE_SERVICE"] == svc])
    check(got == want, f"{svc}: stats bytes {got}, the kernel's {want}")

end443 = lines("end-443.json")
check(len(end443) == 1, f"{len(end443)} end entries for 443")
if end443:
    total = kernel_total(end443)
    s2 = json.load(open(os.path.join(tmp, "stats-2.json")))
    got = items(s2, "service")[https]["bytes"]
    packets = items(s2, "service")[https]["packets"]
    want_packets = int(end443[0]["SOURCE_PACKETS"]) + int(end443[0]["DESTINATION_PACKETS"])
    print(f"443: {b1} and {b2} bytes while open, {got} after the end; the kernel's total {total}")
    check(200_000 <= b1 < b2 < total, f"443: bytes while open {b1}, {b2} do not grow towards {total}")
    check(got == total, f"443: stats bytes {got} after the end, the kernel counted {total}")
    check(packets == want_packets, f"443: stats packets {packets}, the kernel counted {want_packets}")
    live = s2["daemon"]["live_bytes"]
    check(live["reads"] >= 2 and live["interval_sec"] == 1, f"live reads: {live}")
    check(live["open"] == 0 and live["untracked"] == 0 and live["stale"] == 0, f"live table after the end: {live}")

for m in errors:
    print("flow figures: " + m, file=sys.stderr)
sys.exit(1 if errors else 0)
PYTHON

e2e_daemon_stop
e2e_pass
