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
        # the shell completions, run by the real shells
        bash-completion zsh
        # the end-to-end tests: real kernel, real journald, real firewall
        systemd iproute2 nftables iptables conntrack util-linux procps
        # promtool (the textfile, the alert rules), and the real Prometheus and
        # node_exporter the dashboard is proven against
        prometheus prometheus-node-exporter
        # the Debian package, and its test in a booted Debian 12 container
        dpkg-dev debhelper fakeroot lintian mmdebstrap systemd-container
        # a real resolver for the DNS names scenario (the binary only, no service)
        dnsmasq-base
        # docs/architecture.svg from its source; the format check
        graphviz clang-format
        # the shipping recipes (docs/siem.md, docs/fleet.md): journal-upload
        # and journal-remote, certificates; the libraries of the unpacked
        # rsyslog and syslog-ng-core (below)
        systemd-journal-remote openssl
        # the collector's TLS in front of journal-remote, which checks the
        # routers' client certificates (docs/fleet.md)
        stunnel4
        libestr0 libfastjson4 liblognorm5 libuuid1 libzstd1 zlib1g
        libcap2 libglib2.0-0 libivykis0 libjson-c5 libnet1 libpcre3 libssl3 libwrap0
        # appleflowctl report's benchmark and examples: the same figures by
        # journalctl | jq (journal files from systemd-journal-remote, above)
        jq
)

# rsyslog and syslog-ng-core conflict (each is the system's syslog daemon) and
# would start as one when installed: the tests run both from their Debian
# packages unpacked here, never started by the system. An installed
# rsyslogd or syslog-ng is used instead when there is one.
tools=/usr/local/lib/appleflowd-tests
unpack() {
        local pkg=$1 dir=$tools/$2 version tmp
        version=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
        [[ -n $version && $version != "(none)" ]] || { echo "install-deps: no package $pkg" >&2; return 1; }
        [[ $(cat "$dir/.version" 2>/dev/null) == "$version" ]] && return 0
        tmp=$(mktemp -d)
        chown _apt "$tmp" 2>/dev/null || true   # apt-get download runs as _apt
        (cd "$tmp" && apt-get download -qq "$pkg=$version")
        rm -rf "$dir"
        mkdir -p "$dir"
        dpkg-deb -x "$tmp"/*.deb "$dir"
        echo "$version" >"$dir/.version"
        rm -rf "$tmp"
}

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

command -v rsyslogd >/dev/null || [[ $(id -u) -ne 0 ]] || unpack rsyslog rsyslog
command -v syslog-ng >/dev/null || [[ $(id -u) -ne 0 ]] || unpack syslog-ng-core syslog-ng
