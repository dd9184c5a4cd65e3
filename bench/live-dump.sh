#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What reading the conntrack table for the bytes of open connections
# (live_bytes_interval) costs: ENTRIES connections held open (flowgen, their
# timeouts raised), then appleflowd on that table with live_bytes_interval=1
# and with 0, side by side, RUNS times, SECONDS_RUN seconds each: its CPU time
# (all threads, user and system: the kernel fills a netlink dump in the
# reader's recvmsg) with reads less without, per read. `conntrack -L` listing
# the same table is measured beside it, for scale.
#
#   bench/live-dump.sh [BUILD_DIR]     (as root)
#
# ENTRIES      open connections (default 100000)
# SECONDS_RUN  seconds per run (default 30)
# RUNS         runs of each (default 3)
#
# The connections exist before the daemon starts, as after a restart on a
# busy router: each read tags the ones not followed yet (older than the
# daemon) and follows those that tag, up to live_connections_max (set above
# ENTRIES here: every tagged one followed). IPv4 goes to Apple's network
# (all tagged), IPv6 to a ULA (tagged by port only: 5223 and 16385 tag,
# 9 does not), so each read also tags again the connections that never tag.

source "$(dirname "$0")/lib.sh"
bench_begin "$@"

command -v conntrack >/dev/null || bench_die "apt-get install conntrack"
entries=${ENTRIES:-100000}
secs=${SECONDS_RUN:-30}
runs=${RUNS:-3}
hz=$(getconf CLK_TCK)

in_src sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
        net.netfilter.nf_conntrack_tcp_timeout_syn_sent=3600
gen=$(bench_flowgen --count "$entries" --rate 0 --family 46 --tcp-every 10 \
        --dst4 17.128.0.0 --dst6 fd00:afb:: --ports 5223,16385,9)
bench_log "flowgen: $gen"
table=$(bench_ct_count)
((table >= entries * 99 / 100)) || bench_die "only $table conntrack entries for $entries flows"

# CPU seconds of `conntrack -L` listing the table.
list_cpu() {
        local TIMEFORMAT='%U %S' t
        t=$({ time in_src conntrack -L -o extended >/dev/null 2>&1; } 2>&1)
        awk '{ printf "%.4f", $1 + $2 }' <<<"$t"
}

# run INTERVAL: prints "cpu_seconds reads open table_entries_read" over the
# run, from after the daemon's first second (its start and first read of
# the addresses left out).
run() {
        local interval=$1 c0 c1 r0 r1
        # flowgen runs on the daemon's host: its connections are the
        # router's own, left out unless exclude_router is off.
        BENCH_CONFIG=$(printf '[tagging]\nexclude_router = no\n[stats]\nlive_bytes_interval = %s\nlive_connections_max = %s\n' \
                "$interval" $((entries * 2)))
        bench_appleflowd_start -- --output json
        sleep 2
        c0=$(bench_cpu_ticks "$BENCH_DAEMON_PID")
        r0=$(bench_stats_get 'dd["live_bytes"]["reads"]')
        sleep "$secs"
        c1=$(bench_cpu_ticks "$BENCH_DAEMON_PID")
        read -r r1 open seen < <(bench_stats_get 'dd["live_bytes"]["reads"]' 'dd["live_bytes"]["open"]' \
                'dd["live_bytes"]["table_entries_read"]' | tr '\n' ' '; echo)
        bench_appleflowd_stop >/dev/null || bench_die "appleflowd failed"
        awk -v c=$((c1 - c0)) -v hz="$hz" -v r=$((r1 - r0)) -v o="$open" -v s="$seen" \
                'BEGIN { printf "%.2f %d %d %d\n", c / hz, r, o, s }'
}

printf '%4s %14s %14s %6s %10s %10s %12s %14s\n' run cpu_with_s cpu_without_s reads followed table ms_per_read conntrack_L_ms
for ((i = 1; i <= runs; i++)); do
        read -r on reads open seen < <(run 1)
        read -r off _ _ _ < <(run 0)
        list=$(list_cpu)
        awk -v i="$i" -v on="$on" -v off="$off" -v r="$reads" -v o="$open" -v s="$seen" -v l="$list" \
                'BEGIN { per = r ? (on - off) / r * 1000 : 0
                         printf "%4d %14.2f %14.2f %6d %10d %10d %12.1f %14.1f\n", i, on, off, r, o, s, per, l * 1000 }'
done | tee "$BENCH_TMP/results"
sort -n -k7 "$BENCH_TMP/results" | awk '{ n++; per[n] = $7; l[n] = $8 }
     END { m = int((n + 1) / 2)
           printf "median: %.1f ms CPU per read of the table, %.2f %% of a core at the default 10 s; conntrack -L: %.1f ms (%.2f x), same run\n",
                  per[m], per[m] / 100, l[m], l[m] ? per[m] / l[m] : 0 }'
