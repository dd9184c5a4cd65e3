#!/usr/bin/env bash
# Static analysis: gcc's -fanalyzer over both programs (every library of src/
# and src/ctl/), warnings as errors. Tests and benchmarks are not analysed.
# A finding that is a false positive is suppressed where it is, with a
# comment that gives the reason ("Analyzer: ..."). Exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ANALYZE_BUILD_DIR:-build-analyze}
opts=(-Dc_args=-fanalyzer -Dwerror=true -Dtests=disabled -Dbuildtype=debugoptimized)
[[ -f $build/meson-private/coredata.dat ]] || rm -rf "$build"
if [[ -d $build ]]; then
        CC=gcc meson setup --reconfigure "$build" "${opts[@]}" >/dev/null
else
        CC=gcc meson setup "$build" "${opts[@]}" >/dev/null
fi
ninja -C "$build" src/appleflowd src/ctl/appleflowctl
echo "analyze: no finding"
