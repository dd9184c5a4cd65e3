#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Does bench/flowgen do what the benchmarks assume? For each RATE: FLOWS
# flows with the timeouts raised to 10 minutes, so that every conntrack
# entry is still there afterwards; then the table, listed, must hold exactly
# one entry per flow (distinct 5-tuples by definition), split into IPv4 and
# IPv6, UDP and TCP as asked; and the rate reached is printed beside the one
# asked for.
#
#   bench/flowgen-check.sh [BUILD_DIR]     (as root)
#
# FLOWS (default 100000), RATES (default "10000 50000 0"; 0: as fast as it goes)

source "$(dirname "$0")/lib.sh"
bench_begin "$@"

command -v conntrack >/dev/null || bench_die "apt-get install conntrack"
flows=${FLOWS:-100000}
in_src sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600 net.netfilter.nf_conntrack_tcp_timeout_syn_sent=600

printf '%8s %9s %9s %9s %9s %9s %9s %9s %s\n' rate reached flows entries ipv4/udp ipv4/tcp ipv6/udp ipv6/tcp result
for rate in ${RATES:-10000 50000 0}; do
        in_src conntrack -F 2>/dev/null
        gen=$(bench_flowgen --count "$flows" --rate "$rate" --family 46 --tcp-every 10 \
                --dst4 10.128.0.0 --dst6 fd00:afb::)
        reached=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$gen")
        sent=$(sed -n 's/.*flows=\([0-9]*\) failed=\([0-9]*\).*/\1 - \2/p' <<<"$gen")
        sent=$((sent))
        declare -A n=()
        for f in ipv4 ipv6; do
                for p in udp tcp; do
                        n[$f/$p]=$(in_src conntrack -L -f "$f" -p "$p" 2>/dev/null | wc -l)
                done
        done
        total=$((n[ipv4/udp] + n[ipv4/tcp] + n[ipv6/udp] + n[ipv6/tcp]))
        tcp=$((n[ipv4/tcp] + n[ipv6/tcp]))
        # Every 10th flow TCP; the families alternate in batches of 64.
        if ((total == sent && tcp == (sent + 9) / 10)); then result=ok; else result=WRONG; fi
        printf '%8s %9s %9d %9d %9d %9d %9d %9d %s\n' "$rate" "$reached" "$sent" "$total" \
                "${n[ipv4/udp]}" "${n[ipv4/tcp]}" "${n[ipv6/udp]}" "${n[ipv6/tcp]}" "$result"
        [[ $result == ok ]] || status=1
done
exit "${status:-0}"
