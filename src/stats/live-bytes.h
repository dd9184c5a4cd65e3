/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Bytes of connections while they are open. The kernel gives a connection's
 * counters in its DESTROY event and in a dump of its table, never in
 * between (UPDATE events carry no counters and come only when the state
 * changes). So the daemon reads the table every live_bytes_interval and
 * counts, per tagged connection, what is new since it last counted it; the
 * end counts the rest. This table remembers what was counted, so no byte
 * counts twice:
 *
 *  - NEW of a tagged connection: followed, nothing counted yet.
 *  - Read from the table: a followed connection counts its growth. One not
 *    followed counts nothing: if it began after the events were subscribed
 *    (its start timestamp), its NEW is on its way or it was not tagged; if
 *    it began before, it is followed from now on, its bytes so far left
 *    uncounted (a previous run counted them, or they predate appleflowd).
 *  - DESTROY: the rest, and the connection is forgotten. One never followed
 *    counts all its bytes, as before live reads existed.
 *
 * A connection missing from the last two complete reads (and from any
 * incomplete one between them), whose DESTROY never came (an event lost),
 * is forgotten ("stale"). Fixed memory: at most
 * max connections are followed; those beyond it count at their end only
 * ("untracked"). Keyed by the conntrack id, checked against the tuple.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "macro.h"

struct live_bytes_stats {
        uint64_t open;      /* followed now */
        uint64_t capacity;  /* at most */
        uint64_t untracked; /* connections not followed: the table was full */
        uint64_t stale;     /* forgotten: missing from two reads, no DESTROY seen */
        uint64_t reads;     /* complete reads of the kernel's table */
        uint64_t reads_incomplete;
        uint64_t read_entries; /* entries in the last complete read */
};

struct live_bytes;

/* subscribed_ns: CLOCK_REALTIME when the conntrack events were subscribed,
 * the clock of the kernel's start timestamps. */
int live_bytes_new(struct live_bytes **ret, size_t max, uint64_t subscribed_ns);
struct live_bytes *live_bytes_free(struct live_bytes *lb);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct live_bytes *, live_bytes_free);

/* A tagged connection's NEW. */
void live_bytes_open(struct live_bytes *lb, const struct flow *f);

enum live_bytes_read {
        LIVE_BYTES_SKIP,  /* not followed: nothing to count */
        LIVE_BYTES_COUNT, /* followed: *bytes and *packets are new */
        LIVE_BYTES_OLDER, /* not followed, older than the subscription: live_bytes_adopt() it if it tags */
};

/* One connection of a read of the table (FLOW_CONNECTION_OPEN, with
 * counters): what to count now, both directions. */
enum live_bytes_read live_bytes_read(struct live_bytes *lb, const struct flow *f, uint64_t *bytes,
                                     uint64_t *packets);
/* Follows a connection older than the subscription from its counters now. */
void live_bytes_adopt(struct live_bytes *lb, const struct flow *f);

/* A connection's DESTROY with counters: what is left to count. Forgets it. */
void live_bytes_end(struct live_bytes *lb, const struct flow *f, uint64_t *bytes, uint64_t *packets);

/* Around each read of the table; complete: the read ran to its end,
 * uninterrupted, so what it did not list is gone. */
void live_bytes_read_begin(struct live_bytes *lb);
void live_bytes_read_end(struct live_bytes *lb, bool complete, uint64_t entries);

void live_bytes_get_stats(const struct live_bytes *lb, struct live_bytes_stats *ret);
