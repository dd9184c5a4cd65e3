#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Privileges, started as root outside systemd:
#  1. Without user=: once its sockets are open the daemon keeps CAP_NET_ADMIN
#     alone, in the effective, permitted and bounding sets, with nothing
#     ambient and no_new_privs set; it still tags and writes entries.
#  2. With user = nobody: it runs as nobody with CAP_NET_ADMIN alone, creates
#     the missing state directory owned by nobody before it switches, answers
#     appleflowctl, and saves its statistics there at SIGTERM.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

NET_ADMIN=$((1 << 12))

# check_caps PID: checks the capability sets and no_new_privs of PID.
check_caps() {
        local pid=$1 field value
        for field in CapEff CapPrm CapBnd CapAmb NoNewPrivs; do
                value=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status")
                [[ -n $value ]] || e2e_fail "no $field in /proc/$pid/status"
                case $field in
                CapAmb) ((16#$value == 0)) || e2e_fail "$field is $value, wanted none" ;;
                NoNewPrivs) ((value == 1)) || e2e_fail "NoNewPrivs is $value, wanted 1" ;;
                *) ((16#$value == NET_ADMIN)) ||
                        e2e_fail "$field is $value, wanted CAP_NET_ADMIN alone ($(printf '%016x' $NET_ADMIN))" ;;
                esac
        done
}

e2e_servers tcp:5223

# 1. Root without user=.
e2e_daemon_start
check_caps "$E2E_DAEMON_PID"
uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$E2E_DAEMON_PID/status")
((uid == 0)) || e2e_fail "without user= the daemon changed its uid to $uid"
e2e_client tcp "$APPLE_IP4" 5223
e2e_expect 1 EVENT_ACTION=connection-new SOURCE_PORT="$E2E_CLIENT_PORT" -- APPLE_SERVICE=apns
e2e_daemon_stop 5

# 2. user = nobody. The state directory's parent must be reachable by nobody;
# the directory itself does not exist yet.
nobody_uid=$(id -u nobody) || e2e_skip "there is no user nobody"
parent=$E2E_TMP/public
mkdir -m 0755 "$parent"
chmod 0711 "$E2E_TMP"
state=$parent/state
printf '[daemon]\nuser = nobody\n' >"$E2E_TMP/appleflowd.conf"
e2e_daemon_start --state-directory "$state"
check_caps "$E2E_DAEMON_PID"
read -r _ ruid euid suid fsuid < <(awk '$1 == "Uid:"' "/proc/$E2E_DAEMON_PID/status")
for u in "$ruid" "$euid" "$suid" "$fsuid"; do
        ((u == nobody_uid)) || e2e_fail "with user = nobody the uids are $ruid $euid $suid $fsuid"
done
[[ -d $state ]] || e2e_fail "the state directory $state was not created"
[[ $(stat -c '%u %a' "$state") == "$nobody_uid 750" ]] ||
        e2e_fail "state directory: $(stat -c '%U %a' "$state"), wanted nobody 750"

e2e_client tcp "$APPLE_IP4" 5223
e2e_expect 1 EVENT_ACTION=connection-new SOURCE_PORT="$E2E_CLIENT_PORT" -- APPLE_SERVICE=apns
# Statistics are counted on the reading thread when the event arrives.
n=$(e2e_ctl stats --json --socket "$E2E_CTL_SOCKET" |
        "$E2E_PYTHON" -c 'import json, sys; r = json.load(sys.stdin)
print(next(s["connections"] for s in r["services"] if s["service"] == "apns"))')
((n == 1)) || e2e_fail "appleflowctl stats counts $n apns connections, wanted 1"

e2e_daemon_stop 5
[[ -s $state/stats.state ]] || e2e_fail "no statistics saved in $state at stop"
[[ $(stat -c '%u' "$state/stats.state") == "$nobody_uid" ]] ||
        e2e_fail "the state file belongs to $(stat -c '%U' "$state/stats.state"), wanted nobody"
e2e_pass
