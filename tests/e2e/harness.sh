#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The harness itself, without appleflowd: the private journald stores and
# returns entries, the router forwards and masquerades TCP and UDP over IPv4
# and IPv6, conntrack reports NEW and DESTROY with the NAT address and the
# byte counts, and the drop rule logs to NFLOG group 2. When this fails,
# the other scenarios cannot say anything about appleflowd.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

# journald: structured fields go in, come out with journalctl -o json.
systemd-cat -t appleflowd-harness echo "harness entry"
e2e_wait 5 "an entry from systemd-cat" e2e_journal_has SYSLOG_IDENTIFIER=appleflowd-harness
journalctl --no-pager -q -o json SYSLOG_IDENTIFIER=appleflowd-harness |
        "$E2E_PYTHON" "$E2E_SRCDIR/check.py" --count 1 --what systemd-cat \
                MESSAGE="harness entry" PRIORITY=6 ||
        e2e_fail "systemd-cat's entry"

e2e_servers tcp:5223 udp:16385
in_rtr conntrack -E -e NEW,DESTROY -o extended >"$E2E_TMP/events" 2>&1 &
E2E_PIDS+=("$!")
# conntrack -E gives no sign that it has subscribed: probe until it reports.
# Each probe from a new port the kernel picks, so each is a NEW flow.
probe() {
        in_lan "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" connect udp "$OTHER_IP4" 9 --no-reply &&
                grep -q "dport=9 " "$E2E_TMP/events"
}
e2e_wait 10 "conntrack -E to report a probe" probe

# Source ports: the kernel's choice, as for any client.
e2e_client tcp "$APPLE_IP4" 5223
tcp4=$E2E_CLIENT_PORT
e2e_client tcp "$APPLE_IP6" 5223
tcp6=$E2E_CLIENT_PORT
e2e_client udp "$APPLE_IP4" 16385 --send 10
udp4=$E2E_CLIENT_PORT
e2e_client udp "$OTHER_IP6" 16385 --send 10
udp6=$E2E_CLIENT_PORT
in_lan "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" connect udp "$APPLE_IP4" 4398 --no-reply --count 3
in_rtr conntrack -D >/dev/null 2>&1 || true

has_event() { grep -E "$1" "$E2E_TMP/events"; }
e2e_wait 5 "conntrack NEW tcp 5223 with masquerade (IPv4)" \
        has_event "NEW.*tcp.*src=$LAN_IP4 dst=$APPLE_IP4 sport=$tcp4 dport=5223 .*src=$APPLE_IP4 dst=$RTR_WAN_IP4 sport=5223"
e2e_wait 5 "conntrack NEW tcp 5223 with masquerade (IPv6)" \
        has_event "NEW.*tcp.*src=$LAN_IP6 dst=$APPLE_IP6 sport=$tcp6 dport=5223 .*dst=$RTR_WAN_IP6"
# One 10-byte datagram each way (reply 100 bytes): 38 and 128 bytes on IPv4.
e2e_wait 5 "conntrack DESTROY udp 16385 with counters (IPv4)" \
        has_event "DESTROY.*udp.*src=$LAN_IP4 dst=$APPLE_IP4 sport=$udp4 dport=16385 packets=1 bytes=38 .*packets=1 bytes=128"
e2e_wait 5 "conntrack DESTROY udp 16385 with counters (IPv6)" \
        has_event "DESTROY.*udp.*src=$LAN_IP6 dst=$OTHER_IP6 sport=$udp6 dport=16385 packets=1 bytes=58 .*packets=1 bytes=148"
if has_event "dport=4398" >/dev/null; then
        e2e_fail "a dropped packet made a conntrack entry"
fi
drops=$(in_rtr nft list chain inet afe2e forward | grep -o 'packets [0-9]*' | head -1)
[[ $drops == "packets 3" ]] || e2e_fail "the drop rule counted '$drops', wanted 3 packets"

e2e_pass
