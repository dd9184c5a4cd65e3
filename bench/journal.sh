#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# appleflowd with the journal on, against journald's own ceiling, in one run:
# a private journald (bench/lib.sh), then per round
#   1. bench/journal-sender pushes ENTRIES entries shaped like appleflowd's
#      with plain sd_journal_send(): the most journald takes here;
#   2. the same while bench/flowgen sends FLOWS flows, nobody listening: the
#      ceiling when the generator takes its share of the two cores, as it
#      does in 3;
#   3. appleflowd (--output journal, log_connection_end = no: one entry per
#      flow) while bench/flowgen sends FLOWS flows to Apple's addresses (all
#      tagged high, all to be written) as fast as it goes.
# For appleflowd: entries written per second (its counter, sampled every
# 0.2 s, over the time it was writing), and the account of every flow:
#   flows = NEW seen + NEW lost in the kernel
#   NEW seen = connection entries in the journal + dropped (ring full)
#              + journal errors
# with the kernel's own count of the messages it dropped on the daemon's
# socket (/proc/net/netlink) beside the daemon's.
#
#   bench/journal.sh [BUILD_DIR]       (as root)
#
# FLOWS (default 500000), ENTRIES (default 500000), RUNS (default 3)

source "$(dirname "$0")/lib.sh"
bench_begin "$@"

flows=${FLOWS:-500000}
entries=${ENTRIES:-500000}
runs=${RUNS:-3}

bench_journald_start

# bench_sample_written FILE: "seconds written dropped" every 0.2 s, until killed.
sample_written() {
        local t0=$EPOCHREALTIME
        while :; do
                bench_stats_get "'%s %d %d' % ($EPOCHREALTIME - $t0, dd['entries_written'], dd['entries_dropped'])" \
                        2>/dev/null || true
                sleep 0.2
        done >"$1"
}

journal_count() {
        journalctl --no-pager -q -o cat "$@" | wc -l
}

rate_of() { sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$1"; }

for ((run = 1; run <= runs; run++)); do
        # 1. The ceiling.
        jd0=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        sender=$(in_src "$BENCH_BUILD/bench/journal-sender" --count "$entries")
        jd1=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        sender_rate=$(rate_of "$sender")
        sender_secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$sender")

        # 2. The ceiling beside the generator.
        bench_flowgen --count "$flows" --family 46 --tcp-every 10 --dst4 17.128.0.0 --dst6 2620:149:ff00:: \
                >"$BENCH_TMP/flowgen.beside" &
        beside=$!
        loaded=$(in_src "$BENCH_BUILD/bench/journal-sender" --count "$entries")
        wait "$beside" || true
        loaded_rate=$(rate_of "$loaded")
        bench_wait_ct_empty 120

        # 3. appleflowd, into journal files of its own: the older ones go
        # now, so that nothing it writes is vacuumed before it is counted.
        journalctl --rotate >/dev/null 2>&1
        journalctl --vacuum-files=1 >/dev/null 2>&1
        BENCH_CONFIG=$'[tagging]\nlog_connection_end = no' bench_appleflowd_start -- --output journal
        pid=$BENCH_DAEMON_PID
        cpu0=$(bench_cpu_ticks "$pid")
        jd2=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        sample_written "$BENCH_TMP/samples.$run" &
        sampler=$!
        gen=$(bench_flowgen --count "$flows" --family 46 --tcp-every 10 --dst4 17.128.0.0 --dst6 2620:149:ff00:: || true)
        bench_wait_ct_empty 120
        bench_wait_quiet "$pid" 60
        sleep 1
        kill "$sampler"
        wait "$sampler" 2>/dev/null || true
        cpu1=$(bench_cpu_ticks "$pid")
        jd3=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        kdrops=$(bench_netlink_drops "$pid")
        peak=$(bench_peak_rss_kib "$pid")
        stats=$(bench_stats_get new 'dd["entries_written"]' 'dd["entries_dropped"]' 'dd["journal_errors"]' \
                'dd["events_lost"]["conntrack"]' 'dd["events_received"]["conntrack"]')
        bench_appleflowd_stop || bench_log "appleflowd exited with status $?"
        in_journal=$(journal_count _PID="$pid" EVENT_ACTION=connection-new)
        not_written=$(journal_count _PID="$pid" MESSAGE_ID=$(sed -n \
                's/^#define MESSAGE_ID_NOT_WRITTEN_STR "\([0-9a-f]*\)"$/\1/p' "$BENCH_TOPDIR/src/message-id.h"))

        python3 - "$run" "$sender_rate" "$loaded_rate" "$(rate_of "$(cat "$BENCH_TMP/flowgen.beside")")" "$sender_secs" "$((jd1 - jd0))" "$((jd3 - jd2))" "$((cpu1 - cpu0))" \
                "$BENCH_HZ" "$gen" "$in_journal" "$not_written" "$kdrops" "$peak" "$BENCH_TMP/samples.$run" \
                $stats <<-'EOF'
	import re, sys
	(run, sender_rate, loaded_rate, loaded_gen, sender_secs, jd_sender, jd_daemon, cpu, hz, gen, in_journal, not_written, kdrops, peak,
	 samples, new, written, dropped, errors, enobufs, events) = sys.argv[1:]
	hz = int(hz)
	flows = int(re.search(r"flows=(\d+)", gen).group(1)) - int(re.search(r"failed=(\d+)", gen).group(1))
	gen_rate = float(re.search(r"rate=(\d+)", gen).group(1))
	new, written, dropped, errors, in_journal = int(new), int(written), int(dropped), int(errors), int(in_journal)
	pts = [tuple(float(x) for x in l.split()) for l in open(samples) if len(l.split()) == 3]
	# Writing: from the first sample with a new entry written to the last.
	start = next(i for i in range(1, len(pts)) if pts[i][1] > pts[0][1])
	end = max(i for i in range(len(pts)) if pts[i][1] > pts[i - 1][1])
	t0, w0 = pts[start - 1][0], pts[start - 1][1]
	rate = (pts[end][1] - w0) / (pts[end][0] - t0)
	peak_rate = max((pts[j][1] - pts[i][1]) / (pts[j][0] - pts[i][0])
	                for i in range(len(pts)) for j in range(i + 1, len(pts)) if pts[j][0] - pts[i][0] >= 1.0)
	lost_new = flows - new
	sender_rate, loaded_rate = int(sender_rate), int(loaded_rate)
	print(f"round {run}: journal-sender alone {sender_rate} entries/s (journald"
	      f" {int(jd_sender) / hz / float(sender_secs) * 100:.0f}% CPU); beside flowgen ({loaded_gen} flows/s)"
	      f" {loaded_rate} entries/s")
	print(f"       appleflowd {rate:.0f} entries/s (best 1 s: {peak_rate:.0f}) with flowgen at {gen_rate:.0f} flows/s:"
	      f" {rate / loaded_rate:.2f} of the ceiling beside flowgen, {rate / sender_rate:.2f} of it alone;"
	      f" appleflowd {int(cpu) / hz / (pts[end][0] - t0) * 100:.0f}% CPU, peak RSS {int(peak) / 1024:.0f} MiB")
	print(f"       flows {flows} = NEW seen {new} + NEW lost in the kernel {lost_new}"
	      f"  (kernel dropped {kdrops} messages, NEW and DESTROY; daemon counted {enobufs} ENOBUFS)")
	ok = new == in_journal + dropped + errors
	print(f"       NEW seen {new} {'=' if ok else '!='} in the journal {in_journal} + dropped {dropped}"
	      f" + journal errors {errors}   ({not_written} 'not written' entries; entries written"
	      f" incl. the daemon's own: {written})")
	EOF
done
