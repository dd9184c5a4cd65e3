#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Side by side: appleflowd, ulogd2 (NFCT -> JSON file) and `conntrack -E`, one
# after another in one run, each fed the same stream of new flows by
# bench/flowgen in a private network namespace (bench/lib.sh). For each it
# prints the NEW events delivered against the flows created, all events (NEW
# and DESTROY) against twice the flows, CPU seconds per
# 100k events (NEW and DESTROY; utime + stime of all its threads, from
# /proc/PID/stat), peak RSS (VmHWM), and the messages the kernel dropped on
# its netlink socket (/proc/net/netlink). RUNS rounds; a summary at the end.
#
#   bench/compare.sh [BUILD_DIR]       (as root; apt-get install ulogd2 ulogd2-json conntrack)
#
# FLOWS   flows per tool and round (default 1000000)
# RATE    flows per second, 0 = as fast as flowgen goes (default 0)
# RUNS    rounds (default 3)
# TOOLS   default "appleflowd appleflowd-json ulogd2 conntrack":
#         appleflowd       tagging and statistics, nothing written (the
#                          flows go to addresses outside Apple's networks and
#                          log_min_confidence = high: every flow is tagged and
#                          counted, none is below the threshold to be written)
#         appleflowd-json  the same, but every event written as a JSON line
#                          to a file (log_min_confidence = low), as ulogd2 does
#         baseline         as appleflowd, but the binary BASELINE (another
#                          build, for a before/after in the same run) and
#                          BASELINE_CONFIG added to its configuration
# CONFIG  more lines for appleflowd's configuration file (all its variants),
#         e.g. $'[input]\nreceive_buffer = 32M'
# CURRENT_CONFIG  more lines for this build's appleflowd only, not the
#         baseline's: keys the baseline does not know
# RESULTS file for the raw rows (default: only printed)
#
# Every flow: a new 5-tuple, TCP every 10th, IPv4 and IPv6 alternating,
# destination ports 5223,443,16385,3478,80,993 (all in the catalogue).

source "$(dirname "$0")/lib.sh"
bench_begin "$@"

flows=${FLOWS:-1000000}
rate=${RATE:-0}
runs=${RUNS:-3}
tools=${TOOLS:-appleflowd appleflowd-json ulogd2 conntrack}
results=${RESULTS:-$BENCH_TMP/results.tsv}
ulogd_plugins=/usr/lib/x86_64-linux-gnu/ulogd
consumer=

for t in $tools; do
        case $t in
        appleflowd | appleflowd-json) ;;
        baseline) [[ -x ${BASELINE:-} ]] || bench_die "baseline: BASELINE=PATH to another appleflowd" ;;
        ulogd2) command -v ulogd >/dev/null && [[ -e $ulogd_plugins/ulogd_output_JSON.so ]] ||
                bench_die "apt-get install ulogd2 ulogd2-json" ;;
        conntrack) command -v conntrack >/dev/null || bench_die "apt-get install conntrack" ;;
        *) bench_die "unknown tool '$t'" ;;
        esac
done

start_appleflowd() {
        BENCH_CONFIG=$'[tagging]\nlog_min_confidence = high\n'${CONFIG:-}$'\n'${CURRENT_CONFIG:-} \
                bench_appleflowd_start -- --output json
        consumer=$BENCH_DAEMON_PID
}
start_baseline() {
        BENCH_APPLEFLOWD=$BASELINE CONFIG=${CONFIG:-}$'\n'${BASELINE_CONFIG:-} CURRENT_CONFIG= start_appleflowd
}
start_appleflowd-json() {
        BENCH_CONFIG=$'[tagging]\nlog_min_confidence = low\n'${CONFIG:-}$'\n'${CURRENT_CONFIG:-} \
                bench_appleflowd_start -- --output json
        consumer=$BENCH_DAEMON_PID
}
start_ulogd2() {
        rm -f "$BENCH_TMP/ulogd.json"
        # The buffer sizes appleflowd uses: 4M, doubled on ENOBUFS up to 64M.
        cat >"$BENCH_TMP/ulogd.conf" <<-EOF
	[global]
	logfile="$BENCH_TMP/ulogd.log"
	loglevel=5
	plugin="$ulogd_plugins/ulogd_inpflow_NFCT.so"
	plugin="$ulogd_plugins/ulogd_filter_IP2STR.so"
	plugin="$ulogd_plugins/ulogd_output_JSON.so"
	stack=ct1:NFCT,ip2str1:IP2STR,json1:JSON

	[ct1]
	hash_enable=0
	event_mask=0x00000005
	netlink_socket_buffer_size=4194304
	netlink_socket_buffer_maxsize=67108864

	[json1]
	file="$BENCH_TMP/ulogd.json"
	sync=0
	EOF
        nsenter --net="/run/netns/$BENCH_SRC" ulogd -c "$BENCH_TMP/ulogd.conf" 2>"$BENCH_TMP/ulogd.err" &
        consumer=$!
        BENCH_PIDS+=("$consumer")
        sleep 1
}
start_conntrack() {
        nsenter --net="/run/netns/$BENCH_SRC" conntrack -E -e NEW,DESTROY --buffer-size 67108864 \
                >"$BENCH_TMP/conntrack.out" 2>"$BENCH_TMP/conntrack.err" &
        consumer=$!
        BENCH_PIDS+=("$consumer")
        sleep 0.5
}

# Each sets $new (NEW events seen) and $events (NEW and DESTROY).
count_appleflowd() {
        local v
        v=$(bench_stats_get new 'dd["events_received"]["conntrack"]')
        new=${v%%$'\n'*} events=${v##*$'\n'}
}
count_appleflowd-json() { count_appleflowd; }
count_baseline() { count_appleflowd; }
count_ulogd2() {
        new=$(grep -c '"ct.event": 1,' "$BENCH_TMP/ulogd.json" || true)
        events=$(wc -l <"$BENCH_TMP/ulogd.json")
}
count_conntrack() {
        new=$(grep -c '^ *\[NEW\]' "$BENCH_TMP/conntrack.out" || true)
        events=$(grep -c '^ *\[\(NEW\|DESTROY\)\]' "$BENCH_TMP/conntrack.out" || true)
        # What flowgen made, seen from the kernel: distinct 5-tuples per family and transport.
        tuples=$(grep '^ *\[NEW\]' "$BENCH_TMP/conntrack.out" | awk '
                {
                        t = ($0 ~ /dst=[0-9a-f]*:/ ? "ipv6" : "ipv4") "/" $2
                        match($0, /src=[^ ]+ dst=[^ ]+ sport=[0-9]+ dport=[0-9]+/)
                        tuple = t " " substr($0, RSTART, RLENGTH)
                        if (!(tuple in all)) { all[tuple] = 1; n[t]++ }
                        total++
                }
                END {
                        for (t in n) printf "%s %d, ", t, n[t]
                        printf "of %d NEW", total
                }')
}

stop_consumer() {
        if [[ $consumer == "${BENCH_DAEMON_PID:-}" ]]; then
                bench_appleflowd_stop || bench_log "appleflowd exited with status $?"
        else
                kill -TERM "$consumer"
                wait "$consumer" 2>/dev/null || true
        fi
        consumer=
}

printf 'run\ttool\tflows\tgen_rate\tnew\tevents\tcpu_s\tpeak_kib\tkernel_drops\n' >"$results"
printf '%-3s %-15s %9s %8s %9s %8s %10s %8s %11s %9s %8s\n' run tool flows 'flows/s' 'NEW seen' 'NEW %' \
        events 'all %' 'cpu-s/100k' 'peak-MiB' 'k-drops'
for ((run = 1; run <= runs; run++)); do
        for t in $tools; do
                "start_$t"
                before=$(bench_cpu_ticks "$consumer")
                gen=$(bench_flowgen --count "$flows" --rate "$rate" --family 46 --tcp-every 10 \
                        --dst4 10.128.0.0 --dst6 fd00:afb:: || true)
                # Every flow expires (DESTROY) and the consumer drains its socket.
                bench_wait_ct_empty 120
                bench_wait_quiet "$consumer" 60
                "count_$t"
                after=$(bench_cpu_ticks "$consumer")
                peak=$(bench_peak_rss_kib "$consumer")
                drops=$(bench_netlink_drops "$consumer")
                stop_consumer
                created=$(sed -n 's/.*flows=\([0-9]*\) failed=\([0-9]*\).*/\1 - \2/p' <<<"$gen")
                created=$((created))
                gen_rate=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$gen")
                cpu=$(python3 -c "print(($after - $before) / $BENCH_HZ)")
                printf '%d\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%d\n' "$run" "$t" "$created" "$gen_rate" "$new" \
                        "$events" "$cpu" "$peak" "$drops" >>"$results"
                python3 - "$run" "$t" "$created" "$gen_rate" "$new" "$events" "$cpu" "$peak" "$drops" <<-'EOF'
		import sys
		run, t, flows, rate, new, events, cpu, peak, drops = sys.argv[1:]
		flows, new, events = int(flows), int(new), int(events)
		per = float(cpu) / max(events, 1) * 100000
		print(f"{run:<3} {t:<15} {flows:>9} {int(rate):>8} {new:>9} {100 * new / flows:>7.2f}% {events:>10}"
		      f" {100 * events / (2 * flows):>7.2f}% {per:>11.3f} {int(peak) / 1024:>9.1f} {int(drops):>8}")
		EOF
                [[ $t == conntrack ]] && echo "    distinct 5-tuples: $tuples"
        done
done

echo
python3 - "$results" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = {}
for r in rows:
        r["pct"] = 100 * int(r["new"]) / int(r["flows"])
        r["all"] = 100 * int(r["events"]) / (2 * int(r["flows"]))
        r["per"] = float(r["cpu_s"]) / max(int(r["events"]), 1) * 1e5
        r["mib"] = int(r["peak_kib"]) / 1024
        by.setdefault(r["tool"], []).append(r)
def spread(vals, fmt):
        return f"{fmt.format(statistics.median(vals))} [{fmt.format(min(vals))}-{fmt.format(max(vals))}]"
print("median [min-max] over", len({r["run"] for r in rows}), "rounds")
print(f"{'tool':<15} {'flows/s':>22} {'NEW seen %':>26} {'all events %':>26} {'cpu-s/100k events':>24}"
      f" {'peak MiB':>20}")
for t, rs in by.items():
        print(f"{t:<15} {spread([int(r['gen_rate']) for r in rs], '{:.0f}'):>22}"
              f" {spread([r['pct'] for r in rs], '{:.2f}'):>26} {spread([r['all'] for r in rs], '{:.2f}'):>26}"
              f" {spread([r['per'] for r in rs], '{:.3f}'):>24} {spread([r['mib'] for r in rs], '{:.1f}'):>20}")
if "ulogd2" in by:
        base = {r["run"]: r["per"] for r in by["ulogd2"]}
        for t in by:
                if t == "ulogd2":
                        continue
                ratios = [r["per"] / base[r["run"]] for r in by[t] if r["run"] in base and base[r["run"]] > 0]
                if ratios:
                        print(f"CPU per event, {t} / ulogd2 in the same round: {spread(ratios, '{:.2f}')}")
EOF
