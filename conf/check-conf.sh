#!/bin/sh
# The shipped configuration must load, commented out as installed and with
# every key uncommented: the defaults it documents must be valid values.
set -eu
daemon=$1
conf=$2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

"$daemon" --check-config --config "$conf"
sed -n 's/^#\([a-z_]* = .*\)$/\1/p; s/^#\([a-z_]* =\)$/\1/p; /^\[/p' "$conf" > "$tmp"
keys=$(grep -c ' =' "$tmp")
echo "uncommented $keys keys"
[ "$keys" -ge 19 ]
"$daemon" --check-config --config "$tmp"
