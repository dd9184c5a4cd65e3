#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# journald stopped: 42000 new UDP flows to Apple's addresses at 3000 a
# second; after 2 seconds journald gets SIGSTOP for 10 seconds, then SIGCONT.
#  - The reader keeps up: every event the kernel sent is received, none is
#    lost in the kernel (no "events lost" entry), although the writer waits
#    on journald all that time.
#  - The queue to the writer (3M here, some 4800 entries) fills and further
#    entries are dropped and counted (appleflowctl stats, while journald is
#    stopped).
#  - After SIGCONT entries resume, and the "not written" entries give the
#    exact number dropped: the flows written plus those counted as not
#    written are exactly the flows the router created.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

e2e_fault_setup '[output]' 'queue_size = 3M'

e2e_load_start 42000 3000
e2e_wait 10 "the first entries" e2e_journal_has SYSLOG_IDENTIFIER=appleflowd EVENT_ACTION=connection-new
sleep 1
journald=$(e2e_journald_pid)
kill -STOP "$journald"
stopped=$SECONDS
e2e_log "journald stopped"

# While journald sleeps: the queue fills and the drops are counted, and the
# reader goes on receiving.
e2e_wait_dropped
received_then=$S_RECEIVED
grows() { e2e_stats; ((S_RECEIVED > received_then)); }
e2e_wait 5 "events received while journald is stopped" grows
while ((SECONDS < stopped + 10)); do sleep 0.2; done
e2e_stats
e2e_log "after 10 s: $S_RECEIVED events received, $S_WRITTEN entries written, $S_DROPPED dropped"
kill -CONT "$journald"
e2e_log "journald continued"

e2e_load_wait 60
created=$(e2e_flows_created)
e2e_invariant "$created"
e2e_check_counters "$created"
((S_LOST == 0 && J_LOSS_REPORTS == 0)) ||
        e2e_fail "$S_LOST events lost in the kernel: the reader did not keep up"
((J_DROPPED > 0)) || e2e_fail "no entry was dropped while journald was stopped"
((J_FLOWS_AFTER_DROP_REPORT > 0)) || e2e_fail "no entry written after the first \"not written\" entry"
((J_STARTED == 1)) || e2e_fail "$J_STARTED \"started\" entries"

e2e_daemon_stop 10
e2e_invariant "$created"
((J_STOPPING == 1)) || e2e_fail "$J_STOPPING \"stopping\" entries"
e2e_pass
