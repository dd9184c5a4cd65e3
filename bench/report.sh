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
# RUNS (3) rounds, each timing report, then `journalctl -o json | jq`, then
# the same with --output-fields; the best of each is kept.
# Prints the best round of each, wall clock and CPU (user + system, every
# process), their ratios, and the command lines.
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

# seconds COMMAND...: "WALL CPU" of one run, CPU being user + system time of
# every process of it (journalctl and jq both, for the pipeline).
seconds() {
        python3 - "$@" <<-'PYTHON'
	import resource, subprocess, sys, time
	r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
	t0 = time.monotonic()
	subprocess.run(sys.argv[1:], check=True)
	t = time.monotonic() - t0
	r = resource.getrusage(resource.RUSAGE_CHILDREN)
	print(f"{t:.3f} {r.ru_utime - r0.ru_utime + r.ru_stime - r0.ru_stime:.3f}")
	PYTHON
}
export DATA_DIR CTL JQ_PROGRAM TMP
export MATCH_ARGS="${MATCHES[*]}"
REPORT_CMD='"$CTL" report --directory "$DATA_DIR" --by service --json >"$TMP/report.json"'
# As the operator writes it, and with journalctl told to print only the
# fields jq needs (--output-fields), which makes it several times faster.
# shellcheck disable=SC2016
JQ_CMD='journalctl --directory "$DATA_DIR" -o json $MATCH_ARGS | jq -n "$JQ_PROGRAM" >"$TMP/jq.json"'
# shellcheck disable=SC2016
JQ_FIELDS_CMD='journalctl --directory "$DATA_DIR" -o json --output-fields=MESSAGE_ID,APPLE_SERVICE,SOURCE_BYTES,DESTINATION_BYTES $MATCH_ARGS | jq -n "$JQ_PROGRAM" >"$TMP/jq-fields.json"'

cat "$DATA_DIR"/*.journal >/dev/null     # all read from the page cache
rounds=()
for ((i = 1; i <= RUNS; i++)); do
        read -r a_wall a_cpu < <(seconds bash -c "$REPORT_CMD")
        read -r b_wall b_cpu < <(seconds bash -c "$JQ_CMD")
        read -r c_wall c_cpu < <(seconds bash -c "$JQ_FIELDS_CMD")
        log "round $i: report ${a_wall}s (CPU ${a_cpu}s), journalctl | jq ${b_wall}s (CPU ${b_cpu}s)," \
                "journalctl --output-fields | jq ${c_wall}s (CPU ${c_cpu}s)"
        rounds+=("$a_wall $a_cpu $b_wall $b_cpu $c_wall $c_cpu")
done

# The same figures, or the comparison means nothing.
python3 - "$TMP/report.json" "$TMP/jq.json" "$TMP/jq-fields.json" <<'PYTHON'
import json, sys
report = json.load(open(sys.argv[1]))
got = {g["service"] or "": {k: g[k] for k in ("connections", "ended", "bytes", "blocked_packets")}
       for g in report["groups"]}
for path in sys.argv[2:]:
    jq = json.load(open(path))
    if got != jq:
        sys.exit(f"report-bench: the figures differ:\nreport {got}\n{path} {jq}")
n = sum(g["connections"] + g["ended"] + g["blocked_packets"] for g in got.values())
print(f"report-bench: same figures both ways: {len(got)} services, {n} entries counted", file=sys.stderr)
PYTHON

# The best round of each, wall clock and CPU, and the ratios.
python3 - "$TMP/report.json" "${rounds[@]}" <<'PYTHON'
import json, sys
entries = json.load(open(sys.argv[1]))["entries"]
rounds = [list(map(float, r.split())) for r in sys.argv[2:]]
aw, ac, bw, bc, cw, cc = (min(r[i] for r in rounds) for i in range(6))
print(f"entries={entries} rounds={len(rounds)} report_s={aw:.3f} report_cpu_s={ac:.3f}")
print(f"jq_s={bw:.3f} jq_cpu_s={bc:.3f} ratio={bw / aw:.1f} cpu_ratio={bc / ac:.1f}")
print(f"jq_fields_s={cw:.3f} jq_fields_cpu_s={cc:.3f} ratio={cw / aw:.1f} cpu_ratio={cc / ac:.1f}")
PYTHON
echo "report:    $CTL report --directory $DATA_DIR --by service --json"
echo "jq:        journalctl --directory $DATA_DIR -o json ${MATCHES[*]} | jq -n '<JQ_PROGRAM of bench/report.sh>'"
echo "jq_fields: journalctl --directory $DATA_DIR -o json --output-fields=MESSAGE_ID,APPLE_SERVICE,SOURCE_BYTES,DESTINATION_BYTES ${MATCHES[*]} | jq -n '<JQ_PROGRAM>'"
