/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The reader's side of the journal: every entry goes into the ring or is
 * counted. An entry is formatted in place in the ring, in a reservation of
 * the largest size (ENTRY_SIZE_MAX), and committed packed (entry_pack), so it
 * takes only the bytes it uses. Connections and packets (the bulk) may fill
 * the ring only up to a reserve of some kilobytes, kept for the daemon's own
 * entries (loss reports, reload and stop messages, summaries), so that those
 * get through while the bulk is being dropped. An entry that does not fit is dropped and counted,
 * and the count goes to the writer through the ring (ring_count_drop): the
 * writer reports the exact number in a "not written" entry of its own.
 * Single-threaded: the netlink reader's thread only.
 */

#include <stdint.h>

#include "entry.h"
#include "macro.h"
#include "ring.h"
#include "writer.h"

/* Bytes the bulk leaves free: at most this many, at most a quarter of the
 * ring. 64 KiB hold dozens of the daemon's own entries (a few hundred bytes
 * each) or, at worst, several of the largest with the padding of a wrap. */
#define QUEUE_RESERVE_MAX (64u * 1024)

struct queue_stats {
        uint64_t submitted; /* entries offered, all kinds */
        uint64_t queued;    /* put into the ring */
        uint64_t dropped;   /* ring full (for the bulk: down to the reserve) */
        uint64_t invalid;   /* could not be formatted (bad input) */
        uint64_t deferred;  /* loss reports that waited for room (not in submitted) */
        uint64_t submitted_kind[_ENTRY_KIND_MAX];
        uint64_t dropped_kind[_ENTRY_KIND_MAX];
        struct writer_stats writer; /* written, journal errors, discarded */
};

struct queue;

/* ring and writer must outlive the queue; writer may be NULL (nobody to wake). */
int queue_new(struct queue **ret, struct ring *ring, struct writer *writer);
struct queue *queue_free(struct queue *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct queue *, queue_free);

size_t queue_reserve(const struct queue *q);

/* Both return 0 when queued, -ENOBUFS when dropped (counted), or the
 * formatting error (counted as invalid). */
int queue_submit_flow(struct queue *q, const struct flow *f, const struct tag *t,
                      const struct catalog *c);
/* A prepared entry (entry_format_message + entry_add_field), copied in
 * packed. */
int queue_submit_entry(struct queue *q, const struct entry *e);

/* A loss report carries running totals: when there is no room at all it is
 * not dropped but refused with -EAGAIN (counted as deferred), and the caller
 * offers the same figures again later. */
int queue_submit_lost(struct queue *q, const struct entry_loss *l);

/* Wakes the writer if anything was queued or dropped since the last flush.
 * Call once per netlink batch, and from a periodic timer. */
void queue_flush(struct queue *q);

void queue_get_stats(const struct queue *q, struct queue_stats *ret);
