#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# journald killed and restarted, twice, while new UDP flows to Apple's
# addresses keep coming (36000 at 2000 a second):
#  1. The harness's journald, which bound its own socket, is killed: every
#     entry sent meanwhile is refused (the socket has no reader) and counted.
#     A new journald is started the way systemd does it, on a socket held for
#     it (tests/e2e/fault-tools.py journald-hold): entries resume, and the
#     refused ones are reported in a "not written" entry.
#  2. That journald is killed too. The held socket keeps what was queued in
#     it and takes more until it is full; then the writer waits, the queue
#     fills, and entries are dropped and counted. journald is started again
#     on the same socket: what was queued is written, entries resume, and the
#     drops are reported.
# appleflowd carries on throughout. At the end the journal accounts for
# every flow the router created: written, or counted as not written.
#
# journald is killed only once it has written everything it was sent (the
# router stops new connections for that moment): an entry journald has read
# from its socket but not yet written when it dies is lost to everybody, no
# sender can know of it, and this test is about appleflowd's accounting.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

e2e_fault_setup '[output]' 'queue_size = 3M'
e2e_load_start 36000 2000

# Kills journald once it has written all that was sent so far.
kill_when_written() {
        local created
        e2e_gate_close
        created=$(e2e_flows_created)
        e2e_wait 20 "the journal to hold all $created flows so far" e2e_settled "$created"
        e2e_invariant "$created"
        e2e_journald_kill
        e2e_gate_open
        e2e_log "journald killed after $created flows"
}

alive() { kill -0 "$E2E_DAEMON_PID" 2>/dev/null || e2e_fail "appleflowd died"; }

# 1. No journald at all.
e2e_wait 10 "the first entries" e2e_journal_has SYSLOG_IDENTIFIER=appleflowd EVENT_ACTION=connection-new
kill_when_written
refused_seen() { e2e_stats; ((S_WRITE_ERRORS > 1000)); }
e2e_wait 20 "entries refused while journald is away" refused_seen
alive
e2e_accounting         # nothing changes in the journal while journald is away
before=$J_NEW
e2e_journald_start_held
e2e_log "journald started on a held socket"
resumed() { e2e_accounting; ((J_NEW > before && J_DROP_REPORTS > 0)); }
e2e_wait 20 "entries and a \"not written\" report after the restart" resumed

# 2. journald dies, its socket stays.
kill_when_written
e2e_wait_dropped
alive
e2e_stats
e2e_log "while journald is away: $S_WRITTEN written, $S_DROPPED dropped, $S_WRITE_ERRORS refused"
e2e_accounting
before=$J_NEW reports=$J_DROP_REPORTS
e2e_journald_restart
e2e_log "journald restarted on the same socket"
resumed() { e2e_accounting; ((J_NEW > before && J_DROP_REPORTS > reports)); }
e2e_wait 20 "entries and a \"not written\" report after the second restart" resumed

e2e_load_wait 60
created=$(e2e_flows_created)
e2e_invariant "$created"
e2e_check_counters "$created"
((S_WRITE_ERRORS > 0 && S_DROPPED > 0)) ||
        e2e_fail "expected both refused ($S_WRITE_ERRORS) and dropped ($S_DROPPED) entries"
((J_STARTED == 1)) || e2e_fail "$J_STARTED \"started\" entries: the daemon restarted?"

e2e_daemon_stop 10
e2e_invariant "$created"
((J_STOPPING == 1)) || e2e_fail "$J_STOPPING \"stopping\" entries"
e2e_pass
