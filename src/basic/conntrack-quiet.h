/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A conntrack input that hears nothing: the kernel sends no event when no
 * firewall rule in the network namespace uses connection tracking (then it
 * tracks nothing there), or when net.netfilter.nf_conntrack_events is 0.
 * The daemon warns at start and after CONNTRACK_QUIET_USEC without an
 * event; appleflowctl stats says the same from the daemon's figures. Here
 * so that both programs give the same advice.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONNTRACK_QUIET_USEC (60ull * 1000000)

struct conntrack_quiet {
        uint64_t events;     /* events received at the last look */
        uint64_t since_usec; /* the last event, or the start */
        bool warned;         /* since the last event */
};

void conntrack_quiet_start(struct conntrack_quiet *q, uint64_t now_usec);

/* At start (events == 0, at_start): a warning when the kernel tracks no
 * connection in the namespace. Then once a tick: a warning when no event
 * came for CONNTRACK_QUIET_USEC. One warning until events come again.
 * table_entries < 0: unknown. Returns true with the sentence in buf. */
bool conntrack_quiet_check(struct conntrack_quiet *q, uint64_t events, int64_t table_entries,
                           bool at_start, uint64_t now_usec, char *buf, size_t size);

/* Seconds without an event (at least 1) once a warning was given; else 0. */
uint64_t conntrack_quiet_seconds(const struct conntrack_quiet *q, uint64_t now_usec);

/* The sentence, for quiet_sec seconds without an event (0: at start). */
void conntrack_quiet_advice(uint64_t quiet_sec, int64_t table_entries, char *buf, size_t size);
