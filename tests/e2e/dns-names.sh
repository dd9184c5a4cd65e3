#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Apple's names from DNS answers: dnsmasq (Debian's) in the internet
# namespace answers Apple names with addresses outside Apple's networks, one
# through a CNAME chain; a second dnsmasq on the router forwards to it, as a
# home router's resolver does. The LAN client resolves through the router's
# resolver (answers leave by the router's output chain), once over TCP, and
# once straight from the internet's (answers cross the forward chain), then
# connects on 443 from ports the kernel picks. Each connection is written
# high under the service its name gives, with the name in
# DESTINATION_DOMAIN; the same connection without the DNS group is plain
# HTTPS and not written; a name under no suffix of the list leaves no trace
# in the journal or the statistics. The daemon reads a copy of the domain
# list: a broken edit and SIGHUP leave the list in force, a good one applies
# at once to the names already learnt.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

command -v dnsmasq >/dev/null || e2e_skip "dnsmasq not installed (scripts/install-deps.sh installs dnsmasq-base)"

MID_NEW=$(e2e_message_id CONNECTION)
MID_RELOADED=$(e2e_message_id RELOADED)
MID_RELOAD_FAILED=$(e2e_message_id RELOAD_FAILED)
DOMAINS=$E2E_TMP/apple-domains.tsv
cp "$E2E_TOPDIR/data/apple-domains.tsv" "$DOMAINS"
GATEWAY4=203.0.113.20 ITUNES4=203.0.113.21 CDN4=203.0.113.22 CDN6=2001:db8:99::22
SWCDN4=203.0.113.25 MESU4=203.0.113.26 PLAIN4=203.0.113.30 LATE4=203.0.113.40
for a in $GATEWAY4 $ITUNES4 $CDN4 $SWCDN4 $MESU4 $PLAIN4 $LATE4; do
        ip -n "$E2E_INET" addr add "$a/32" dev lo
done
ip -n "$E2E_INET" addr add "$CDN6/128" dev lo

# The authority: Apple's names on CDN addresses, www.icloud.com and
# swcdn.apple.com through CNAMEs to names that are not Apple's.
cat >"$E2E_TMP/inet-dns.conf" <<CONF
no-resolv
no-hosts
bind-interfaces
listen-address=$INET_WAN_IP4
listen-address=$INET_WAN_IP6
local-ttl=300
host-record=gateway.icloud.com,$GATEWAY4
host-record=itunes.apple.com,$ITUNES4
host-record=www-cdn.icloud.com.akadns.net,$CDN4,$CDN6
cname=www.icloud.com,www-cdn.icloud.com.akadns.net
host-record=swcdn.cdn.example.net,$SWCDN4
cname=swcdn.apple.com,swcdn.cdn.example.net
host-record=mesu.apple.com,$MESU4
host-record=www.example.org,$PLAIN4
host-record=late.icloud.com,$LATE4
CONF
# The router's resolver, forwarding everything to the authority.
cat >"$E2E_TMP/rtr-dns.conf" <<CONF
no-resolv
no-hosts
bind-interfaces
listen-address=$RTR_LAN_IP4
server=$INET_WAN_IP4
CONF
in_inet dnsmasq --keep-in-foreground --user=root --pid-file= --conf-file="$E2E_TMP/inet-dns.conf" \
        >>"$E2E_TMP/dnsmasq.log" 2>&1 &
E2E_PIDS+=("$!")
in_rtr dnsmasq --keep-in-foreground --user=root --pid-file= --conf-file="$E2E_TMP/rtr-dns.conf" \
        >>"$E2E_TMP/dnsmasq.log" 2>&1 &
E2E_PIDS+=("$!")

# DNS answers to NFLOG group 3, whole, in the forward and the output chain,
# before anything accepts them: the rules of conf/nftables-appleflowd.nft,
# which the real nft must accept as a whole too.
example=$E2E_TOPDIR/conf/nftables-appleflowd.nft
in_rtr nft -c -f "$example" || e2e_fail "nft refuses $example"
rules=$(grep -E '^[[:space:]]*(udp|tcp) sport 53 log group 3 ' "$example" | sort -u)
[[ $(wc -l <<<"$rules") == 2 ]] || e2e_fail "expected the UDP and TCP sport 53 rules in $example: $rules"
in_rtr nft -f - <<NFT
table inet afe2e_dns {
        chain forward {
                type filter hook forward priority filter - 10; policy accept;
$rules
        }
        chain output {
                type filter hook output priority filter; policy accept;
$rules
        }
}
NFT

resolve() {
        local out
        out=$(in_lan "$E2E_PYTHON" "$E2E_SRCDIR/resolve.py" "$@") || e2e_fail "resolving $*"
        echo "$out"
}
resolvers_up() {
        in_lan "$E2E_PYTHON" "$E2E_SRCDIR/resolve.py" "$RTR_LAN_IP4" gateway.icloud.com >/dev/null 2>&1
}
e2e_wait 10 "the resolvers" resolvers_up

rm -f "$E2E_TMP/cdn.ready"
in_inet "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" serve --ready "$E2E_TMP/cdn.ready" \
        --address $GATEWAY4 --address $ITUNES4 --address $CDN4 --address $CDN6 \
        --address $SWCDN4 --address $MESU4 --address $PLAIN4 --address $LATE4 tcp:443 \
        >>"$E2E_TMP/servers.log" 2>&1 &
E2E_PIDS+=("$!")
e2e_wait 10 "the CDN servers" test -e "$E2E_TMP/cdn.ready"

command -v promtool >/dev/null ||
        e2e_fail "promtool is not installed (package prometheus, scripts/install-deps.sh)"
mkdir -p "$E2E_TMP/prom"
PROM=$E2E_TMP/prom/appleflowd.prom
cat >"$E2E_TMP/appleflowd.conf" <<EOF
# appleflowd, end-to-end test $E2E_NAME
[stats]
prometheus_file = $PROM
prometheus_interval = 1
EOF
e2e_daemon_start --dns-nflog-group 3 --domains "$DOMAINS"

# Before the daemon learns its name: HTTPS to a CDN address is low, not written.
e2e_client tcp "$GATEWAY4" 443

# Resolve, then connect at once from a port the kernel picks, as a browser
# does: the answer must be read before the connection's first event.
# Through the router's resolver (output chain), once over TCP, once for
# IPv6; straight from the authority over IPv6 (forward chain), once over TCP.
resolve_and_connect() { # SERVER NAME ADDRESS [resolve.py options]
        local server=$1 name=$2 want=$3
        shift 3
        [[ $(resolve "$server" "$name" "$@") == "$want" ]] || e2e_fail "$name: not $want"
        e2e_client tcp "$want" 443
}
resolve_and_connect "$RTR_LAN_IP4" gateway.icloud.com "$GATEWAY4"
resolve_and_connect "$RTR_LAN_IP4" www.icloud.com "$CDN4"
resolve_and_connect "$RTR_LAN_IP4" www.icloud.com "$CDN6" --type AAAA
resolve_and_connect "$RTR_LAN_IP4" itunes.apple.com "$ITUNES4" --tcp
resolve_and_connect "$INET_WAN_IP6" swcdn.apple.com "$SWCDN4"
resolve_and_connect "$INET_WAN_IP6" mesu.apple.com "$MESU4" --tcp
resolve_and_connect "$RTR_LAN_IP4" www.example.org "$PLAIN4"
e2e_client tcp "$LATE4" 443

written() { # ADDRESS SERVICE NAME PRODUCT
        e2e_expect 1 MESSAGE_ID="$MID_NEW" DESTINATION_IP="$1" DESTINATION_PORT=443 -- \
                APPLE_SERVICE="$2" DESTINATION_DOMAIN="$3" APPLE_CONFIDENCE=high APPLE_NETWORK=0 \
                "APPLE_PRODUCT[]+=$4" "SOURCE_IP~^(192\.168\.77\.2|fd77::2)$" "SOURCE_PORT~^[0-9]+$" \
                "MESSAGE*=($3, 443/tcp)" NETWORK_TRANSPORT=tcp
}
written "$GATEWAY4" icloud gateway.icloud.com iCloud
written "$CDN4" icloud www.icloud.com iCloud
written "$CDN6" icloud www.icloud.com iCloud
written "$ITUNES4" app-store itunes.apple.com "iTunes Store"
written "$SWCDN4" software-update swcdn.apple.com "Software Update"
written "$MESU4" software-update mesu.apple.com "Software Update"
# Not Apple's, or not answered while the daemon listened: nothing written.
e2e_expect 0 MESSAGE_ID="$MID_NEW" DESTINATION_IP="$PLAIN4"
e2e_expect 0 MESSAGE_ID="$MID_NEW" DESTINATION_IP="$LATE4"
e2e_expect 6 MESSAGE_ID="$MID_NEW"
e2e_expect 1 MESSAGE_ID="$MID_NEW" DESTINATION_IP="$GATEWAY4"

"$E2E_APPLEFLOWCTL" stats --json --socket "$E2E_CTL_SOCKET" >"$E2E_TMP/stats.json" ||
        e2e_fail "appleflowctl stats"
"$E2E_PYTHON" - "$E2E_TMP/stats.json" <<'PY' || e2e_fail "statistics: see above"
import json, sys
d = json.load(open(sys.argv[1]))["daemon"]["dns"]
want = {
    ("enabled",): True,
    ("answers", "apple"): 6, ("answers", "other"): 1, ("answers", "malformed"): 0,
    ("answers", "skipped"): 0, ("table", "names"): 6,
    ("services", "icloud"): 3, ("services", "app-store"): 1, ("services", "software-update"): 2,
    ("suffixes", "icloud.com"): 3, ("suffixes", "itunes.apple.com"): 1,
    ("suffixes", "swcdn.apple.com"): 1, ("suffixes", "mesu.apple.com"): 1,
}
bad = []
for path, v in want.items():
    got = d
    for k in path:
        got = got.get(k) if isinstance(got, dict) else None
    if got != v:
        bad.append(f"{'.'.join(path)} = {got!r}, want {v!r}")
# Every event is looked up (the DNS connections too): only the hits are exact.
if d["table"]["hits"] != 6 or d["table"]["misses"] < 3:
    bad.append(f"table: {d['table']['hits']} hits, {d['table']['misses']} misses; want 6 and 3 or more")
if bad:
    print("\n".join(bad), json.dumps(d, indent=1), sep="\n", file=sys.stderr)
    sys.exit(1)
PY

text=$("$E2E_APPLEFLOWCTL" stats --socket "$E2E_CTL_SOCKET") || e2e_fail "appleflowctl stats"
for want in "DNS answers:      6 with an Apple name, 1 without (dropped)" "Apple names:      6 of 50000" \
            "Named services:   " "icloud 3" "Named suffixes:   " "swcdn.apple.com 1"; do
        grep -qF "$want" <<<"$text" || e2e_fail "appleflowctl stats lacks '$want':"$'\n'"$text"
done

# The same counts in the Prometheus file, which promtool accepts.
prom_has() { grep -qxF "$1" "$PROM" 2>/dev/null; }
for line in 'appleflowd_dns_answers_total{result="apple"} 6' 'appleflowd_dns_answers_total{result="other"} 1' \
            'appleflowd_dns_names 6' 'appleflowd_dns_name_hits_total 6' \
            'appleflowd_dns_service_connections_total{service="icloud"} 3' \
            'appleflowd_dns_suffix_connections_total{suffix="mesu.apple.com"} 1'; do
        e2e_wait 5 "$line in $PROM" prom_has "$line"
done
promtool check metrics <"$PROM" >"$E2E_TMP/promtool.out" 2>&1 ||
        e2e_fail "promtool check metrics: $(cat "$E2E_TMP/promtool.out")"

# No trace of the other name: not in the journal, not in the statistics.
if journalctl --no-pager -q --all -o json | grep -q "example\.org\|$PLAIN4"; then
        e2e_fail "www.example.org or its address is in the journal"
fi
if grep -q "example" "$E2E_TMP/stats.json" "$PROM" || grep -q "example" <<<"$text"; then
        e2e_fail "a name not under the list is in the statistics"
fi

# A broken list: refused with FILE:LINE, the one in force stays.
printf 'icloud.com\tbroken\n' >>"$DOMAINS"
bad_line=$(wc -l <"$DOMAINS")
kill -HUP "$E2E_DAEMON_PID"
e2e_expect 1 MESSAGE_ID="$MID_RELOAD_FAILED" -- "RELOAD_ERROR*=$DOMAINS:$bad_line:"
e2e_client tcp "$GATEWAY4" 443
e2e_expect 2 MESSAGE_ID="$MID_NEW" DESTINATION_IP="$GATEWAY4" -- APPLE_SERVICE=icloud

# A good edit: icloud.com now names another service, for the names learnt before too.
sed -i '$d; s/^icloud\.com\ticloud\t/icloud.com\ticloud-edited\t/' "$DOMAINS"
kill -HUP "$E2E_DAEMON_PID"
e2e_expect 1 MESSAGE_ID="$MID_RELOADED" -- "DOMAINS_SOURCE=$DOMAINS"
e2e_client tcp "$GATEWAY4" 443
e2e_expect 1 MESSAGE_ID="$MID_NEW" DESTINATION_IP="$GATEWAY4" APPLE_SERVICE=icloud-edited -- \
        DESTINATION_DOMAIN=gateway.icloud.com APPLE_CONFIDENCE=high

e2e_daemon_stop 5
e2e_pass
