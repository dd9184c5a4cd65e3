#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the operator is told when a start cannot work as asked:
#  1. A second appleflowd on the first one's state directory exits with
#     status 1, naming the pid and name of the one that holds it.
#  2. A second appleflowd on the first one's NFLOG group exits with status 1,
#     saying the group is in use and by which process (not "Operation not
#     permitted").
#  3. In a network namespace where no rule uses connection tracking, the
#     daemon warns at start that the kernel tracks nothing there, and
#     `appleflowctl stats` says the same.
#  4. --check-config on a configuration that a start would refuse exits 6 and
#     names each key with its line.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

e2e_daemon_start
first=$E2E_DAEMON_PID

# second DIR GROUP: another appleflowd in the router, its own socket; its
# stderr in $E2E_TMP/second.err, its status in $rc.
second() {
        rc=0
        timeout 10 nsenter --net="/run/netns/$E2E_RTR" "$E2E_APPLEFLOWD" --config "$E2E_CONFIG" \
                --output journal --nflog-group "$2" --state-directory "$1" \
                --control-socket "$E2E_TMP/second.sock" 2>"$E2E_TMP/second.err" || rc=$?
        cat "$E2E_TMP/second.err" >&2
}

# 1. The same state directory, another NFLOG group.
second "$E2E_TMP/state" 3
((rc == 1)) || e2e_fail "a second daemon on the same state directory exited with $rc, not 1"
grep -qF "state directory $E2E_TMP/state is in use by pid $first (appleflowd)" "$E2E_TMP/second.err" ||
        e2e_fail "the second daemon does not name the one holding the state directory"
kill -0 "$first" || e2e_fail "the first daemon died"

# 2. The same NFLOG group, another state directory.
mkdir -p "$E2E_TMP/state2"
second "$E2E_TMP/state2" 2
((rc == 1)) || e2e_fail "a second daemon on NFLOG group 2 exited with $rc, not 1"
grep -qE "group 2 is in use by netlink port [0-9]+, pid $first \(appleflowd\)" "$E2E_TMP/second.err" ||
        e2e_fail "the second daemon does not say who has NFLOG group 2"
grep -q "Operation not permitted" "$E2E_TMP/second.err" &&
        e2e_fail "an NFLOG group in use is reported as a missing privilege"
e2e_daemon_stop 5

# 3. A namespace of its own, with no rule at all: the kernel tracks nothing.
bare=afe2e-bare-$E2E_ID
ip netns add "$bare"
in_ns "$bare" ip link set lo up
mkdir -p "$E2E_TMP/state3"
# nsenter itself, not in_ns: $! must be appleflowd's pid.
nsenter --net="/run/netns/$bare" "$E2E_APPLEFLOWD" --config "$E2E_CONFIG" --output journal \
        --state-directory "$E2E_TMP/state3" --control-socket "$E2E_TMP/bare.sock" \
        2>>"$E2E_TMP/daemon.err" &
bare_pid=$!
E2E_PIDS+=("$bare_pid")
e2e_expect 1 _PID="$bare_pid" CONNTRACK_ENTRIES=0 -- PRIORITY=4 \
        "MESSAGE*=At start the kernel tracks no connection in this network namespace" \
        "MESSAGE*=no firewall rule here uses connection tracking"
e2e_wait 10 "the bare daemon's control socket" test -S "$E2E_TMP/bare.sock"
out=$(e2e_ctl stats --socket "$E2E_TMP/bare.sock")
grep -q "^Warning: No conntrack event for [0-9]* s: the kernel tracks no connection" <<<"$out" ||
        e2e_fail "stats does not warn about the silent conntrack input:
$out"
quiet=$(e2e_ctl stats --json --socket "$E2E_TMP/bare.sock" |
        "$E2E_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["conntrack_quiet_sec"])')
((quiet >= 1)) || e2e_fail "stats --json: conntrack_quiet_sec is $quiet"
kill -TERM "$bare_pid"
wait "$bare_pid" || e2e_fail "the bare daemon exited with $?"

# 4. --check-config: what a start would refuse, with the lines.
printf '[daemon]\nuser = afe2e-no-such-user\n[stats]\ncontrol_group = afe2e-no-such-group\nprometheus_file = %s/no/such/dir/af.prom\n' \
        "$E2E_TMP" >"$E2E_TMP/bad.conf"
rc=0
"$E2E_APPLEFLOWD" --check-config --config "$E2E_TMP/bad.conf" 2>"$E2E_TMP/check.err" || rc=$?
cat "$E2E_TMP/check.err" >&2
((rc == 6)) || e2e_fail "--check-config exited with $rc, not 6"
for want in ":2: user afe2e-no-such-user: no such user" ":4: control_group afe2e-no-such-group: no such group" \
            ":5: prometheus_file $E2E_TMP/no/such/dir/af.prom: directory $E2E_TMP/no/such/dir: No such file"; do
        grep -qF "$E2E_TMP/bad.conf$want" "$E2E_TMP/check.err" || e2e_fail "--check-config lacks '$want'"
done
e2e_pass
