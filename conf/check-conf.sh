#!/bin/sh
# The shipped configuration must load, commented out as installed and with
# every key uncommented: the defaults it documents must be valid values.
set -eu
daemon=$1
conf=$2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# As installed, the file names the group and the runtime directory that the
# package and the unit provide. Where they are missing (a build machine), the
# check must fail on those two alone, with exit status 6, and on nothing else.
status=0
out=$("$daemon" --check-config --config "$conf" 2>&1) || status=$?
printf '%s\n' "$out"
if [ "$status" -ne 0 ]; then
        [ "$status" -eq 6 ] || { echo "check-conf: exit status $status, expected 0 or 6"; exit 1; }
        others=$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+: ' |
                grep -v ': control_group appleflowctl: no such group;' |
                grep -v ': prometheus_file /run/appleflowd/appleflowd.prom: directory /run/appleflowd: ' || true)
        if [ -n "$others" ] || ! printf '%s\n' "$out" | grep -q ': control_group appleflowctl\|: prometheus_file '; then
                echo "check-conf: the shipped file has errors besides what the package provides"
                exit 1
        fi
        getent group appleflowctl >/dev/null && printf '%s\n' "$out" | grep -q 'control_group' &&
                { echo "check-conf: the group exists, yet the check refused it"; exit 1; }
        [ -d /run/appleflowd ] && printf '%s\n' "$out" | grep -q 'prometheus_file' &&
                { echo "check-conf: /run/appleflowd exists, yet the check refused it"; exit 1; }
fi
sed -n 's/^#\([a-z_]* = .*\)$/\1/p; s/^#\([a-z_]* =\)$/\1/p; /^\[/p' "$conf" > "$tmp"
keys=$(grep -c ' =' "$tmp")
echo "uncommented $keys keys"
[ "$keys" -ge 19 ]
"$daemon" --check-config --config "$tmp"
