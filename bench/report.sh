#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# appleflowctl report against `journalctl -o json | jq` on the same journal
# files, side by side in one run: both add up connections, connection ends,
# bytes and blocked packets per service; their figures must be equal, and
# their times are printed with the ratio.
#
#   bench/report.sh BUILD_DIR
#
# COUNT (1000000) entries shaped like appleflowd's (bench/report-entries.py:
# 4 routers, 30 days) are written once by systemd-journal-remote into
# DATA_DIR (/var/tmp/appleflowd-report-bench/COUNT) and reused by later runs.
# RUNS (3) rounds, each timing report then jq; the best of each is kept.
# Prints: "entries=N report_s=A jq_s=B ratio=B/A" and the command lines.
# Needs systemd-journal-remote, journalctl, jq and python3; no root.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(realpath "${1:-build}")
COUNT=${COUNT:-1000000}
RUNS=${RUNS:-3}
DATA_DIR=${DATA_DIR:-/var/tmp/appleflowd-report-bench/$COUNT}
JOURNAL_REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
CTL=$BUILD/src/ctl/appleflowctl

log() { printf 'report-bench: %s\n' "$*" >&2; }
skip() {
        log "SKIP: $*"
        exit 77
}

[[ -x $CTL ]] || skip "no $CTL: build first (meson compile -C $BUILD)"
[[ -x $JOURNAL_REMOTE ]] || skip "$JOURNAL_REMOTE is missing (package systemd-journal-remote)"
for tool in journalctl jq python3; do
        command -v "$tool" >/dev/null || skip "'$tool' is missing (scripts/install-deps.sh)"
done

# The entries, once: a fixed end time and seed, so every run reads the same.
if [[ ! -e $DATA_DIR/complete ]]; then
        log "writing $COUNT entries into $DATA_DIR (once; later runs reuse them)"
        rm -rf "$DATA_DIR"
        mkdir -p "$DATA_DIR"
        python3 "$BENCH_DIR/report-entries.py" --count "$COUNT" --routers 4 --days 30 --end 1796428800 |
                "$JOURNAL_REMOTE" --split-mode=none --output="$DATA_DIR/remote.journal" - 2>"$DATA_DIR/journal-remote.log" ||
                { cat "$DATA_DIR/journal-remote.log" >&2; exit 1; }
        touch "$DATA_DIR/complete"
fi

TMP=$(mktemp -d /tmp/appleflowd-report-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# The same selection both ways: appleflowd's connection, connection-end and
# packet-logged entries; jq reads only the fields it needs, as report does.
MATCHES=(MESSAGE_ID=fd9fd13f564b4308be583094f3978cff MESSAGE_ID=609e0dafbd8641ea883bbaffb24a6aae
         MESSAGE_ID=5e4dc41e3c774903b9cdc40510ca593e SYSLOG_IDENTIFIER=appleflowd)
# shellcheck disable=SC2016
JQ_PROGRAM='reduce inputs as $e ({};
        ($e.APPLE_SERVICE // "") as $s
        | .[$s] |= (. // {connections: 0, ended: 0, bytes: 0, blocked_packets: 0})
        | if $e.MESSAGE_ID == "fd9fd13f564b4308be583094f3978cff" then .[$s].connections += 1
          elif $e.MESSAGE_ID == "609e0dafbd8641ea883bbaffb24a6aae" then .[$s].ended += 1
                | .[$s].bytes += (($e.SOURCE_BYTES // "0" | tonumber) + ($e.DESTINATION_BYTES // "0" | tonumber))
          else .[$s].blocked_packets += 1 end)'

run_report() {
        "$CTL" report --directory "$DATA_DIR" --by service --json >"$TMP/report.json"
}
run_jq() {
        journalctl --directory "$DATA_DIR" -o json --output-fields=MESSAGE_ID,APPLE_SERVICE,SOURCE_BYTES,DESTINATION_BYTES \
                "${MATCHES[@]}" | jq -n "$JQ_PROGRAM" >"$TMP/jq.json"
}
# seconds COMMAND: wall-clock seconds of one run, on stdout.
seconds() {
        local t0 t1
        t0=$(date +%s.%N)
        "$@"
        t1=$(date +%s.%N)
        python3 -c "print(f'{$t1 - $t0:.3f}')"
}

cat "$DATA_DIR"/*.journal >/dev/null     # both read from the page cache
best_report= best_jq=
for ((i = 1; i <= RUNS; i++)); do
        a=$(seconds run_report)
        b=$(seconds run_jq)
        log "round $i: report ${a}s, journalctl | jq ${b}s"
        best_report=$(python3 -c "print(min(float('$a'), float('${best_report:-inf}')))")
        best_jq=$(python3 -c "print(min(float('$b'), float('${best_jq:-inf}')))")
done

# The same figures, or the comparison means nothing.
python3 - "$TMP/report.json" "$TMP/jq.json" <<'PYTHON'
import json, sys
report = json.load(open(sys.argv[1]))
jq = json.load(open(sys.argv[2]))
got = {g["service"] or "": {k: g[k] for k in ("connections", "ended", "bytes", "blocked_packets")}
       for g in report["groups"]}
if got != jq:
    sys.exit(f"report-bench: the figures differ:\nreport {got}\njq     {jq}")
n = sum(g["connections"] + g["ended"] + g["blocked_packets"] for g in got.values())
print(f"report-bench: same figures both ways: {len(got)} services, {n} entries counted", file=sys.stderr)
PYTHON

entries=$(python3 -c "import json; print(json.load(open('$TMP/report.json'))['entries'])")
python3 -c "print(f'entries=$entries report_s=$best_report jq_s=$best_jq ratio={$best_jq / $best_report:.1f}')"
echo "report: $CTL report --directory $DATA_DIR --by service --json"
echo "jq:     journalctl --directory $DATA_DIR -o json --output-fields=MESSAGE_ID,APPLE_SERVICE,SOURCE_BYTES,DESTINATION_BYTES ${MATCHES[*]} | jq -n '<bench/report.sh JQ_PROGRAM>'"
