#!/usr/bin/env bash
# The main job: install the build dependencies, build, and start appleflowd in
# the foreground on the default configuration. Output goes to the journal when
# journald runs, to the terminal otherwise. Extra arguments go to appleflowd.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
[[ -d build ]] || meson setup build >/dev/null
meson compile -C build

exec build/src/appleflowd "$@"
