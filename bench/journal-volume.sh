#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What appleflowd's entries cost on disk, in journald and in the collector's
# journal-remote files: bytes per entry, for docs/fleet.md. On the end-to-end
# harness (tests/e2e/lib.sh: real traffic through the NAT router, a private
# journald), once per journald Compress= setting (no; yes, journald's default,
# which compresses only values of 512 bytes and more; 64):
#
#   bench/flowgen sends FLOWS new flows to Apple's addresses (every one tagged
#   high and written); the router's conntrack table is then flushed, so each
#   flow has its connection and its connection-end entry, as in a day's
#   traffic. Bytes per entry: what journald's files grew by (the used part of
#   each file, read from its header: journald allocates in 8 MiB steps),
#   over appleflowd's entries.
#
# Then, from the last run, the same entries exported (journalctl -o export)
# into a file of systemd-journal-remote, as a collector stores them, and that
# file gzip'ed (as at rest on a compressing file system, or in a backup).
#
# Each flow goes to a new address and port, so every address, port, conntrack
# id and MESSAGE is new: real traffic repeats addresses, and journald stores a
# repeated value once, so this is the upper end.
#
#   sudo FLOWS=20000 RATE=2000 bench/journal-volume.sh build/src/appleflowd build/src/ctl/appleflowctl
#
# (E2E_FLOWGEN defaults to build/bench/flowgen.)

E2E_FLOWGEN=${E2E_FLOWGEN:-$(dirname "$0")/../build/bench/flowgen}
E2E_FLOWGEN=$(realpath "$E2E_FLOWGEN")
export E2E_FLOWGEN
source "$(dirname "$0")/../tests/e2e/lib.sh"
FLOWS=${FLOWS:-20000}
RATE=${RATE:-2000}
JOURNAL_REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
E2E_TIMEOUT=120
e2e_begin "$@"

# used FILE...: bytes in use in journal files: the tail object's offset plus
# its size, from the header (journal-file.h: tail_object_offset at 136).
used() {
        "$E2E_PYTHON" - "$@" <<-'PY'
	import struct, sys
	total = 0
	for path in sys.argv[1:]:
	    with open(path, "rb") as f:
	        head = f.read(160)
	        tail, = struct.unpack_from("<Q", head, 136)
	        f.seek(tail + 8)
	        size, = struct.unpack("<Q", f.read(8))
	        total += tail + (size + 7) // 8 * 8
	print(total)
	PY
}

journal_used() {
        used /run/log/journal/*/*.journal
}

# journald_fresh SETTING: journald again, with Compress=SETTING and an empty
# journal (its configuration file is bound over journald.conf: rewritten in
# place).
journald_fresh() {
        kill -TERM "$E2E_JOURNALD_PID"
        wait "$E2E_JOURNALD_PID" 2>/dev/null || true
        rm -rf /run/log/journal/* /run/systemd/journal/*
        grep -v '^Compress=' "$E2E_TMP/journald.conf" >"$E2E_TMP/journald.conf.new"
        echo "Compress=$1" >>"$E2E_TMP/journald.conf.new"
        cat "$E2E_TMP/journald.conf.new" >"$E2E_TMP/journald.conf"
        e2e_journald_run
}

e2e_flows_setup
printf '%-22s %8s %12s %10s\n' "journald Compress=" entries "bytes used" "B/entry" >"$E2E_TMP/table"
for compress in no yes 64; do
        journald_fresh "$compress"
        before=$(journal_used)
        e2e_daemon_start
        e2e_load_start "$FLOWS" "$RATE"
        e2e_load_wait 300
        e2e_expect "$FLOWS" EVENT_ACTION=connection-new
        flows=$FLOWS
        in_rtr conntrack -F >/dev/null 2>&1
        e2e_expect "$flows" EVENT_ACTION=connection-end
        e2e_daemon_stop 30
        in_rtr nft reset counters table inet afe2e_flows >/dev/null
        in_rtr conntrack -F >/dev/null 2>&1
        entries=$(e2e_entries | wc -l)
        after=$(journal_used)
        printf '%-22s %8d %12d %10.0f\n' "$compress" "$entries" $((after - before)) \
                "$(awk "BEGIN { print ($after - $before) / $entries }")" >>"$E2E_TMP/table"
done

# The collector's file, and that file compressed, for the same entries:
# marginal bytes per entry between half of them and all of them, so that
# the file's fixed part (header, hash tables) does not count.
e2e_entries >/dev/null
journalctl --no-pager -q -o export SYSLOG_IDENTIFIER=appleflowd >"$E2E_TMP/all.export"
n=$(e2e_entries | wc -l)
half=$((n / 2))
"$E2E_PYTHON" - "$E2E_TMP/all.export" "$E2E_TMP/half.export" "$half" <<-'PY'
	import sys
	data = open(sys.argv[1], "rb").read().split(b"\n\n")
	open(sys.argv[2], "wb").write(b"\n\n".join(data[:int(sys.argv[3])]) + b"\n\n")
	PY
for part in half all; do
        "$JOURNAL_REMOTE" --output="$E2E_TMP/$part.journal" - <"$E2E_TMP/$part.export" 2>/dev/null
        eval "remote_$part=\$(used \"\$E2E_TMP/$part.journal\")"
        eval "gz_$part=\$(gzip -6 -c \"\$E2E_TMP/$part.journal\" | wc -c)"
        eval "export_$part=\$(wc -c <\"\$E2E_TMP/$part.export\")"
done
per() { awk "BEGIN { print ($1 - $2) / ($n - $half) }"; }
cat "$E2E_TMP/table"
printf '%-40s %10.0f\n' "journal-remote file (collector)" "$(per "$remote_all" "$remote_half")"
printf '%-40s %10.0f\n' "  the same, gzip -6" "$(per "$gz_all" "$gz_half")"
printf '%-40s %10.0f\n' "journalctl -o export (on the wire)" "$(per "$export_all" "$export_half")"
e2e_pass
