# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# What the report scenarios (report.sh, report-fleet.sh) share, sourced after
# lib.sh: traffic from the kernel's own source ports, and appleflowctl report
# run into files whose figures tests/e2e/report-check.py reads.

# Hours and days in the report and in the independent count: one time zone.
export TZ=UTC
REPORT_CHECK=$E2E_SRCDIR/report-check.py

# client ARGS...: peer.py connect without --sport, so the kernel picks the port.
client() {
        in_lan "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" connect "$@" || e2e_fail "client failed: $*"
}

# report NAME ARGS...: appleflowctl report ARGS > $E2E_TMP/NAME; fails unless 0.
report() {
        local name=$1
        shift
        "$E2E_APPLEFLOWCTL" report "$@" >"$E2E_TMP/$name" 2>"$E2E_TMP/$name.err" || {
                local rc=$?
                cat "$E2E_TMP/$name" "$E2E_TMP/$name.err" >&2
                e2e_fail "appleflowctl report $* exited with $rc"
        }
}

# fig FILE GROUP FIGURE: one figure of a JSON report ("total" for the total).
fig() {
        "$E2E_PYTHON" "$REPORT_CHECK" get "$E2E_TMP/$1" "$2" "$3"
}

# want FILE GROUP FIGURE VALUE
want() {
        local got
        got=$(fig "$1" "$2" "$3")
        [[ $got == "$4" ]] || e2e_fail "$1: $2 $3 is $got, wanted $4"
}
