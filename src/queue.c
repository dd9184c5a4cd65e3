/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "queue.h"

struct queue {
        struct ring *ring;
        struct writer *writer;
        bool dirty;                     /* queued since the last wake */
        struct queue_stats stats;       /* .writer filled in on demand */
};

int queue_new(struct queue **ret, struct ring *ring, struct writer *writer) {
        struct queue *q;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->ring = ring;
        q->writer = writer;
        *ret = q;
        return 0;
}

struct queue *queue_free(struct queue *q) {
        free(q);
        return NULL;
}

/* The drop report needs its own slot and one for the entry behind it, so that
 * the report never takes the last slot and drops the next entry again. */
static void push_drop_report(struct queue *q, size_t need) {
        struct entry *e;

        if (q->stats.pending_drops == 0 || ring_space(q->ring) < need)
                return;
        e = ring_reserve(q->ring);
        if (!e || entry_format_not_written(e, q->stats.pending_drops) < 0)
                return;
        ring_commit(q->ring);
        q->stats.pending_drops = 0;
        q->stats.drop_reports++;
        q->dirty = true;
}

/* A slot for an entry of this kind, or NULL after counting the drop. */
static struct entry *reserve(struct queue *q, enum entry_kind kind) {
        struct entry *e;

        q->stats.submitted++;
        q->stats.submitted_kind[kind]++;

        push_drop_report(q, 2);
        e = q->stats.pending_drops == 0 ? ring_reserve(q->ring) : NULL;
        if (!e) {
                q->stats.dropped++;
                q->stats.dropped_kind[kind]++;
                q->stats.pending_drops++;
        }
        return e;
}

static int commit(struct queue *q, int r) {
        if (r < 0) {
                /* The slot stays reserved and is simply reused next time. */
                q->stats.invalid++;
                return r;
        }
        ring_commit(q->ring);
        q->stats.queued++;
        q->dirty = true;
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
        struct entry *e = reserve(q, flow_kind(f));

        if (!e)
                return -ENOBUFS;
        return commit(q, entry_format_flow(e, f, t, c));
}

int queue_submit_lost(struct queue *q, const char *source, uint64_t count) {
        struct entry *e = reserve(q, ENTRY_EVENTS_LOST);

        if (!e)
                return -ENOBUFS;
        return commit(q, entry_format_lost(e, source, count));
}

int queue_submit_entry(struct queue *q, const struct entry *src) {
        enum entry_kind kind = src->kind < _ENTRY_KIND_MAX ? src->kind : ENTRY_MESSAGE;
        struct entry *e = reserve(q, kind);

        if (!e)
                return -ENOBUFS;
        entry_copy(e, src);
        return commit(q, 0);
}

void queue_flush(struct queue *q) {
        /* A report waiting for room must not wait for the next event. */
        push_drop_report(q, 2);
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
