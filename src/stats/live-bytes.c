/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "live-bytes.h"

struct slot {
        uint32_t id;             /* the conntrack id */
        uint32_t check;          /* the tuple's digest: an id reused by another connection does not match */
        uint64_t bytes, packets; /* counted so far, both directions */
        uint32_t seen;           /* the read that last listed it, or that was running when it opened */
        bool used;
};

struct live_bytes {
        struct slot *slots;
        size_t mask; /* slots: a power of two, at least twice max */
        size_t max;
        uint64_t subscribed_ns;
        uint32_t read;          /* the current or last read */
        uint32_t complete_prev; /* the complete read before the last complete one */
        uint32_t complete_last;
        struct live_bytes_stats stats;
};

int live_bytes_new(struct live_bytes **ret, size_t max, uint64_t subscribed_ns) {
        struct live_bytes *lb;
        size_t n = 16;

        if (max == 0 || max > SIZE_MAX / 4 / sizeof(struct slot))
                return -EINVAL;
        while (n < 2 * max)
                n *= 2;
        lb = calloc(1, sizeof(*lb));
        if (!lb)
                return -ENOMEM;
        lb->slots = calloc(n, sizeof(struct slot));
        if (!lb->slots) {
                free(lb);
                return -ENOMEM;
        }
        lb->mask = n - 1;
        lb->max = max;
        lb->subscribed_ns = subscribed_ns;
        lb->stats.capacity = max;
        *ret = lb;
        return 0;
}

struct live_bytes *live_bytes_free(struct live_bytes *lb) {
        if (lb) {
                free(lb->slots);
                free(lb);
        }
        return NULL;
}

static uint32_t tuple_check(const struct flow *f) {
        uint64_t h = 14695981039346656037ull; /* FNV-1a */
        const uint8_t *parts[] = { f->src.bytes, f->dst.bytes };

        for (size_t p = 0; p < ELEMENTSOF(parts); p++)
                for (size_t i = 0; i < sizeof(f->src.bytes); i++)
                        h = (h ^ parts[p][i]) * 1099511628211ull;
        h = (h ^ ((uint64_t) f->src_port << 16 | f->dst_port)) * 1099511628211ull;
        h = (h ^ ((uint64_t) f->l4proto << 16 | f->ct_zone)) * 1099511628211ull;
        return (uint32_t) (h ^ (h >> 32));
}

static size_t home(const struct live_bytes *lb, uint32_t id) {
        return (size_t) (((uint64_t) id * 0x9e3779b97f4a7c15ull) >> 32) & lb->mask;
}

/* The slot of f, or NULL; *free_slot: where it would go. */
static struct slot *find(struct live_bytes *lb, const struct flow *f, uint32_t check, size_t *free_slot) {
        for (size_t i = home(lb, f->ct_id);; i = (i + 1) & lb->mask) {
                struct slot *s = &lb->slots[i];

                if (!s->used) {
                        *free_slot = i;
                        return NULL;
                }
                if (s->id == f->ct_id && s->check == check)
                        return s;
        }
}

static struct slot *insert(struct live_bytes *lb, const struct flow *f, uint32_t check, size_t at) {
        struct slot *s;

        if (lb->stats.open >= lb->max) {
                lb->stats.untracked++;
                return NULL;
        }
        s = &lb->slots[at];
        *s = (struct slot) { .id = f->ct_id, .check = check, .seen = lb->read, .used = true };
        lb->stats.open++;
        return s;
}

/* Backward-shift deletion keeps every probe chain whole without tombstones. */
static void erase(struct live_bytes *lb, size_t i) {
        size_t j = i;

        lb->slots[i].used = false;
        lb->stats.open--;
        for (;;) {
                size_t h;

                j = (j + 1) & lb->mask;
                if (!lb->slots[j].used)
                        return;
                h = home(lb, lb->slots[j].id);
                /* Move j back into the hole unless its home lies in (i, j]. */
                if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
                        continue;
                lb->slots[i] = lb->slots[j];
                lb->slots[j].used = false;
                i = j;
        }
}

void live_bytes_open(struct live_bytes *lb, const struct flow *f) {
        uint32_t check = tuple_check(f);
        size_t at;

        if (!find(lb, f, check, &at))
                (void) insert(lb, f, check, at);
}

/* What grew since the slot last counted; a counter that went back means
 * another connection under the same key: start again from it. */
static void take(struct slot *s, const struct flow *f, uint64_t *bytes, uint64_t *packets) {
        uint64_t b = f->orig_bytes + f->reply_bytes, p = f->orig_packets + f->reply_packets;

        *bytes = b >= s->bytes ? b - s->bytes : 0;
        *packets = p >= s->packets ? p - s->packets : 0;
        s->bytes = b;
        s->packets = p;
}

enum live_bytes_read live_bytes_read(struct live_bytes *lb, const struct flow *f, uint64_t *bytes,
                                     uint64_t *packets) {
        size_t at;
        struct slot *s;

        *bytes = *packets = 0;
        if (!f->has_counters)
                return LIVE_BYTES_SKIP;
        s = find(lb, f, tuple_check(f), &at);
        if (!s)
                /* Begun after the subscription: its NEW decides. */
                return !f->has_timestamps || f->start_ns >= lb->subscribed_ns ? LIVE_BYTES_SKIP
                                                                              : LIVE_BYTES_OLDER;
        s->seen = lb->read;
        take(s, f, bytes, packets);
        return LIVE_BYTES_COUNT;
}

void live_bytes_adopt(struct live_bytes *lb, const struct flow *f) {
        uint32_t check = tuple_check(f);
        struct slot *s;
        size_t at;

        if (find(lb, f, check, &at))
                return;
        s = insert(lb, f, check, at);
        if (!s)
                return;
        s->bytes = f->orig_bytes + f->reply_bytes;
        s->packets = f->orig_packets + f->reply_packets;
}

void live_bytes_end(struct live_bytes *lb, const struct flow *f, uint64_t *bytes, uint64_t *packets) {
        uint32_t check = tuple_check(f);
        struct slot *s;
        size_t at;

        *bytes = f->orig_bytes + f->reply_bytes;
        *packets = f->orig_packets + f->reply_packets;
        s = find(lb, f, check, &at);
        if (!s)
                return;
        take(s, f, bytes, packets);
        erase(lb, (size_t) (s - lb->slots));
}

void live_bytes_read_begin(struct live_bytes *lb) {
        lb->read++;
}

void live_bytes_read_end(struct live_bytes *lb, bool complete, uint64_t entries) {
        if (!complete) {
                lb->stats.reads_incomplete++;
                return;
        }
        lb->stats.reads++;
        lb->stats.read_entries = entries;
        lb->complete_prev = lb->complete_last;
        lb->complete_last = lb->read;
        if (lb->stats.reads < 2)
                return;
        /* Missing from the last two complete reads, and from every read
         * since (an incomplete one proves nothing): its DESTROY was lost. A
         * slot moved back by erase() is looked at again; one moved from the
         * start of the array to its end is looked at twice, harmlessly. */
        for (size_t i = 0; i <= lb->mask;) {
                struct slot *s = &lb->slots[i];

                if (s->used && (int32_t) (s->seen - lb->complete_prev) < 0) {
                        erase(lb, i);
                        lb->stats.stale++;
                        continue;
                }
                i++;
        }
}

void live_bytes_get_stats(const struct live_bytes *lb, struct live_bytes_stats *ret) {
        *ret = lb->stats;
}
