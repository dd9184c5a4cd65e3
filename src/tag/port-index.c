/* SPDX-License-Identifier: MIT */
/*
 * Builds the dense port → match-set tables. Ports between two consecutive
 * range boundaries share one match set, so the covering entries are worked
 * out once per segment; identical sets are stored once (hash table).
 *
 * A slot points straight at its set's count in members, not at a set
 * descriptor: a lookup is then two dependent loads, not three. The price is
 * that every set must start within the first 65536 members, far more than
 * any real catalogue needs (Apple's: a few hundred).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "port-index.h"

#define SETS_MAX 32768 /* each set takes at least 2 of the 65536 members a slot reaches */

struct candidate {
        uint32_t width; /* of the range that covers the port */
        uint16_t entry;
};

struct builder {
        struct port_index *idx;
        size_t sets_allocated, members_allocated;
        uint32_t *hash;   /* set number + 1, 0 = free */
        size_t hash_size; /* power of two, load at most 1/2 */
};

static int candidate_compare(const void *a, const void *b) {
        const struct candidate *x = a, *y = b;

        if (x->width != y->width)
                return x->width < y->width ? -1 : 1;
        return (int) x->entry - (int) y->entry;
}

static uint32_t hash_members(const uint16_t *m, size_t n) {
        uint32_t h = 2166136261u;

        for (size_t i = 0; i < n; i++) {
                h = (h ^ (m[i] & 0xff)) * 16777619u;
                h = (h ^ (m[i] >> 8)) * 16777619u;
        }
        return h;
}

static int grow(void **p, size_t *allocated, size_t need, size_t size) {
        size_t n;
        void *q;

        if (need <= *allocated)
                return 0;
        n = MAX(need, *allocated * 2);
        n = MAX(n, (size_t) 64);
        q = realloc(*p, n * size);
        if (!q)
                return -ENOMEM;
        *p = q;
        *allocated = n;
        return 0;
}

/* Returns the slot value of the set holding exactly m[0..n) (the offset of
 * its count in members), adding it if new. */
static int intern_set(struct builder *b, const uint16_t *m, size_t n, uint16_t *ret) {
        struct port_index *idx = b->idx;
        uint32_t h;
        int r;

        if (n == 0) {
                *ret = 0;
                return 0;
        }
        for (h = hash_members(m, n) & (b->hash_size - 1);; h = (h + 1) & (b->hash_size - 1)) {
                const struct port_index_set *s;

                if (b->hash[h] == 0)
                        break;
                s = &idx->sets[b->hash[h] - 1];
                if (s->n == n && memcmp(idx->members + s->offset, m, n * sizeof(*m)) == 0) {
                        *ret = (uint16_t) (s->offset - 1);
                        return 0;
                }
        }
        /* The count goes where a slot can point: within the first 65536. */
        if (idx->n_sets >= SETS_MAX || idx->n_members > UINT16_MAX)
                return -E2BIG;
        r = grow((void **) &idx->sets, &b->sets_allocated, idx->n_sets + 1, sizeof(*idx->sets));
        if (r < 0)
                return r;
        r = grow((void **) &idx->members, &b->members_allocated, idx->n_members + 1 + n, sizeof(*idx->members));
        if (r < 0)
                return r;
        *ret = (uint16_t) idx->n_members;
        idx->members[idx->n_members] = (uint16_t) n;
        memcpy(idx->members + idx->n_members + 1, m, n * sizeof(*m));
        idx->sets[idx->n_sets] = (struct port_index_set) { .offset = (uint32_t) idx->n_members + 1, .n = (uint32_t) n };
        idx->n_members += 1 + n;
        b->hash[h] = (uint32_t) ++idx->n_sets;
        return 0;
}

/* Sets p[0..n) to v with a few memcpy calls, each doubling the filled part:
 * much faster than a loop over up to 65536 slots. */
static void fill_slots(uint16_t *p, size_t n, uint16_t v) {
        if (n == 0)
                return;
        p[0] = v;
        for (size_t done = 1; done < n; done *= 2)
                memcpy(p + done, p, MIN(done, n - done) * sizeof(*p));
}

static int build_transport(struct builder *b, const struct catalog *c, unsigned transport,
                           uint8_t *boundary, struct candidate *cand, uint16_t *members) {
        uint16_t *slot = b->idx->slot[transport == TRANSPORT_UDP];
        unsigned start = 0;

        memset(boundary, 0, 65537);
        for (size_t i = 0; i < c->n_entries; i++) {
                const struct catalog_entry *e = &c->entries[i];
                if (!(e->transports & transport))
                        continue;
                for (unsigned k = 0; k < e->n_ports; k++) {
                        boundary[e->ports[k].lo] = 1;
                        boundary[(unsigned) e->ports[k].hi + 1] = 1;
                }
        }

        /* Each segment [start, end) is covered by the same ranges. */
        while (start < 65536) {
                unsigned end = start + 1;
                const uint8_t *next;
                size_t n = 0;
                uint16_t set;
                int r;

                next = memchr(boundary + end, 1, 65536 - end);
                end = next ? (unsigned) (next - boundary) : 65536;
                for (size_t i = 0; i < c->n_entries; i++) {
                        const struct catalog_entry *e = &c->entries[i];
                        uint32_t width = UINT32_MAX;

                        if (!(e->transports & transport))
                                continue;
                        /* The narrowest covering range, should the loader ever allow overlaps. */
                        for (unsigned k = 0; k < e->n_ports; k++)
                                if (e->ports[k].lo <= start && start <= e->ports[k].hi)
                                        width = MIN(width, (uint32_t) e->ports[k].hi - e->ports[k].lo + 1);
                        if (width != UINT32_MAX)
                                cand[n++] = (struct candidate) { .width = width, .entry = (uint16_t) i };
                }
                qsort(cand, n, sizeof(*cand), candidate_compare);
                for (size_t i = 0; i < n; i++)
                        members[i] = cand[i].entry;
                r = intern_set(b, members, n, &set);
                if (r < 0)
                        return r;
                /* The slots start zeroed: the empty set needs no writing. */
                if (set != 0)
                        fill_slots(slot + start, end - start, set);
                start = end;
        }
        return 0;
}

/* A transport's R ranges cut its ports into at most 2R + 1 segments, and
 * every segment adds at most one set: the hash table is sized for that,
 * counting each range for both transports. */
static size_t hash_size_for(const struct catalog *c) {
        size_t ranges = 0, size = 64;

        for (size_t i = 0; i < c->n_entries; i++)
                ranges += 2 * c->entries[i].n_ports;
        while (size < 2 * MIN(2 * ranges + 2, (size_t) SETS_MAX))
                size *= 2;
        return size;
}

int port_index_build(const struct catalog *c, struct port_index **ret) {
        struct builder b = {};
        _cleanup_free_ uint8_t *boundary = NULL;
        _cleanup_free_ struct candidate *cand = NULL;
        _cleanup_free_ uint16_t *members = NULL;
        _cleanup_free_ uint32_t *hash = NULL;
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        int r;

        if (c->n_entries > UINT16_MAX)
                return -E2BIG;
        idx = calloc(1, sizeof(*idx));
        boundary = malloc(65537);
        cand = malloc(MAX(c->n_entries, (size_t) 1) * sizeof(*cand));
        members = malloc(MAX(c->n_entries, (size_t) 1) * sizeof(*members));
        b.hash_size = hash_size_for(c);
        hash = calloc(b.hash_size, sizeof(*hash));
        if (!idx || !boundary || !cand || !members || !hash)
                return -ENOMEM;
        b.idx = idx;
        b.hash = hash;

        /* The empty set comes first, so a zeroed slot means "nothing": its
         * count 0, then one padding member, so that its entries pointer is
         * valid and entries[0] may be read branch-free (and ignored). */
        r = grow((void **) &idx->sets, &b.sets_allocated, 1, sizeof(*idx->sets));
        if (r < 0)
                return r;
        r = grow((void **) &idx->members, &b.members_allocated, 2, sizeof(*idx->members));
        if (r < 0)
                return r;
        idx->members[0] = 0;
        idx->members[1] = 0;
        idx->n_members = 2;
        idx->sets[0] = (struct port_index_set) { .offset = 1, .n = 0 };
        idx->n_sets = 1;

        r = build_transport(&b, c, TRANSPORT_TCP, boundary, cand, members);
        if (r < 0)
                return r;
        r = build_transport(&b, c, TRANSPORT_UDP, boundary, cand, members);
        if (r < 0)
                return r;

        *ret = idx;
        idx = NULL;
        return 0;
}

struct port_index *port_index_free(struct port_index *idx) {
        if (!idx)
                return NULL;
        free(idx->sets);
        free(idx->members);
        free(idx);
        return NULL;
}
