# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The end-to-end harness, sourced by every scenario in tests/e2e/.
#
# A scenario runs as root against the real kernel and a real journald, all of
# it private to the test:
#
#   - its own mount namespace: tmpfs over /run/systemd/journal, /run/log/journal,
#     /var/log/journal and /run/netns, so journald, its files and the network
#     namespace names never touch the host;
#   - its own PID namespace whose init is the scenario itself: when the
#     scenario ends, however it ends, the kernel kills every process it started;
#   - three network namespaces:
#
#       lan (client)            router (appleflowd, journald)        inet ("internet")
#       192.168.77.2/24  eth0 -- lan0  192.168.77.1/24
#       fd77::2/64                     fd77::1/64
#       (ports 49152-65535,
#        as an iPhone picks them)
#                                      198.51.100.1/24  wan0 -- eth0  198.51.100.2/24
#                                      2001:db8:1::1/64               2001:db8:1::2/64
#                                      (masquerade, NFLOG drop rule)  lo: 17.1.2.3 (Apple)
#                                                                         2620:149::1 (Apple)
#                                                                         203.0.113.10, 2001:db8:99::10
#   and, for scenarios that call e2e_lan2_up, a Linux client with the kernel's
#   default ports (32768-60999):
#       lan2 192.168.78.2/24 fd78::2/64  eth0 -- lan1  192.168.78.1/24 fd78::1/64
#
# Usage in a scenario:
#
#   source "$(dirname "$0")/lib.sh"
#   e2e_begin "$@"                  # re-executes itself in the namespaces; skips (77) when it cannot run
#   e2e_servers tcp:5223 udp:16385  # listeners in inet, on every address
#   e2e_daemon_start [ARGS...]      # appleflowd in the router namespace, waits for READY=1
#   e2e_client tcp 17.1.2.3 5223
#   e2e_expect 1 EVENT_ACTION=connection-new DESTINATION_PORT=5223 -- APPLE_SERVICE=apns ...
#   e2e_pass
#
# Arguments of every scenario: APPLEFLOWD APPLEFLOWCTL (paths to the built programs).
# E2E_KEEP=1 keeps the temporary directory; E2E_VERBOSE=1 traces the script.

set -euo pipefail

E2E_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../private-journald.sh
source "$E2E_SRCDIR/../private-journald.sh"
E2E_TOPDIR=$(cd "$E2E_SRCDIR/../.." && pwd)
E2E_NAME=$(basename "${0%.sh}")
E2E_PYTHON=${E2E_PYTHON:-$(command -v /usr/bin/python3 || command -v python3 || true)}
E2E_JOURNALD=${E2E_JOURNALD:-/lib/systemd/systemd-journald}

# Addresses, fixed so that the assertions can name them.
LAN_IP4=192.168.77.2 LAN_IP6=fd77::2
RTR_LAN_IP4=192.168.77.1 RTR_LAN_IP6=fd77::1
LAN2_IP4=192.168.78.2 LAN2_IP6=fd78::2
RTR_LAN2_IP4=192.168.78.1 RTR_LAN2_IP6=fd78::1
RTR_WAN_IP4=198.51.100.1 RTR_WAN_IP6=2001:db8:1::1
INET_WAN_IP4=198.51.100.2 INET_WAN_IP6=2001:db8:1::2
APPLE_IP4=17.1.2.3 APPLE_IP6=2620:149::1
OTHER_IP4=203.0.113.10 OTHER_IP6=2001:db8:99::10

e2e_log() { printf '%s: %s\n' "$E2E_NAME" "$*" >&2; }

e2e_skip() {
        printf '%s: SKIP: %s\n' "$E2E_NAME" "$*" >&2
        exit 77
}

# Prints what the test saw, then fails the scenario.
e2e_fail() {
        printf '%s: FAIL: %s\n' "$E2E_NAME" "$*" >&2
        E2E_FAILED=1
        exit 1
}

# e2e_wait TIMEOUT_SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s.
e2e_wait() {
        local timeout=$1 what=$2; shift 2
        local deadline=$((SECONDS + timeout))
        until "$@" >/dev/null 2>&1; do
                if ((SECONDS >= deadline)); then
                        e2e_fail "timed out after ${timeout}s waiting for $what"
                fi
                sleep 0.1
        done
}

# nsenter, not "ip netns exec": that one remounts /sys without /sys/fs/cgroup,
# which systemd-journald needs. Only the network namespace changes.
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
in_lan() { in_ns "$E2E_LAN" "$@"; }
in_rtr() { in_ns "$E2E_RTR" "$@"; }
in_inet() { in_ns "$E2E_INET" "$@"; }
in_lan2() { in_ns "$E2E_LAN2" "$@"; }

# ---------------------------------------------------------------------------
# Start: checks, then the private namespaces.

e2e_begin() {
        E2E_APPLEFLOWD=${1:-${APPLEFLOWD:-}}
        E2E_APPLEFLOWCTL=${2:-${APPLEFLOWCTL:-}}

        if [[ -z ${E2E_INSIDE:-} ]]; then
                [[ $(id -u) -eq 0 ]] || e2e_skip "needs root (network namespaces, netfilter, journald)"
                local tool
                for tool in ip nft conntrack unshare nsenter journalctl systemd-cat sysctl mount; do
                        command -v "$tool" >/dev/null || e2e_skip "'$tool' is not installed (scripts/install-deps.sh)"
                done
                [[ -x $E2E_JOURNALD ]] || e2e_skip "$E2E_JOURNALD is not installed (package systemd)"
                [[ -n $E2E_PYTHON ]] || e2e_skip "python3 is not installed"
                ip netns list >/dev/null 2>&1 || e2e_skip "'ip netns' does not work here"
                unshare --mount --pid --fork true 2>/dev/null ||
                        e2e_skip "cannot create mount and PID namespaces here"

                # The scenario becomes PID 1 of a new PID namespace: if it dies,
                # even by SIGKILL, the kernel kills everything it started, and
                # the network namespaces and mounts vanish with the last process.
                export E2E_INSIDE=1 E2E_ID=$$
                exec unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
                        bash "$0" "$E2E_APPLEFLOWD" "$E2E_APPLEFLOWCTL"
        fi

        [[ -n ${E2E_VERBOSE:-} ]] && set -x
        [[ -n $E2E_APPLEFLOWD ]] && E2E_APPLEFLOWD=$(realpath "$E2E_APPLEFLOWD")
        [[ -n $E2E_APPLEFLOWCTL ]] && E2E_APPLEFLOWCTL=$(realpath "$E2E_APPLEFLOWCTL")
        E2E_LAN=afe2e-lan-$E2E_ID
        E2E_RTR=afe2e-rtr-$E2E_ID
        E2E_INET=afe2e-inet-$E2E_ID
        E2E_LAN2=afe2e-lan2-$E2E_ID
        E2E_TMP=$(mktemp -d "/tmp/afe2e-$E2E_NAME.XXXXXX")
        E2E_FAILED=0
        E2E_DAEMON_PID=
        E2E_PIDS=()
        trap e2e_cleanup EXIT
        trap 'e2e_fail "interrupted"' INT TERM HUP

        e2e_journald_start
        e2e_topology_up
}

e2e_cleanup() {
        local rc=$?
        set +e +x
        trap - EXIT INT TERM HUP
        if ((rc != 0 && rc != 77)) || ((E2E_FAILED)); then
                e2e_dump
        fi
        if [[ -n $E2E_DAEMON_PID ]] && kill -0 "$E2E_DAEMON_PID" 2>/dev/null; then
                kill -TERM "$E2E_DAEMON_PID" 2>/dev/null
                e2e_reap "$E2E_DAEMON_PID" 5
        fi
        local pid
        for pid in "${E2E_PIDS[@]}"; do
                kill -TERM "$pid" 2>/dev/null
        done
        for pid in "${E2E_PIDS[@]}"; do
                e2e_reap "$pid" 3
        done
        local ns
        for ns in "$E2E_LAN" "$E2E_RTR" "$E2E_INET" "$E2E_LAN2"; do
                ip netns del "$ns" 2>/dev/null
        done
        if [[ -z ${E2E_KEEP:-} ]]; then
                rm -rf "$E2E_TMP"
        else
                e2e_log "kept $E2E_TMP"
        fi
        exit "$rc"
}

# e2e_reap PID SECONDS: waits for PID, SIGKILL after SECONDS.
e2e_reap() {
        local pid=$1 i
        for ((i = 0; i < $2 * 10; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 0
}

# On failure: everything needed to see why, on stderr (meson keeps it).
e2e_dump() {
        local f
        e2e_log "----- temporary directory $E2E_TMP"
        for f in daemon.out daemon.err notify.log servers.log journald.err; do
                [[ -s $E2E_TMP/$f ]] || continue
                e2e_log "----- $f"
                tail -n 100 "$E2E_TMP/$f" >&2
        done
        e2e_log "----- journal (appleflowd, last 200 entries)"
        journalctl --no-pager -o verbose SYSLOG_IDENTIFIER=appleflowd -n 200 2>&1 |
                grep -vE '^    (_|__)' >&2
        e2e_log "----- journal (everything else, last 30 lines)"
        journalctl --no-pager -n 30 >&2 2>&1
        if [[ -n ${E2E_RTR:-} ]]; then
                e2e_log "----- conntrack table in the router"
                in_rtr conntrack -L >&2 2>&1
                e2e_log "----- nft ruleset in the router"
                in_rtr nft list ruleset >&2 2>&1
        fi
}

# ---------------------------------------------------------------------------
# A private systemd-journald.

e2e_journald_start() {
        private_journald_mount "$E2E_TMP" 256M /run/netns
}

# journald runs in the router's network namespace, beside the daemon as on a
# real router. The datagram queue of its socket (net.unix.max_dgram_qlen) is
# taken from the namespace it is created in; systemd raises it from 10 to 512
# at boot, so the router namespace gets 512 before journald starts.
e2e_journald_run() {
        in_rtr sysctl -qw net.unix.max_dgram_qlen=512
        in_rtr "$E2E_JOURNALD" >"$E2E_TMP/journald.err" 2>&1 &
        E2E_JOURNALD_PID=$!
        E2E_PIDS+=("$E2E_JOURNALD_PID")
        e2e_wait 10 "systemd-journald's socket" test -S /run/systemd/journal/socket
        # Proves the journal is written and readable before the daemon relies on it.
        echo "e2e-journal-ready-$E2E_ID" | systemd-cat -t afe2e
        e2e_wait 10 "the private journal to be readable" \
                e2e_journal_has SYSLOG_IDENTIFIER=afe2e "MESSAGE=e2e-journal-ready-$E2E_ID"
}

e2e_journal_has() {
        [[ -n $(journalctl --no-pager -q -o cat "$@" 2>/dev/null) ]]
}

# ---------------------------------------------------------------------------
# Network namespaces.

e2e_topology_up() {
        local ns
        for ns in "$E2E_LAN" "$E2E_RTR" "$E2E_INET"; do
                ip netns add "$ns"
                ip -n "$ns" link set lo up
        done

        ip -n "$E2E_RTR" link add lan0 type veth peer name eth0 netns "$E2E_LAN"
        ip -n "$E2E_RTR" link add wan0 type veth peer name eth0 netns "$E2E_INET"
        for ns in "$E2E_LAN" "$E2E_RTR" "$E2E_INET"; do
                in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
                        net.ipv6.conf.default.accept_dad=0
        done

        ip -n "$E2E_LAN" addr add "$LAN_IP4/24" dev eth0
        ip -n "$E2E_LAN" addr add "$LAN_IP6/64" dev eth0 nodad
        ip -n "$E2E_LAN" link set eth0 up
        ip -n "$E2E_LAN" route add default via "$RTR_LAN_IP4"
        ip -n "$E2E_LAN" -6 route add default via "$RTR_LAN_IP6"
        # The LAN's client picks its source ports as iPhones, Macs and Windows
        # do (the setting covers IPv6 too): tests use the kernel's ports.
        in_lan sysctl -qw net.ipv4.ip_local_port_range="49152 65535"

        ip -n "$E2E_RTR" addr add "$RTR_LAN_IP4/24" dev lan0
        ip -n "$E2E_RTR" addr add "$RTR_LAN_IP6/64" dev lan0 nodad
        ip -n "$E2E_RTR" addr add "$RTR_WAN_IP4/24" dev wan0
        ip -n "$E2E_RTR" addr add "$RTR_WAN_IP6/64" dev wan0 nodad
        ip -n "$E2E_RTR" link set lan0 up
        ip -n "$E2E_RTR" link set wan0 up
        ip -n "$E2E_RTR" route add default via "$INET_WAN_IP4"
        ip -n "$E2E_RTR" -6 route add default via "$INET_WAN_IP6"

        # The internet knows no route to the LAN: replies reach it only
        # through the router's masquerade.
        ip -n "$E2E_INET" addr add "$INET_WAN_IP4/24" dev eth0
        ip -n "$E2E_INET" addr add "$INET_WAN_IP6/64" dev eth0 nodad
        ip -n "$E2E_INET" link set eth0 up
        ip -n "$E2E_INET" addr add "$APPLE_IP4/32" dev lo
        ip -n "$E2E_INET" addr add "$APPLE_IP6/128" dev lo
        ip -n "$E2E_INET" addr add "$OTHER_IP4/32" dev lo
        ip -n "$E2E_INET" addr add "$OTHER_IP6/128" dev lo

        in_rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
        in_rtr nft -f - <<-'EOF'
	table inet afe2e {
		chain forward {
			type filter hook forward priority filter; policy accept;
			ct state established,related accept
			udp dport { 4398, 40999 } counter log group 2 prefix "drop" drop
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan0" counter masquerade
		}
	}
	EOF
        # The conntrack sysctls exist in a namespace once conntrack is in use
        # there, which the ruleset above arranges.
        in_rtr sysctl -qw net.netfilter.nf_conntrack_acct=1 \
                net.netfilter.nf_conntrack_timestamp=1 \
                net.netfilter.nf_conntrack_events=1

        e2e_journald_run
}

# e2e_lan2_up: a second LAN, lan2, behind the router's lan1, whose client
# keeps Linux's default source ports (32768-60999).
e2e_lan2_up() {
        ip netns add "$E2E_LAN2"
        ip -n "$E2E_LAN2" link set lo up
        in_lan2 sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
                net.ipv4.ip_local_port_range="32768 60999"
        ip -n "$E2E_RTR" link add lan1 type veth peer name eth0 netns "$E2E_LAN2"
        ip -n "$E2E_LAN2" addr add "$LAN2_IP4/24" dev eth0
        ip -n "$E2E_LAN2" addr add "$LAN2_IP6/64" dev eth0 nodad
        ip -n "$E2E_LAN2" link set eth0 up
        ip -n "$E2E_LAN2" route add default via "$RTR_LAN2_IP4"
        ip -n "$E2E_LAN2" -6 route add default via "$RTR_LAN2_IP6"
        ip -n "$E2E_RTR" addr add "$RTR_LAN2_IP4/24" dev lan1
        ip -n "$E2E_RTR" addr add "$RTR_LAN2_IP6/64" dev lan1 nodad
        ip -n "$E2E_RTR" link set lan1 up
}

# ---------------------------------------------------------------------------
# Traffic: tests/e2e/peer.py serves in inet and connects from lan.

# e2e_servers SPEC...: SPEC is tcp:PORT or udp:PORT; listens on the Apple and
# the other address, IPv4 and IPv6.
e2e_servers() {
        rm -f "$E2E_TMP/servers.ready"
        in_inet "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" serve --ready "$E2E_TMP/servers.ready" \
                --address "$APPLE_IP4" --address "$APPLE_IP6" \
                --address "$OTHER_IP4" --address "$OTHER_IP6" "$@" \
                >>"$E2E_TMP/servers.log" 2>&1 &
        E2E_PIDS+=("$!")
        e2e_wait 10 "the servers in the internet namespace" test -e "$E2E_TMP/servers.ready"
}

# e2e_servers_in lan|lan2|rtr|inet ADDRESS... -- SPEC...: listeners in any
# namespace, on the addresses given (the router's own, a LAN server's).
e2e_servers_in() {
        local ns=$1 addresses=() ready
        shift
        while (($#)) && [[ $1 != -- ]]; do
                addresses+=(--address "$1")
                shift
        done
        shift
        ready=$E2E_TMP/servers-$ns-$RANDOM.ready
        "in_$ns" "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" serve --ready "$ready" "${addresses[@]}" "$@" \
                >>"$E2E_TMP/servers.log" 2>&1 &
        E2E_PIDS+=("$!")
        e2e_wait 10 "the servers in the $ns namespace" test -e "$ready"
}

# e2e_connect_from lan|lan2|rtr|inet tcp|udp ADDRESS PORT [peer.py connect options]:
# a client in any namespace; the router's own connections come from rtr;
# --bind ADDRESS picks the source address (Apple's, in inet).
e2e_connect_from() {
        local ns=$1
        shift
        "in_$ns" "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" connect "$@" ||
                e2e_fail "client in $ns failed: $*"
}

# e2e_port_forward tcp|udp WAN_PORT LAN_PORT: connections arriving on wan0 at
# the router's WAN addresses, port WAN_PORT, are forwarded (DNAT) to the LAN
# client's addresses, port LAN_PORT, in both families.
e2e_port_forward() {
        in_rtr nft -f - <<-EOF
	table inet afe2e_dnat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "wan0" ip daddr $RTR_WAN_IP4 $1 dport $2 dnat ip to $LAN_IP4:$3
			iifname "wan0" ip6 daddr $RTR_WAN_IP6 $1 dport $2 dnat ip6 to [$LAN_IP6]:$3
		}
	}
	EOF
}

# e2e_client tcp|udp ADDRESS PORT [peer.py connect options]: one client in
# the LAN. Without --sport the kernel picks the source port, as for any real
# client; E2E_CLIENT_PORT is then the port it picked, for finding the entries.
e2e_client() {
        local port_file=$E2E_TMP/client.port
        rm -f "$port_file"
        in_lan "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" connect "$@" --port-file "$port_file" ||
                e2e_fail "client failed: $*"
        E2E_CLIENT_PORT=$(<"$port_file")
        [[ $E2E_CLIENT_PORT =~ ^[0-9]+$ ]] || e2e_fail "client $*: no source port in $port_file"
}

# e2e_send_dropped ADDRESS PORT SOURCE-PORT COUNT: COUNT UDP datagrams from
# lan that the router's rule drops and logs to NFLOG group 2 (ports 4398 and
# 40999); no reply is awaited. SOURCE-PORT 0: the kernel's choice.
e2e_send_dropped() {
        in_lan "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" connect udp "$1" "$2" --sport "$3" \
                --count "$4" --send 20 --no-reply || e2e_fail "sending to $1 $2"
}

# ---------------------------------------------------------------------------
# The daemon.

# e2e_daemon_start [ARGS...]: appleflowd in the router namespace, journal
# output, NFLOG group 2, state and control socket in the temporary directory.
# Waits for READY=1 on its notify socket.
e2e_daemon_start() {
        [[ -n $E2E_APPLEFLOWD && -x $E2E_APPLEFLOWD ]] ||
                e2e_fail "appleflowd not found: '$E2E_APPLEFLOWD' (arguments: APPLEFLOWD APPLEFLOWCTL)"
        mkdir -p "$E2E_TMP/state"
        # Its own configuration file, so that one installed on the host never
        # applies; a scenario may write keys into it before starting.
        E2E_CONFIG=$E2E_TMP/appleflowd.conf
        [[ -e $E2E_CONFIG ]] || echo "# appleflowd, end-to-end test $E2E_NAME" >"$E2E_CONFIG"
        E2E_CTL_SOCKET=$E2E_TMP/control.sock
        E2E_NOTIFY_SOCKET=$E2E_TMP/notify.sock
        if [[ -z ${E2E_NOTIFY_PID:-} ]]; then
                "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" notify "$E2E_NOTIFY_SOCKET" \
                        >>"$E2E_TMP/notify.log" 2>&1 &
                E2E_NOTIFY_PID=$!
                E2E_PIDS+=("$E2E_NOTIFY_PID")
                e2e_wait 5 "the notify listener" test -S "$E2E_NOTIFY_SOCKET"
        fi
        : >"$E2E_TMP/notify.log"
        # A simple command, not a shell function: $! is then appleflowd itself
        # (nsenter and env exec it), and signals reach the daemon, not a subshell.
        local router
        router=$(e2e_router_journal_args)
        # shellcheck disable=SC2086
        nsenter $router --net="/run/netns/$E2E_RTR" \
                env NOTIFY_SOCKET="$E2E_NOTIFY_SOCKET" "$E2E_APPLEFLOWD" \
                --config "$E2E_CONFIG" --output journal --nflog-group 2 \
                --state-directory "$E2E_TMP/state" --control-socket "$E2E_CTL_SOCKET" \
                "$@" >>"$E2E_TMP/daemon.out" 2>>"$E2E_TMP/daemon.err" &
        E2E_DAEMON_PID=$!
        local deadline=$((SECONDS + 15))
        until grep -qx 'READY=1' "$E2E_TMP/notify.log"; do
                kill -0 "$E2E_DAEMON_PID" 2>/dev/null || {
                        wait "$E2E_DAEMON_PID" && rc=0 || rc=$?
                        E2E_DAEMON_PID=
                        e2e_fail "appleflowd exited with status $rc before it was ready"
                }
                ((SECONDS < deadline)) || e2e_fail "appleflowd sent no READY=1 within 15s"
                sleep 0.1
        done
}

# e2e_daemon_stop [SECONDS]: SIGTERM; fails unless it exits 0 within SECONDS.
e2e_daemon_stop() {
        local timeout=${1:-5} pid=$E2E_DAEMON_PID i rc
        kill -TERM "$pid"
        for ((i = 0; i < timeout * 10; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
                e2e_fail "appleflowd still runs ${timeout}s after SIGTERM"
        fi
        wait "$pid" && rc=0 || rc=$?
        E2E_DAEMON_PID=
        ((rc == 0)) || e2e_fail "appleflowd exited with status $rc after SIGTERM"
}

e2e_ctl() {
        "$E2E_APPLEFLOWCTL" "$@"
}

# ---------------------------------------------------------------------------
# The journal.

# e2e_entries MATCH...: appleflowd's entries matching every MATCH (journalctl
# FIELD=VALUE syntax), one JSON object per line.
e2e_entries() {
        # shellcheck disable=SC2046
        nsenter $(e2e_router_journal_args) journalctl --no-pager -q --all -o json \
                SYSLOG_IDENTIFIER=appleflowd "$@"
}

# A scenario with several routers (fleet.sh) gives each its own journald in
# its own mount and UTS namespaces (journal, hostname, machine ID) and sets
# E2E_ROUTER_PID to the journald of the router in use: the daemon and the
# journal checks above then run in its namespaces. Unset: the harness's own.
e2e_router_journal_args() {
        [[ -z ${E2E_ROUTER_PID:-} ]] || echo "--target $E2E_ROUTER_PID --mount --uts"
}

# e2e_expect COUNT MATCH... [-- CHECK...]: waits up to E2E_TIMEOUT (10) seconds
# for exactly COUNT entries matching, then checks every CHECK on each entry
# (tests/e2e/check.py: FIELD=VALUE, FIELD~REGEX, FIELD[]=A|B, !FIELD).
# An extra entry arriving later is caught by the totals checked at the end.
e2e_expect() {
        local count=$1; shift
        local matches=() checks=()
        while (($#)); do
                if [[ $1 == -- ]]; then
                        shift
                        checks=("$@")
                        break
                fi
                matches+=("$1")
                shift
        done
        local deadline=$((SECONDS + ${E2E_TIMEOUT:-10})) n
        while :; do
                n=$(e2e_entries "${matches[@]}" | wc -l)
                ((n >= count)) && break
                ((SECONDS < deadline)) || break
                sleep 0.2
        done
        e2e_entries "${matches[@]}" >"$E2E_TMP/last.json"
        "$E2E_PYTHON" "$E2E_SRCDIR/check.py" --count "$count" --what "${matches[*]}" \
                "${checks[@]}" <"$E2E_TMP/last.json" ||
                e2e_fail "journal entries ${matches[*]}: see above"
}

# e2e_field FIELD MATCH...: the value of FIELD in the single entry matching.
e2e_field() {
        local field=$1; shift
        e2e_entries "$@" | "$E2E_PYTHON" "$E2E_SRCDIR/check.py" --print "$field"
}

e2e_pass() {
        e2e_log "PASS"
        exit 0
}

# e2e_message_id CONNECTION|CONNECTION_END|PACKET_LOGGED|STARTED|…: the id from src/output/message-id.h.
e2e_message_id() {
        local id
        id=$(sed -n "s/^#define MESSAGE_ID_$1_STR \"\([0-9a-f]\{32\}\)\"$/\1/p" "$E2E_TOPDIR/src/output/message-id.h")
        [[ -n $id ]] || e2e_fail "no MESSAGE_ID_$1_STR in src/output/message-id.h"
        echo "$id"
}

# e2e_endpoint ADDRESS PORT: how MESSAGE writes it (IPv6 in brackets).
e2e_endpoint() {
        if [[ $1 == *:* ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi
}

e2e_family() {
        if [[ $1 == *:* ]]; then echo ipv6; else echo ipv4; fi
}

# ---------------------------------------------------------------------------
# Faults (tests/e2e/fault-*.sh): load, journald's life, kernel counters and
# the accounting invariant.

E2E_FAULT_TOOLS=$E2E_SRCDIR/fault-tools.py

# e2e_journald_start_held: a journald whose native socket is bound by
# tests/e2e/fault-tools.py and passed to it (LISTEN_FDS), as systemd does:
# the socket, and the datagrams queued in it, outlive a journald that dies.
# The harness's own journald must be gone (e2e_journald_kill).
e2e_journald_start_held() {
        in_rtr sysctl -qw net.unix.max_dgram_qlen=512
        E2E_JOURNALD_PIDFILE=$E2E_TMP/journald.pid
        # A simple command: $! is the holder itself, which SIGUSR1 must reach.
        nsenter --net="/run/netns/$E2E_RTR" "$E2E_PYTHON" "$E2E_FAULT_TOOLS" journald-hold \
                /run/systemd/journal/socket "$E2E_JOURNALD_PIDFILE" "$E2E_JOURNALD" \
                >>"$E2E_TMP/journald.err" 2>&1 &
        E2E_JOURNALD_HOLDER_PID=$!
        E2E_PIDS+=("$E2E_JOURNALD_HOLDER_PID")
        e2e_journald_ready
}

# e2e_journald_pid: journald's own PID. e2e_journald_run starts it through a
# shell function, whose $! is the subshell: the process that execs journald
# is found among its children.
e2e_journald_pid() {
        local pid=$E2E_JOURNALD_PID child
        if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) != "$(realpath "$E2E_JOURNALD")" ]]; then
                for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
                        [[ $(readlink "/proc/$child/exe" 2>/dev/null) == "$(realpath "$E2E_JOURNALD")" ]] &&
                                pid=$child
                done
        fi
        echo "$pid"
}

# Waits for a running journald to store what it is sent; sets E2E_JOURNALD_PID.
e2e_journald_ready() {
        local deadline=$((SECONDS + 10)) marker="e2e-journal-ready-$E2E_ID-$RANDOM$RANDOM"
        if [[ -n ${E2E_JOURNALD_PIDFILE:-} ]]; then
                e2e_wait 10 "journald's PID file" test -s "$E2E_JOURNALD_PIDFILE"
                E2E_JOURNALD_PID=$(<"$E2E_JOURNALD_PIDFILE")
        fi
        # systemd-cat may meet the stdout socket of a journald that died: retry.
        until e2e_journal_has SYSLOG_IDENTIFIER=afe2e "MESSAGE=$marker"; do
                ((SECONDS < deadline)) || e2e_fail "journald does not store entries within 10s"
                echo "$marker" | systemd-cat -t afe2e 2>/dev/null || true
                sleep 0.2
        done
}

# e2e_journald_kill: SIGKILL, as a crash or the watchdog would.
e2e_journald_kill() {
        local pid i
        pid=$(e2e_journald_pid)
        kill -KILL "$pid"
        for ((i = 0; i < 100; i++)); do
                [[ -e /proc/$pid && $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) != Z ]] || break
                sleep 0.1
        done
        if [[ -n ${E2E_JOURNALD_PIDFILE:-} ]]; then
                e2e_wait 10 "the holder to notice journald's death" test ! -e "$E2E_JOURNALD_PIDFILE"
        else
                wait "$E2E_JOURNALD_PID" 2>/dev/null || true
        fi
}

# e2e_journald_restart: a new journald on the held socket, after
# e2e_journald_start_held and e2e_journald_kill.
e2e_journald_restart() {
        [[ -n ${E2E_JOURNALD_PIDFILE:-} ]] || e2e_fail "e2e_journald_restart needs e2e_journald_start_held"
        kill -USR1 "$E2E_JOURNALD_HOLDER_PID"
        e2e_journald_ready
}

# e2e_flows_setup: the router counts every TCP and UDP connection it
# confirms (a rule just before conntrack's own confirmation, so the count is
# that of the NEW events the kernel sends), and keeps them for an hour, so
# that no DESTROY event comes unless the scenario asks for it. The gate
# chain, empty while open, lets e2e_gate_close stop new connections at once.
e2e_flows_setup() {
        in_rtr nft -f - <<-'EOF'
	table inet afe2e_flows {
		chain gate {
			type filter hook forward priority -10; policy accept;
		}
		chain confirmed {
			type filter hook postrouting priority 1000; policy accept;
			meta l4proto { tcp, udp } ct state new counter
		}
	}
	EOF
        in_rtr sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
                net.netfilter.nf_conntrack_udp_timeout_stream=3600
}

e2e_gate_close() {
        in_rtr nft add rule inet afe2e_flows gate ct state new counter drop
}

e2e_gate_open() {
        in_rtr nft flush chain inet afe2e_flows gate
}

# e2e_flows_created: connections the router confirmed so far (the counter,
# less the kernel's failed insertions, which send no event).
e2e_flows_created() {
        local counted failed
        counted=$(in_rtr nft list chain inet afe2e_flows confirmed | grep -o 'packets [0-9]*' | awk '{ print $2 }')
        failed=$(in_rtr conntrack -S 2>/dev/null | grep -o 'insert_failed=[0-9]*' | awk -F= '{ s += $2 } END { print s + 0 }')
        echo $((counted - failed))
}

# e2e_load_start COUNT RATE [FLOWGEN-OPTIONS...]: bench/flowgen in the LAN
# namespace in the background, COUNT new UDP flows at RATE per second (0: as
# fast as it goes) to Apple's addresses (17.128.0.0/16 and 2620:149:ff00::/64
# by default: every flow is tagged high and written).
e2e_load_start() {
        local count=$1 rate=$2; shift 2
        [[ -n ${E2E_FLOWGEN:-} && -x ${E2E_FLOWGEN:-} ]] ||
                e2e_fail "flowgen not found: '${E2E_FLOWGEN:-}' (E2E_FLOWGEN; meson sets it)"
        in_lan "$E2E_FLOWGEN" --count "$count" --rate "$rate" --family 46 "$@" \
                >>"$E2E_TMP/flowgen.log" 2>&1 &
        E2E_LOAD_PID=$!
        E2E_PIDS+=("$E2E_LOAD_PID")
}

# e2e_load_wait [SECONDS]: waits for the load to end (flowgen exits 3 when
# some sends failed: the router's counter says what was created).
e2e_load_wait() {
        local timeout=${1:-60} rc deadline
        deadline=$((SECONDS + timeout))
        while kill -0 "$E2E_LOAD_PID" 2>/dev/null; do
                ((SECONDS < deadline)) || e2e_fail "the load did not end within ${timeout}s"
                sleep 0.2
        done
        wait "$E2E_LOAD_PID" && rc=0 || rc=$?
        ((rc == 0 || rc == 3)) || e2e_fail "flowgen failed with status $rc (flowgen.log)"
        E2E_LOAD_PID=
}

# e2e_stats: the daemon's counters as S_* variables (fault-tools.py stats).
e2e_stats() {
        local out
        out=$(e2e_ctl stats --json --all --socket "$E2E_CTL_SOCKET") ||
                e2e_fail "appleflowctl stats failed: $out"
        eval "$("$E2E_PYTHON" "$E2E_FAULT_TOOLS" stats <<<"$out")"
}

_e2e_seen_at_least() {
        e2e_ctl stats --json --socket "$E2E_CTL_SOCKET" >"$E2E_TMP/seen.json" &&
                "$E2E_PYTHON" -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["daemon"]["connections"]["seen"] < int(sys.argv[2]))' \
                        "$E2E_TMP/seen.json" "$1"
}

# e2e_wait_seen COUNT SECONDS: until appleflowd has seen COUNT connections
# (tagged, unmatched or excluded: appleflowctl stats, daemon.connections.seen).
e2e_wait_seen() {
        e2e_wait "$2" "appleflowd to see $1 connections" _e2e_seen_at_least "$1"
}

# e2e_accounting [MATCH...]: the journal's figures as J_* variables
# (fault-tools.py accounting).
e2e_accounting() {
        eval "$("$E2E_PYTHON" "$E2E_FAULT_TOOLS" accounting "$E2E_TOPDIR" "$@")"
}

# e2e_settled EVENTS [MATCH...]: true once the journal accounts for EVENTS
# events (J_FLOWS + J_DROPPED + J_LOST >= EVENTS).
e2e_settled() {
        local events=$1; shift
        e2e_accounting "$@"
        ((J_FLOWS + J_DROPPED + J_LOST >= events))
}

# e2e_invariant EVENTS [MATCH...]: every event the kernel sent is in the
# journal exactly once: as an entry, or counted in a "not written" or an
# "events lost" entry; every connection entry of the load has the service
# its destination port makes (fault-tools.py, FLOWGEN_SERVICES). Waits up to 20 s for the journal to catch up, then
# requires equality.
e2e_invariant() {
        local events=$1 deadline=$((SECONDS + 20)); shift
        until e2e_settled "$events" "$@"; do
                ((SECONDS < deadline)) || break
                sleep 0.5
        done
        e2e_accounting "$@"
        e2e_log "journal: $J_NEW connection-new + $J_END connection-end + $J_PACKET packet-logged entries," \
                "$J_DROPPED not written ($J_DROP_REPORTS reports), $J_LOST lost ($J_LOSS_REPORTS reports);" \
                "events sent by the kernel: $events"
        ((J_FLOWS + J_DROPPED + J_LOST == events)) ||
                e2e_fail "the journal accounts for $((J_FLOWS + J_DROPPED + J_LOST)) events, the kernel sent $events"
        ((J_UNKNOWN == 0)) || e2e_fail "$J_UNKNOWN entries of no known MESSAGE_ID"
        # Each flow of the load has its own destination port's service.
        ((J_WRONG_SERVICE == 0)) ||
                e2e_fail "$J_WRONG_SERVICE of $J_LOAD_FLOWS connection entries with the wrong service (above)"
        e2e_log "journal: $J_LOAD_FLOWS connection entries of the load, each with its port's service"
}

# e2e_fault_setup [LINE...]: appleflowd's configuration file made of the
# lines given, the router's flow counter (e2e_flows_setup), appleflowd started.
e2e_fault_setup() {
        printf '%s\n' "# appleflowd, end-to-end test $E2E_NAME" "$@" >"$E2E_TMP/appleflowd.conf"
        e2e_flows_setup
        e2e_daemon_start
}

_e2e_dropped() { e2e_stats; ((S_DROPPED > 0)); }

# e2e_wait_dropped: until appleflowd has dropped entries (its queue was full).
e2e_wait_dropped() {
        e2e_wait 20 "entries dropped (the queue to the writer full)" _e2e_dropped
}

# e2e_check_counters EVENTS: after e2e_invariant, appleflowd's own counters
# agree: received + lost = EVENTS, the "not written" entries add up to the
# entries dropped and refused, the "events lost" entries to the events lost,
# and every event was one to write (all the load goes to Apple).
e2e_check_counters() {
        local events=$1
        e2e_stats
        ((S_RECEIVED + S_LOST == events)) ||
                e2e_fail "appleflowd received $S_RECEIVED events and lost $S_LOST, the kernel sent $events"
        ((J_DROPPED == S_DROPPED + S_WRITE_ERRORS)) ||
                e2e_fail "the journal reports $J_DROPPED not written, appleflowd counted $S_DROPPED dropped and $S_WRITE_ERRORS refused"
        ((J_LOST == S_LOST)) || e2e_fail "the journal reports $J_LOST events lost, appleflowd counted $S_LOST"
        ((S_UNMATCHED == 0 && S_BELOW_THRESHOLD == 0)) ||
                e2e_fail "every flow goes to Apple and should be written: $S_UNMATCHED unmatched, $S_BELOW_THRESHOLD below the threshold"
}
