#!/usr/bin/env bash
# Installs what appleflowd needs to build, run and be tested, from Debian's
# packages. Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
        # build
        build-essential meson ninja-build pkg-config python3
        libsystemd-dev libnetfilter-conntrack-dev libnetfilter-log-dev libmnl-dev
        libinih-dev libjson-c-dev
        # tests, fuzzing and docs
        libcmocka-dev clang libclang-rt-14-dev scdoc
        # the end-to-end tests: real kernel, real journald, real firewall
        systemd iproute2 nftables iptables conntrack util-linux procps
        # a real resolver for the DNS names scenario (the binary only, no service)
        dnsmasq-base
        # validating the Prometheus textfile with promtool
        prometheus
        # docs/architecture.svg from its source; the format check
        graphviz clang-format
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [[ ${#missing[@]} -gt 0 || "${CI:-}" == true ]]; then
        if [[ $(id -u) -ne 0 ]]; then
                echo "install-deps: missing packages: ${missing[*]}; run as root" >&2
                exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        # Wait for another apt or dpkg run rather than fail on its lock.
        apt_opts=(-o DPkg::Lock::Timeout=900)
        apt-get "${apt_opts[@]}" update -qq
        apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
