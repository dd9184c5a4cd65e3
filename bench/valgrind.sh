#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# appleflowd under valgrind memcheck, with the journal on (a private
# journald), through its whole life: start, FLOWS flows (NEW and DESTROY,
# every one written), appleflowctl stats, a SIGHUP reload, more flows,
# SIGTERM. Fails on any memcheck error or leak (definite, indirect or
# possible). Runs twice, with FLOWS and with 5 × FLOWS, and compares the
# number of allocations: equal counts mean no allocation per event.
#
#   bench/valgrind.sh [BUILD_DIR]      (as root; apt-get install valgrind)
#
# FLOWS (default 4000), RATE flows per second (default 1000: under
# valgrind the daemon runs some 20-50 times slower)

source "$(dirname "$0")/lib.sh"
bench_begin "$@"

command -v valgrind >/dev/null || bench_die "apt-get install valgrind"
flows=${FLOWS:-4000}
rate=${RATE:-1000}
bench_journald_start

# pass FLOWS LOG: one life under memcheck; prints its summary.
pass() {
        local n=$1 log=$2 rc=0
        BENCH_CONFIG=$'[tagging]\nlog_min_confidence = low' bench_appleflowd_start \
                --wrapper valgrind --log-file="$log" --leak-check=full \
                --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
                --error-exitcode=99 --track-origins=yes -- --output journal
        bench_flowgen --count $((n / 2)) --rate "$rate" --family 46 --tcp-every 10 \
                --dst4 17.128.0.0 --dst6 2620:149:ff00:: >/dev/null || true
        bench_stats >/dev/null
        kill -HUP "$BENCH_DAEMON_PID"
        bench_flowgen --count $((n - n / 2)) --rate "$rate" --family 46 --tcp-every 10 \
                --dst4 17.160.0.0 --dst6 2620:149:ff01:: >/dev/null || true
        bench_wait_ct_empty 120
        bench_wait_quiet "$BENCH_DAEMON_PID" 60
        echo "kernel dropped $(bench_netlink_drops "$BENCH_DAEMON_PID") messages; conntrack table: $(bench_ct_count)"
        bench_stats_get '"events %d, NEW seen %d, entries written %d, dropped %d" % (dd["events_received"]["conntrack"], new, dd["entries_written"], dd["entries_dropped"])'
        bench_appleflowd_stop || rc=$?
        echo "exit status $rc"
        return "$rc"
}

# The allocation count of a valgrind log ("total heap usage: N allocs, ...").
allocs() { sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$1" | tr -d ,; }

status=0
for n in "$flows" $((5 * flows)); do
        echo "--- $n flows"
        log=$BENCH_TMP/valgrind.$n.log
        pass "$n" "$log" || status=1
        grep -E 'ERROR SUMMARY|total heap usage|definitely lost|indirectly lost|possibly lost|still reachable' \
                "$log" | sed 's/^==[0-9]*== */  /'
        if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
                cat "$log"
                status=1
        fi
done
a=$(allocs "$BENCH_TMP/valgrind.$flows.log")
b=$(allocs "$BENCH_TMP/valgrind.$((5 * flows)).log")
echo "allocations: $a with $flows flows, $b with $((5 * flows)) flows (difference $((b - a)))"
exit "$status"
