#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Report: traffic of known shape through the NAT router, from the kernel's own
# ephemeral source ports: 5 UDP connections to FaceTime's 16385 (3 over IPv4,
# 2 over IPv6, one datagram each way: 38/128 bytes on IPv4, 58/148 on IPv6),
# 3 TCP connections to APNs' 5223 (2 + 1) and 4 datagrams to Game Center's
# 4398 that the router drops and logs (3 + 1). `appleflowctl report` must
# give exactly these figures by service, product, client, router, hour and
# day, in its table, JSON and CSV, with its filters, and equal the figures
# added up independently from the journal's entries; the daemon's summaries
# must agree, and no loss be reported.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"
# shellcheck source=report-lib.sh
source "$E2E_SRCDIR/report-lib.sh"


cat >"$E2E_TMP/appleflowd.conf" <<EOF
# appleflowd, end-to-end test $E2E_NAME
[stats]
summary_interval = 1
save_interval = 0
EOF

e2e_servers tcp:5223 udp:16385
e2e_daemon_start

for _ in 1 2 3; do client udp "$APPLE_IP4" 16385; done
for _ in 1 2; do client udp "$APPLE_IP6" 16385; done
for _ in 1 2; do client tcp "$APPLE_IP4" 5223; done
client tcp "$APPLE_IP6" 5223
client udp "$APPLE_IP4" 4398 --count 3 --send 20 --no-reply
client udp "$APPLE_IP6" 4398 --count 1 --send 20 --no-reply

e2e_expect 8 EVENT_ACTION=connection-new
e2e_expect 4 EVENT_ACTION=packet-logged -- APPLE_SERVICE=game-center
# The kernel forgets them now: one connection-end entry each, with its bytes.
in_rtr conntrack -D >/dev/null 2>&1 || true
e2e_expect 8 EVENT_ACTION=connection-end


# The daemon's summaries must have counted every connection and packet
# before the report reads them (one every second).
summaries_done() {
        report summaries.json --json
        "$E2E_PYTHON" - "$E2E_TMP/summaries.json" <<-'PYTHON'
	import json, sys
	s = json.load(open(sys.argv[1]))["summaries"]
	sys.exit(0 if s["connections"] >= 8 and s["blocked_packets"] >= 4 and s["bytes"] > 0 else 1)
	PYTHON
}
e2e_wait 10 "the daemon's summaries" summaries_done

e2e_entries >"$E2E_TMP/entries.json"

e2e_log "every figure, by every grouping, equals the entries added up"
for by in service product client router hour day; do
        report "by-$by.json" --by "$by" --json
        "$E2E_PYTHON" "$REPORT_CHECK" same "$by" "$E2E_TMP/by-$by.json" "$E2E_TMP/entries.json" ||
                e2e_fail "report --by $by"
        report "by-$by.csv" --by "$by" --csv
        "$E2E_PYTHON" "$REPORT_CHECK" csv "$E2E_TMP/by-$by.csv" "$E2E_TMP/by-$by.json" || e2e_fail "report --by $by --csv"
        report "by-$by.txt" --by "$by"
        "$E2E_PYTHON" "$REPORT_CHECK" table "$E2E_TMP/by-$by.txt" "$E2E_TMP/by-$by.json" || e2e_fail "report --by $by (table)"
done

e2e_log "the figures equal the traffic"
# TCP's bytes depend on the kernel's segments; they come from the entries.
tcp_bytes=$("$E2E_PYTHON" -c '
import json, sys
print(sum(int(e["SOURCE_BYTES"]) + int(e["DESTINATION_BYTES"]) for e in map(json.loads, open(sys.argv[1]))
          if e.get("EVENT_ACTION") == "connection-end" and e["DESTINATION_PORT"] == "5223"))' "$E2E_TMP/entries.json")
((tcp_bytes > 0)) || e2e_fail "no bytes in the APNs connection-end entries"
S=by-service.json
want $S facetime-rtp connections 5
want $S facetime-rtp ended 5
want $S facetime-rtp source_bytes $((3 * 38 + 2 * 58))
want $S facetime-rtp destination_bytes $((3 * 128 + 2 * 148))
want $S facetime-rtp blocked_packets 0
want $S apns connections 3
want $S apns ended 3
want $S apns bytes "$tcp_bytes"
want $S game-center connections 0
want $S game-center blocked_packets 4
want $S total connections 8
want $S total ended 8
want $S total bytes $((3 * 38 + 2 * 58 + 3 * 128 + 2 * 148 + tcp_bytes))
want $S total blocked_packets 4
P=by-product.json
want $P FaceTime connections 8
want $P FaceTime bytes "$(fig $S total bytes)"
want $P "Game Center" connections 8
want $P "Game Center" blocked_packets 4
want $P APNs connections 3
want $P APNs blocked_packets 0
C=by-client.json
want $C "$LAN_IP4" connections 5
want $C "$LAN_IP4" blocked_packets 3
want $C "$LAN_IP6" connections 3
want $C "$LAN_IP6" blocked_packets 1
want by-router.json "$(hostname)" connections 8
want by-router.json "$(hostname)" blocked_packets 4
want by-day.json total connections 8
"$E2E_PYTHON" - "$E2E_TMP/by-service.json" <<-'PYTHON' || e2e_fail "losses or problems reported"
	import json, sys
	o = json.load(open(sys.argv[1]))
	assert o["complete"] is True, o
	assert set(o["losses"].values()) == {0}, o["losses"]
	assert set(o["problems"].values()) == {0}, o["problems"]
	assert o["entries"] >= 20, o["entries"]
	PYTHON
grep -q '^No losses reported in the period.$' "$E2E_TMP/by-service.txt" || e2e_fail "the table names no losses"

e2e_log "the daemon's summaries agree"
"$E2E_PYTHON" - "$E2E_TMP/by-service.json" <<-'PYTHON' || e2e_fail "the summaries differ from the entries"
	import json, sys
	o = json.load(open(sys.argv[1]))
	s, t = o["summaries"], o["total"]
	assert (s["connections"], s["blocked_packets"], s["bytes"]) == (t["connections"], t["blocked_packets"], t["bytes"]), (s, t)
	PYTHON

e2e_log "filters"
report f-service.json --json --service apns --service facetime-rtp
want f-service.json total connections 8
want f-service.json total blocked_packets 0
want f-service.json game-center connections 0
report f-product.json --json --product APNs --by product
want f-product.json total connections 3
want f-product.json FaceTime connections 3
report f-client.json --json --client "$LAN_IP6" --by service
want f-client.json total connections 3
want f-client.json facetime-rtp ended 2
want f-client.json game-center blocked_packets 1
report f-blocked.json --json --blocked
want f-blocked.json total connections 0
want f-blocked.json total blocked_packets 4
report f-router.json --json --router "$(hostname)"
want f-router.json total connections 8
report f-since.json --json --since -1h --until now
want f-since.json total connections 8
report f-top.json --json --top 1
"$E2E_PYTHON" -c 'import json, sys; g = json.load(open(sys.argv[1]))["groups"]; assert [x["service"] for x in g] == ["facetime-rtp"], g' \
        "$E2E_TMP/f-top.json" || e2e_fail "--top 1 is not the busiest"
# Nothing matches: exit 3, and still a report saying so.
rc=0
"$E2E_APPLEFLOWCTL" report --router no-such-router >"$E2E_TMP/none.txt" 2>&1 || rc=$?
((rc == 3)) || e2e_fail "report of an unknown router exited with $rc, wanted 3"
grep -q 'No entries of appleflowd in the period' "$E2E_TMP/none.txt" || e2e_fail "no 'No entries' line"
rc=0
"$E2E_APPLEFLOWCTL" report --since tomorrow >/dev/null 2>&1 || rc=$?
((rc == 3)) || e2e_fail "report --since tomorrow exited with $rc, wanted 3"
rc=0
"$E2E_APPLEFLOWCTL" report --since "not a time" >/dev/null 2>&1 || rc=$?
((rc == 2)) || e2e_fail "report --since 'not a time' exited with $rc, wanted 2"

e2e_log "a journal file of its own (--file, --directory)"
journal_files=(/run/log/journal/*/*.journal)
report file.json --json --file "${journal_files[0]}"
want file.json total connections 8
report dir.json --json --directory "$(dirname "${journal_files[0]}")"
want dir.json total blocked_packets 4

e2e_log "the examples of appleflowctl(1)"
# The man page's commands, with the collector's directory made this
# journal's and the router's name this host's.
ctl=$E2E_APPLEFLOWCTL
dir=$(dirname "${journal_files[0]}")
rc=0
"$ctl" report \
        --since "$(date -d 'last monday - 7 days' +%F)" \
        --until "$(date -d 'last monday' +%F)" >"$E2E_TMP/ex-last-week.txt" || rc=$?
((rc == 3)) || e2e_fail "last week's report (before this test's traffic) exited with $rc, wanted 3"
grep -q 'No entries of appleflowd in the period' "$E2E_TMP/ex-last-week.txt" || e2e_fail "last week's report"
"$ctl" report --since -7d --top 10 >"$E2E_TMP/ex-top.txt" || e2e_fail "report --since -7d --top 10"
grep -Eq '^total +8 +8 [0-9 ]+ 4$' "$E2E_TMP/ex-top.txt" || e2e_fail "report --since -7d --top 10: $(cat "$E2E_TMP/ex-top.txt")"
"$ctl" report --directory "$dir" \
        --by router --since -30d >"$E2E_TMP/ex-router.txt" || e2e_fail "the collector's report by router"
grep -Eq "^$(hostname) +8 +8 " "$E2E_TMP/ex-router.txt" || e2e_fail "by router: $(cat "$E2E_TMP/ex-router.txt")"
"$ctl" report --directory "$dir" \
        --router "$(hostname)" --by client --since yesterday --until tomorrow >"$E2E_TMP/ex-client.txt" ||
        e2e_fail "one router's clients"
grep -Eq "^$LAN_IP4 +5 " "$E2E_TMP/ex-client.txt" || e2e_fail "one router's clients: $(cat "$E2E_TMP/ex-client.txt")"
"$ctl" report --product FaceTime --by hour --since today \
        --csv >"$E2E_TMP/facetime.csv" || e2e_fail "FaceTime per hour"
[[ $(awk -F, 'NR > 1 { n += $2 } END { print n }' "$E2E_TMP/facetime.csv") == 8 ]] ||
        e2e_fail "FaceTime per hour: $(cat "$E2E_TMP/facetime.csv")"
if command -v jq >/dev/null; then
        "$ctl" report --blocked --by client --json \
                --since "$(date +%Y-%m-01)" | jq '{complete, clients: .groups}' >"$E2E_TMP/ex-jq.json" ||
                e2e_fail "blocked per client through jq"
        [[ $(jq -c '[.complete, [.clients[] | [.client, .blocked_packets]]]' "$E2E_TMP/ex-jq.json") == \
           "[true,[[\"$LAN_IP4\",3],[\"$LAN_IP6\",1]]]" ]] || e2e_fail "blocked per client: $(cat "$E2E_TMP/ex-jq.json")"
else
        e2e_log "jq is not installed (scripts/install-deps.sh): its example not run"
fi

e2e_daemon_stop 5

e2e_log "entries that are not what appleflowd writes"
# logger writes any fields it is given: a connection with appleflowd's
# MESSAGE_ID from another program, a connection end with a count that is no
# number and a name that is not UTF-8, and a loss.
printf '%s\n' "MESSAGE_ID=$(e2e_message_id CONNECTION)" SYSLOG_IDENTIFIER=impostor \
        MESSAGE=forged APPLE_SERVICE=apns | logger --journald
printf '%s\n' "MESSAGE_ID=$(e2e_message_id CONNECTION_END)" SYSLOG_IDENTIFIER=appleflowd \
        MESSAGE=hostile $'APPLE_SERVICE=bad\xffname\x01' SOURCE_BYTES=12abc DESTINATION_BYTES=5 | logger --journald
printf '%s\n' "MESSAGE_ID=$(e2e_message_id EVENTS_LOST)" SYSLOG_IDENTIFIER=appleflowd \
        MESSAGE=lost EVENT_ACTION=events-lost EVENTS_LOST=7 | logger --journald
e2e_wait 10 "the logged entries" e2e_journal_has MESSAGE=lost
report hostile.json --json
"$E2E_PYTHON" - "$E2E_TMP/hostile.json" "$E2E_TMP/by-service.json" <<-'PYTHON' || e2e_fail "hostile entries"
	import json, sys
	o, before = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
	t, b = o["total"], before["total"]
	assert t["connections"] == b["connections"], (t, b)
	assert (t["ended"], t["source_bytes"], t["destination_bytes"]) == (b["ended"] + 1, b["source_bytes"], b["destination_bytes"] + 5), (t, b)
	assert o["problems"] == {"bad_numbers": 1, "long_values": 0, "overflows": 0, "damaged_entries": 0, "foreign_entries": 1, "unreadable_files": 0}, o["problems"]
	assert o["losses"] == {"events_lost": 7, "entries_not_written": 0, "connections_refused": 0}, o["losses"]
	assert o["complete"] is False
	bad = [g for g in o["groups"] if g["service"] == "bad\\xffname\\x01"]
	assert len(bad) == 1 and bad[0]["ended"] == 1 and bad[0]["bytes"] == 5, o["groups"]
	PYTHON
report hostile-router.json --json --by router
want hostile-router.json "$(hostname)" events_lost 7
report hostile.txt
grep -q '^Incomplete: 7 events lost in the kernel, 0 entries not written, 0 connections refused' "$E2E_TMP/hostile.txt" ||
        e2e_fail "no 'Incomplete' line: $(cat "$E2E_TMP/hostile.txt")"
grep -q '^bad\\xffname\\x01 ' "$E2E_TMP/hostile.txt" || e2e_fail "the name that is not UTF-8: $(cat "$E2E_TMP/hostile.txt")"
e2e_pass
