#!/bin/sh
# The alert rules: promtool (Debian's prometheus) checks their syntax and
# runs their unit tests. Skipped (77) without promtool.
set -eu
dir=$(dirname "$0")
if ! command -v promtool >/dev/null 2>&1; then
        echo "promtool is not installed (package prometheus, scripts/install-deps.sh)" >&2
        exit 77
fi
promtool check rules "$dir/appleflowd-alerts.yml"
promtool test rules "$dir/appleflowd-alerts.test.yml"
