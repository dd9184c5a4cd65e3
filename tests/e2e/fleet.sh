#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# docs/fleet.md's recipe, run with Debian's systemd-journal-upload and
# systemd-journal-remote: two routers, each with its own journald, hostname
# and machine ID, upload their journals over HTTPS (certificates made by
# docs/examples/fleet-certificates.sh, configuration from docs/examples/)
# to one collector. Every entry of both routers arrives exactly once with
# every field, repeated ones included; the collector is stopped while the
# routers write more, the uploads fail and are started again while it is
# away and after it is back, and each resumes after the last entry the
# collector accepted: nothing lost, nothing twice. Before each start runs
# the ExecStartPre= of docs/examples/journal-upload.service.conf, as systemd
# would: without it, journal-upload of systemd 252 sends the entry at its
# saved cursor again at each start (FLEET_RESUME=no shows it: this test then
# fails).

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem-lib.sh"
JOURNAL_REMOTE=${E2E_JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
JOURNAL_UPLOAD=${E2E_JOURNAL_UPLOAD:-/lib/systemd/systemd-journal-upload}
for prog in "$JOURNAL_REMOTE" "$JOURNAL_UPLOAD"; do
        [[ -x $prog ]] || e2e_skip "$prog is not installed (package systemd-journal-remote)"
done
command -v openssl >/dev/null || e2e_skip "openssl is not installed"
command -v systemd-id128 >/dev/null || e2e_skip "systemd-id128 is not installed"
# FLEET_PROXY=yes (tests/e2e/fleet-proxy.sh): the collector behind stunnel,
# which checks the routers' client certificates.
FLEET_PROXY=${FLEET_PROXY:-no}
if [[ $FLEET_PROXY == yes ]]; then
        STUNNEL=$(command -v stunnel4 || true)
        [[ -n $STUNNEL ]] || e2e_skip "stunnel4 is not installed (package stunnel4)"
        getent passwd stunnel4 >/dev/null || e2e_skip "no user stunnel4 (package stunnel4)"
        command -v systemd-socket-activate >/dev/null || e2e_skip "systemd-socket-activate is not installed"
fi
e2e_begin "$@"

EXAMPLES=$E2E_TOPDIR/docs/examples
COLLECTOR=collector.example.net
COLLECTOR_IP=$INET_WAN_IP4      # the collector listens in the "internet" namespace
CERTS=$E2E_TMP/certs
REMOTE=$E2E_TMP/remote          # what /var/log/journal/remote/ is on a collector
declare -A ROUTER_PID UPLOAD_PID UPLOAD_STARTS ROUTER_NETNS ROUTER_LAN

sh "$EXAMPLES/fleet-certificates.sh" "$CERTS" ca
sh "$EXAMPLES/fleet-certificates.sh" "$CERTS" server "$COLLECTOR" "$COLLECTOR_IP"
sh "$EXAMPLES/fleet-certificates.sh" "$CERTS" client router-a
sh "$EXAMPLES/fleet-certificates.sh" "$CERTS" client router-b

# journal-upload runs as systemd runs it: a dynamic user (a UID of that
# range, no name), in group systemd-journal, that owns its state directory
# and nothing else but its key.
UPLOAD_UID=61234
getent passwd "$UPLOAD_UID" >/dev/null && e2e_skip "UID $UPLOAD_UID is taken: the dynamic user must be new"
JOURNAL_GID=$(getent group systemd-journal | cut -d: -f3)
[[ -n $JOURNAL_GID ]] || e2e_skip "no group systemd-journal"
chmod 0711 "$E2E_TMP"
chown "$UPLOAD_UID" "$CERTS/router-a.key" "$CERTS/router-b.key"
AS_UPLOAD_USER=(setpriv --reuid="$UPLOAD_UID" --regid="$UPLOAD_UID" --groups="$JOURNAL_GID" --inh-caps=-all)

# fleet_conf EXAMPLE OUTPUT KEY CERT: the example with its three certificate
# paths moved to the scenario's; nothing else changes. The router's key is
# where systemd hands journal-upload its copy (LoadCredential= of the drop-in).
fleet_conf() {
        sed -e "s|\(= *\)/etc/ssl/private/journal-[a-z]*\.pem$|\1$3|" \
                -e "s|\(= *\)/run/credentials/systemd-journal-upload\.service/journal-upload\.pem$|\1$3|" \
                -e "s|\(= *\)/etc/ssl/certs/journal-[a-z]*\.pem$|\1$4|" \
                -e "s|\(= *\)/etc/ssl/ca/trusted\.pem$|\1$CERTS/ca.pem|" "$EXAMPLES/$1" >"$2"
        [[ $(grep -c "= *$E2E_TMP/" "$2") -eq 3 ]] || e2e_fail "$1: not three certificate paths"
}

# dropin_line FILE KEY: the last KEY= of a drop-in in docs/examples/ (the
# first one of a pair resets the unit's).
dropin_line() {
        sed -n "s/^$2=\(.\+\)$/\1/p" "$EXAMPLES/$1" | tail -1
}

# The collector's configuration where journal-remote reads it, in the
# scenario's mount namespace only. Behind the proxy journal-remote needs
# none: its drop-ins give it all on its command line.
if [[ $FLEET_PROXY == yes ]]; then
        : >"$E2E_TMP/journal-remote.conf"
        fleet_conf stunnel-journal-remote.conf "$E2E_TMP/stunnel.conf" "$CERTS/$COLLECTOR.key" "$CERTS/$COLLECTOR.pem"
        PROXY_LISTEN=$(dropin_line journal-remote.socket.conf ListenStream)
        REMOTE_EXEC=$(dropin_line journal-remote.service.conf ExecStart)
        [[ $PROXY_LISTEN == 127.0.0.1:19531 && $REMOTE_EXEC == "/lib/systemd/systemd-journal-remote --listen-http=-3 --split-mode=none --output=/var/log/journal/remote/fleet.journal" ]] ||
                e2e_fail "journal-remote's drop-ins: ListenStream=$PROXY_LISTEN, ExecStart=$REMOTE_EXEC: not what this test runs"
        REMOTE_EXEC=${REMOTE_EXEC//\/lib\/systemd\/systemd-journal-remote/$JOURNAL_REMOTE}
        REMOTE_EXEC=${REMOTE_EXEC//\/var\/log\/journal\/remote\//$E2E_TMP/remote/}
else
        fleet_conf journal-remote.conf "$E2E_TMP/journal-remote.conf" "$CERTS/$COLLECTOR.key" "$CERTS/$COLLECTOR.pem"
fi
mount --bind "$E2E_TMP/journal-remote.conf" /etc/systemd/journal-remote.conf
[[ -d /etc/systemd/journal-remote.conf.d ]] && mount -t tmpfs tmpfs /etc/systemd/journal-remote.conf.d
mkdir -p "$REMOTE"

# collector_listening PORT: something listens on PORT in the "internet".
collector_listening() {
        nsenter --net="/run/netns/$E2E_INET" ss -Hltn | grep -q ":$1 "
}

collector_start() {
        # nsenter execs it, and systemd-socket-activate execs journal-remote
        # on the socket it made, as systemd does: $! is journal-remote itself.
        if [[ $FLEET_PROXY == yes ]]; then
                # shellcheck disable=SC2086 # the drop-in's command line, split as systemd splits it
                nsenter --net="/run/netns/$E2E_INET" systemd-socket-activate -l "$PROXY_LISTEN" $REMOTE_EXEC \
                        >>"$E2E_TMP/collector.err" 2>&1 &
        else
                nsenter --net="/run/netns/$E2E_INET" \
                        "$JOURNAL_REMOTE" --listen-https="$COLLECTOR_IP:19532" --output="$REMOTE/" \
                        >>"$E2E_TMP/collector.err" 2>&1 &
        fi
        COLLECTOR_PID=$!
        E2E_PIDS+=("$COLLECTOR_PID")
        if [[ $FLEET_PROXY == yes ]]; then
                e2e_wait 10 "journal-remote listening" collector_listening 19531
                nsenter --net="/run/netns/$E2E_INET" "$STUNNEL" "$E2E_TMP/stunnel.conf" >>"$E2E_TMP/stunnel.err" 2>&1 &
                PROXY_PID=$!
                E2E_PIDS+=("$PROXY_PID")
        fi
        e2e_wait 10 "the collector listening" collector_listening 19532
}

collector_stop() {
        [[ $FLEET_PROXY == yes ]] && siem_stop "$PROXY_PID" stunnel
        siem_stop "$COLLECTOR_PID" systemd-journal-remote
}

# The second router: its own LAN and router namespaces like the harness's,
# its WAN on a second link to the "internet" (198.51.101.0/24,
# 2001:db8:2::/64), so that the collector sees it at an address of its own.
fleet_topology_b() {
        local lan=afe2e-lanb-$E2E_ID rtr=afe2e-rtrb-$E2E_ID ns
        for ns in "$lan" "$rtr"; do
                ip netns add "$ns"
                ip -n "$ns" link set lo up
                in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        done
        ip -n "$rtr" link add lan0 type veth peer name eth0 netns "$lan"
        ip -n "$rtr" link add wan0 type veth peer name eth1 netns "$E2E_INET"
        ip -n "$lan" addr add 192.168.78.2/24 dev eth0
        ip -n "$lan" addr add fd78::2/64 dev eth0 nodad
        ip -n "$lan" link set eth0 up
        ip -n "$lan" route add default via 192.168.78.1
        ip -n "$lan" -6 route add default via fd78::1
        ip -n "$rtr" addr add 192.168.78.1/24 dev lan0
        ip -n "$rtr" addr add fd78::1/64 dev lan0 nodad
        ip -n "$rtr" addr add 198.51.101.1/24 dev wan0
        ip -n "$rtr" addr add 2001:db8:2::1/64 dev wan0 nodad
        ip -n "$rtr" link set lan0 up
        ip -n "$rtr" link set wan0 up
        ip -n "$rtr" route add default via 198.51.101.2
        ip -n "$rtr" -6 route add default via 2001:db8:2::2
        ip -n "$E2E_INET" addr add 198.51.101.2/24 dev eth1
        ip -n "$E2E_INET" addr add 2001:db8:2::2/64 dev eth1 nodad
        ip -n "$E2E_INET" link set eth1 up
        in_ns "$rtr" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
        # The harness router's ruleset and settings.
        in_rtr nft list table inet afe2e | in_ns "$rtr" nft -f -
        in_ns "$rtr" sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1 \
                net.netfilter.nf_conntrack_events=1 net.unix.max_dgram_qlen=512
        ROUTER_NETNS[router-b]=$rtr ROUTER_LAN[router-b]=$lan
        ROUTER_NETNS[router-a]=$E2E_RTR ROUTER_LAN[router-a]=$E2E_LAN
}

# fleet_router NAME: a router's journald in mount and UTS namespaces of its
# own (hostname NAME, a new machine ID, its journal.conf, the collector's
# name in /etc/hosts), in the router's network namespace.
fleet_router() {
        local name=$1 dir=$E2E_TMP/$1 pid
        mkdir -p "$dir"
        # StateDirectory=: journal-upload's own, mode 0700.
        install -d -m 0700 -o "$UPLOAD_UID" -g "$UPLOAD_UID" "$dir/state"
        systemd-id128 new >"$dir/machine-id"
        { cat /etc/hosts; echo "$COLLECTOR_IP $COLLECTOR"; } >"$dir/hosts"
        fleet_conf journal-upload.conf "$dir/journal-upload.conf" "$CERTS/$name.key" "$CERTS/$name.pem"
        unshare --mount --uts --propagation private bash -c '
                set -e
                source "$1/../private-journald.sh"
                private_journald_mount "$2" 64M
                # As systemd-tmpfiles makes it (tmpfiles.d/systemd.conf), so
                # that journal-upload reads the journal by its group.
                chgrp systemd-journal /run/log/journal
                chmod 2755 /run/log/journal
                mount --bind "$2/machine-id" /etc/machine-id
                mount --bind "$2/hosts" /etc/hosts
                mount --bind "$2/journal-upload.conf" /etc/systemd/journal-upload.conf
                if [[ -d /etc/systemd/journal-upload.conf.d ]]; then
                        mount -t tmpfs tmpfs /etc/systemd/journal-upload.conf.d
                fi
                hostname "$3"
                exec nsenter --net="/run/netns/$4" "$5"' \
                fleet-router "$E2E_SRCDIR" "$dir" "$name" "${ROUTER_NETNS[$name]}" "$E2E_JOURNALD" \
                >"$dir/journald.err" 2>&1 &
        pid=$!
        E2E_PIDS+=("$pid")
        ROUTER_PID[$name]=$pid
        # Its namespaces are ready once journald runs (exec comes last).
        e2e_wait 10 "$name's journald" eval "[[ \$(readlink /proc/$pid/exe) == */systemd-journald ]]"
        e2e_wait 10 "$name's journald socket" test -S "/proc/$pid/root/run/systemd/journal/socket"
        echo "fleet-ready-$name" | nsenter --target "$pid" --mount --uts systemd-cat -t afe2e
        e2e_wait 10 "$name's journal" \
                nsenter --target "$pid" --mount --uts journalctl -q --no-pager MESSAGE="fleet-ready-$name"
}

# The drop-in's ExecStartPre= line, its paths moved to the scenario's: the
# script from docs/examples/, the state file and journal-upload given below.
RESUME_DROPIN=$EXAMPLES/journal-upload.service.conf
RESUME_PRE=$(sed -n 's/^ExecStartPre=-//p' "$RESUME_DROPIN")
[[ $RESUME_PRE == "/usr/libexec/appleflowd/journal-upload-resume /var/lib/systemd/journal-upload/state /lib/systemd/systemd-journal-upload" ]] ||
        e2e_fail "$RESUME_DROPIN: ExecStartPre=-$RESUME_PRE: not the one this test runs"

# upload_resume NAME: the drop-in's ExecStartPre=, before each start.
upload_resume() {
        [[ ${FLEET_RESUME:-yes} == no ]] && return 0
        "${AS_UPLOAD_USER[@]}" sh "$EXAMPLES/journal-upload-resume.sh" "$E2E_TMP/$1/state/state" "$JOURNAL_UPLOAD" \
                2>>"$E2E_TMP/$1/resume.err" || e2e_fail "journal-upload-resume of $1 exited with $?"
}

# upload_start NAME: journal-upload in the router, with its saved cursor
# (started as systemd-journal-upload.service starts it: the ExecStartPre=
# first). Every start is counted.
upload_start() {
        UPLOAD_STARTS[$1]=$((${UPLOAD_STARTS[$1]:-0} + 1))
        upload_resume "$1"
        nsenter --target "${ROUTER_PID[$1]}" --mount --uts --net="/run/netns/${ROUTER_NETNS[$1]}" \
                "${AS_UPLOAD_USER[@]}" "$JOURNAL_UPLOAD" --save-state="$E2E_TMP/$1/state/state" \
                >>"$E2E_TMP/$1/upload.err" 2>&1 &
        UPLOAD_PID[$1]=$!
        E2E_PIDS+=("${UPLOAD_PID[$1]}")
}

# uploads_restart: what systemd does for journal-upload (Restart=on-failure):
# one that failed starts again. It fails whenever an upload does (collector
# away, a connection the collector closed).
uploads_restart() {
        local name
        for name in router-a router-b; do
                siem_running "${UPLOAD_PID[$name]}" && continue
                wait "${UPLOAD_PID[$name]}" && e2e_fail "journal-upload of $name exited with status 0"
                upload_start "$name"
        done
}

# fleet_dump: each router's journal and the collector's, as JSON. A router's
# includes what was vacuumed from it after the collector had it
# ($name.vacuumed.json).
fleet_dump() {
        local name
        for name in router-a router-b; do
                {
                        cat "$E2E_TMP/$name.vacuumed.json" 2>/dev/null || true
                        nsenter --target "${ROUTER_PID[$name]}" --mount --uts \
                                journalctl --no-pager -q --all -o json
                } >"$E2E_TMP/$name.json"
        done
        journalctl --no-pager -q --all -o json --directory="$REMOTE" >"$E2E_TMP/collector.json"
}

# fleet_complete: every entry of both routers is in the collector (while
# waiting for it, a failed journal-upload is restarted).
fleet_complete() {
        uploads_restart
        fleet_dump
        "$E2E_PYTHON" "$E2E_SRCDIR/fleet-check.py" --missing-only "$E2E_TMP/collector.json" \
                "$E2E_TMP/router-a.json" "$E2E_TMP/router-b.json"
}

# archived NAME: how many archived journal files router NAME has.
archived() {
        { compgen -G "/proc/${ROUTER_PID[$1]}/root/run/log/journal/*/system@*.journal" || true; } | wc -l
}

# as_router NAME FUNCTION...: the harness's helpers against router NAME,
# its LAN and its journal.
as_router() {
        local E2E_ROUTER_PID=${ROUTER_PID[$1]} E2E_RTR=${ROUTER_NETNS[$1]} E2E_LAN=${ROUTER_LAN[$1]}
        shift
        "$@"
}

fleet_topology_b
collector_start
fleet_router router-a
fleet_router router-b

# A router checks the collector's certificate: with another CA as its trust,
# journal-upload refuses the collector and sends nothing.
sh "$EXAMPLES/fleet-certificates.sh" "$E2E_TMP/other-ca" ca
conf=$E2E_TMP/router-a/journal-upload.conf
cp "$conf" "$conf.good"
# Written in place: the router's /etc/systemd/journal-upload.conf is bound to this file.
sed "s|^TrustedCertificateFile=.*|TrustedCertificateFile=$E2E_TMP/other-ca/ca.pem|" "$conf.good" >"$conf"
if timeout 20 nsenter --target "${ROUTER_PID[router-a]}" --mount --uts --net="/run/netns/$E2E_RTR" \
        "$JOURNAL_UPLOAD" --follow=no >"$E2E_TMP/other-ca/upload.err" 2>&1; then
        e2e_fail "journal-upload sent to a collector whose certificate its CA did not sign"
fi
grep -qi "certificate" "$E2E_TMP/other-ca/upload.err" ||
        e2e_fail "journal-upload failed, but not on the certificate: $(cat "$E2E_TMP/other-ca/upload.err")"
[[ -z $(ls "$REMOTE") ]] || e2e_fail "the collector wrote $(ls "$REMOTE") from an untrusted upload"

# upload_refused WHAT EXTRA-ARGS...: journal-upload of router A, with the
# configuration in $conf, is refused by the proxy: it fails, stunnel says
# why, and the collector writes nothing.
upload_refused() {
        local what=$1 err=$E2E_TMP/refused-$1.err
        shift
        if timeout 20 nsenter --target "${ROUTER_PID[router-a]}" --mount --uts --net="/run/netns/$E2E_RTR" \
                "$JOURNAL_UPLOAD" --follow=no "$@" >"$err" 2>&1; then
                e2e_fail "journal-upload with $what: the collector took it"
        fi
        [[ -z $(ls "$REMOTE") ]] || e2e_fail "the collector wrote $(ls "$REMOTE") from an upload with $what"
        grep -q "Upload to https://$COLLECTOR:19532/upload failed" "$err" ||
                e2e_fail "journal-upload with $what failed, but not at the upload: $(cat "$err")"
}

# Behind the proxy, the collector checks the routers' certificates: an
# upload with none, and one with a certificate of another CA, are refused
# during the TLS handshake, before anything reaches journal-remote.
if [[ $FLEET_PROXY == yes ]]; then
        sed '/^ServerKeyFile=\|^ServerCertificateFile=/d' "$conf.good" >"$conf"
        upload_refused "no client certificate" --key=- --cert=-
        grep -q "peer did not return a certificate" "$E2E_TMP/stunnel.err" ||
                e2e_fail "stunnel does not say that the router sent no certificate: $(cat "$E2E_TMP/stunnel.err")"
        sh "$EXAMPLES/fleet-certificates.sh" "$E2E_TMP/other-ca" client router-a
        sed -e "s|^ServerKeyFile=.*|ServerKeyFile=$E2E_TMP/other-ca/router-a.key|" \
                -e "s|^ServerCertificateFile=.*|ServerCertificateFile=$E2E_TMP/other-ca/router-a.pem|" \
                "$conf.good" >"$conf"
        upload_refused "another CA's client certificate"
        grep -q "Rejected by CERT at depth=0: CN=router-a" "$E2E_TMP/stunnel.err" ||
                e2e_fail "stunnel does not say that it could not check the certificate: $(cat "$E2E_TMP/stunnel.err")"
        echo "an upload without a client certificate and one with another CA's: refused by stunnel, nothing written"
fi
cat "$conf.good" >"$conf"

upload_start router-a
upload_start router-b

# Router A: all its traffic while the collector runs.
as_router router-a siem_wave_1
as_router router-a siem_wave_2
e2e_wait 20 "every entry in the collector" fleet_complete

# The collector stops; router B's traffic, and a restart of router A's
# daemon, happen while it is away. Each journal-upload fails at its next
# upload and exits (status 1); systemd restarts it (Restart=on-failure, and
# docs/fleet.md's drop-in keeps it trying), and it resumes after the cursor
# it saved (--save-state): nothing lost, nothing twice.
collector_stop
as_router router-b siem_wave_1
as_router router-b siem_wave_2
# Router A's journal is rotated meanwhile (SIGUSR2, as journalctl --rotate
# asks): the entry at its saved cursor is now in an archived file, what
# follows in the new one.
kill -USR2 "${ROUTER_PID[router-a]}"
e2e_wait 10 "router-a's journal rotated" \
        eval '(($(archived router-a) > 0))'
as_router router-a e2e_daemon_start
as_router router-a e2e_daemon_stop 5
for name in router-a router-b; do
        e2e_wait 30 "journal-upload of $name to fail" eval "! siem_running ${UPLOAD_PID[$name]}"
        wait "${UPLOAD_PID[$name]}" && e2e_fail "journal-upload of $name exited with status 0"
        grep -q '^LAST_CURSOR=' "$E2E_TMP/$name/state/state" ||
                e2e_fail "journal-upload of $name saved no cursor"
done
# Started again while the collector is still away (Restart=), each fails
# again: the saved cursor is moved past the last entry sent once, not at
# every start (one more would lose an entry).
for round in 1 2; do
        for name in router-a router-b; do
                upload_start "$name"
                e2e_wait 30 "journal-upload of $name to fail again ($round)" eval "! siem_running ${UPLOAD_PID[$name]}"
                wait "${UPLOAD_PID[$name]}" && e2e_fail "journal-upload of $name exited with status 0"
        done
done
collector_start
e2e_wait 30 "every entry in the collector after its restart" fleet_complete

# Stopped and started again (a reboot, systemctl restart), each upload sends
# only what is new: router B has new entries, router A none.
for name in router-a router-b; do
        siem_stop "${UPLOAD_PID[$name]}" "journal-upload of $name"
done
as_router router-b e2e_daemon_start
as_router router-b e2e_daemon_stop 5
upload_start router-a
upload_start router-b
# A last entry in each router, once the uploads run: an entry sent again at
# their start would come before it, so it is in the collector once this is.
for name in router-a router-b; do
        echo "fleet-done-$name" | nsenter --target "${ROUTER_PID[$name]}" --mount --uts systemd-cat -t afe2e
done
e2e_wait 30 "every entry in the collector after the uploads restarted" fleet_complete

# Router A's journal vacuumed while its upload is stopped: the entry at the
# saved cursor is gone (rotated, then removed by journalctl --vacuum-files=1,
# as a full /run/log/journal would have it). journal-upload, started again,
# seeks past it to the first entry not sent: nothing twice, nothing lost.
siem_stop "${UPLOAD_PID[router-a]}" "journal-upload of router-a"
cursor=$(sed -n 's/^LAST_CURSOR=//p' "$E2E_TMP/router-a/state/state")
[[ $cursor =~ \;i=([0-9a-f]+)\; ]] || e2e_fail "router-a's saved cursor: '$cursor'"
sent=$((16#${BASH_REMATCH[1]}))
nsenter --target "${ROUTER_PID[router-a]}" --mount --uts journalctl --no-pager -q --all -o json \
        >"$E2E_TMP/router-a.vacuumed.json"
n=$(archived router-a)
kill -USR2 "${ROUTER_PID[router-a]}"
e2e_wait 10 "router-a's journal rotated again" eval '(($(archived router-a) > n))'
nsenter --target "${ROUTER_PID[router-a]}" --mount --uts journalctl --vacuum-files=1 >"$E2E_TMP/vacuum.out" 2>&1 ||
        e2e_fail "journalctl --vacuum-files=1 in router-a: $(cat "$E2E_TMP/vacuum.out")"
(($(archived router-a) == 0)) || e2e_fail "router-a's archived journal files are still there after the vacuum"
# The first entry left, by the sequence number in its cursor.
nsenter --target "${ROUTER_PID[router-a]}" --mount --uts journalctl --no-pager -q -o json >"$E2E_TMP/router-a.left.json"
first=$(sed -n '1s/.*"__CURSOR":"[^"]*;i=\([0-9a-f]*\);.*/\1/p' "$E2E_TMP/router-a.left.json")
[[ -n $first ]] || e2e_fail "router-a's journal is empty after the vacuum"
first=$((16#$first))
((first > sent)) || e2e_fail "after the vacuum router-a still has entry $first; the cursor's, $sent, must be gone"
upload_start router-a
echo "fleet-vacuumed-router-a" | nsenter --target "${ROUTER_PID[router-a]}" --mount --uts systemd-cat -t afe2e
e2e_wait 30 "every entry in the collector after router-a's vacuum" fleet_complete
echo "router-a: the cursor's entry ($sent) vacuumed; the upload resumed at entry $first"

for name in router-a router-b; do
        siem_stop "${UPLOAD_PID[$name]}" "journal-upload of $name"
done
collector_stop

fleet_dump
# Directly, one file per router: named after its certificate's name when
# journal-remote checks client certificates; Debian 12 builds it without
# GnuTLS, which checks none and names the files after the routers'
# addresses. Behind the proxy, one file for all (the drop-in's --output).
if [[ $FLEET_PROXY == yes ]]; then
        files=(fleet.journal)
elif grep -q "Certificate checking disabled" "$E2E_TMP/collector.err"; then
        files=(remote-198.51.100.1.journal remote-198.51.101.1.journal)
else
        files=(remote-router-a.journal remote-router-b.journal)
fi
ls "$REMOTE" >"$E2E_TMP/remote.ls"
[[ $(sort "$E2E_TMP/remote.ls") == "$(printf '%s\n' "${files[@]}" | sort)" ]] ||
        e2e_fail "the collector's files: $(cat "$E2E_TMP/remote.ls"), not ${files[*]}"
echo "journal-upload started ${UPLOAD_STARTS[router-a]} times on router-a, ${UPLOAD_STARTS[router-b]} on router-b"
"$E2E_PYTHON" "$E2E_SRCDIR/fleet-check.py" "$E2E_TMP/collector.json" \
        "$E2E_TMP/router-a.json" "$E2E_TMP/router-b.json" ||
        e2e_fail "the collector's journal does not match the routers': see above"

# docs/fleet.md's report over the collector: each router's figures are those
# of its own journal, and the total their sum.
"$E2E_APPLEFLOWCTL" report --directory "$REMOTE" --by router --json >"$E2E_TMP/report.json" ||
        e2e_fail "appleflowctl report over the collector exited with $?"
"$E2E_PYTHON" "$E2E_SRCDIR/report-check.py" fleet "$E2E_TMP/report.json" "$E2E_TMP/collector.json" \
        "$E2E_TMP/router-a.json" "$E2E_TMP/router-b.json" || e2e_fail "report over the collector: see above"
"$E2E_PYTHON" "$E2E_SRCDIR/report-check.py" same router "$E2E_TMP/report.json" "$E2E_TMP/collector.json" ||
        e2e_fail "report over the collector against its entries"
e2e_pass
