#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# appleflowd with the journal on, against journald's own ceiling for the same
# entries under the same conditions, in one run: a private journald
# (bench/lib.sh), appleflowd with --output journal, log_connection_end = no
# (one entry per flow) and a queue of QUEUE_SIZE (so that it holds what
# journald has not yet taken), bench/flowgen sending FLOWS flows to Apple's
# addresses (each tagged high, each to be written). Per round:
#
#   A. under load: appleflowd writes while flowgen runs; its rate over
#      flowgen's run;
#   B. alone: journald is stopped (SIGSTOP) while flowgen runs and the
#      kernel's table empties, so that every entry waits in the queue; then
#      journald goes on (SIGCONT) and appleflowd writes them all, nothing
#      else running; its rate over that;
#   C. the entries appleflowd wrote in B, exported (journalctl -o export) and
#      sent again by bench/journal-sender --replay with plain
#      sd_journal_sendv() into a fresh journal file: journald's ceiling for
#      exactly these entries, nothing else running;
#   D. the same while flowgen sends flows (to addresses outside Apple's, so
#      that nothing is written) and appleflowd reads and tags their events:
#      the ceiling under the load of A, without appleflowd's writer.
#
# A is set against D, B against C. In A and B, what appleflowd's writer
# thread was doing, sampled every 5 ms: waiting for journald to take more
# (unix_wait_for_peer: journald's queue is full, journald is the limit),
# running or runnable, or waiting for entries; and its CPU time per entry,
# set against journal-sender's. One sampler does it all, in every phase
# (in C and D on an idle or reading appleflowd), so that it costs each alike.
# The account of every flow, in A and B:
#   flows = NEW seen + NEW lost in the kernel
#   NEW seen = connection entries in the journal + dropped (queue full)
#              + journal errors
# with the kernel's own count of the messages it dropped on the daemon's
# socket (/proc/net/netlink) beside the daemon's.
#
#   bench/journal.sh [BUILD_DIR]       (as root)
#
# FLOWS (default 500000), RUNS (default 3), QUEUE_SIZE (default 512M)

source "$(dirname "$0")/lib.sh"
bench_begin "$@"

flows=${FLOWS:-500000}
runs=${RUNS:-3}
queue_size=${QUEUE_SIZE:-512M}
config=$'[tagging]\nlog_connection_end = no\nlog_min_confidence = high\n[output]\nqueue_size = '$queue_size

bench_journald_start

# sample PID NAME: until killed. Every 5 ms the state of PID's thread named
# "writer" into states.NAME ("time code wchan"; code J waiting for journald,
# R running or runnable, I anything else); every 0.2 s the daemon's
# entries_written (control socket) and the writer thread's CPU ticks into
# written.NAME ("time written ticks").
sample() {
        python3 - "$1" "$BENCH_TMP/control" "$BENCH_TMP/states.$2" "$BENCH_TMP/written.$2" <<-'EOF'
	import json, os, signal, socket, sys, time
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))     # flushes the files
	pid, control, states_path, written_path = sys.argv[1:]
	tid = next(t for t in os.listdir(f"/proc/{pid}/task")
	           if open(f"/proc/{pid}/task/{t}/comm").read().strip() == "writer")
	base = f"/proc/{pid}/task/{tid}/"
	states, written = open(states_path, "w"), open(written_path, "w")
	def entries_written():
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.connect(control)
	    s.sendall(b'{"command":"stats"}\n')
	    reply = b""
	    while chunk := s.recv(65536):
	        reply += chunk
	    s.close()
	    return json.loads(reply)["daemon"]["entries_written"]
	next_stats = 0.0
	while True:
	    try:
	        stat = open(base + "stat").read().rsplit(")", 1)[1].split()
	        wchan = open(base + "wchan").read()
	    except OSError:
	        break
	    now = time.time()
	    code = "R" if stat[0] == "R" else "J" if wchan == "unix_wait_for_peer" else "I"
	    print(f"{now:.4f} {code} {wchan}", file=states)
	    if now >= next_stats:
	        try:
	            print(f"{now:.4f} {entries_written()} {int(stat[11]) + int(stat[12])}", file=written, flush=True)
	        except (OSError, ValueError):
	            pass
	        next_stats = now + 0.2
	    time.sleep(0.005)
	EOF
}

sample_start() {
        sample "$1" "$2" &
        sampler=$!
}

sample_stop() {
        kill "$sampler"
        wait "$sampler" 2>/dev/null || true
}

journal_count() {
        journalctl --no-pager -q -o cat "$@" | wc -l
}

# A fresh journal file: what is counted or replayed next is not in one that
# already holds the same field values.
journal_fresh() {
        journalctl --rotate >/dev/null 2>&1
        journalctl --vacuum-files=1 >/dev/null 2>&1
}

flowgen_apple() {
        bench_flowgen --count "$flows" --family 46 --tcp-every 10 --dst4 17.128.0.0 --dst6 2620:149:ff00:: || true
}

not_written_id=$(sed -n 's/^#define MESSAGE_ID_NOT_WRITTEN_STR "\([0-9a-f]*\)"$/\1/p' "$BENCH_TOPDIR/src/output/message-id.h")

# account NAME GEN: after a daemon's run, before it stops: "flows seen written
# dropped errors lost in_journal not_written kdrops" into account.NAME.
account() {
        local pid=$BENCH_DAEMON_PID gen=$2 stats kdrops
        kdrops=$(bench_netlink_drops "$pid")
        stats=$(bench_stats_get new 'dd["entries_written"]' 'dd["entries_dropped"]' 'dd["journal_errors"]' \
                'dd["events_lost"]["conntrack"]')
        bench_appleflowd_stop || bench_log "appleflowd exited with status $?"
        echo "$(sed -n 's/.*flows=\([0-9]*\).*failed=\([0-9]*\).*/\1 \2/p' <<<"$gen")" $stats \
                "$(journal_count _PID="$pid" EVENT_ACTION=connection-new)" \
                "$(journal_count _PID="$pid" MESSAGE_ID="$not_written_id")" "$kdrops" >"$BENCH_TMP/account.$1"
}

for ((run = 1; run <= runs; run++)); do
        # A. Under load.
        journal_fresh
        BENCH_CONFIG=$config bench_appleflowd_start -- --output journal
        sample_start "$BENCH_DAEMON_PID" A
        gen_start=$EPOCHREALTIME
        gen_a=$(flowgen_apple)
        gen_end=$EPOCHREALTIME
        bench_wait_ct_empty 120
        bench_wait_quiet "$BENCH_DAEMON_PID" 120
        sample_stop
        account A "$gen_a"

        # B. Alone: everything queued while journald is stopped, then written.
        journal_fresh
        BENCH_CONFIG=$config bench_appleflowd_start -- --output journal
        pid_b=$BENCH_DAEMON_PID
        kill -STOP "$BENCH_JOURNALD_PID"
        gen_b=$(flowgen_apple)
        bench_wait_ct_empty 120
        bench_wait_quiet "$pid_b" 60
        sample_start "$pid_b" B
        sleep 0.5
        jd0=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        cont=$EPOCHREALTIME
        kill -CONT "$BENCH_JOURNALD_PID"
        bench_wait_quiet "$pid_b" 120
        jd1=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        done_b=$EPOCHREALTIME
        sample_stop
        account B "$gen_b"
        journalctl --no-pager -q -o export _PID="$pid_b" EVENT_ACTION=connection-new >"$BENCH_TMP/entries.export"

        # C. The same entries again, nothing else running (appleflowd idle, sampled).
        journal_fresh
        BENCH_CONFIG=$config bench_appleflowd_start -- --output journal
        sample_start "$BENCH_DAEMON_PID" C
        jd2=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        alone=$(in_src "$BENCH_BUILD/bench/journal-sender" --replay "$BENCH_TMP/entries.export")
        jd3=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        sample_stop
        bench_appleflowd_stop || bench_log "appleflowd exited with status $?"

        # D. Again beside flowgen and appleflowd reading its events; flowgen
        # is given more flows than it can send meanwhile, and stopped after.
        journal_fresh
        BENCH_CONFIG=$config bench_appleflowd_start -- --output journal
        # Not bench_flowgen: $! must be flowgen's own PID (ip execs it).
        ip netns exec "$BENCH_SRC" "$BENCH_BUILD/bench/flowgen" --sport 40000 --count $((flows * 4)) \
                --family 46 --tcp-every 10 --dst4 10.128.0.0 --dst6 fd00:afb:: >"$BENCH_TMP/flowgen.D" &
        beside=$!
        sample_start "$BENCH_DAEMON_PID" D
        sleep 0.5
        jd4=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        loaded=$(in_src "$BENCH_BUILD/bench/journal-sender" --replay "$BENCH_TMP/entries.export")
        jd5=$(bench_cpu_ticks "$BENCH_JOURNALD_PID")
        sample_stop
        kill -INT "$beside" 2>/dev/null || true
        wait "$beside" 2>/dev/null || true
        written_d=$(bench_stats_get 'dd["entries_written"]')
        bench_wait_ct_empty 120
        bench_appleflowd_stop || bench_log "appleflowd exited with status $?"

        python3 - "$run" "$BENCH_HZ" "$BENCH_TMP" "$gen_start" "$gen_end" "$gen_a" "$cont" "$done_b" \
                "$alone" "$loaded" "$(cat "$BENCH_TMP/flowgen.D")" "$written_d" \
                "$((jd1 - jd0))" "$((jd3 - jd2))" "$((jd5 - jd4))" <<-'EOF'
	import re, sys
	from collections import Counter
	(run, hz, tmp, gen_start, gen_end, gen_a, cont, done_b, alone, loaded, gen_d, written_d,
	 jd_b, jd_c, jd_d) = sys.argv[1:]
	hz = int(hz)
	gen_start, gen_end, cont, done_b = float(gen_start), float(gen_end), float(cont), float(done_b)
	num = lambda key, s: float(re.search(key + r"=([0-9.]+)", s).group(1))

	def points(name, lo, hi):
	    pts = [tuple(float(x) for x in l.split()) for l in open(f"{tmp}/written.{name}") if len(l.split()) == 3]
	    return [p for p in pts if lo <= p[0] <= hi]

	def writing(name, lo, hi):
	    """Entries/s, and the writer's CPU us per entry, between the samples
	    in [lo, hi] that saw entries written."""
	    pts = points(name, lo, hi)
	    moving = [i for i in range(1, len(pts)) if pts[i][1] > pts[i - 1][1]]
	    a, b = pts[moving[0] - 1], pts[moving[-1]]
	    n = b[1] - a[1]
	    return n / (b[0] - a[0]), (b[2] - a[2]) / hz / n * 1e6, b[0] - a[0]

	def states(name, lo, hi):
	    s = [l.split() for l in open(f"{tmp}/states.{name}")]
	    s = [x for x in s if len(x) >= 2 and lo <= float(x[0]) <= hi]
	    share = {c: sum(x[1] == c for x in s) / len(s) * 100 for c in "JRI"}
	    other = Counter(x[2] if len(x) > 2 else "?" for x in s if x[1] == "I")
	    return share, ", ".join(f"{k} {v}" for k, v in other.most_common(3)) or "none"

	def account(name):
	    (flows, failed, seen, written, dropped, errors, lost, in_journal, not_written,
	     kdrops) = (int(x) for x in open(f"{tmp}/account.{name}").read().split())
	    flows -= failed
	    ok = seen == in_journal + dropped + errors
	    return (f"flows {flows} = NEW seen {seen} + lost in the kernel {flows - seen} (kernel dropped {kdrops}"
	            f" messages, daemon counted {lost}); NEW seen {seen} {'=' if ok else '!='} in the journal"
	            f" {in_journal} + dropped {dropped} + journal errors {errors} ({not_written} 'not written' entries)")

	rate_a, cpu_a, _ = writing("A", gen_start, gen_end)
	st_a, other_a = states("A", gen_start, gen_end)
	rate_b, cpu_b, secs_b = writing("B", cont, done_b)
	st_b, other_b = states("B", cont, done_b)
	rate_c, rate_d = num("rate", alone), num("rate", loaded)
	cpu_c, cpu_d = num("cpu", alone) / num("entries", alone) * 1e6, num("cpu", loaded) / num("entries", loaded) * 1e6
	pct = lambda ticks, secs: int(ticks) / hz / secs * 100
	print(f"round {run}:")
	print(f"  A under load: appleflowd {rate_a:.0f} entries/s while flowgen sent {num('rate', gen_a):.0f} flows/s;"
	      f" D the same entries replayed beside flowgen ({num('rate', gen_d):.0f} flows/s) and the reader:"
	      f" {rate_d:.0f}/s (journald {pct(jd_d, num('seconds', loaded)):.0f}% CPU): {rate_a / rate_d:.2f} of the ceiling")
	print(f"     writer: waiting for journald {st_a['J']:.0f}%, running {st_a['R']:.0f}%, other {st_a['I']:.0f}% ({other_a});"
	      f" CPU per entry {cpu_a:.1f} us, journal-sender's {cpu_d:.1f} us")
	print(f"  B alone: appleflowd {rate_b:.0f} entries/s over {secs_b:.1f} s (journald {pct(jd_b, secs_b):.0f}% CPU);"
	      f" C the same entries replayed: {rate_c:.0f}/s (journald {pct(jd_c, num('seconds', alone)):.0f}% CPU):"
	      f" {rate_b / rate_c:.2f} of the ceiling")
	print(f"     writer: waiting for journald {st_b['J']:.0f}%, running {st_b['R']:.0f}%, other {st_b['I']:.0f}% ({other_b});"
	      f" CPU per entry {cpu_b:.1f} us, journal-sender's {cpu_c:.1f} us")
	print(f"  replayed {int(num('entries', alone))} and {int(num('entries', loaded))} entries,"
	      f" {int(num('failed', alone))} + {int(num('failed', loaded))} failed; appleflowd in D wrote {written_d} of its own")
	print(f"  A: {account('A')}")
	print(f"  B: {account('B')}")
	EOF
done
