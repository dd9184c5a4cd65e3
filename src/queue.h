/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The reader's side of the journal: every entry goes into the ring or is
 * counted. When the ring is full the entry is dropped and counted; once two
 * slots are free again, a "N entries not written" entry with the exact count
 * goes in first, then the new one. Single-threaded: the netlink reader's
 * thread only.
 */

#include <stdint.h>

#include "entry.h"
#include "macro.h"
#include "ring.h"
#include "writer.h"

struct queue_stats {
        uint64_t submitted;             /* entries offered, all kinds */
        uint64_t queued;                /* put into the ring (not counting drop reports) */
        uint64_t dropped;               /* ring full */
        uint64_t invalid;               /* could not be formatted (bad input) */
        uint64_t drop_reports;          /* "not written" entries queued */
        uint64_t pending_drops;         /* dropped, not yet reported in an entry */
        uint64_t submitted_kind[_ENTRY_KIND_MAX];
        uint64_t dropped_kind[_ENTRY_KIND_MAX];
        struct writer_stats writer;     /* written, journal errors, discarded */
};

struct queue;

/* ring and writer must outlive the queue; writer may be NULL (nobody to wake). */
int queue_new(struct queue **ret, struct ring *ring, struct writer *writer);
struct queue *queue_free(struct queue *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct queue *, queue_free);

/* All return 0 when queued, -ENOBUFS when dropped (counted), or the
 * formatting error (counted as invalid). */
int queue_submit_flow(struct queue *q, const struct flow *f, const struct tag *t,
                      const struct catalog *c);
int queue_submit_lost(struct queue *q, const char *source, uint64_t count);
/* A prepared entry (entry_format_message + entry_add_field), copied in. */
int queue_submit_entry(struct queue *q, const struct entry *e);

/* Wakes the writer if anything was queued since the last flush, and queues a
 * pending drop report if there is room. Call once per netlink batch, and from
 * a periodic timer so a report is not held back when traffic stops. */
void queue_flush(struct queue *q);

void queue_get_stats(const struct queue *q, struct queue_stats *ret);
