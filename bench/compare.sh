#!/usr/bin/env bash
# Side-by-side: appleflowd, ulogd2 (NFCT -> JSON file) and `conntrack -E`, one
# after another in one run, each fed the same stream of new flows by
# bench/flowgen inside a private network namespace. For each it prints the
# events delivered against the flows created, CPU seconds per 100k events
# (utime+stime from /proc/PID/stat) and peak RSS (VmHWM).
#
#   bench/compare.sh [BUILD_DIR]           (as root; FLOWS, RATE, TOOLS from the environment)
#
# FLOWS   flows per tool (default 1000000)
# RATE    flows per second, 0 = as fast as flowgen goes (default 0)
# TOOLS   which to run (default "appleflowd ulogd2 conntrack")
# OUTPUT  appleflowd's output mode (default none: tagging and statistics only)
#
# Traffic goes from the namespace afbench-src-$$ over a veth to afbench-sink-$$,
# which drops it; nothing leaves the two namespaces.
set -euo pipefail

build=$(realpath "${1:-build}")
flows=${FLOWS:-1000000}
rate=${RATE:-0}
tools=${TOOLS:-appleflowd ulogd2 conntrack}
output=${OUTPUT:-none}
src=afbench-src-$$
sink=afbench-sink-$$
tmp=$(mktemp -d /tmp/afbench.XXXXXX)
consumer=

[[ $(id -u) -eq 0 ]] || { echo "compare: needs root (network namespaces)" >&2; exit 1; }
for t in $tools; do
        case $t in
        ulogd2) command -v ulogd >/dev/null || { echo "compare: apt-get install ulogd2 ulogd2-json" >&2; exit 1; } ;;
        conntrack) command -v conntrack >/dev/null || { echo "compare: apt-get install conntrack" >&2; exit 1; } ;;
        esac
done

cleanup() {
        [[ -n $consumer ]] && kill "$consumer" 2>/dev/null && wait "$consumer" 2>/dev/null
        ip netns del "$src" 2>/dev/null || true
        ip netns del "$sink" 2>/dev/null || true
        [[ -n ${KEEP:-} ]] && echo "compare: kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

cc -std=c11 -O2 -D_GNU_SOURCE -o "$tmp/flowgen" "$(dirname "$0")/flowgen.c"

ip netns add "$src"
ip netns add "$sink"
ip -n "$src" link set lo up
ip link add afbench0 netns "$src" type veth peer name afbench1 netns "$sink"
ip -n "$src" link set afbench0 up
ip -n "$sink" link set afbench1 up
ip -n "$src" addr add 198.51.100.1/24 dev afbench0
ip -n "$src" addr add 2001:db8::1/64 dev afbench0 nodad
ip -n "$src" neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev afbench0
ip -n "$src" -6 neigh add 2001:db8::2 lladdr 02:00:00:00:00:02 dev afbench0
ip -n "$src" route add 17.0.0.0/8 via 198.51.100.2
ip -n "$src" -6 route add 2620:149::/32 via 2001:db8::2
# Conntrack only tracks where a rule needs it; UDP flows expire after 1 s so
# the table (nf_conntrack_max is global and read-only here) never fills.
ip netns exec "$src" nft -f - <<'EOF'
table inet bench {
        chain out {
                type filter hook output priority 0;
                ct state new counter
        }
}
EOF
ip netns exec "$sink" nft -f - <<'EOF'
table netdev sink {
        chain in {
                type filter hook ingress device afbench1 priority 0;
                drop
        }
}
EOF
ip netns exec "$src" sh -c 'echo 1 > /proc/sys/net/netfilter/nf_conntrack_udp_timeout;
        echo 1 > /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_syn_sent'

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# Counts what the consumer saw: $delivered NEW events, $events all events (NEW
# and the DESTROY events that arrived in the run).
count_appleflowd() {
        read -r delivered events < <("$build/src/ctl/appleflowctl" stats --json --socket "$tmp/control" |
                python3 -c 'import json,sys; d=json.load(sys.stdin)["daemon"]; print(d["conntrack_new"], d["conntrack_events"])')
}
count_ulogd2() {
        delivered=$(grep -c '"ct.event": 1,' "$tmp/ulogd.json" || true)
        events=$(wc -l <"$tmp/ulogd.json")
}
count_conntrack() {
        delivered=$(grep -c '^ *\[NEW\]' "$tmp/conntrack.out" || true)
        events=$(wc -l <"$tmp/conntrack.out")
}

start_appleflowd() {
        ip netns exec "$src" "$build/src/appleflowd" --config /dev/null --output "$output" \
                --state-directory "$tmp" --control-socket "$tmp/control" >"$tmp/appleflowd.out" 2>&1 &
        consumer=$!
        for _ in $(seq 100); do [[ -S $tmp/control ]] && return; sleep 0.1; done
        echo "compare: appleflowd did not start:" >&2; cat "$tmp/appleflowd.out" >&2; exit 1
}
start_ulogd2() {
        cat >"$tmp/ulogd.conf" <<EOF
[global]
logfile="$tmp/ulogd.log"
loglevel=5
plugin="/usr/lib/x86_64-linux-gnu/ulogd/ulogd_inpflow_NFCT.so"
plugin="/usr/lib/x86_64-linux-gnu/ulogd/ulogd_filter_IP2STR.so"
plugin="/usr/lib/x86_64-linux-gnu/ulogd/ulogd_output_JSON.so"
stack=ct1:NFCT,ip2str1:IP2STR,json1:JSON

[ct1]
hash_enable=0
event_mask=0x00000005
netlink_socket_buffer_size=4194304
netlink_socket_buffer_maxsize=67108864

[json1]
file="$tmp/ulogd.json"
sync=0
EOF
        ip netns exec "$src" ulogd -c "$tmp/ulogd.conf" &
        consumer=$!
        sleep 1
}
start_conntrack() {
        ip netns exec "$src" conntrack -E -e NEW,DESTROY --buffer-size 67108864 \
                >"$tmp/conntrack.out" 2>"$tmp/conntrack.err" &
        consumer=$!
        sleep 0.5
}

printf '%-11s %10s %10s %9s %12s %10s\n' tool flows 'NEW seen' percent 'cpu-s/100k' peak-MiB
for t in $tools; do
        "start_$t"
        before=$(cpu_ticks "$consumer")
        gen=$(ip netns exec "$src" "$tmp/flowgen" --count "$flows" --rate "$rate" --family 46 --tcp-every 10)
        # Let the consumer drain its socket and the UDP flows expire (DESTROY events).
        sleep 4
        "count_$t"
        after=$(cpu_ticks "$consumer")
        rss=$(peak_rss_kib "$consumer")
        kill "$consumer"; wait "$consumer" 2>/dev/null || true; consumer=
        hz=$(getconf CLK_TCK)
        python3 - "$t" "$flows" "$delivered" "$events" "$before" "$after" "$hz" "$rss" "$gen" <<'PY'
import sys
t, flows, got, events, before, after, hz, rss, gen = sys.argv[1:]
flows, got = int(flows), int(got)
cpu = (int(after) - int(before)) / int(hz)
# NEW and DESTROY both cost the consumer: CPU per 100k events counts both.
per = cpu / max(int(events), 1) * 100000
print(f"{t:<11} {flows:>10} {got:>10} {100 * got / flows:>8.2f}% {per:>12.3f} {int(rss) / 1024:>10.1f}   ({gen})")
PY
done
