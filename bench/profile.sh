#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Where appleflowd spends its CPU under load: perf record (cpu-clock, call
# graphs) on the running daemon while bench/flowgen sends FLOWS flows, then
# the hottest symbols, user and kernel; and perf stat of its wake-ups and
# system calls over the same time.
#
#   bench/profile.sh [BUILD_DIR]       (as root; apt-get install linux-perf)
#
# FLOWS   flows (default 1000000), RATE (default 0: as fast as flowgen goes)
# MODE    off: tagging and statistics only, nothing written (default);
#         json: every event written as a JSON line to a file;
#         journal: every flow written to a private journald (Apple's addresses)
# PERF_OUT  keep perf.data here (default: in the temporary directory)

source "$(dirname "$0")/lib.sh"
bench_begin "$@"

command -v perf >/dev/null || bench_die "apt-get install linux-perf"
flows=${FLOWS:-1000000}
output=json dst4=10.128.0.0 dst6=fd00:afb::
case ${MODE:-off} in
off) BENCH_CONFIG=$'[tagging]\nlog_min_confidence = high' ;;
json) BENCH_CONFIG=$'[tagging]\nlog_min_confidence = low' ;;
journal)
        BENCH_CONFIG=$'[tagging]\nlog_connection_end = no'
        output=journal dst4=17.128.0.0 dst6=2620:149:ff00::
        bench_journald_start
        ;;
*) bench_die "MODE is off, json or journal" ;;
esac
data=${PERF_OUT:-$BENCH_TMP/perf.data}

BENCH_CONFIG=$BENCH_CONFIG bench_appleflowd_start -- --output "$output"
perf record -q -e cpu-clock -F 4999 -g -p "$BENCH_DAEMON_PID" -o "$data" 2>"$BENCH_TMP/perf.err" &
perf_pid=$!
perf stat -e context-switches,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvmmsg \
        -e syscalls:sys_enter_timerfd_settime,syscalls:sys_enter_poll,syscalls:sys_enter_epoll_ctl \
        -e syscalls:sys_enter_sendmsg,syscalls:sys_enter_write \
        -p "$BENCH_DAEMON_PID" -o "$BENCH_TMP/perf-stat.txt" &
stat_pid=$!
sleep 0.5
bench_flowgen --count "$flows" --rate "${RATE:-0}" --family 46 --tcp-every 10 --dst4 "$dst4" --dst6 "$dst6"
bench_wait_ct_empty 120
bench_wait_quiet "$BENCH_DAEMON_PID" 60
kill -INT "$perf_pid" "$stat_pid"
wait "$perf_pid" "$stat_pid" || true
bench_stats_get '"NEW seen: %d, events: %d, written %d, dropped %d" % (new, dd["events_received"]["conntrack"], dd["entries_written"], dd["entries_dropped"])'
bench_appleflowd_stop

echo "--- wake-ups and system calls (all threads)"
grep -E '^ +[0-9,]+ +[a-z]' "$BENCH_TMP/perf-stat.txt"
echo "--- self time by symbol"
perf report -i "$data" --no-children --sort sym -g none --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -40
echo "--- self time by shared object"
perf report -i "$data" --no-children --sort dso -g none --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -12
