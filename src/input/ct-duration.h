/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * How long a connection lasted, as opposed to how long its conntrack entry
 * lived. The kernel keeps an entry for the timeout of its state after the
 * last packet (TCP's TIME_WAIT: 120 s; UDP: 30 s, 120 s once assured), so
 * stop - start of a DESTROY event is the entry's lifetime, timeouts
 * included. When an entry expires, the kernel sets its stop time to the
 * moment of expiry (nf_ct_delete(): stop minus the time since the timeout
 * ran out), and every packet refreshes the timeout with the value for the
 * state it left the connection in; so
 *
 *     last packet = stop - timeout(state at destroy)
 *     duration    = last packet - start
 *
 * exact to a jiffy (1/CONFIG_HZ) when the entry expired with the
 * namespace's sysctl timeouts (a lifetime up to 10 ms short of the timeout
 * is taken as an expiry: a connection of one packet lasted 0 s). It cannot
 * be derived, and no duration is given, when the entry's lifetime is shorter than that timeout (it was
 * removed before expiring: conntrack -D, a new SYN on a TIME_WAIT tuple, an
 * early drop in a full table) or when the state's timeout is ambiguous
 * (ESTABLISHED and the others above the retransmission and unacknowledged
 * timeouts, which the kernel applies instead in conditions the event does
 * not show). An entry removed by hand after its timeout would have run out
 * cannot be told apart, and neither can timeouts set per rule (nft
 * "ct timeout"): for those the figure is wrong, and documented so.
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "tcp-state.h"

struct ct_timeouts {
        uint32_t tcp[_TCP_STATE_MAX]; /* seconds per TCP state; 0: unknown */
        uint32_t tcp_retrans, tcp_unack;
        uint32_t udp, udp_stream;
};

/* Reads the namespace's timeouts from dir (SYSCTL_NETFILTER_DIR, another
 * directory in tests). A setting that cannot be read stays 0, and
 * durations that need it are not derived. Returns the number of settings
 * read. */
int ct_timeouts_read(struct ct_timeouts *t, const char *dir);

/* For a connection end with timestamps and status: sets *ret to the
 * connection's duration in nanoseconds and returns true, or returns false
 * when it cannot be derived (see above). */
bool ct_duration(const struct ct_timeouts *t, const struct flow *f, uint64_t *ret);
