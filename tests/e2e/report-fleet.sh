#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Report over a fleet: two routers, each an appleflowd writing to a journald
# of its own under a host name of its own (the second in its own mount and
# UTS namespaces), one after the other through the NAT router with traffic
# of different known shapes. Their journal files gathered in one directory,
# as a collector keeps one file per router: `appleflowctl report --directory
# --by router` gives each router's figures and their sum exactly, and so do
# --file with both files and --router with either.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"
# shellcheck source=report-lib.sh
source "$E2E_SRCDIR/report-lib.sh"

HOST_A=$(hostname)
HOST_B=rp-fleet-b-$E2E_ID
MID_STARTED=$(e2e_message_id STARTED)

e2e_servers tcp:5223 udp:16385

# Router A: the harness's journald and daemon.
e2e_daemon_start
for _ in 1 2; do client udp "$APPLE_IP4" 16385; done
client tcp "$APPLE_IP4" 5223
client udp "$APPLE_IP4" 4398 --count 2 --send 20 --no-reply
e2e_expect 3 EVENT_ACTION=connection-new
e2e_expect 2 EVENT_ACTION=packet-logged
in_rtr conntrack -D >/dev/null 2>&1 || true
e2e_expect 3 EVENT_ACTION=connection-end
e2e_daemon_stop 5

# Router B: a journald in mount and UTS namespaces of its own (its socket,
# its files in $B_LOG, its host name), and an appleflowd that writes to it.
B_LOG=$E2E_TMP/router-b-log
mkdir -p "$B_LOG"
unshare --mount --uts --propagation private bash -c '
        hostname "$1"
        mount -t tmpfs -o mode=0755 tmpfs /run/systemd/journal
        mount --bind "$2" /run/log/journal
        exec nsenter --net="/run/netns/$3" "$4"' \
        router-b "$HOST_B" "$B_LOG" "$E2E_RTR" "$E2E_JOURNALD" >"$E2E_TMP/journald-b.err" 2>&1 &
JOURNALD_B=$!
E2E_PIDS+=("$JOURNALD_B")
b_journal() { journalctl --no-pager -q --directory "$(dirname "$(ls "$B_LOG"/*/*.journal | head -1)")" "$@"; }
b_has() { [[ -n $(b_journal -o cat "$@" 2>/dev/null) ]]; }
b_count() { b_journal -o cat SYSLOG_IDENTIFIER=appleflowd "$@" 2>/dev/null | wc -l; }
# b_count_is N MATCH...: counted afresh at each poll of e2e_wait.
b_count_is() { local n=$1; shift; (($(b_count "$@") == n)); }
# Until its mounts are in place, router B's mount namespace still shows the
# harness's journald socket: wait until a line sent there reaches router B's
# own journal, so that its appleflowd writes to router B's journald alone.
b_ready() {
        nsenter --mount="/proc/$JOURNALD_B/ns/mnt" systemd-cat -t afe2e-b echo router-b-ready 2>/dev/null &&
                b_has SYSLOG_IDENTIFIER=afe2e-b
}
e2e_wait 10 "router B's journald" b_ready
mkdir -p "$E2E_TMP/state-b"
nsenter --mount="/proc/$JOURNALD_B/ns/mnt" --uts="/proc/$JOURNALD_B/ns/uts" --net="/run/netns/$E2E_RTR" \
        "$E2E_APPLEFLOWD" --config "$E2E_CONFIG" --output journal --nflog-group 2 \
        --state-directory "$E2E_TMP/state-b" --control-socket "$E2E_TMP/control-b.sock" \
        >>"$E2E_TMP/daemon-b.out" 2>>"$E2E_TMP/daemon-b.err" &
DAEMON_B=$!
E2E_PIDS+=("$DAEMON_B")
e2e_wait 15 "router B's appleflowd to start" b_has MESSAGE_ID="$MID_STARTED"
client udp "$APPLE_IP6" 16385
for _ in 1 2 3; do client tcp "$APPLE_IP4" 5223; done
client udp "$APPLE_IP6" 4398 --count 3 --send 20 --no-reply
e2e_wait 10 "router B's connections" b_count_is 4 EVENT_ACTION=connection-new
e2e_wait 10 "router B's blocked packets" b_count_is 3 EVENT_ACTION=packet-logged
in_rtr conntrack -D >/dev/null 2>&1 || true
e2e_wait 10 "router B's connection ends" b_count_is 4 EVENT_ACTION=connection-end
kill -TERM "$DAEMON_B"
wait "$DAEMON_B" || e2e_fail "router B's appleflowd exited with status $?"

# The collector's directory: one file per router.
FILE_A=$(ls /run/log/journal/*/system.journal)
FILE_B=$(ls "$B_LOG"/*/system.journal)
COLLECTOR=$E2E_TMP/remote
mkdir -p "$COLLECTOR"
cp "$FILE_A" "$COLLECTOR/remote-$HOST_A.journal"
cp "$FILE_B" "$COLLECTOR/remote-$HOST_B.journal"


e2e_log "per router and summed, over the collector's directory"
journalctl --no-pager -q --all -o json --directory "$COLLECTOR" SYSLOG_IDENTIFIER=appleflowd >"$E2E_TMP/entries.json"
for by in router service client; do
        report "fleet-$by.json" --directory "$COLLECTOR" --by "$by" --json
        "$E2E_PYTHON" "$REPORT_CHECK" same "$by" "$E2E_TMP/fleet-$by.json" "$E2E_TMP/entries.json" ||
                e2e_fail "report --by $by over the collector"
done
F=fleet-router.json
want $F "$HOST_A" connections 3
want $F "$HOST_A" ended 3
want $F "$HOST_A" blocked_packets 2
want $F "$HOST_B" connections 4
want $F "$HOST_B" ended 4
want $F "$HOST_B" blocked_packets 3
want $F total connections 7
want $F total ended 7
want $F total blocked_packets 5
"$E2E_PYTHON" - "$E2E_TMP/$F" "$HOST_A" "$HOST_B" <<-'PYTHON' || e2e_fail "the routers do not add up to the total"
	import json, sys
	o, a, b = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
	g = {x["router"]: x for x in o["groups"]}
	assert set(g) == {a, b}, g
	for k in ("connections", "ended", "bytes", "source_bytes", "destination_bytes", "blocked_packets"):
	    assert g[a][k] + g[b][k] == o["total"][k], (k, g, o["total"])
	assert o["complete"] is True, o
	PYTHON
# UDP bytes are known: A 2 x 38/128 (IPv4), B 1 x 58/148 (IPv6).
report fleet-a.json --directory "$COLLECTOR" --router "$HOST_A" --service facetime-rtp --json
want fleet-a.json total source_bytes $((2 * 38))
want fleet-a.json total destination_bytes $((2 * 128))
report fleet-b.json --directory "$COLLECTOR" --router "$HOST_B" --service facetime-rtp --json
want fleet-b.json total source_bytes 58
want fleet-b.json total destination_bytes 148
report fleet-b-all.json --directory "$COLLECTOR" --router "$HOST_B" --json
want fleet-b-all.json total connections 4
want fleet-b-all.json total blocked_packets 3

e2e_log "the same with --file, one per router"
report files.json --file "$FILE_A" --file "$FILE_B" --by router --json
"$E2E_PYTHON" -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:]); assert a["groups"] == b["groups"] and a["total"] == b["total"], (a, b)' \
        "$E2E_TMP/files.json" "$E2E_TMP/$F" || e2e_fail "--file differs from --directory"
e2e_pass
