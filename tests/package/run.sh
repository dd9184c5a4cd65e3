#!/usr/bin/env bash
# The Debian package, built and proven on a booted systemd:
#   1. dpkg-buildpackage -us -uc -b from a clean copy of the tree (the files
#      git knows, and new ones it does not ignore);
#   2. lintian on the .changes (the .deb, the -dbgsym, the .buildinfo): no
#      error, no warning;
#   3. a minimal Debian 12 from mmdebstrap (kept in /var/cache/appleflowd-tests),
#      booted with systemd-nspawn, the fresh .deb installed into it by apt,
#      and checks.sh's checks inside, under the real systemd and journald.
# Each check prints PASS or FAIL; one FAIL fails the test. Needs root; exits
# 77 (skipped) with the reason when something it needs is missing.
# Usage: run.sh [SOURCE_DIR]   PK_KEEP=1 keeps the temporary directory.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${1:-$here/../..}" && pwd)

skip() {
        echo "package: skipped: $*"
        exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (mmdebstrap, systemd-nspawn)"
for tool in git dpkg-buildpackage lintian mmdebstrap systemd-nspawn nsenter; do
        command -v "$tool" >/dev/null || skip "$tool is missing (scripts/install-deps.sh installs it)"
done
[[ -e /proc/sys/net/netfilter/nf_conntrack_acct ]] ||
        skip "the kernel has no nf_conntrack loaded (modprobe nf_conntrack nf_conntrack_netlink nfnetlink_log)"
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || skip "$src is not a git checkout"

source "$here/container.sh"
source "$here/checks.sh"
source "$here/fleet-checks.sh"

PK_TMP=$(mktemp -d /tmp/pk-package.XXXXXX)
cleanup() {
        pk_shutdown
        if [[ -n ${PK_KEEP:-} ]]; then
                echo "package: kept $PK_TMP"
        else
                rm -rf "$PK_TMP"
        fi
}
trap cleanup EXIT

# ---- build ------------------------------------------------------------------

# PK_DEB=FILE: test that package instead, without building (and without the
# build's and lintian's checks, which then count neither way).
if [[ -n ${PK_DEB:-} ]]; then
        echo "package: PK_DEB=$PK_DEB: not built here, not checked by lintian"
        deb=$PK_DEB
else
mkdir -p "$PK_TMP/src/appleflowd"
git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && tar -c --null -T - 2>/dev/null) | tar -x -C "$PK_TMP/src/appleflowd"
if (cd "$PK_TMP/src/appleflowd" && dpkg-buildpackage -us -uc -b) >"$PK_TMP/build.log" 2>&1; then
        pass "dpkg-buildpackage -us -uc -b from a clean copy"
else
        fail "dpkg-buildpackage -us -uc -b from a clean copy" "$(tail -40 "$PK_TMP/build.log")"
        pk_summary
fi
deb=$(echo "$PK_TMP"/src/appleflowd_*_"$(dpkg --print-architecture)".deb)
changes=$(echo "$PK_TMP"/src/appleflowd_*.changes)
check "the build made appleflowd and appleflowd-dbgsym" \
        ls "$deb" "$PK_TMP"/src/appleflowd-dbgsym_*.deb

# lintian refuses to run as root only in spirit: it warns and goes on.
lintian --fail-on error,warning --display-info "$changes" >"$PK_TMP/lintian.log" 2>&1
lintian_status=$?
grep -E '^[EWIPXO]: ' "$PK_TMP/lintian.log" | sed 's/^/    lintian: /'
if [[ $lintian_status -eq 0 ]]; then
        pass "lintian: no error, no warning"
else
        fail "lintian: no error, no warning" "$(cat "$PK_TMP/lintian.log")"
fi
fi

# ---- the container ----------------------------------------------------------

if ! tar=$(pk_root_tar "$deb"); then
        fail "a Debian 12 root from mmdebstrap" "mmdebstrap failed"
        pk_summary
fi
mkdir "$PK_TMP/root"
tar -C "$PK_TMP/root" --numeric-owner -xf "$tar"
cp "$deb" "$PK_TMP/root/root/"
pk_deb=/root/$(basename "$deb")
if ! pk_boot "$PK_TMP/root" "$PK_TMP/console.log"; then
        fail "the container boots" "$(tail -40 "$PK_TMP/console.log")"
        pk_summary
fi
check "the container boots: systemd running" ct systemctl is-system-running

pk_checks "$pk_deb"
pk_summary
