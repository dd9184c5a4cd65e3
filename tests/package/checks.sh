# The checks of the package test, inside the booted container. Sourced by
# run.sh; ct (container.sh) runs a command in the container. Each check
# prints PASS or FAIL with what it saw. run.sh sets pipefail: a reader that
# leaves a pipe early (grep -q, awk's exit) would fail it once the writer
# has more to write, so readers here read to the end.

PK_PASSED=0
PK_FAILED=0
MID_CONNECTION=fd9fd13f564b4308be583094f3978cff
MID_RELOADED=5d06afb1490c4324bc4d7024e2230d52
MID_RELOAD_FAILED=81941e6217f54b759e86a9f5f2a60c1a
PK_CONF=/etc/appleflowd/appleflowd.conf

pass() {
        echo "PASS: $1"
        PK_PASSED=$((PK_PASSED + 1))
}

# fail NAME [WHAT-WAS-SEEN]
fail() {
        echo "FAIL: $1"
        [[ -z ${2:-} ]] || sed 's/^/    /' <<<"$2"
        PK_FAILED=$((PK_FAILED + 1))
}

# check NAME COMMAND...: PASS when COMMAND succeeds, else FAIL with its output.
check() {
        local name=$1 out
        shift
        if out=$("$@" 2>&1); then
                pass "$name"
        else
                fail "$name" "$out"
        fi
}

pk_summary() {
        echo "package: $PK_PASSED checks passed, $PK_FAILED failed"
        [[ $PK_FAILED -eq 0 && $PK_PASSED -gt 0 ]]
        exit
}

# until_ok SECONDS COMMAND...: runs COMMAND until it succeeds, at most
# SECONDS; then once more with its output, and fails.
until_ok() {
        local end=$((SECONDS + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                if ((SECONDS >= end)); then
                        "$@"
                        return 1
                fi
                sleep 0.3
        done
}

# expect TEXT PATTERN...: every extended regular expression matches a line.
expect() {
        local text=$1 p
        shift
        for p in "$@"; do
                grep -Eq -- "$p" <<<"$text" || { echo "no line matches '$p' in:"; echo "$text"; return 1; }
        done
}

prop() { ct systemctl show -P "$1" appleflowd.service; }

# ---- helpers for the checks ---------------------------------------------------

# The files of the container, less what changes by itself (logs, caches,
# apt's and dpkg's databases, /run, /tmp).
pk_files() {
        ct find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
                -o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \) \
                -prune -o -print | sort
}

# The router of the README's quick start: the container's own network
# namespace forwards between a LAN (namespace pklan) and an "internet"
# (pkinet) on which 17.1.2.3 and 2620:149::1 stand for Apple's servers.
pk_router() {
        ct sh -euc '
                ip netns add pklan
                ip netns add pkinet
                ip link add lan0 type veth peer name eth0 netns pklan
                ip link add wan0 type veth peer name eth0 netns pkinet
                ip addr add 192.168.77.1/24 dev lan0
                ip addr add fd77::1/64 dev lan0 nodad
                ip addr add 198.51.100.1/24 dev wan0
                ip addr add 2001:db8:1::1/64 dev wan0 nodad
                ip link set lan0 up
                ip link set wan0 up
                ip -n pklan addr add 192.168.77.2/24 dev eth0
                ip -n pklan addr add fd77::2/64 dev eth0 nodad
                ip -n pkinet addr add 198.51.100.2/24 dev eth0
                ip -n pkinet addr add 2001:db8:1::2/64 dev eth0 nodad
                ip -n pkinet addr add 17.1.2.3/32 dev lo
                ip -n pkinet addr add 2620:149::1/128 dev lo
                for ns in pklan pkinet; do
                        ip -n $ns link set lo up
                        ip -n $ns link set eth0 up
                done
                ip -n pklan route add default via 192.168.77.1
                ip -n pklan route add default via fd77::1
                ip -n pkinet route add default via 198.51.100.1
                ip -n pkinet route add default via 2001:db8:1::1
                ip route add 17.1.2.3/32 via 198.51.100.2
                ip route add 2620:149::1/128 via 2001:db8:1::2
                echo 1 >/proc/sys/net/ipv4/ip_forward
                echo 1 >/proc/sys/net/ipv6/conf/all/forwarding
                # An echo server on Apple'\''s addresses, port 5223 (APNs).
                systemd-run --quiet --unit=pk-echo4 ip netns exec pkinet \
                        socat TCP4-LISTEN:5223,bind=17.1.2.3,reuseaddr,fork EXEC:cat
                systemd-run --quiet --unit=pk-echo6 ip netns exec pkinet \
                        socat TCP6-LISTEN:5223,bind=[2620:149::1],reuseaddr,fork EXEC:cat
        '
}

# pk_connect ADDRESS NAME: one TCP connection from the LAN to ADDRESS:5223,
# which must echo what it is sent, from the source port the kernel picks;
# that port is kept as NAME for pk_port (socat -dd says which it was).
pk_connect() {
        local out log=$PK_TMP/socat-$2.log port
        out=$(ct ip netns exec pklan sh -c "echo hello | socat -d -d -T5 - TCP:$1:5223" 2>"$log")
        port=$(sed -n 's/.* successfully connected from local address .*:\([0-9][0-9]*\)$/\1/p' "$log")
        [[ $out == hello && $port =~ ^[0-9]+$ ]] ||
                { echo "the connection to $1:5223 got '$out', from port '$port':"; cat "$log"; return 1; }
        echo "$port" >"$PK_TMP/port-$2"
}

# pk_port NAME: the source port of pk_connect's connection NAME.
pk_port() {
        cat "$PK_TMP/port-$1"
}

# pk_entry MATCH...: the one entry of appleflowd's journal with these fields,
# in journalctl -o verbose.
pk_entry() {
        local out n
        out=$(ct journalctl -u appleflowd.service -o verbose --no-pager "$@")
        n=$(grep -c '^    MESSAGE=' <<<"$out")
        [[ $n -eq 1 ]] || { echo "$n entries with $*:"; echo "$out"; return 1; }
        echo "$out"
}

# pk_stats_connections SERVICE: its connections, from appleflowctl stats --json.
pk_stats_connections() {
        ct appleflowctl stats --json --service "$1" | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin)["services"] if r["service"] == sys.argv[1]]
print(rows[0]["connections"] if rows else 0)' "$1"
}

pk_count() { ct journalctl -u appleflowd.service -o cat --no-pager "$@" | grep -c . ; }

# ---- the checks ---------------------------------------------------------------

pk_checks() {
        local deb=$1 before after pid pid2 out n
        # The users of the statistics checks, made first: useradd leaves
        # backups (/etc/subuid-) that are no file of the package's.
        ct useradd --no-create-home --shell /bin/sh pkuser
        ct useradd --no-create-home --shell /bin/sh pkmember
        before=$(pk_files)

        check "apt-get installs the .deb (its dependencies are in the root already)" \
                ct env DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb"
        check "appleflowd.service enabled and active after install (Type=notify)" until_ok 30 \
                eval '[[ $(ct systemctl is-enabled appleflowd) == enabled &&
                        $(prop Type) == notify && $(prop ActiveState) == active &&
                        $(prop SubState) == running && -n $(prop StatusText) ]]'
        check "sysctl.d applied at install: nf_conntrack_events, _acct and _timestamp are 1" \
                eval '[[ $(ct cat /proc/sys/net/netfilter/nf_conntrack_events \
                        /proc/sys/net/netfilter/nf_conntrack_acct \
                        /proc/sys/net/netfilter/nf_conntrack_timestamp | paste -sd" ") == "1 1 1" ]]'
        check "modules-load.d and sysctl.d files installed" \
                ct test -s /usr/lib/modules-load.d/appleflowd.conf -a -s /usr/lib/sysctl.d/50-appleflowd.conf
        check "sysusers.d made the group appleflowctl" ct getent group appleflowctl
        check "the journal catalog applied by systemd's trigger" \
                eval 'ct journalctl --list-catalog --no-pager | grep "^$MID_CONNECTION" >/dev/null'

        out=$(ct systemd-analyze security appleflowd.service --no-pager 2>&1)
        if [[ $out =~ exposure\ level\ for\ appleflowd.service:\ ([0-9.]+) ]] &&
                python3 -c "import sys; sys.exit(not float(sys.argv[1]) <= 1.5)" "${BASH_REMATCH[1]}"; then
                pass "systemd-analyze security on the running unit: exposure ${BASH_REMATCH[1]} <= 1.5"
        else
                fail "systemd-analyze security on the running unit: exposure <= 1.5" "$out"
        fi

        # The README's router quick start.
        check "router: LAN and internet namespaces, forwarding" pk_router
        check "quick start: nft -f the example rules" \
                ct nft -f /usr/share/doc/appleflowd/examples/nftables-appleflowd.nft
        check "quick start: nflog_groups = 2 and a restart" ct sh -euc "
                sed -i 's/^#nflog_groups =.*/nflog_groups = 2/' $PK_CONF
                grep -qx 'nflog_groups = 2' $PK_CONF
                systemctl restart appleflowd"

        check "TCP over IPv4 from the LAN to 17.1.2.3:5223 through the router" \
                pk_connect 17.1.2.3 v4
        check "TCP over IPv6 from the LAN to [2620:149::1]:5223 through the router" \
                pk_connect '[2620:149::1]' v6
        check "journalctl -u appleflowd -o verbose: the IPv4 connection with its fields" until_ok 10 \
                eval 'expect "$(pk_entry EVENT_ACTION=connection-new SOURCE_PORT=$(pk_port v4))" \
                        "^    MESSAGE_ID=$MID_CONNECTION\$" "^    PRIORITY=6\$" \
                        "^    APPLE_SERVICE=apns\$" "^    APPLE_PRODUCT=APNs\$" "^    APPLE_PRODUCT=FaceTime\$" \
                        "^    APPLE_CONFIDENCE=high\$" "^    APPLE_NETWORK=1\$" \
                        "^    NETWORK_TRANSPORT=tcp\$" "^    NETWORK_TYPE=ipv4\$" \
                        "^    SOURCE_IP=192.168.77.2\$" "^    DESTINATION_IP=17.1.2.3\$" \
                        "^    DESTINATION_PORT=5223\$" "^    CT_ID=[0-9]+\$" \
                        "^    MESSAGE=.*192.168.77.2:$(pk_port v4) -> 17.1.2.3:5223"'
        check "journalctl -u appleflowd -o verbose: the IPv6 connection with its fields" until_ok 10 \
                eval 'expect "$(pk_entry EVENT_ACTION=connection-new SOURCE_PORT=$(pk_port v6))" \
                        "^    APPLE_SERVICE=apns\$" "^    APPLE_CONFIDENCE=high\$" \
                        "^    NETWORK_TYPE=ipv6\$" "^    SOURCE_IP=fd77::2\$" \
                        "^    DESTINATION_IP=2620:149::1\$" "^    DESTINATION_PORT=5223\$"'
        check "connection end (conntrack -D): bytes, packets and duration (sysctl.d's acct and timestamp)" \
                eval 'ct conntrack -D -p tcp --orig-port-src "$(pk_port v4)"'
        check "journalctl: the connection-end entry with SOURCE_BYTES, DESTINATION_PACKETS, CONNTRACK_LIFETIME, TCP_STATE" \
                until_ok 10 eval 'expect "$(pk_entry EVENT_ACTION=connection-end SOURCE_PORT=$(pk_port v4))" \
                        "^    SOURCE_BYTES=[1-9][0-9]*\$" "^    DESTINATION_BYTES=[1-9][0-9]*\$" \
                        "^    SOURCE_PACKETS=[1-9][0-9]*\$" "^    DESTINATION_PACKETS=[1-9][0-9]*\$" \
                        "^    CONNTRACK_LIFETIME=[1-9][0-9]*\$" "^    CONNECTION_ANSWERED=yes\$" \
                        "^    TCP_STATE=[A-Z_]+\$"'
        check "a packet from the internet to the LAN's 4398/udp, dropped by the example rules" \
                ct ip netns exec pkinet sh -c 'echo x | socat -u - UDP4-SENDTO:192.168.77.2:4398,bind=17.1.2.3'
        check "journalctl: the dropped packet logged through NFLOG group 2" until_ok 10 \
                eval 'expect "$(pk_entry EVENT_ACTION=packet-logged DESTINATION_PORT=4398)" \
                        "^    PRIORITY=5\$" "^    NFLOG_GROUP=2\$" "^    NFLOG_PREFIX=drop\$" \
                        "^    IN_INTERFACE=wan0\$" "^    OUT_INTERFACE=lan0\$" \
                        "^    APPLE_PRODUCT=Game Center\$" "^    SOURCE_IP=17.1.2.3\$"'
        check "journalctl -x: the catalog explains the entry" \
                eval 'expect "$(ct journalctl -x -u appleflowd.service --no-pager EVENT_ACTION=connection-new SOURCE_PORT=$(pk_port v4))" \
                        "Subject: Connection to an Apple service: apns" "tagged it as the Apple service"'

        # Statistics: root, a user of the control group, anybody else.
        ct usermod -aG appleflowctl pkmember
        check "appleflowctl stats as root: apns with 2 connections" \
                eval '[[ $(pk_stats_connections apns) == 2 ]] && ct appleflowctl stats | grep "^apns " >/dev/null'
        check "appleflowctl stats refused for an unprivileged user" \
                eval '! out=$(ct runuser -u pkuser -- appleflowctl stats 2>&1) && expect "$out" "[Pp]ermission denied"'
        check "appleflowctl stats allowed for a member of the group appleflowctl" \
                eval 'ct runuser -u pkmember -- appleflowctl stats | grep "^apns " >/dev/null'
        check "node-exporter serves the textfile: appleflowd_connections_total for apns is 2 (within 20 s)" \
                until_ok 20 eval 'expect "$(ct curl -sf http://localhost:9100/metrics)" \
                        "^appleflowd_connections_total\{.*service=\"apns\".*\} 2\$" \
                        "^node_textfile_scrape_error 0\$"'

        # Reload: a good file, then a bad one.
        pid=$(prop MainPID)
        n=$(pk_count MESSAGE_ID=$MID_RELOADED)
        check "systemctl reload: a good file is loaded (the daemon's reloaded entry, same process)" \
                eval 'ct sed -i "s/^#log_min_confidence = medium/log_min_confidence = high/" $PK_CONF &&
                        ct systemctl reload appleflowd &&
                        [[ $(pk_count MESSAGE_ID=$MID_RELOADED) -eq $((n + 1)) && $(prop MainPID) == "$pid" &&
                           $(prop ActiveState) == active ]]'
        ct sh -c "printf '[input]\nbogus_key = 1\n' >>$PK_CONF"
        check "systemctl reload with a bad file fails and says file:line" \
                eval '! ct systemctl reload appleflowd 2>/dev/null &&
                        expect "$(ct journalctl -u appleflowd.service -o cat --no-pager -n 20)" \
                                "$PK_CONF:[0-9]+: unknown key .bogus_key."'
        n=$(pk_count MESSAGE_ID=$MID_RELOAD_FAILED)
        check "SIGHUP with a bad file: the daemon refuses it in the journal and keeps running" \
                eval 'ct systemctl kill -s HUP --kill-who=main appleflowd &&
                        until_ok 10 eval "[[ \$(pk_count MESSAGE_ID=$MID_RELOAD_FAILED) -eq $((n + 1)) ]]" &&
                        expect "$(ct journalctl -u appleflowd.service -o verbose --no-pager MESSAGE_ID=$MID_RELOAD_FAILED)" \
                                "RELOAD_ERROR=$PK_CONF:[0-9]+: unknown key" &&
                        [[ $(prop MainPID) == "$pid" && $(prop ActiveState) == active ]]'
        check "after the refused reloads the old configuration still tags and logs" \
                eval 'pk_connect 17.1.2.3 after-reload &&
                        until_ok 10 pk_entry EVENT_ACTION=connection-new SOURCE_PORT=$(pk_port after-reload)'
        ct sed -i '/^bogus_key = 1$/d' "$PK_CONF"

        # Restarts: by hand, by the package's upgrade, by the watchdog.
        before_stats=$(pk_stats_connections apns)
        check "systemctl restart keeps the statistics (apns: $before_stats connections)" \
                eval 'ct systemctl restart appleflowd && [[ $(prop MainPID) != "$pid" ]] &&
                        [[ $(pk_stats_connections apns) == "$before_stats" ]]'
        pid=$(prop MainPID)
        check "reinstalling the package (an upgrade) restarts the service" \
                eval 'ct env DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "$deb" >/dev/null &&
                        until_ok 10 eval "[[ \$(prop ActiveState) == active && \$(prop MainPID) != $pid ]]"'
        pid=$(prop MainPID)
        n=$(prop NRestarts)
        ct sh -c "kill -STOP $pid"
        check "the watchdog restarts a stopped daemon (WatchdogSec=30)" \
                until_ok 45 eval '[[ $(prop MainPID) != "$pid" && $(prop MainPID) != 0 &&
                        $(prop ActiveState) == active && $(prop NRestarts) -gt $n ]]'
        check "systemd logged the watchdog timeout" \
                until_ok 10 eval 'ct journalctl -u appleflowd.service --no-pager | grep "Watchdog timeout" >/dev/null'

        pk_fleet_checks

        # Remove, then purge.
        check "apt-get remove stops the service and keeps its state and configuration" \
                eval 'ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y appleflowd >/dev/null &&
                        [[ $(ct systemctl is-active appleflowd) != active ]] &&
                        ct test -s /var/lib/private/appleflowd/stats.state -a -f $PK_CONF'
        check "apt-get purge removes the state, configuration and group" \
                eval 'ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y appleflowd >/dev/null &&
                        ! ct test -e /var/lib/private/appleflowd -o -e /var/lib/appleflowd -o -e /etc/appleflowd &&
                        ! ct getent group appleflowctl >/dev/null'
        after=$(pk_files)
        check "apt-get purge leaves no file behind" \
                eval '[[ "$before" == "$after" ]] || { diff <(echo "$before") <(echo "$after"); false; }'
}
