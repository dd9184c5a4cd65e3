# The fleet recipe of docs/fleet.md as the package ships it, under the
# container's real systemd: the collector (stunnel@journal-remote in front
# of systemd-journal-remote.socket) and the router (systemd-journal-upload
# with the package's drop-in: its key as a credential, journal-upload-resume
# before each start) on one machine, collector.example.net being 127.0.0.1.
# What tests/e2e/fleet.sh imitates (the dynamic user, the units' sandboxes,
# systemd restarting journal-upload) is real here. Sourced by run.sh after
# checks.sh, whose pk_checks calls pk_fleet_checks.

PK_FLEET_EXAMPLES=/usr/share/doc/appleflowd/examples/fleet
PK_FLEET_REMOTE=/var/log/journal/remote
PK_FLEET_RESTARTS=3

pk_fleet_checks() {
        local ex=$PK_FLEET_EXAMPLES ca=/root/fleet-ca i
        check "fleet: certificates by the package's fleet-certificates.sh, keys root's alone (0600)" \
                ct sh -euc "
                        sh $ex/fleet-certificates.sh $ca ca >/dev/null
                        sh $ex/fleet-certificates.sh $ca server collector.example.net 127.0.0.1 >/dev/null
                        sh $ex/fleet-certificates.sh $ca client router1 >/dev/null
                        echo '127.0.0.1 collector.example.net' >>/etc/hosts
                        install -D -m 0644 $ca/ca.pem /etc/ssl/ca/trusted.pem
                        install -D -m 0600 $ca/collector.example.net.key /etc/ssl/private/journal-remote.pem
                        install -D -m 0644 $ca/collector.example.net.pem /etc/ssl/certs/journal-remote.pem
                        install -D -m 0600 $ca/router1.key /etc/ssl/private/journal-upload.pem
                        install -D -m 0644 $ca/router1.pem /etc/ssl/certs/journal-upload.pem"
        check "fleet: the collector as docs/fleet.md says (stunnel@journal-remote, journal-remote.socket, drop-ins)" \
                ct sh -euc "
                        install -m 0644 $ex/stunnel-journal-remote.conf /etc/stunnel/journal-remote.conf
                        install -D -m 0644 $ex/journal-remote.socket.conf \
                                /etc/systemd/system/systemd-journal-remote.socket.d/appleflowd.conf
                        install -D -m 0644 $ex/journal-remote.service.conf \
                                /etc/systemd/system/systemd-journal-remote.service.d/appleflowd.conf
                        systemctl daemon-reload
                        systemctl enable --now stunnel@journal-remote systemd-journal-remote.socket"
        check "fleet: the router as docs/fleet.md says (journal-upload.conf and the package's drop-in)" \
                ct sh -euc "
                        install -D -m 0644 $ex/journal-upload.conf /etc/systemd/journal-upload.conf.d/appleflowd.conf
                        install -D -m 0644 $ex/journal-upload.service.conf \
                                /etc/systemd/system/systemd-journal-upload.service.d/appleflowd.conf
                        systemctl daemon-reload
                        systemctl enable --now systemd-journal-upload"
        check "fleet: journal-upload runs as a dynamic user, its key handed over as a credential" \
                until_ok 10 pk_fleet_upload_user
        check "fleet: appleflowd's IPv4 connection in the collector's journal, both APPLE_PRODUCT values" \
                until_ok 30 eval 'expect "$(ct journalctl -D $PK_FLEET_REMOTE -o verbose --no-pager \
                                EVENT_ACTION=connection-new SOURCE_PORT=$(pk_port v4))" \
                        "^    APPLE_PRODUCT=APNs\$" "^    APPLE_PRODUCT=FaceTime\$" "^    APPLE_SERVICE=apns\$" \
                        "^    MESSAGE_ID=$MID_CONNECTION\$" "^    _HOSTNAME=[^ ]+\$"'
        # Without the drop-in's journal-upload-resume, each start would send
        # the last entry the collector accepted once more.
        for ((i = 1; i <= PK_FLEET_RESTARTS; i++)); do
                ct systemd-cat -t pk-fleet echo "fleet entry $i"
                check "fleet: entry $i reaches the collector; journal-upload restarted" \
                        eval 'until_ok 20 pk_fleet_has "fleet entry $i" &&
                                ct systemctl restart systemd-journal-upload'
        done
        ct systemd-cat -t pk-fleet echo "fleet entry last"
        check "fleet: journal-upload-resume moved the saved cursor on at each of the $PK_FLEET_RESTARTS restarts" \
                until_ok 10 eval '[[ $(ct journalctl -u systemd-journal-upload -o cat --no-pager |
                        grep -c "^journal-upload-resume: .*: resumes after entry") -eq $PK_FLEET_RESTARTS ]]'
        check "fleet: every entry of the router's journal in the collector exactly once, with every field" \
                until_ok 30 pk_fleet_once "fleet entry last"

        # The control: without journal-upload-resume, Debian 12's
        # journal-upload sends one entry twice at a restart. Should a fixed
        # journal-upload come to Debian 12, this fails: the resume would then
        # skip an entry, and must go.
        ct sh -c 'printf "[Service]\nExecStartPre=\n" \
                >/etc/systemd/system/systemd-journal-upload.service.d/zz-no-resume.conf && systemctl daemon-reload'
        ct systemd-cat -t pk-fleet echo "fleet entry control"
        check "fleet, control: without journal-upload-resume a restart sends the last entry again" \
                eval 'until_ok 20 pk_fleet_has "fleet entry control" &&
                        ct systemctl restart systemd-journal-upload &&
                        ct systemd-cat -t pk-fleet echo "fleet entry control after" &&
                        until_ok 30 pk_fleet_twice "fleet entry control after"'
        pk_fleet_undo
}

# pk_fleet_undo: the router and the collector taken down, and every file
# made for them removed, so that the package's purge can be checked alone.
pk_fleet_undo() {
        ct sh -c "
                systemctl disable --now systemd-journal-upload stunnel@journal-remote \
                        systemd-journal-remote.socket systemd-journal-remote.service
                rm -rf /etc/systemd/system/systemd-journal-upload.service.d \
                        /etc/systemd/system/systemd-journal-remote.socket.d \
                        /etc/systemd/system/systemd-journal-remote.service.d \
                        /etc/systemd/journal-upload.conf.d /etc/stunnel/journal-remote.conf \
                        /etc/ssl/ca /etc/ssl/private/journal-*.pem /etc/ssl/certs/journal-*.pem /root/fleet-ca \
                        /var/lib/systemd/journal-upload /var/lib/private/systemd/journal-upload
                rmdir /var/lib/private/systemd
                sed -i '/ collector.example.net\$/d' /etc/hosts
                systemctl daemon-reload" >/dev/null 2>&1
}

# pk_fleet_upload_user: journal-upload's main process runs as a UID of
# systemd's dynamic range and has its key in its credentials directory.
pk_fleet_upload_user() {
        local pid uid
        [[ $(ct systemctl show -P ActiveState systemd-journal-upload) == active ]] || return 1
        pid=$(ct systemctl show -P MainPID systemd-journal-upload)
        uid=$(ct awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")
        echo "journal-upload: pid $pid, uid $uid"
        ((uid >= 61184 && uid <= 65519)) &&
                ct test -s /run/credentials/systemd-journal-upload.service/journal-upload.pem
}

# pk_fleet_has MESSAGE: the collector has a pk-fleet entry with MESSAGE.
pk_fleet_has() {
        ct journalctl -D "$PK_FLEET_REMOTE" -o cat --no-pager -t pk-fleet | grep -x "$1" >/dev/null
}

# pk_fleet_once MESSAGE: tests/e2e/fleet-check.py on the router's journal
# and the collector's, each up to the pk-fleet entry MESSAGE (after it come
# entries that journal-upload may not have sent yet, and the collector's
# own, which the router then sends).
pk_fleet_once() {
        pk_fleet_journal "$1" >"$PK_TMP/fleet-router.json" &&
                pk_fleet_journal "$1" -D "$PK_FLEET_REMOTE" >"$PK_TMP/fleet-collector.json" &&
                python3 "$src/tests/e2e/fleet-check.py" "$PK_TMP/fleet-collector.json" "$PK_TMP/fleet-router.json"
}

# pk_fleet_journal MESSAGE [ARGS...]: journalctl --all -o json ARGS up to the
# entry MESSAGE; fails without it. (Read whole first: awk leaving early
# would fail the pipe.)
pk_fleet_journal() {
        local message=$1
        shift
        ct journalctl --all -o json --no-pager "$@" >"$PK_TMP/fleet-journal.json" &&
                awk -v m="\"MESSAGE\":\"$message\"" '{ print } index($0, m) { found = 1; exit } END { exit !found }' \
                        "$PK_TMP/fleet-journal.json"
}

# pk_fleet_twice MESSAGE: up to MESSAGE, fleet-check finds exactly one entry
# of the router's twice in the collector.
pk_fleet_twice() {
        local out
        out=$(pk_fleet_once "$1" 2>&1)
        echo "$out"
        [[ $out == *": 1 entries more than once in the collector"* ]]
}
