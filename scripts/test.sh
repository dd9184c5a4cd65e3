#!/usr/bin/env bash
# Every test: unit tests (plain and under ASan+UBSan), the appleflowctl and data
# tests, the end-to-end tests against the real kernel and journald (as root),
# and a bounded fuzzing run. Warnings are errors. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build=${BUILD_DIR:-build}
asan=${ASAN_BUILD_DIR:-build-asan}

setup() {
        local dir=$1; shift
        if [[ -d $dir ]]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
}

setup "$build" -Dwerror=true -Dtests=enabled
setup "$asan" -Dwerror=true -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debug
meson compile -C "$build"
meson compile -C "$asan"

status=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
meson test -C "$build" --print-errorlogs --no-suite e2e --no-suite fuzz || status=1
meson test -C "$asan" --print-errorlogs --suite unit || status=1
if [[ $(id -u) -eq 0 ]]; then
        meson test -C "$build" --print-errorlogs --suite e2e --num-processes 1 || status=1
else
        echo "test: end-to-end tests skipped: they need root (network namespaces, netfilter, journald)"
fi
if [[ -x tests/fuzz/run.sh ]]; then
        tests/fuzz/run.sh || status=1
fi

# One closing line over every run above.
python3 - "$build" "$asan" <<'PY'
import json, os, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    log = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        continue
    for line in open(log):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
