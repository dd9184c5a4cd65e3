#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# docs/examples/syslog-ng-appleflowd.conf, run by syslog-ng from Debian on
# appleflowd's real entries: systemd-journal() -> one ECS document per entry,
# every field under the name docs/journal-fields.md gives, every product of a
# multi-product entry in apple.products; stopped between two waves of
# traffic, it resumes from the cursor in its persist file: every entry
# exactly once.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem-lib.sh"
siem_find SYSLOG_NG syslog-ng syslog-ng/usr/sbin/syslog-ng
e2e_begin "$@"

# The recipe as an operator installs it; only its output path moves into the
# scenario's directory. A main configuration like Debian's: the version line
# and the drop-in.
conf=$E2E_TMP/syslog-ng-appleflowd.conf
out=$E2E_TMP/appleflowd/ecs.json
sed "s|/var/log/appleflowd/ecs.json|$out|" "$E2E_TOPDIR/docs/examples/syslog-ng-appleflowd.conf" >"$conf"
grep -qF "$out" "$conf" || e2e_fail "the recipe writes no /var/log/appleflowd/ecs.json"
syslog_ng_args=()
if [[ $SYSLOG_NG == "$SIEM_TOOLS"/* ]]; then
        # Unpacked rather than installed: its modules and library beside it.
        root=${SYSLOG_NG%/usr/sbin/syslog-ng}
        syslog_ng_args+=(--module-path="$(echo "$root"/usr/lib/syslog-ng/[0-9]*)")
        export LD_LIBRARY_PATH=$root/usr/lib/syslog-ng
fi
version=$("$SYSLOG_NG" --version 2>/dev/null | sed -n 's/^Config version: //p') || true
[[ -n $version ]] || e2e_fail "syslog-ng --version gives no config version"
printf '@version: %s\n@include "%s"\n' "$version" "$conf" >"$E2E_TMP/syslog-ng.conf"
syslog_ng_args+=(-F -f "$E2E_TMP/syslog-ng.conf" --persist-file="$E2E_TMP/syslog-ng.persist"
        --pidfile="$E2E_TMP/syslog-ng.pid" --control="$E2E_TMP/syslog-ng.ctl")
"$SYSLOG_NG" --syntax-only "${syslog_ng_args[@]}" >"$E2E_TMP/syslog-ng.err" 2>&1 ||
        e2e_fail "syslog-ng refuses the recipe: $(cat "$E2E_TMP/syslog-ng.err")"

syslog_ng_start() {
        "$SYSLOG_NG" "${syslog_ng_args[@]}" >>"$E2E_TMP/syslog-ng.err" 2>&1 &
        SIEM_PID=$!
}

siem_two_runs syslog-ng "$conf" "$out" syslog_ng_start
e2e_pass
