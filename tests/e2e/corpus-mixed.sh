#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A mixed run: 10,000 connections from the iPhone-like LAN client (source
# ports 49152-65535, the kernel's), in the proportions of the tagging
# corpus' rows for that client (tests/tagging-corpus.txt, "iphone"): APNs,
# FaceTime, HTTPS and DNS to Apple and elsewhere, unlisted ports, the
# router's own services. The statistics must equal the corpus' expectations
# exactly (per service and confidence, unmatched, excluded, seen), every
# entry written must carry its row's tag, and no service whose ports are
# only the dynamic range (Xsan, Back to My Mac) may count a connection.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

TOTAL=${CORPUS_MIXED_TOTAL:-10000}
CORPUS=$E2E_TOPDIR/tests/tagging-corpus.txt
CHECK=("$E2E_PYTHON" "$E2E_SRCDIR/corpus.py")

"${CHECK[@]}" plan "$CORPUS" --only iphone --total "$TOTAL" >"$E2E_TMP/plan" || e2e_fail "corpus.py plan"
# shellcheck disable=SC2086
while read -r step ns addrs rest; do
        case $step in
        SERVE) e2e_servers_in "$ns" ${addrs//,/ } -- $rest ;;
        MANY) [[ $ns == lan ]] || e2e_fail "a mixed row from $ns" ;;
        *) e2e_fail "unexpected step $step in the plan" ;;
        esac
done <"$E2E_TMP/plan"
awk '$1 == "MANY" { print $3, $4, $5, $6 }' "$E2E_TMP/plan" >"$E2E_TMP/many"

# UDP flows must outlive the run (no DESTROY, no second NEW for a reused port).
in_rtr sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
        net.netfilter.nf_conntrack_udp_timeout_stream=3600
printf '%s\n' "# appleflowd, end-to-end test $E2E_NAME" "[stats]" \
        "prometheus_file = $E2E_TMP/appleflowd.prom" "prometheus_interval = 1" \
        "[tagging]" "log_connection_end = no" >"$E2E_TMP/appleflowd.conf"
e2e_daemon_start

e2e_log "sending $TOTAL connections"
in_lan "$E2E_PYTHON" "$E2E_SRCDIR/peer.py" many "$E2E_TMP/many" >"$E2E_TMP/many.out" ||
        e2e_fail "the clients failed: $(tail -3 "$E2E_TMP/many.out")"
e2e_wait_seen "$TOTAL" 60
sleep 2
e2e_ctl stats --json --all --socket "$E2E_CTL_SOCKET" >"$E2E_TMP/stats.json" || e2e_fail "appleflowctl stats"
e2e_entries EVENT_ACTION=connection-new >"$E2E_TMP/journal.json"
"${CHECK[@]}" check "$CORPUS" "$E2E_TMP/journal.json" "$E2E_TMP/stats.json" "$E2E_TMP/appleflowd.prom" \
        --only iphone --total "$TOTAL" || e2e_fail "the run differs from the corpus (above)"

e2e_daemon_stop 10
e2e_pass
