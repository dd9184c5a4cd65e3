# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# A private systemd-journald's file system, for the end-to-end tests
# (tests/e2e/lib.sh) and the benchmarks (bench/lib.sh); sourced by both.
# Call inside a private mount namespace (unshare --mount --propagation private).

# private_journald_mount DIR MAX_USE [EXTRA_MOUNT...]: tmpfs over journald's
# directories (and each EXTRA_MOUNT), and a journald.conf of its own, written
# to DIR, bound over /etc/systemd/journald.conf: volatile storage up to
# MAX_USE, no kernel messages, no rate limit, nothing forwarded. Only what the
# caller writes reaches it, all of it.
private_journald_mount() {
        local dir=$1 max_use=$2 d
        shift 2
        for d in /run/systemd/journal /run/log/journal /var/log/journal "$@"; do
                mkdir -p "$d"
                mount -t tmpfs -o mode=0755 tmpfs "$d"
        done
        cat >"$dir/journald.conf" <<-EOF
	[Journal]
	Storage=volatile
	ReadKMsg=no
	RateLimitIntervalSec=0
	RateLimitBurst=0
	ForwardToSyslog=no
	ForwardToWall=no
	ForwardToConsole=no
	RuntimeMaxUse=$max_use
	EOF
        mount --bind "$dir/journald.conf" /etc/systemd/journald.conf
        if [[ -d /etc/systemd/journald.conf.d ]]; then
                mount -t tmpfs tmpfs /etc/systemd/journald.conf.d
        fi
}
