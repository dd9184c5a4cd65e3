#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The router's own traffic is kept apart: connections the router originates
# (TCP to Apple's 5223 and SSH to the internet, from the kernel's source
# ports; UDP to Game Center's 4398) and connections the LAN makes to the
# router's own addresses (5223 on its LAN and WAN addresses, both families)
# produce no entry and are counted as excluded, exactly; so are the router's
# own packets that an NFLOG rule logs, in both directions. The LAN's
# connections to Apple, masqueraded, are written; a port forward from the
# internet to a LAN server (WAN 8548 -> LAN 548, DNAT) is never excluded.
# Every port here is one the catalogue lists, so a connection wrongly let
# through would be tagged and written.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

MID_CONNECTION=$(e2e_message_id CONNECTION)

# The router logs its own Game Center packets, out and back in.
in_rtr nft -f - <<-'EOF'
	table inet ti_local {
		chain output {
			type filter hook output priority filter; policy accept;
			udp dport 4398 log group 2 prefix "router-out"
		}
		chain input {
			type filter hook input priority filter; policy accept;
			udp sport 4398 log group 2 prefix "router-in"
		}
	}
	EOF

e2e_servers tcp:5223 tcp:22 udp:4398
e2e_servers_in rtr "$RTR_LAN_IP4" "$RTR_LAN_IP6" "$RTR_WAN_IP4" -- tcp:5223
e2e_servers_in lan "$LAN_IP4" "$LAN_IP6" -- tcp:548
e2e_port_forward tcp 8548 548

e2e_daemon_start
grep -q "Cannot follow the router's addresses" "$E2E_TMP/daemon.err" &&
        e2e_fail "the daemon could not follow the router's addresses"

stats() { e2e_ctl stats --socket "$E2E_CTL_SOCKET" --json; }
# daemon_figure NAME: a counter of appleflowctl stats --json's "daemon" object.
daemon_figure() {
        stats | "$E2E_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["daemon"][sys.argv[1]])' "$1"
}
figure_is() { [[ $(daemon_figure "$1") == "$2" ]]; }

# ---- the router's own: 3 connections out, 3 in from the LAN
e2e_log "router-originated connections"
e2e_connect_from rtr tcp "$APPLE_IP4" 5223
e2e_connect_from rtr tcp "$OTHER_IP6" 22
e2e_connect_from rtr udp "$APPLE_IP4" 4398       # logged out, its answer logged in
e2e_log "LAN connections to the router itself"
e2e_connect_from lan tcp "$RTR_LAN_IP4" 5223
e2e_connect_from lan tcp "$RTR_LAN_IP6" 5223
e2e_connect_from lan tcp "$RTR_WAN_IP4" 5223

# ---- the LAN's: forwarded and masqueraded, and forwarded in by DNAT
e2e_log "forwarded connections"
e2e_client tcp "$APPLE_IP4" 5223
e2e_client tcp "$APPLE_IP6" 5223
e2e_connect_from inet tcp "$RTR_WAN_IP4" 8548
e2e_connect_from inet tcp "$RTR_WAN_IP6" 8548

e2e_log "checking the forwarded connections are written"
e2e_expect 1 EVENT_ACTION=connection-new SOURCE_IP="$LAN_IP4" DESTINATION_IP="$APPLE_IP4" -- \
        MESSAGE_ID="$MID_CONNECTION" APPLE_SERVICE=apns DESTINATION_PORT=5223 SOURCE_NAT_IP="$RTR_WAN_IP4"
e2e_expect 1 EVENT_ACTION=connection-new SOURCE_IP="$LAN_IP6" DESTINATION_IP="$APPLE_IP6" -- \
        MESSAGE_ID="$MID_CONNECTION" APPLE_SERVICE=apns DESTINATION_PORT=5223

e2e_log "checking the router's own traffic is counted as excluded"
e2e_wait 10 "6 excluded connections" figure_is excluded_connections 6
e2e_wait 10 "2 excluded packets" figure_is excluded_packets 2
# The port forward's connections reached the daemon, and were not excluded:
# every NEW event is excluded, tagged or unmatched, and the totals add up.
stats >"$E2E_TMP/stats.json" || e2e_fail "appleflowctl stats --json"
"$E2E_PYTHON" - "$E2E_TMP/stats.json" <<-'EOF' || e2e_fail "the statistics do not add up (above)"
	import json, sys
	o = json.load(open(sys.argv[1]))
	d = o["daemon"]
	tagged = sum(s["connections"] for s in o.get("services", []))
	seen = tagged + d["unmatched_connections"] + d["excluded_connections"]
	# 6 of the router's own, 2 LAN to Apple, 2 port-forwarded
	if d["excluded_connections"] != 6 or seen != 10:
	    print(f"excluded {d['excluded_connections']} (want 6), tagged {tagged}, "
	          f"unmatched {d['unmatched_connections']}: seen {seen} (want 10)", file=sys.stderr)
	    sys.exit(1)
	EOF

e2e_log "checking that nothing of the router's own was written"
for ip in "$RTR_LAN_IP4" "$RTR_LAN_IP6" "$RTR_WAN_IP4" "$RTR_WAN_IP6"; do
        E2E_TIMEOUT=0 e2e_expect 0 SOURCE_IP="$ip"
        [[ $ip == "$RTR_WAN_IP4" || $ip == "$RTR_WAN_IP6" ]] && continue  # the port forward's
        E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_IP="$ip"
done
E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_IP="$RTR_WAN_IP4" DESTINATION_PORT=5223
E2E_TIMEOUT=0 e2e_expect 0 EVENT_ACTION=packet-logged
E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_IP="$OTHER_IP6" DESTINATION_PORT=22
E2E_TIMEOUT=0 e2e_expect 1 EVENT_ACTION=connection-new DESTINATION_IP="$APPLE_IP4"
logged=$(in_rtr nft list table inet ti_local | grep -c 'log prefix' || true)
[[ $logged == 2 ]] || e2e_fail "the router's log rules are not in place"

# ---- the router's addresses change while the daemon runs: followed
e2e_log "a new address on the router, then a connection to it"
ip -n "$E2E_RTR" addr add 192.168.78.1/24 dev lan0
ip -n "$E2E_LAN" addr add 192.168.78.2/24 dev eth0
e2e_servers_in rtr 192.168.78.1 -- tcp:5223
e2e_connect_from lan tcp 192.168.78.1 5223
e2e_wait 10 "7 excluded connections" figure_is excluded_connections 7
E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_IP=192.168.78.1

e2e_daemon_stop 5
e2e_pass
