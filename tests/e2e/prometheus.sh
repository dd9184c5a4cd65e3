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
#   - the number of series per router is printed (docs/prometheus.md).
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

MON=pm-mon-$E2E_ID
ip netns add "$MON"
ip -n "$MON" link set lo up
in_mon() { in_ns "$MON" "$@"; }

# IPv6 drops to NFLOG group 3, ahead of the harness's rule (group 2).
in_rtr nft insert rule inet afe2e forward \
        meta nfproto ipv6 udp dport '{ 4398, 40999 }' counter log group 3 prefix '"drop"' drop

# ---- the two daemons
mkdir -p "$E2E_TMP/textfile-4" "$E2E_TMP/textfile-6" "$E2E_TMP/state-6"
cat >"$E2E_TMP/appleflowd.conf" <<CONF
# appleflowd, end-to-end test $E2E_NAME: the IPv4 router
[input]
families = ipv4
[stats]
prometheus_file = $E2E_TMP/textfile-4/appleflowd.prom
prometheus_interval = 1
CONF
cat >"$E2E_TMP/appleflowd-6.conf" <<CONF
# appleflowd, end-to-end test $E2E_NAME: the IPv6 router
[input]
families = ipv6
nflog_groups = 3
[stats]
prometheus_file = $E2E_TMP/textfile-6/appleflowd.prom
prometheus_interval = 1
CONF
e2e_daemon_start
SOCKET4=$E2E_CTL_SOCKET SOCKET6=$E2E_TMP/control-6.sock
# A simple command, so that $! is appleflowd itself.
nsenter --net="/run/netns/$E2E_RTR" "$E2E_APPLEFLOWD" --config "$E2E_TMP/appleflowd-6.conf" \
        --output journal --state-directory "$E2E_TMP/state-6" --control-socket "$SOCKET6" \
        >>"$E2E_TMP/daemon-6.out" 2>>"$E2E_TMP/daemon-6.err" &
E2E_PIDS+=("$!")
e2e_wait 15 "the IPv6 daemon's control socket" e2e_ctl stats --socket "$SOCKET6" --json

# ---- node_exporter for each, Prometheus over both
for n in 4 6; do
        nsenter --net="/run/netns/$MON" "$NODE_EXPORTER" --web.listen-address="127.0.0.1:910$n" \
                --collector.disable-defaults --collector.textfile \
                --collector.textfile.directory="$E2E_TMP/textfile-$n" \
                >>"$E2E_TMP/node-exporter-$n.log" 2>&1 &
        E2E_PIDS+=("$!")
done
cat >"$E2E_TMP/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:9104', '127.0.0.1:9106']
CONF
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

e2e_daemon_stop 5
e2e_pass
