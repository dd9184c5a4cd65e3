#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGTERM under load, and the counters across restarts. New UDP flows to
# Apple's addresses come at 2000 a second all along (30000).
#  1. journald is stopped until the queue to the writer is full; then
#     appleflowd itself is stopped (SIGSTOP) for two seconds, so that
#     thousands of events wait unread on its socket. The router stops new
#     connections (so that "the flows of this run" is exact), appleflowd gets
#     SIGTERM, and both continue: appleflowd finds the signal and the events
#     at once. It stops with status 0 after STOPPING=1, and its journal
#     entries account for every flow created while it ran: the events
#     queued on its socket were read, the entries queued were written, and
#     the ones dropped are reported. Its last STATUS= gives the events it
#     received.
#  2. A new appleflowd starts on the same state directory: the statistics
#     count every connection of the first run. The router lets connections
#     through again until the load ends; then it stops cleanly.
#  3. A third start counts the connections of both runs.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

e2e_fault_setup '[output]' 'queue_size = 3M'
pid1=$E2E_DAEMON_PID
e2e_load_start 30000 2000

# 1.
e2e_wait 10 "the first entries" e2e_journal_has SYSLOG_IDENTIFIER=appleflowd EVENT_ACTION=connection-new
journald=$(e2e_journald_pid)
kill -STOP "$journald"
e2e_wait_dropped
kill -STOP "$pid1"
sleep 2
e2e_gate_close
kill -TERM "$pid1"
kill -CONT "$journald"
kill -CONT "$pid1"
e2e_daemon_stop 10
grep -qx 'STOPPING=1' "$E2E_TMP/notify.log" || e2e_fail "appleflowd sent no STOPPING=1"
first=$(e2e_flows_created)
e2e_invariant "$first" _PID="$pid1"
lost1=$J_LOST
((J_DROPPED > 0)) || e2e_fail "no entry was dropped: the queue was not full"
((J_STOPPING == 1)) || e2e_fail "$J_STOPPING \"stopping\" entries from the first run"
status=$(grep '^STATUS=Stopped: ' "$E2E_TMP/notify.log" | tail -n 1)
[[ $status == "STATUS=Stopped: $((first - lost1)) events received, $lost1 lost in the kernel; "* ]] ||
        e2e_fail "last status '$status', wanted $((first - lost1)) events received and $lost1 lost"
[[ -s $E2E_TMP/daemon.err ]] && e2e_fail "appleflowd wrote to stderr: $(cat "$E2E_TMP/daemon.err")"
e2e_log "first run: $first flows; $status"

# 2.
e2e_daemon_start
pid2=$E2E_DAEMON_PID
e2e_stats
# Every event is a NEW event here (no connection ends): the ones received
# are the connections counted.
((S_CONNECTIONS == first - lost1)) ||
        e2e_fail "the second run starts with $S_CONNECTIONS connections, the first counted $((first - lost1))"
e2e_gate_open
e2e_load_wait 60
e2e_gate_close
e2e_daemon_stop 10
created=$(e2e_flows_created)
e2e_invariant "$((created - first))" _PID="$pid2"
lost2=$J_LOST

# 3.
e2e_daemon_start
e2e_stats
((S_CONNECTIONS == created - lost1 - lost2)) ||
        e2e_fail "the third run starts with $S_CONNECTIONS connections, $((created - lost1 - lost2)) were counted"
e2e_daemon_stop 10
e2e_invariant "$created"
e2e_log "both runs: $created flows"
e2e_pass
