#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# docs/examples/rsyslog-appleflowd.conf, run by rsyslogd from Debian on
# appleflowd's real entries: imjournal -> one ECS document per entry, every
# field under the name docs/journal-fields.md gives, every product of a
# multi-product entry in apple.products; stopped between two waves of
# traffic, it resumes from its saved cursor: every entry exactly once.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem-lib.sh"
siem_find RSYSLOGD rsyslogd rsyslog/usr/sbin/rsyslogd
e2e_begin "$@"

# The recipe as an operator installs it; only its output path moves into the
# scenario's directory. A main configuration like Debian's: a work directory
# (for imjournal's state file) and the drop-in.
conf=$E2E_TMP/rsyslog-appleflowd.conf
out=$E2E_TMP/appleflowd/ecs.json
sed "s|/var/log/appleflowd/ecs.json|$out|" "$E2E_TOPDIR/docs/examples/rsyslog-appleflowd.conf" >"$conf"
grep -qF "$out" "$conf" || e2e_fail "the recipe writes no /var/log/appleflowd/ecs.json"
mkdir -p "$E2E_TMP/rsyslog"
cat >"$E2E_TMP/rsyslog.conf" <<CONF
global(workDirectory="$E2E_TMP/rsyslog")
include(file="$conf")
CONF
rsyslog_args=(-n -f "$E2E_TMP/rsyslog.conf" -i "$E2E_TMP/rsyslog.pid")
# Unpacked rather than installed: its modules beside it.
[[ $RSYSLOGD == "$SIEM_TOOLS"/* ]] && rsyslog_args+=(-M "$(echo "${RSYSLOGD%/usr/sbin/rsyslogd}"/usr/lib/*/rsyslog)")
"$RSYSLOGD" -N1 "${rsyslog_args[@]}" >"$E2E_TMP/rsyslog.err" 2>&1 ||
        e2e_fail "rsyslogd refuses the recipe: $(cat "$E2E_TMP/rsyslog.err")"

rsyslog_start() {
        "$RSYSLOGD" "${rsyslog_args[@]}" >>"$E2E_TMP/rsyslog.err" 2>&1 &
        SIEM_PID=$!
}

siem_two_runs rsyslogd "$conf" "$out" rsyslog_start
e2e_pass
