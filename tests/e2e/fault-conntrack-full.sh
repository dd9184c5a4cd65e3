#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The conntrack table full. net.netfilter.nf_conntrack_max is global (read-only
# inside a network namespace), but the count it limits is per namespace: the
# router's own table is filled with entries appleflowd never sees (IP
# protocol 253, assured so that the kernel cannot evict them), up to 500 short
# of the limit, through `conntrack -R`. No global setting changes.
#
# Then 3000 new UDP flows to Apple's addresses: the first 500 get in, then the
# kernel refuses new connections ("table full, dropping packet"), except
# where it evicts an unassured one (early drop, and the garbage collector
# above 95%): a DESTROY event for it, and a NEW event for the newcomer.
# Finally every UDP entry is deleted, so that each flow created has had its
# NEW and its DESTROY event.
#  - The filler is invisible to appleflowd (the kernel filters it out).
#  - appleflowd survives, and the journal accounts for every event the
#    kernel sent: two per flow the router created, each written (connection
#    and connection-end entries) or counted.
#  - The connections the kernel refused, which have no event, are counted
#    exactly as the kernel counts them: in `appleflowctl stats` and in the
#    "connections refused" entries, whose figures add up to it.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

FREE=500
max=$(in_rtr cat /proc/sys/net/netfilter/nf_conntrack_max)
((max > 0)) || e2e_skip "nf_conntrack_max is 0 (no limit): the table cannot be full"
((max <= 1048576)) || e2e_skip "nf_conntrack_max is $max: too many entries to fill in a test"

e2e_fault_setup

e2e_log "filling the router's table with $((max - FREE)) of $max entries"
"$E2E_PYTHON" - "$((max - FREE))" >"$E2E_TMP/filler" <<-'PY'
	import sys
	for i in range(int(sys.argv[1])):
	    print(f"-I -s 10.{i >> 16}.{(i >> 8) & 255}.{i & 255} -d 10.255.255.254 -p 253 -t 3600 -u ASSURED,SEEN_REPLY")
	PY
in_rtr conntrack -R "$E2E_TMP/filler" >/dev/null 2>"$E2E_TMP/filler.err" ||
        e2e_fail "conntrack -R failed: $(tail -n 3 "$E2E_TMP/filler.err")"
count=$(in_rtr cat /proc/sys/net/netfilter/nf_conntrack_count)
((count == max - FREE)) || e2e_fail "the table holds $count entries, wanted $((max - FREE))"
e2e_stats
((S_RECEIVED == 0 && S_LOST == 0)) ||
        e2e_fail "appleflowd saw the filler: $S_RECEIVED events received, $S_LOST lost"
# The table's figures are read every second.
table_read() { e2e_stats; ((S_TABLE_ENTRIES == max - FREE)); }
e2e_wait 5 "appleflowd to read the table's size" table_read
((S_TABLE_MAX == max && S_TABLE_REFUSED == 0)) ||
        e2e_fail "table: $S_TABLE_ENTRIES of $S_TABLE_MAX entries, $S_TABLE_REFUSED refused; want max $max, 0 refused"

e2e_load_start 3000 1000
e2e_load_wait 60
created=$(e2e_flows_created)
stats=$(in_rtr conntrack -S)
refused=$(grep -o ' drop=[0-9]*' <<<"$stats" | awk -F= '{ s += $2 } END { print s + 0 }')
evicted=$(grep -o 'early_drop=[0-9]*' <<<"$stats" | awk -F= '{ s += $2 } END { print s + 0 }')
e2e_log "3000 flows sent: $created created, $refused refused (table full), $evicted evicted early"
((refused > 0)) || e2e_fail "the kernel refused no connection: the table was not full"
((created >= FREE)) || e2e_fail "only $created connections created, the table had room for $FREE"
kill -0 "$E2E_DAEMON_PID" || e2e_fail "appleflowd died"

# Every UDP entry goes: a DESTROY event for each flow not evicted yet.
in_rtr conntrack -D -p udp >/dev/null 2>&1 || true
udp_gone() { [[ $(in_rtr conntrack -L -p udp 2>/dev/null | wc -l) -eq 0 ]]; }
e2e_wait 20 "the UDP entries to be gone" udp_gone
events=$((2 * created))
e2e_invariant "$events"
e2e_check_counters "$events"
((S_LOST > 0 || S_CONNECTIONS == created)) ||
        e2e_fail "$S_CONNECTIONS connections counted in the statistics, $created created"

# The refusals: what the kernel counted, in the statistics and the journal.
refused_read() { e2e_stats; ((S_TABLE_REFUSED >= refused)); }
e2e_wait 5 "appleflowd to count $refused refused connections" refused_read
((S_TABLE_REFUSED == refused)) ||
        e2e_fail "appleflowd counted $S_TABLE_REFUSED refused connections, the kernel $refused"

e2e_daemon_stop 10
e2e_invariant "$events"
# At once for the first, then at most every 10 s, and at the stop: together exact.
table_full=$(e2e_message_id TABLE_FULL)
reported=$(e2e_entries MESSAGE_ID="$table_full" | "$E2E_PYTHON" -c '
import json, sys
entries = [json.loads(l) for l in sys.stdin]
assert entries, "no connections-refused entry"
for e in entries:
    assert e["EVENT_ACTION"] == "connections-refused" and e["PRIORITY"] == "4", e
    assert "The conntrack table was full" in e["MESSAGE"], e["MESSAGE"]
print(sum(int(e["CONNTRACK_REFUSED"]) for e in entries), len(entries))') ||
        e2e_fail "the connections-refused entries: see above"
read -r reported_sum reports <<<"$reported"
((reported_sum == refused)) ||
        e2e_fail "the journal reports $reported_sum refused connections in $reports entries, the kernel $refused"
e2e_log "refused connections: kernel $refused, appleflowctl stats $S_TABLE_REFUSED, journal $reported_sum in $reports entries"
e2e_pass
