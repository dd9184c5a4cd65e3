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
# Each run keeps its own log (--logbase), so the closing line counts them all;
# none is left from an earlier run.
rm -f "$build"/meson-logs/{plain,e2e,package}.json "$asan"/meson-logs/sanitizers.json
meson test -C "$build" --print-errorlogs --logbase plain --no-suite e2e --no-suite fuzz --no-suite package || status=1
meson test -C "$asan" --print-errorlogs --logbase sanitizers --suite unit || status=1
if [[ $(id -u) -eq 0 ]]; then
        meson test -C "$build" --print-errorlogs --logbase e2e --suite e2e --num-processes 1 || status=1
        meson test -C "$build" --print-errorlogs --logbase package --suite package -v || status=1
else
        echo "test: end-to-end and package tests skipped: they need root (network namespaces, netfilter, journald, containers)"
fi
fuzz_log=$(mktemp)
trap 'rm -f "$fuzz_log"' EXIT
if [[ -x tests/fuzz/run.sh ]]; then
        tests/fuzz/run.sh | tee "$fuzz_log" || status=1
fi

# One closing line over every run above.
python3 - "$fuzz_log" "$build/meson-logs/plain.json" "$asan/meson-logs/sanitizers.json" \
        "$build/meson-logs/e2e.json" "$build/meson-logs/package.json" <<'PY'
import json, os, re, sys
passed = failed = skipped = 0
# The fuzzing runs, from run.sh's own closing line.
for line in open(sys.argv[1]):
    m = re.fullmatch(r"fuzz: (\d+) passed, (\d+) failed\n?", line)
    if m:
        passed += int(m[1])
        failed += int(m[2])
for log in sys.argv[2:]:
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
