#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prometheus, as an operator runs it: Debian's prometheus scraping Debian's
# prometheus-node-exporter, whose textfile collector reads the file
# appleflowd writes, after real traffic through the NAT router with the
# kernel's own source ports.
#
# Two daemons in the router, as two routers of a fleet: one follows IPv4
# (families = ipv4, NFLOG group 2), the other IPv6 (families = ipv6, NFLOG
# group 3), each with its own textfile directory and node_exporter, so that
# Prometheus sees them under two instance labels. Then:
#   - every query of the Grafana dashboard (panels, the instance variable,
#     the annotation) and of docs/prometheus.md returns data;
#   - sum by (service) and sum by (product) over the fleet equal the sums of
#     the two `appleflowctl stats --all --json`, exactly, for connections,
#     bytes and blocked packets;
#   - the alert rules load into the real Prometheus, healthy, and none is
#     pending or firing on these healthy routers;
#   - the number of series per router is printed (docs/prometheus.md);
#   - once one daemon stops, its file's write time stays in Prometheus while
#     the other's moves on (what AppleflowdTextfileStale fires on).
#
# The monitoring runs in a network namespace of its own, on its loopback
# (ports bound to 127.0.0.1): its connections are not the routers' traffic
# and do not change the counts compared.
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"

PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
[[ -x $PROMETHEUS ]] || e2e_fail "$PROMETHEUS is not installed (package prometheus, scripts/install-deps.sh)"
[[ -x $NODE_EXPORTER ]] ||
        e2e_fail "$NODE_EXPORTER is not installed (package prometheus-node-exporter, scripts/install-deps.sh)"
[[ -x $E2E_APPLEFLOWCTL ]] || e2e_fail "appleflowctl not found: '$E2E_APPLEFLOWCTL'"
PROM_CHECK=$E2E_TOPDIR/tests/prometheus/prom-check.py
DASHBOARD=$E2E_TOPDIR/conf/prometheus/grafana-dashboard.json
RULES=$E2E_TOPDIR/conf/prometheus/appleflowd-alerts.yml
URL=http://127.0.0.1:9090

# On failure, the logs of the second daemon and of the monitoring as well.
eval "e2e_fail_plain() $(declare -f e2e_fail | tail -n +2)"
e2e_fail() {
        local f
        for f in daemon-6.err node-exporter-4.log node-exporter-6.log prometheus.log prometheus.yml; do
                [[ -s $E2E_TMP/$f ]] || continue
                e2e_log "----- $f"
                tail -n 30 "$E2E_TMP/$f" >&2
        done
        e2e_fail_plain "$@"
}

MON=pm-mon-$E2E_ID
ip netns add "$MON"
ip -n "$MON" link set lo up
in_mon() { in_ns "$MON" "$@"; }

# IPv6 drops to NFLOG group 3, ahead of the harness's rule (group 2).
in_rtr nft insert rule inet afe2e forward \
        meta nfproto ipv6 udp dport '{ 4398, 40999 }' counter log group 3 prefix '"drop"' drop

# ---- the two daemons
mkdir -p "$E2E_TMP/textfile-4" "$E2E_TMP/textfile-6" "$E2E_TMP/state-6"
# docs/prometheus.md's [stats] for each, with a file of its own and a 1 s interval.
"$E2E_PYTHON" "$PROM_CHECK" ini "$E2E_TOPDIR/docs/prometheus.md" >"$E2E_TMP/stats.ini" ||
        e2e_fail "no [stats] block in docs/prometheus.md"
grep -qx 'prometheus_file = /var/lib/prometheus/node-exporter/appleflowd.prom' "$E2E_TMP/stats.ini" &&
        grep -qx 'prometheus_interval = [0-9]*' "$E2E_TMP/stats.ini" ||
        e2e_fail "docs/prometheus.md's [stats] block changed: $(cat "$E2E_TMP/stats.ini")"
daemon_config() {       # FAMILY EXTRA-INPUT-LINE
        printf '# appleflowd, end-to-end test %s: the %s router\n[input]\nfamilies = %s\n%s\n' \
                "$E2E_NAME" "$1" "$1" "$2"
        sed -e "s|^prometheus_file = .*|prometheus_file = $E2E_TMP/textfile-${1#ipv}/appleflowd.prom|" \
                -e 's|^prometheus_interval = .*|prometheus_interval = 1|' "$E2E_TMP/stats.ini"
}
daemon_config ipv4 "" >"$E2E_TMP/appleflowd.conf"
daemon_config ipv6 "nflog_groups = 3" >"$E2E_TMP/appleflowd-6.conf"
"$E2E_APPLEFLOWD" --check-config --config "$E2E_TMP/appleflowd-6.conf" >/dev/null ||
        e2e_fail "appleflowd --check-config refuses $(cat "$E2E_TMP/appleflowd-6.conf")"
e2e_daemon_start
SOCKET4=$E2E_CTL_SOCKET SOCKET6=$E2E_TMP/control-6.sock
# A simple command, so that $! is appleflowd itself.
nsenter --net="/run/netns/$E2E_RTR" "$E2E_APPLEFLOWD" --config "$E2E_TMP/appleflowd-6.conf" \
        --output journal --state-directory "$E2E_TMP/state-6" --control-socket "$SOCKET6" \
        >>"$E2E_TMP/daemon-6.out" 2>>"$E2E_TMP/daemon-6.err" &
DAEMON6_PID=$!
E2E_PIDS+=("$DAEMON6_PID")
e2e_wait 15 "the IPv6 daemon's control socket" e2e_ctl stats --socket "$SOCKET6" --json

# ---- node_exporter for each, Prometheus over both
for n in 4 6; do
        nsenter --net="/run/netns/$MON" "$NODE_EXPORTER" --web.listen-address="127.0.0.1:910$n" \
                --collector.disable-defaults --collector.textfile \
                --collector.textfile.directory="$E2E_TMP/textfile-$n" \
                >>"$E2E_TMP/node-exporter-$n.log" 2>&1 &
        E2E_PIDS+=("$!")
done
# The prometheus.yml of docs/prometheus.md, with these targets and 1 s intervals.
"$E2E_PYTHON" "$PROM_CHECK" config "$E2E_TOPDIR/docs/prometheus.md" "$RULES" 127.0.0.1:9104 127.0.0.1:9106 \
        >"$E2E_TMP/prometheus.yml" || e2e_fail "no prometheus.yml in docs/prometheus.md"
nsenter --net="/run/netns/$MON" "$PROMETHEUS" --config.file="$E2E_TMP/prometheus.yml" \
        --storage.tsdb.path="$E2E_TMP/prometheus-data" --web.listen-address=127.0.0.1:9090 \
        >>"$E2E_TMP/prometheus.log" 2>&1 &
E2E_PIDS+=("$!")
e2e_wait 30 "Prometheus to be ready" in_mon "$E2E_PYTHON" "$PROM_CHECK" instances "$URL" 2

# ---- traffic, the kernel's own source ports
e2e_servers tcp:5223 udp:16385 tcp:443
for _ in 1 2 3; do e2e_client tcp "$APPLE_IP4" 5223; done
for _ in 1 2; do e2e_client tcp "$APPLE_IP6" 5223; done
for _ in 1 2; do e2e_client udp "$APPLE_IP4" 16385; done
e2e_client udp "$APPLE_IP6" 16385
e2e_client tcp "$OTHER_IP4" 443
e2e_client tcp "$OTHER_IP6" 443
CONN4=6 CONN6=4
e2e_send_dropped "$APPLE_IP4" 4398 0 3
e2e_send_dropped "$APPLE_IP6" 4398 0 2
e2e_send_dropped "$APPLE_IP6" 40999 0 1
DROP4=3 DROP6=3
# End the connections now: their bytes are counted at DESTROY.
in_rtr conntrack -D >/dev/null 2>&1 || true

# Each daemon has seen every event of its family: NEW and DESTROY per
# connection, one NFLOG packet per drop.
events() {
        e2e_ctl stats --socket "$1" --all --json >"$E2E_TMP/stats-$2.json" &&
                "$E2E_PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))["daemon"]["events_received"]
sys.exit(not (d["conntrack"] == int(sys.argv[2]) and d["nflog"] == int(sys.argv[3])))' \
                        "$E2E_TMP/stats-$2.json" "$3" "$4"
}
e2e_wait 10 "the IPv4 daemon's events" events "$SOCKET4" 4 $((2 * CONN4)) "$DROP4"
e2e_wait 10 "the IPv6 daemon's events" events "$SOCKET6" 6 $((2 * CONN6)) "$DROP6"

# ---- the fleet's sums, once Prometheus has scraped the last files
fleet() { in_mon "$E2E_PYTHON" "$PROM_CHECK" fleet "$URL" "$E2E_TMP/stats-4.json" "$E2E_TMP/stats-6.json"; }
e2e_wait 20 "Prometheus's sums to equal the daemons'" fleet
fleet || e2e_fail "the fleet's sums: see above"

# ---- the dashboard, the rules, the series
in_mon "$E2E_PYTHON" "$PROM_CHECK" query "$DASHBOARD" "$URL" || e2e_fail "the dashboard's queries: see above"
in_mon "$E2E_PYTHON" "$PROM_CHECK" docs "$E2E_TOPDIR/docs/prometheus.md" "$URL" ||
        e2e_fail "the queries of docs/prometheus.md: see above"
in_mon "$E2E_PYTHON" "$PROM_CHECK" rules "$URL" || e2e_fail "the alert rules: see above"
in_mon "$E2E_PYTHON" "$PROM_CHECK" series "$URL" >"$E2E_TMP/series.txt" || e2e_fail "counting the series"
cat "$E2E_TMP/series.txt" >&2
# Each router's count is exactly the samples of its file.
for n in 4 6; do
        want=$(grep -c -v '^#' "$E2E_TMP/textfile-$n/appleflowd.prom")
        got=$(awk -v i="127.0.0.1:910$n" '$1 == "series" && $2 == "instance=" i { print $3 }' "$E2E_TMP/series.txt")
        [[ $got == "$want" ]] || e2e_fail "instance 127.0.0.1:910$n: $got series in Prometheus, $want in the file"
done

# ---- a daemon that stops leaves its last file: its write time stays
# behind while the other's moves on (no clock threshold: an order).
write_time() { in_mon "$E2E_PYTHON" "$PROM_CHECK" write-time "$URL" "$1"; }
write_time_is() { [[ $(write_time "$1") == "$2" ]]; }
write_time_after() { (($(write_time "$1") > $2)); }
kill -TERM "$DAEMON6_PID"
wait "$DAEMON6_PID" && rc=0 || rc=$?
((rc == 0)) || e2e_fail "the IPv6 daemon exited with status $rc after SIGTERM"
last6=$(sed -n 's/^appleflowd_textfile_write_time_seconds //p' "$E2E_TMP/textfile-6/appleflowd.prom")
[[ -n $last6 ]] || e2e_fail "the stopped daemon's textfile has no write time"
e2e_wait 15 "Prometheus to read the stopped daemon's last file" write_time_is 127.0.0.1:9106 "$last6"
e2e_wait 15 "the running daemon's write time to pass the stopped one's" write_time_after 127.0.0.1:9104 "$last6"
write_time_is 127.0.0.1:9106 "$last6" ||
        e2e_fail "the stopped daemon's write time moved: $(write_time 127.0.0.1:9106), its file says $last6"

e2e_daemon_stop 5
e2e_pass
