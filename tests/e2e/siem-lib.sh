# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# For the scenarios that ship appleflowd's entries onward (siem-*.sh,
# fleet.sh): real traffic in two waves, so that a shipper can be stopped
# between them and must resume where it stopped, and the programs from
# Debian's packages that scripts/install-deps.sh installs. Sourced after
# lib.sh.

# Where scripts/install-deps.sh unpacks the packages that cannot be installed
# side by side (rsyslog and syslog-ng-core conflict: each is the system's
# syslog daemon), without starting them.
SIEM_TOOLS=${SIEM_TOOLS:-/usr/local/lib/appleflowd-tests}

# siem_find VAR PROGRAM UNPACKED-PATH: the installed program, else the unpacked
# one; skips the scenario when there is neither.
siem_find() {
        local var=$1 prog=$2 unpacked=$SIEM_TOOLS/$3 path
        path=$(command -v "$prog" 2>/dev/null || true)
        [[ -z $path && -x $unpacked ]] && path=$unpacked
        [[ -n $path ]] || e2e_skip "$prog is not installed (scripts/install-deps.sh)"
        printf -v "$var" '%s' "$path"
}

# The first wave: appleflowd starts; APNs (six products) on both families and
# FaceTime media (two) to Apple's addresses, from the ports the kernel picks.
siem_wave_1() {
        if [[ -z ${SIEM_SERVERS:-} ]]; then
                e2e_servers tcp:5223 udp:16385
                SIEM_SERVERS=1
        fi
        e2e_daemon_start
        e2e_client tcp "$APPLE_IP4" 5223
        e2e_client tcp "$APPLE_IP6" 5223
        e2e_client udp "$APPLE_IP4" 16385
        e2e_expect 3 EVENT_ACTION=connection-new
}

# The second wave: more connections, a medium-confidence one, packets the
# firewall drops (NFLOG: interfaces and prefix), every connection ended
# (bytes, duration), and the stop (summaries, the stopping entry).
siem_wave_2() {
        e2e_client udp "$APPLE_IP6" 16385
        e2e_client tcp "$OTHER_IP4" 5223
        e2e_send_dropped "$APPLE_IP4" 4398 0 2
        e2e_expect 5 EVENT_ACTION=connection-new
        e2e_expect 2 EVENT_ACTION=packet-logged
        in_rtr conntrack -D >/dev/null 2>&1 || true
        e2e_expect 5 EVENT_ACTION=connection-end -- SOURCE_BYTES~^[0-9]+$
        e2e_daemon_stop 5
        e2e_expect 1 MESSAGE_ID="$(e2e_message_id STOPPING)"
}

# siem_running PID: the process runs (it exists and is no zombie).
siem_running() {
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        [[ ${stat%% *} != Z ]]
}

# siem_stop PID WHAT: SIGTERM; fails unless it has exited within 10 s.
siem_stop() {
        local pid=$1 i
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
                siem_running "$pid" || break
                sleep 0.1
        done
        siem_running "$pid" && e2e_fail "$2 still runs 10 s after SIGTERM"
        wait "$pid" 2>/dev/null || true
}

# siem_lines FILE: lines in FILE, 0 when it does not exist.
siem_lines() {
        if [[ -e $1 ]]; then wc -l <"$1"; else echo 0; fi
}

# siem_wait_lines SECONDS FILE COUNT WHAT: waits until FILE has COUNT lines.
siem_wait_lines() {
        local deadline=$((SECONDS + $1))
        until (($(siem_lines "$2") >= $3)); do
                ((SECONDS < deadline)) ||
                        e2e_fail "$4: $(siem_lines "$2") lines in $2 after $1 s, want $3"
                sleep 0.2
        done
}

# siem_check CONFIG OUTPUT: the shipper's documents against appleflowd's
# entries in the journal, field by field (tests/e2e/ecs.py).
siem_check() {
        e2e_entries >"$E2E_TMP/journal.json"
        "$E2E_PYTHON" "$E2E_SRCDIR/ecs.py" check --config "$1" --journal "$E2E_TMP/journal.json" \
                --output "$2" || e2e_fail "$2 does not match the journal: see above"
}

# siem_two_runs WHAT CONFIG OUTPUT START: the shipper (START, a function that
# starts it in the background and sets SIEM_PID) reads the first wave, is
# stopped, and started again after the second: OUTPUT must match the journal
# after each run, so an entry lost or shipped twice at the restart fails.
siem_two_runs() {
        local what=$1 conf=$2 out=$3 start=$4 wave
        for wave in siem_wave_1 siem_wave_2; do
                "$wave"
                "$start"
                E2E_PIDS+=("$SIEM_PID")
                siem_wait_lines 20 "$out" "$(e2e_entries | wc -l)" "$what after $wave"
                sleep 1         # time for a duplicate to show
                siem_stop "$SIEM_PID" "$what"
                siem_check "$conf" "$out"
        done
}
