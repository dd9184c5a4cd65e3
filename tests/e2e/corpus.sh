#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tagging corpus (tests/tagging-corpus.txt) through a real NAT router:
# an iPhone-like LAN client (source ports 49152-65535) and a Linux one
# (32768-60999), the kernel picking every source port unless the corpus
# fixes it; port forwards (DNAT) to a server on the LAN, from outside and
# from Apple's address; the router's own connections both ways; IPv4 and
# IPv6, TCP and UDP. One connection per row. The journal then holds exactly
# the rows at or above the logging threshold, each with its service, side,
# matched port and confidence, and appleflowctl stats --json and the
# Prometheus textfile count exactly the corpus: per service and confidence,
# unmatched per transport, excluded, and seen = tagged + unmatched + excluded.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

CORPUS=$E2E_TOPDIR/tests/tagging-corpus.txt
CHECK=("$E2E_PYTHON" "$E2E_SRCDIR/corpus.py")

e2e_lan2_up
"${CHECK[@]}" plan "$CORPUS" >"$E2E_TMP/plan" || e2e_fail "corpus.py plan failed"
rows=$(grep -c '^CLIENT' "$E2E_TMP/plan")

# Port forwards and the servers first, the daemon before any client.
# shellcheck disable=SC2086
while read -r step a b c d; do
        case $step in
        DNAT)
                [[ $c == "$LAN_IP4" || $c == "$LAN_IP6" ]] || e2e_fail "a port forward to $c: not the LAN client"
                e2e_port_forward "$a" "$b" "$d" ;;
        SERVE) [[ $a == lan ]] || e2e_servers_in "$a" ${b//,/ } -- $c $d ;;
        esac
done <"$E2E_TMP/plan"

printf '%s\n' "# appleflowd, end-to-end test $E2E_NAME" "[stats]" \
        "prometheus_file = $E2E_TMP/appleflowd.prom" "prometheus_interval = 1" >"$E2E_TMP/appleflowd.conf"
e2e_daemon_start

# shellcheck disable=SC2086
while read -r step ns addrs rest; do
        case $step in
        SERVE) [[ $ns == lan ]] && e2e_servers_in lan ${addrs//,/ } -- $rest ;;
        CLIENT) e2e_connect_from "$ns" $addrs $rest --send 10 ;;
        esac
done <"$E2E_TMP/plan"

e2e_log "$rows connections sent; waiting for the daemon to count them"
e2e_wait_seen "$rows" 20
# A second later: nothing more has come, the textfile is rewritten.
sleep 2
e2e_ctl stats --json --all --socket "$E2E_CTL_SOCKET" >"$E2E_TMP/stats.json" || e2e_fail "appleflowctl stats"
e2e_entries >"$E2E_TMP/journal.json"
"${CHECK[@]}" check "$CORPUS" "$E2E_TMP/journal.json" "$E2E_TMP/stats.json" "$E2E_TMP/appleflowd.prom" ||
        e2e_fail "the journal or the statistics differ from the corpus (above)"

# What appleflowctl stats shows people: the HTTPS and DNS elsewhere apart.
out=$(e2e_ctl stats --socket "$E2E_CTL_SOCKET")
grep -q '^Not attributed: .*https' <<<"$out" || e2e_fail "no HTTPS not attributed in: $out"
grep -q "^Connections: *$rows seen" <<<"$out" || e2e_fail "no account of $rows connections in: $out"

e2e_daemon_stop 5
e2e_pass
