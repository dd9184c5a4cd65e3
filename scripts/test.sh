#!/usr/bin/env bash
# Every test: unit tests (plain and under ASan+UBSan), the appleflowctl and data
# tests, the end-to-end tests against the real kernel and journald (as root),
# a bounded fuzzing run and gcc's static analyzer. Warnings are errors. Ends with
# "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build=${BUILD_DIR:-build}
asan=${ASAN_BUILD_DIR:-build-asan}

setup() {
        local dir=$1; shift
        # A setup that failed half-way leaves a folder meson cannot reconfigure.
        [[ -f $dir/meson-private/coredata.dat ]] || rm -rf "$dir"
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
checks_log=$(mktemp)
trap 'rm -f "$fuzz_log" "$checks_log"' EXIT
# Whole-tree checks, one result each in the closing line.
check() {
        local name=$1; shift
        if "$@"; then
                echo "$name ok" >>"$checks_log"
        else
                echo "$name failed" >>"$checks_log"
                status=1
        fi
}
check static-analysis tools/analyze.sh
check format tools/format.sh --check
if [[ -x tests/fuzz/run.sh ]]; then
        tests/fuzz/run.sh | tee "$fuzz_log" || status=1
fi

# One closing line over every run above. A skipped test (exit 77, or a
# cmocka skip() inside a unit test) is counted apart; with CI=true it fails
# the run unless tests/skips-allowed.txt names it with its reason.
python3 - "$fuzz_log" "$checks_log" tests/skips-allowed.txt "$build/meson-logs/plain.json" \
        "$asan/meson-logs/sanitizers.json" "$build/meson-logs/e2e.json" "$build/meson-logs/package.json" <<'PY' || status=1
import json, os, re, sys
passed = failed = skipped = 0
# The fuzzing runs, from run.sh's own closing line; none means it broke.
fuzz_counted = False
for line in open(sys.argv[1]):
    m = re.fullmatch(r"fuzz: (\d+) passed, (\d+) failed\n?", line)
    if m:
        passed += int(m[1])
        failed += int(m[2])
        fuzz_counted = True
if not fuzz_counted:
    print("test: tests/fuzz/run.sh ended without its closing line")
    failed += 1
# The whole-tree checks: "NAME ok" or "NAME failed".
for line in open(sys.argv[2]):
    name, result = line.split()
    if result == "ok":
        passed += 1
    else:
        print(f"test: {name} failed")
        failed += 1
allowed = {}
for n, line in enumerate(open(sys.argv[3]), 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    name, _, reason = line.partition(" ")
    if not reason.strip():
        sys.exit(f"{sys.argv[3]}:{n}: '{name}' has no reason")
    allowed[name] = reason.strip()
ci = os.environ.get("CI") == "true"
for log in sys.argv[4:]:
    if not os.path.exists(log):
        continue
    for line in open(log):
        r = json.loads(line)
        # cmocka reports a skip() as "[  SKIPPED ]" and still exits 0.
        cmocka_skips = re.findall(r"^\[  SKIPPED \] (\S+)", r.get("stdout") or "", re.M)
        if r["result"] == "SKIP" or (r["result"] == "OK" and cmocka_skips):
            names = [r["name"]] + [f"{r['name']}:{c}" for c in cmocka_skips]
            if ci and not any(n in allowed for n in names):
                print(f"test: {names[-1]} was skipped, and tests/skips-allowed.txt does not allow it")
                failed += 1
            else:
                skipped += 1
        elif r["result"] in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
exit $status
