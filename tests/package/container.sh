# The Debian 12 container of the package test: a minimal root file system
# made by mmdebstrap from Debian's packages and kept between runs, booted with
# systemd-nspawn. Sourced by run.sh.

PK_CACHE=${PK_CACHE:-/var/cache/appleflowd-tests}
PK_MIRROR=${PK_MIRROR:-http://deb.debian.org/debian}
# What the container needs besides the package's own dependencies: systemd
# as PID 1, and the tools of the router quick start and of the checks.
PK_BASE_PACKAGES=(systemd systemd-sysv dbus iproute2 nftables conntrack socat curl
                  prometheus-node-exporter
                  # the fleet recipe (fleet-checks.sh): router and collector
                  systemd-journal-remote stunnel4 openssl)

# pk_root_tar DEB: prints the path of a tarball of the root file system with
# the base packages and DEB's dependencies installed, made when missing. Its
# name holds a hash of the package list, so a changed list makes a new one.
pk_root_tar() {
        local deb=$1 deps list key tar
        # "libc6 (>= 2.34), libfoo | libbar" -> libc6 libfoo
        deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g')
        list=$(printf '%s\n' "${PK_BASE_PACKAGES[@]}" $deps | sort -u | paste -sd, -)
        key=$(printf 'bookworm minbase %s %s\n' "$PK_MIRROR" "$list" | sha256sum | cut -c1-16)
        tar=$PK_CACHE/bookworm-minbase-$key.tar
        if [[ ! -s $tar ]]; then
                mkdir -p "$PK_CACHE"
                echo "package: making $tar: mmdebstrap --variant=minbase --include=$list" >&2
                # Other lists' roots are out of date: one root is kept.
                rm -f "$PK_CACHE"/bookworm-minbase-*.tar
                mmdebstrap --quiet --format=tar --variant=minbase --include="$list" bookworm "$tar.tmp" \
                        "$PK_MIRROR" </dev/null >&2 || return 1
                mv "$tar.tmp" "$tar"
        fi
        echo "$tar"
}

# pk_boot ROOT LOG: boots ROOT, sets PK_NSPAWN (systemd-nspawn's pid) and
# PK_PID (the container's systemd as the host sees it), waits for the boot to
# finish. A private network: the container's own network namespace is the
# router; CAP_NET_ADMIN is nspawn's default for it.
pk_boot() {
        local root=$1 log=$2 i
        systemd-nspawn --quiet -D "$root" --boot --private-network --register=no --keep-unit \
                --console=passive >"$log" 2>&1 &
        PK_NSPAWN=$!
        PK_PID=
        for ((i = 0; i < 100; i++)); do
                PK_PID=$(ps -o pid= --ppid "$PK_NSPAWN" | tr -d ' ' | head -1)
                [[ -n $PK_PID ]] && [[ $(cat /proc/"$PK_PID"/comm 2>/dev/null) == systemd ]] && break
                PK_PID=
                sleep 0.1
        done
        [[ -n $PK_PID ]] || { echo "package: the container did not start:" >&2; cat "$log" >&2; return 1; }
        # "running" or "degraded": either way the boot is over. Until the
        # container's systemd listens, systemctl cannot even ask.
        for ((i = 0; i < 300; i++)); do
                case $(ct systemctl is-system-running 2>/dev/null) in
                running | degraded) return 0 ;;
                esac
                sleep 0.3
        done
        echo "package: the container's boot did not finish in 90 s" >&2
        return 1
}

# ct COMMAND...: runs a command inside the container, in all its namespaces,
# with a clean environment.
ct() {
        nsenter -t "$PK_PID" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# pk_shutdown: powers the container off, and kills nspawn if it will not end.
pk_shutdown() {
        local i
        [[ -n ${PK_NSPAWN:-} ]] || return 0
        kill -0 "$PK_NSPAWN" 2>/dev/null || return 0
        [[ -n ${PK_PID:-} ]] && ct systemctl poweroff --no-block >/dev/null 2>&1
        for ((i = 0; i < 300; i++)); do
                kill -0 "$PK_NSPAWN" 2>/dev/null || break
                sleep 0.1
        done
        # Killing the container's PID 1 ends every process in it, and nspawn.
        if kill -0 "$PK_NSPAWN" 2>/dev/null; then
                [[ -n ${PK_PID:-} ]] && kill -KILL "$PK_PID" 2>/dev/null
                sleep 1
                kill -KILL "$PK_NSPAWN" 2>/dev/null
        fi
        wait "$PK_NSPAWN" 2>/dev/null || true
        PK_NSPAWN=
}
