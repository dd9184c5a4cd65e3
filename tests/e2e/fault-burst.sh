#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A burst beyond the kernel's socket buffer: appleflowd starts with the
# smallest receive buffer (receive_buffer = 64K, up to 1M). It is stopped
# (SIGSTOP, a reader that gets no CPU) while 6000 new flows come as fast as
# the generator goes, then continued. A second burst follows with it running.
#  - ENOBUFS is counted, the buffer grown (the entry says to what, and the
#    kernel shows the socket's new size), and an "events lost" entry gives
#    the kernel's exact count of the events it dropped.
#  - Events received plus events lost are exactly the flows the router
#    created, and the journal accounts for every one of them.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

e2e_fault_setup '[input]' 'receive_buffer = 64K' 'receive_buffer_max = 1M'

# The kernel's view of appleflowd's conntrack socket (the netfilter netlink
# socket in groups NEW and DESTROY): its receive buffer, twice what was asked
# (the kernel doubles SO_RCVBUF for its overhead), and its drop counter.
ctsock() {
        local line
        line=$(in_rtr ss -f netlink -a -m -e -n | grep -m1 ' 12:.*groups=0x00000005') ||
                e2e_fail "no conntrack socket in the router namespace"
        K_RCVBUF=$(grep -o 'rb[0-9]*' <<<"$line" | tr -d rb)
        K_DROPS=$(grep -o ',d[0-9]*)' <<<"$line" | tr -d ',d)')
}
ctsock
((K_RCVBUF == 2 * 65536 && K_DROPS == 0)) || e2e_fail "the socket starts with rb=$K_RCVBUF d=$K_DROPS"

kill -STOP "$E2E_DAEMON_PID"
e2e_load_start 6000 0
e2e_load_wait 60
first=$(e2e_flows_created)
kill -CONT "$E2E_DAEMON_PID"
e2e_log "burst 1: $first flows while appleflowd was stopped"

e2e_expect 1 EVENT_ACTION=events-lost -- EVENT_PROVIDER=conntrack PRIORITY=4 \
        RECEIVE_BUFFER=131072 'RECEIVE_BUFFER_OVERRUNS>=1' 'EVENTS_LOST>=1' \
        'MESSAGE*=conntrack: the kernel dropped '
e2e_invariant "$first"
e2e_check_counters "$first"
((J_LOST > 0)) || e2e_fail "no event lost: the burst fit in the buffer"
ctsock
((K_DROPS == S_LOST)) || e2e_fail "the kernel dropped $K_DROPS events, appleflowd counted $S_LOST"
((K_RCVBUF == 2 * 131072)) || e2e_fail "the receive buffer is $K_RCVBUF bytes after one overrun"

e2e_load_start 6000 0
e2e_load_wait 60
created=$(e2e_flows_created)
e2e_log "burst 2: $((created - first)) flows with appleflowd running"
e2e_invariant "$created"
e2e_check_counters "$created"
ctsock
((K_DROPS == S_LOST)) || e2e_fail "the kernel dropped $K_DROPS events, appleflowd counted $S_LOST"
last=$(e2e_entries EVENT_ACTION=events-lost | tail -n 1 | "$E2E_PYTHON" "$E2E_SRCDIR/check.py" --print RECEIVE_BUFFER)
((K_RCVBUF == 2 * last)) || e2e_fail "the last loss entry says $last bytes, the kernel shows $K_RCVBUF"
e2e_log "after both bursts: $S_LOST events lost, receive buffer $last bytes"

e2e_daemon_stop 10
e2e_invariant "$created"
e2e_pass
