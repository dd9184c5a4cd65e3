#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reload: appleflowd runs on a copy of the catalogue given with --catalog.
#  1. A port the catalogue does not list, to an address that is not Apple's:
#     nothing written.
#  0. SIGHUP with nothing changed: "Reloaded: nothing changed".
#  2. The port is added to the file, SIGHUP: a "reloaded" entry that names
#     the file and its entries before and after, and the next connection is
#     tagged with the new entry.
#  3. A broken line is appended, SIGHUP: a "reload failed" entry naming
#     FILE:LINE, and the next connection is still tagged by the catalogue
#     in force (the one from step 2).
#  4. SIGTERM: the daemon stops within 5 seconds with status 0, after
#     STOPPING=1.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

MID_RELOADED=$(e2e_message_id RELOADED)
MID_RELOAD_FAILED=$(e2e_message_id RELOAD_FAILED)
catalog=$E2E_TMP/apple-ports.tsv
cp "$E2E_TOPDIR/data/apple-ports.tsv" "$catalog"

e2e_servers tcp:40123
e2e_daemon_start --catalog "$catalog"
entries=$(e2e_ctl check --json "$catalog" | "$E2E_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["catalog"]["entries"])')

# 0. Nothing changed, and the entry says so.
kill -HUP "$E2E_DAEMON_PID"
e2e_expect 1 MESSAGE_ID="$MID_RELOADED" -- "MESSAGE=Reloaded: nothing changed"

# 1. Unlisted, not Apple's: counted only.
e2e_client tcp "$OTHER_IP4" 40123
sleep 1         # time for an entry that must not come
E2E_TIMEOUT=0 e2e_expect 0 DESTINATION_PORT=40123

# 2. A new entry of Apple's own, a single port: medium.
printf 'e2e-reload\t40123\ttcp\tEnd-to-end test protocol\t-\t-\tE2E Test\ten2015\tapple\tadded by tests/e2e/reload.sh\n' \
        >>"$catalog"
kill -HUP "$E2E_DAEMON_PID"
e2e_expect 1 MESSAGE_ID="$MID_RELOADED" \
        "MESSAGE=Reloaded: catalogue $catalog changed ($entries → $((entries + 1)) entries)"
e2e_client tcp "$OTHER_IP4" 40123
e2e_expect 1 DESTINATION_PORT=40123 EVENT_ACTION=connection-new -- \
        SOURCE_PORT="$E2E_CLIENT_PORT" APPLE_SERVICE=e2e-reload APPLE_CONFIDENCE=medium 'APPLE_PRODUCT[]=E2E Test'

# 3. A line with three fields: refused, with the file and the line.
printf 'broken\t40124\ttcp\n' >>"$catalog"
bad_line=$(wc -l <"$catalog")
kill -HUP "$E2E_DAEMON_PID"
e2e_expect 1 MESSAGE_ID="$MID_RELOAD_FAILED" -- "MESSAGE*=$catalog:$bad_line:" 'PRIORITY~[0-4]'
E2E_TIMEOUT=0 e2e_expect 2 MESSAGE_ID="$MID_RELOADED"
kill -0 "$E2E_DAEMON_PID" || e2e_fail "appleflowd exited after a failed reload"
e2e_client tcp "$OTHER_IP4" 40123
e2e_expect 1 DESTINATION_PORT=40123 SOURCE_PORT="$E2E_CLIENT_PORT" EVENT_ACTION=connection-new -- \
        APPLE_SERVICE=e2e-reload APPLE_CONFIDENCE=medium

# The notify protocol: RELOADING=1 then READY=1 again for each reload.
n=$(grep -cx 'RELOADING=1' "$E2E_TMP/notify.log" || true)
((n == 3)) || e2e_fail "appleflowd sent RELOADING=1 $n times for 3 reloads"

# 4. A clean stop.
e2e_daemon_stop 5
grep -qx 'STOPPING=1' "$E2E_TMP/notify.log" || e2e_fail "appleflowd sent no STOPPING=1"
e2e_pass
