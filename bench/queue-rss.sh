#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Resident memory of appleflowd and its queue to the journal writer: the
# end-to-end harness (tests/e2e/lib.sh: private journald, router namespace)
# runs appleflowd with journal output, sends FLOWS new UDP flows to Apple's
# addresses (every one tagged and written) at RATE a second, waits until the
# journal accounts for every one, and prints VmRSS and VmHWM of the daemon
# before and after.
#
#   bench/queue-rss.sh [BUILD_DIR]          (as root; FLOWS, RATE, QUEUE_SIZE from the environment)
#
# FLOWS       flows (default 40000: the default queue goes round more than once)
# RATE        flows per second (default 4000)
# QUEUE_SIZE  [output] queue_size for appleflowd (default: none, the built-in default)
set -euo pipefail

if [[ -z ${E2E_INSIDE:-} ]]; then
        build=$(realpath "${1:-build}")
        export E2E_FLOWGEN=$build/tests/e2e/flowgen
        set -- "$build/src/appleflowd" "$build/src/ctl/appleflowctl"
fi
source "$(dirname "$0")/../tests/e2e/lib.sh"
e2e_begin "$@"

flows=${FLOWS:-40000}
rate=${RATE:-4000}
conf=()
[[ -n ${QUEUE_SIZE:-} ]] && conf=('[output]' "queue_size = $QUEUE_SIZE")

rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$E2E_DAEMON_PID/status"; }

e2e_fault_setup "${conf[@]}"
start=$(rss VmRSS)
e2e_load_start "$flows" "$rate"
e2e_load_wait 600
created=$(e2e_flows_created)
e2e_invariant "$created"
e2e_stats
printf 'queue_size=%s flows=%s written=%s dropped=%s\n' "${QUEUE_SIZE:-default}" "$created" \
        "$S_WRITTEN" "$S_DROPPED"
printf 'VmRSS at start: %s KiB; after: %s KiB; VmHWM: %s KiB\n' "$start" "$(rss VmRSS)" "$(rss VmHWM)"
e2e_daemon_stop 10
e2e_pass
