#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) in a separate build
# directory, replays the saved regression inputs, then fuzzes each target for
# FUZZ_SECONDS (default 20) starting from its corpus. The repository is never
# written to: each target works on a temporary copy of its corpus.
# Ends with "fuzz: N passed, M failed"; exits 1 when anything failed.
#
#   FUZZ_SECONDS=300 tests/fuzz/run.sh          longer run
#   FUZZ_TARGETS="fuzz-packet" tests/fuzz/run.sh  only these targets
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
artifacts=$PWD/$build/fuzz-artifacts

if ! command -v clang >/dev/null; then
        echo "fuzz: clang not found (scripts/install-deps.sh installs it)" >&2
        echo "fuzz: 0 passed, 1 failed"
        exit 1
fi

# fuzzer-no-link instruments every library the targets link (the daemon and
# shared code), not only the fuzz-*.c files, so libFuzzer sees their coverage.
opts=(-Dfuzz=true -Dtests=disabled -Db_sanitize=address,undefined -Db_lundef=false
      -Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized)
# A setup that failed half-way leaves a folder meson cannot reconfigure.
[[ -f $build/meson-private/coredata.dat ]] || rm -rf "$build"
if [[ -d $build ]]; then
        CC=clang meson setup --reconfigure "$build" "${opts[@]}" >/dev/null
else
        CC=clang meson setup "$build" "${opts[@]}" >/dev/null
fi
meson compile -C "$build" >/dev/null

if [[ -n ${FUZZ_TARGETS:-} ]]; then
        read -r -a targets <<<"$FUZZ_TARGETS"
else
        mapfile -t targets < <(find "$build/tests/fuzz" -maxdepth 1 -type f -name 'fuzz-*' \
                                    -perm -u+x -printf '%f\n' | sort)
fi
if [[ ${#targets[@]} -eq 0 ]]; then
        echo "fuzz: no fuzz-* targets in $build/tests/fuzz"
        echo "fuzz: 0 passed, 1 failed"
        exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
for target in "${targets[@]}"; do
        exe=$build/tests/fuzz/$target
        name=${target#fuzz-}
        log=$work/$target.log
        mkdir -p "$work/$name" "$artifacts/$target"
        if [[ -d tests/fuzz/corpus/$name ]]; then
                cp -r "tests/fuzz/corpus/$name/." "$work/$name/"
        fi

        # Every crash found once stays a test: replay tests/fuzz/regressions/<name>/.
        regressions=()
        if [[ -d tests/fuzz/regressions/$name ]]; then
                mapfile -t regressions < <(find "tests/fuzz/regressions/$name" -type f | sort)
        fi
        if [[ ${#regressions[@]} -gt 0 ]] && ! "$exe" "${regressions[@]}" >"$log" 2>&1; then
                tail -n 30 "$log" >&2
                echo "$target: FAILED replaying tests/fuzz/regressions/$name"
                failed=$((failed + 1))
                continue
        fi

        # A dictionary helps where the syntax lives in an uninstrumented library.
        dict=()
        if [[ -f tests/fuzz/$name.dict ]]; then
                dict=(-dict="tests/fuzz/$name.dict")
        fi
        if "$exe" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
                  -rss_limit_mb=2048 -artifact_prefix="$artifacts/$target/" "${dict[@]}" \
                  "$work/$name" >"$log" 2>&1; then
                execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
                corpus=$(find "$work/$name" -type f | wc -l)
                echo "$target: ok, ${execs:-?} executions in ${seconds}s," \
                     "${#regressions[@]} regression inputs, corpus $corpus inputs"
                passed=$((passed + 1))
        else
                tail -n 40 "$log" >&2
                echo "$target: FAILED, crash input in $artifacts/$target/" \
                     "(docs/fuzzing.md: turning a crash into a regression test)"
                failed=$((failed + 1))
        fi
done

echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
