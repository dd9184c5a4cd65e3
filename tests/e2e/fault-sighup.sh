#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGHUP under load: 24000 new UDP flows to Apple's addresses at 2000 a
# second; appleflowd is reloaded twice while journald keeps up, then three
# times while journald is stopped and the queue to the writer is full.
#  - Every reload completes (RELOADING=1, then READY=1) and writes its
#    "reloaded" entry, also those made while connections were being dropped:
#    the daemon's own entries have a reserve in the queue.
#  - Nothing is lost across the reloads: the journal accounts for every flow
#    the router created.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

e2e_fault_setup '[output]' 'queue_size = 3M'
e2e_load_start 24000 2000

reloads=0
reload() {
        local ready
        ready=$(grep -cx 'READY=1' "$E2E_TMP/notify.log")
        kill -HUP "$E2E_DAEMON_PID"
        reloads=$((reloads + 1))
        reloaded() {
                (($(grep -cx 'RELOADING=1' "$E2E_TMP/notify.log") == reloads)) &&
                        (($(grep -cx 'READY=1' "$E2E_TMP/notify.log") > ready))
        }
        e2e_wait 10 "reload $reloads to complete" reloaded
}

e2e_wait 10 "the first entries" e2e_journal_has SYSLOG_IDENTIFIER=appleflowd EVENT_ACTION=connection-new
reload
sleep 1
reload

journald=$(e2e_journald_pid)
kill -STOP "$journald"
e2e_wait_dropped
reload
reload
sleep 1
reload
e2e_stats
e2e_log "$reloads reloads; with journald stopped: $S_DROPPED entries dropped"
kill -CONT "$journald"

e2e_load_wait 60
created=$(e2e_flows_created)
e2e_invariant "$created"
e2e_check_counters "$created"
((J_RELOADED == reloads)) || e2e_fail "$J_RELOADED \"reloaded\" entries for $reloads reloads"
((J_RELOAD_FAILED == 0)) || e2e_fail "$J_RELOAD_FAILED reloads failed"

e2e_daemon_stop 10
e2e_invariant "$created"
e2e_pass
