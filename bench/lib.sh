# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared by the benchmark scripts in bench/ (compare.sh, journal.sh, soak.sh,
# valgrind.sh). Like tests/e2e/lib.sh, a script re-executes itself as PID 1
# of private mount and PID namespaces: when it ends, however it ends, the
# kernel ends everything it started, and the network namespace names and a
# private journald live on tmpfs mounts nobody else sees.
#
# Two network namespaces:
#
#   src (flowgen, the consumers, journald)          sink (drops everything)
#   198.51.100.1/24  2001:db8::1/64   afb0 ------- afb1
#   routes: 17.0.0.0/8, 2620:149::/32   (Apple's: tagged high, written)
#           10.0.0.0/8, fd00::/8        (anyone's: tagged low/medium)
#
# Conntrack works in src only because a rule there asks for it; UDP flows
# and unanswered SYNs expire after 1 s, so the table (nf_conntrack_max is
# global, read-only in a namespace) holds about two seconds of flows.
#
# Usage: source "$(dirname "$0")/lib.sh"; bench_begin BUILD_DIR "$@"
# BENCH_KEEP=1 keeps the temporary directory; BENCH_VERBOSE=1 traces.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tests/private-journald.sh
source "$BENCH_DIR/../tests/private-journald.sh"
BENCH_TOPDIR=$(cd "$BENCH_DIR/.." && pwd)
BENCH_NAME=$(basename "${0%.sh}")
BENCH_JOURNALD=${BENCH_JOURNALD:-/lib/systemd/systemd-journald}
BENCH_HZ=$(getconf CLK_TCK)

bench_log() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
bench_die() {
        bench_log "$*"
        exit 1
}

# bench_begin BUILD_DIR ARGS...: checks, then re-executes the script inside
# the private namespaces with the same arguments, and sets up the topology.
bench_begin() {
        BENCH_BUILD=$(realpath "${1:-build}")
        if [[ -z ${BENCH_INSIDE:-} ]]; then
                [[ $(id -u) -eq 0 ]] || bench_die "needs root (namespaces, netfilter)"
                local tool
                for tool in ip nft unshare nsenter python3; do
                        command -v "$tool" >/dev/null || bench_die "'$tool' is missing (see bench/README.md)"
                done
                local built
                for built in src/appleflowd src/ctl/appleflowctl bench/flowgen bench/journal-sender; do
                        [[ -x $BENCH_BUILD/$built ]] || bench_die "no $BENCH_BUILD/$built: build first (meson compile -C $BENCH_BUILD)"
                done
                export BENCH_INSIDE=1 BENCH_ID=$$
                exec unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
                        bash "$0" "$@"
        fi
        [[ -n ${BENCH_VERBOSE:-} ]] && set -x
        BENCH_SRC=afbench-src-$BENCH_ID
        BENCH_SINK=afbench-sink-$BENCH_ID
        BENCH_TMP=$(mktemp -d "/tmp/afbench-$BENCH_NAME.XXXXXX")
        BENCH_PIDS=()
        trap bench_cleanup EXIT
        trap 'exit 130' INT TERM HUP
        mount -t tmpfs -o mode=0755 tmpfs /run/netns 2>/dev/null ||
                { mkdir -p /run/netns && mount -t tmpfs -o mode=0755 tmpfs /run/netns; }
        bench_topology_up
}

bench_cleanup() {
        local rc=$? pid
        set +e
        trap - EXIT INT TERM HUP
        for pid in "${BENCH_PIDS[@]}"; do
                kill -TERM "$pid" 2>/dev/null
        done
        for pid in "${BENCH_PIDS[@]}"; do
                wait "$pid" 2>/dev/null
        done
        ip netns del "$BENCH_SRC" 2>/dev/null
        ip netns del "$BENCH_SINK" 2>/dev/null
        if [[ -n ${BENCH_KEEP:-} ]]; then
                bench_log "kept $BENCH_TMP"
        else
                rm -rf "$BENCH_TMP"
        fi
        exit "$rc"
}

in_src() { ip netns exec "$BENCH_SRC" "$@"; }

bench_topology_up() {
        ip netns add "$BENCH_SRC"
        ip netns add "$BENCH_SINK"
        ip -n "$BENCH_SRC" link set lo up
        ip -n "$BENCH_SRC" link add afb0 type veth peer name afb1 netns "$BENCH_SINK"
        ip -n "$BENCH_SRC" link set afb0 up
        ip -n "$BENCH_SINK" link set afb1 up
        ip -n "$BENCH_SRC" addr add 198.51.100.1/24 dev afb0
        ip -n "$BENCH_SRC" addr add 2001:db8::1/64 dev afb0 nodad
        ip -n "$BENCH_SRC" neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev afb0
        ip -n "$BENCH_SRC" -6 neigh add 2001:db8::2 lladdr 02:00:00:00:00:02 dev afb0
        ip -n "$BENCH_SRC" route add 17.0.0.0/8 via 198.51.100.2
        ip -n "$BENCH_SRC" route add 10.0.0.0/8 via 198.51.100.2
        ip -n "$BENCH_SRC" -6 route add 2620:149::/32 via 2001:db8::2
        ip -n "$BENCH_SRC" -6 route add fd00::/8 via 2001:db8::2
        in_src nft -f - <<-'EOF'
	table inet afbench {
		chain out {
			type filter hook output priority 0;
			ct state new counter
		}
	}
	EOF
        ip netns exec "$BENCH_SINK" nft -f - <<-'EOF'
	table netdev afbench {
		chain in {
			type filter hook ingress device afb1 priority 0;
			drop
		}
	}
	EOF
        # The conntrack sysctls exist once the rule above uses conntrack.
        in_src sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1 \
                net.netfilter.nf_conntrack_tcp_timeout_syn_sent=1 \
                net.netfilter.nf_conntrack_events=1 \
                net.netfilter.nf_conntrack_acct=1 \
                net.netfilter.nf_conntrack_timestamp=1 \
                net.unix.max_dgram_qlen=512
}

# ---------------------------------------------------------------------------
# Measuring a process: CPU (all threads, utime + stime) and memory.

bench_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
bench_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
bench_peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# Messages the kernel dropped for PID's netfilter netlink sockets (the Drops
# column of /proc/net/netlink, per message): exact, where ENOBUFS only says
# that something was lost.
bench_netlink_drops() {
        local pid=$1 inodes
        inodes=$(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
                sed 's/socket:\[\([0-9]*\)\]/\1/' | tr '\n' ' ')
        awk -v inodes=" $inodes" '
                NR > 1 && $2 == 12 && index(inodes, " " $10 " ") { drops += $9 }
                END { print drops + 0 }' "/proc/$pid/net/netlink"
}

# The conntrack table's current size in src.
bench_ct_count() { in_src cat /proc/sys/net/netfilter/nf_conntrack_count; }

# ---------------------------------------------------------------------------
# Load.

# bench_flowgen ARGS...: flowgen in src; prints its summary line. Its flows
# come from the kernel's source ports, as a client's do: the tagger looks at
# the server's (destination) port only, whichever the kernel picks.
bench_flowgen() { in_src "$BENCH_BUILD/bench/flowgen" "$@"; }

# bench_wait_quiet PID [SECONDS]: until PID's CPU time stops growing for 1 s
# (it has drained its socket), at most SECONDS (default 30).
bench_wait_quiet() {
        local pid=$1 limit=${2:-30} before after i
        after=$(bench_cpu_ticks "$pid")
        for ((i = 0; i < limit * 2; i++)); do
                before=$after
                sleep 0.5
                after=$(bench_cpu_ticks "$pid")
                ((after == before)) && return 0
        done
        return 0
}

# bench_wait_ct_empty [SECONDS]: until the conntrack table in src is empty
# (every flow expired: its DESTROY event sent).
bench_wait_ct_empty() {
        local limit=${1:-30} i
        for ((i = 0; i < limit * 10; i++)); do
                (($(bench_ct_count) == 0)) && return 0
                sleep 0.1
        done
        bench_log "conntrack table not empty after ${limit}s: $(bench_ct_count) entries"
}

# ---------------------------------------------------------------------------
# appleflowd.

# bench_appleflowd_start [--wrapper CMD...] -- ARGS...: appleflowd in src with a
# configuration of its own (BENCH_CONFIG lines appended), state and control
# socket in the temporary directory; BENCH_APPLEFLOWD another binary than the
# build's, BENCH_DAEMON_OUT where its standard output goes. Sets BENCH_DAEMON_PID (the daemon's own
# PID: nsenter and env exec it) once the control socket answers.
bench_appleflowd_start() {
        local wrapper=()
        if [[ ${1:-} == --wrapper ]]; then
                shift
                while [[ $1 != -- ]]; do
                        wrapper+=("$1")
                        shift
                done
        fi
        [[ ${1:-} == -- ]] && shift
        # Fresh counters: they survive a restart.
        rm -rf "$BENCH_TMP/state" "$BENCH_TMP/control"
        mkdir -p "$BENCH_TMP/state"
        printf '# appleflowd, benchmark %s\n%s\n' "$BENCH_NAME" "${BENCH_CONFIG:-}" >"$BENCH_TMP/appleflowd.conf"
        nsenter --net="/run/netns/$BENCH_SRC" "${wrapper[@]}" "${BENCH_APPLEFLOWD:-$BENCH_BUILD/src/appleflowd}" \
                --config "$BENCH_TMP/appleflowd.conf" --state-directory "$BENCH_TMP/state" \
                --control-socket "$BENCH_TMP/control" "$@" \
                >"${BENCH_DAEMON_OUT:-$BENCH_TMP/appleflowd.out}" 2>"$BENCH_TMP/appleflowd.err" &
        BENCH_DAEMON_PID=$!
        BENCH_PIDS+=("$BENCH_DAEMON_PID")
        local i
        for ((i = 0; i < 600; i++)); do
                if [[ -S $BENCH_TMP/control ]] && bench_stats >/dev/null 2>&1; then
                        return 0
                fi
                kill -0 "$BENCH_DAEMON_PID" 2>/dev/null || break
                sleep 0.1
        done
        cat "$BENCH_TMP/appleflowd.err" >&2
        bench_die "appleflowd did not start"
}

# bench_appleflowd_stop: SIGTERM, waits; returns its exit status.
bench_appleflowd_stop() {
        local rc=0
        kill -TERM "$BENCH_DAEMON_PID"
        wait "$BENCH_DAEMON_PID" || rc=$?
        BENCH_DAEMON_PID=
        return "$rc"
}

bench_stats() { "$BENCH_BUILD/src/ctl/appleflowctl" stats --json --all --socket "$BENCH_TMP/control"; }

# bench_stats_get EXPR...: Python expressions over the stats reply d (the
# "daemon" object is dd; new: NEW events seen, tagged or not), one per line.
bench_stats_get() {
        bench_stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
dd = d["daemon"]
new = sum(s["connections"] for s in d["services"]) + dd["unmatched_connections"]
for expr in sys.argv[1:]:
        print(eval(expr))' "$@"
}

# ---------------------------------------------------------------------------
# A private systemd-journald, as tests/e2e/lib.sh starts it: tmpfs over its
# directories (this mount namespace only), no rate limit, in src so that its
# socket gets that namespace's net.unix.max_dgram_qlen (512, as systemd sets
# at boot; 10 is the kernel's default). Unlike the tests' it may keep 4G:
# entries are counted after a round, and must not be vacuumed before.

bench_journald_start() {
        local i
        [[ -x $BENCH_JOURNALD ]] || bench_die "$BENCH_JOURNALD is missing (package systemd)"
        private_journald_mount "$BENCH_TMP" 4G
        nsenter --net="/run/netns/$BENCH_SRC" "$BENCH_JOURNALD" >"$BENCH_TMP/journald.err" 2>&1 &
        BENCH_JOURNALD_PID=$!
        BENCH_PIDS+=("$BENCH_JOURNALD_PID")
        for ((i = 0; i < 100; i++)); do
                [[ -S /run/systemd/journal/socket ]] && break
                sleep 0.1
        done
        echo "afbench-journal-ready-$BENCH_ID" | systemd-cat -t afbench
        for ((i = 0; i < 100; i++)); do
                [[ -n $(journalctl --no-pager -q -o cat SYSLOG_IDENTIFIER=afbench 2>/dev/null) ]] && return 0
                sleep 0.1
        done
        bench_die "the private journald did not start: $(cat "$BENCH_TMP/journald.err")"
}
