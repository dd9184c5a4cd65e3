#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers of the fault scenarios (tests/e2e/fault-*.sh).

  fault-tools.py journald-hold SOCKET PIDFILE JOURNALD
      What systemd does for journald: binds journald's native socket
      (SOCKET) itself and passes it to JOURNALD (LISTEN_FDS=1), so that the
      socket and the datagrams queued in it outlive a journald that dies.
      Writes the PID of the running journald to PIDFILE. SIGUSR1 starts a new
      journald when none runs; SIGTERM stops journald and the holder.

  fault-tools.py accounting TOPDIR [MATCH...]
      Reads appleflowd's journal entries (journalctl -o json, MATCH in
      journalctl's syntax narrows them, e.g. _PID=123) and prints shell
      assignments: J_NEW, J_END, J_PACKET (flow entries by kind), J_FLOWS
      (their sum), J_DROPPED (the sum of ENTRIES_DROPPED over the "not
      written" entries) and J_DROP_REPORTS (their number), J_LOST (the sum of
      EVENTS_LOST over the "events lost" entries) and J_LOSS_REPORTS, and
      J_FLOWS_AFTER_DROP_REPORT (flow entries after the first "not written"
      entry), J_<NAME> for every other MESSAGE_ID of src/output/message-id.h (J_STARTED,
      J_RELOADED, J_STOPPING ...), J_UNKNOWN for entries with none of them, and
      J_WRONG_SERVICE: connection entries of bench/flowgen's load (to Apple's
      17.128.0.0/16 and 2620:149:ff00::/64, from the kernel's source ports)
      whose service or side is not the one its destination port and transport
      make (FLOWGEN_SERVICES), and J_LOAD_FLOWS, how many were checked.

  fault-tools.py stats
      Reads `appleflowctl stats --json` on stdin and prints the daemon's own
      counters as shell assignments: S_RECEIVED, S_LOST (conntrack),
      S_WRITTEN, S_DROPPED, S_WRITE_ERRORS, S_BELOW_THRESHOLD, S_UNMATCHED,
      S_MALFORMED, S_NFLOG_RECEIVED, S_NFLOG_LOST, and S_CONNECTIONS (the
      connections counted over all services).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys


def journald_hold(sock_path, pidfile, journald):
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    os.chmod(sock_path, 0o666)

    signals = {signal.SIGUSR1, signal.SIGTERM, signal.SIGCHLD, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    child = 0

    def start():
        pid = os.fork()
        if pid == 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
            if s.fileno() == 3:
                os.set_inheritable(3, True)    # dup2 onto itself keeps close-on-exec
            else:
                os.dup2(s.fileno(), 3, inheritable=True)
            env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
            os.execve(journald, [journald], env)
        with open(pidfile + ".tmp", "w") as f:
            f.write(f"{pid}\n")
        os.rename(pidfile + ".tmp", pidfile)
        return pid

    child = start()
    while True:
        sig = signal.sigwait(signals)
        if sig == signal.SIGCHLD:
            while True:
                try:
                    pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if pid == child:
                    child = 0
                    os.unlink(pidfile)
        elif sig == signal.SIGUSR1:
            if not child:
                child = start()
        else:
            if child:
                os.kill(child, signal.SIGTERM)
                os.waitpid(child, 0)
            return


def message_ids(topdir):
    ids = {}
    # The entries' ids, and the daemon's own (the kernel-setting warnings).
    for path in (("src", "output", "message-id.h"), ("src", "daemon.h")):
        with open(os.path.join(topdir, *path)) as f:
            for line in f:
                m = re.match(r'#define MESSAGE_ID_([A-Z_]+)_STR "([0-9a-f]{32})"', line)
                if m:
                    ids[m.group(2)] = m.group(1)
    return ids


# What each of flowgen's default destination ports is on Apple's address:
# the server's port decides, never the client's ephemeral one.
FLOWGEN_SERVICES = {
    ("tcp", "5223"): ("apns", "server"), ("tcp", "443"): ("https", "server"),
    ("tcp", "80"): ("http", "server"), ("tcp", "993"): ("imaps", "server"),
    ("tcp", "16385"): ("apple-other", "none"), ("tcp", "3478"): ("apple-other", "none"),
    ("udp", "16385"): ("facetime-rtp", "server"), ("udp", "3478"): ("facetime-stun", "server"),
    ("udp", "5223"): ("apple-other", "none"), ("udp", "443"): ("apple-other", "none"),
    ("udp", "80"): ("apple-other", "none"), ("udp", "993"): ("apple-other", "none"),
}


def flowgen_load(e):
    ip = e.get("DESTINATION_IP", "")
    return ip.startswith("17.128.") or ip.startswith("2620:149:ff00:")


def accounting(topdir, matches):
    ids = message_ids(topdir)
    counts = {"NEW": 0, "END": 0, "PACKET": 0, "DROPPED": 0, "DROP_REPORTS": 0,
              "LOST": 0, "LOSS_REPORTS": 0, "UNKNOWN": 0, "FLOWS_AFTER_DROP_REPORT": 0,
              "WRONG_SERVICE": 0, "LOAD_FLOWS": 0}
    for name in ids.values():
        counts.setdefault(name, 0)
    out = subprocess.run(
        ["journalctl", "--no-pager", "-q", "--all", "-o", "json",
         "--output-fields=MESSAGE_ID,EVENT_ACTION,ENTRIES_DROPPED,EVENTS_LOST,APPLE_SERVICE,"
         "APPLE_MATCHED_SIDE,DESTINATION_IP,DESTINATION_PORT,NETWORK_TRANSPORT",
         "SYSLOG_IDENTIFIER=appleflowd"] + matches,
        check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        e = json.loads(line)
        action = e.get("EVENT_ACTION")
        if action in ("connection-new", "connection-end", "packet-logged") and counts["DROP_REPORTS"]:
            counts["FLOWS_AFTER_DROP_REPORT"] += 1
        if action in ("connection-new", "connection-end") and flowgen_load(e):
            want = FLOWGEN_SERVICES.get((e.get("NETWORK_TRANSPORT"), e.get("DESTINATION_PORT")))
            got = (e.get("APPLE_SERVICE"), e.get("APPLE_MATCHED_SIDE"))
            counts["LOAD_FLOWS"] += 1
            if got != want:
                if counts["WRONG_SERVICE"] == 0:
                    print(f"fault-tools: {e.get('NETWORK_TRANSPORT')} to {e.get('DESTINATION_IP')} port "
                          f"{e.get('DESTINATION_PORT')}: {got}, expected {want}", file=sys.stderr)
                counts["WRONG_SERVICE"] += 1
        if action == "connection-new":
            counts["NEW"] += 1
        elif action == "connection-end":
            counts["END"] += 1
        elif action == "packet-logged":
            counts["PACKET"] += 1
        elif action == "entries-not-written":
            counts["DROPPED"] += int(e["ENTRIES_DROPPED"])
            counts["DROP_REPORTS"] += 1
        elif action == "events-lost":
            counts["LOST"] += int(e["EVENTS_LOST"])
            counts["LOSS_REPORTS"] += 1
        elif e.get("MESSAGE_ID") in ids:
            counts[ids[e["MESSAGE_ID"]]] += 1
        else:
            counts["UNKNOWN"] += 1
    counts["FLOWS"] = counts["NEW"] + counts["END"] + counts["PACKET"]
    for k, v in sorted(counts.items()):
        print(f"J_{k}={v}")


def stats():
    s = json.load(sys.stdin)
    d = s["daemon"]
    services = s.get("services", [])
    values = {
        "RECEIVED": d["events_received"]["conntrack"],
        "LOST": d["events_lost"]["conntrack"],
        "NFLOG_RECEIVED": d["events_received"]["nflog"],
        "NFLOG_LOST": d["events_lost"]["nflog"],
        "WRITTEN": d["entries_written"],
        "DROPPED": d["entries_dropped"],
        "WRITE_ERRORS": d["write_errors"],
        "BELOW_THRESHOLD": d["below_threshold"],
        "UNMATCHED": d["unmatched_connections"],
        "MALFORMED": d["malformed_packets"],
        "CONNECTIONS": sum(x["connections"] for x in services),
        "TABLE_REFUSED": d["conntrack_table"]["refused"],
        "TABLE_ENTRIES": d["conntrack_table"]["entries"],
        "TABLE_MAX": d["conntrack_table"]["max"],
    }
    for k, v in values.items():
        print(f"S_{k}={v}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "journald-hold" and len(args) == 3:
        journald_hold(*args)
    elif cmd == "accounting" and args:
        accounting(args[0], args[1:])
    elif cmd == "stats" and not args:
        stats()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
