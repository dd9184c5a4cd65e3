/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "queue.h"

_Static_assert(_Alignof(struct entry) <= RING_ALIGN, "entries are formatted in place in the ring");

struct queue {
        struct ring *ring;
        struct writer *writer;
        size_t reserve;           /* bytes the bulk may not take */
        bool dirty;               /* queued or dropped since the last wake */
        struct queue_stats stats; /* .writer filled in on demand */
};

int queue_new(struct queue **ret, struct ring *ring, struct writer *writer) {
        struct queue *q;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->ring = ring;
        q->writer = writer;
        q->reserve = MIN((size_t) QUEUE_RESERVE_MAX, ring_size(ring) / 4);
        *ret = q;
        return 0;
}

struct queue *queue_free(struct queue *q) {
        free(q);
        return NULL;
}

size_t queue_reserve(const struct queue *q) {
        return q->reserve;
}

/* Connections and packets are the bulk; everything else is the daemon's own
 * and rare, and may use the reserve. */
static bool is_bulk(enum entry_kind kind) {
        return kind == ENTRY_CONNECTION_NEW || kind == ENTRY_CONNECTION_END || kind == ENTRY_PACKET_LOGGED;
}

/* The writer reports what the ring did not take: count it there, and make
 * sure the next flush wakes the writer even if nothing was queued. */
static void count_unwritten(struct queue *q) {
        ring_count_drop(q->ring);
        q->dirty = true;
}

/* Room for an entry of this kind of up to size bytes, or NULL after
 * counting the drop. */
static struct entry *reserve(struct queue *q, enum entry_kind kind, size_t size) {
        struct entry *e;

        q->stats.submitted++;
        q->stats.submitted_kind[kind]++;
        e = ring_reserve_keep(q->ring, size, is_bulk(kind) ? q->reserve : 0);
        if (!e) {
                q->stats.dropped++;
                q->stats.dropped_kind[kind]++;
                count_unwritten(q);
        }
        return e;
}

static void commit(struct queue *q, size_t size) {
        ring_commit(q->ring, size);
        q->stats.queued++;
        q->dirty = true;
}

/* e was formatted in place with result r: only its used bytes are committed. */
static int commit_formatted(struct queue *q, struct entry *e, int r) {
        if (r < 0) {
                /* Nothing is committed: the space is simply reused next time. */
                q->stats.invalid++;
                count_unwritten(q);
                return r;
        }
        commit(q, entry_pack(e));
        return 0;
}

static enum entry_kind flow_kind(const struct flow *f) {
        switch (f->action) {
        case FLOW_CONNECTION_END:
                return ENTRY_CONNECTION_END;
        case FLOW_PACKET_LOGGED:
                return ENTRY_PACKET_LOGGED;
        default:
                return ENTRY_CONNECTION_NEW;
        }
}

int queue_submit_flow(struct queue *q, const struct flow *f, const struct tag *t,
                      const struct catalog *c) {
        struct entry *e = reserve(q, flow_kind(f), ENTRY_SIZE_MAX);

        if (!e)
                return -ENOBUFS;
        return commit_formatted(q, e, entry_format_flow(e, f, t, c));
}

int queue_submit_lost(struct queue *q, const struct entry_loss *l) {
        /* A report of a running total: when even the reserve is full it
         * waits for the next try rather than being dropped. */
        struct entry *e = ring_reserve(q->ring, ENTRY_SIZE_MAX);

        if (!e) {
                q->stats.deferred++;
                return -EAGAIN;
        }
        q->stats.submitted++;
        q->stats.submitted_kind[ENTRY_EVENTS_LOST]++;
        return commit_formatted(q, e, entry_format_lost(e, l));
}

int queue_submit_entry(struct queue *q, const struct entry *src) {
        enum entry_kind kind = src->kind < _ENTRY_KIND_MAX ? src->kind : ENTRY_MESSAGE;
        struct entry *e = reserve(q, kind, entry_size(src));

        if (!e)
                return -ENOBUFS;
        commit(q, entry_copy(e, src));
        return 0;
}

void queue_flush(struct queue *q) {
        if (q->dirty && q->writer)
                writer_wake(q->writer);
        q->dirty = false;
}

void queue_get_stats(const struct queue *q, struct queue_stats *ret) {
        *ret = q->stats;
        if (q->writer)
                writer_get_stats(q->writer, &ret->writer);
        else
                ret->writer = (struct writer_stats) {};
}
