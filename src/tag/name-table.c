/* SPDX-License-Identifier: MIT */
/*
 * A fixed array of slots, a hash index over them and a queue of the slots in
 * the order they were last written: the head is the oldest, evicted first.
 * Expired slots are reclaimed when a lookup meets them or when they reach the
 * head of the queue.
 *
 * The index is open addressing (linear probing, at most half full) of
 * 8-byte cells that hold the address's hash beside the slot's number, so
 * that a lookup that misses reads one cache line of the index and no slot.
 * A removal shifts the cells behind it back (no tombstones).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "name-table.h"

#define NONE UINT32_MAX
#define SLOTS_MAX (UINT32_MAX / 4)

struct slot {
        uint8_t addr[16];
        uint8_t family;
        uint8_t name_len;
        uint32_t next_free;    /* the free list */
        uint32_t older, newer; /* the queue */
        uint64_t expires;
        char name[DNS_NAME_TEXT_MAX];
};

struct cell {
        uint32_t hash;
        uint32_t slot; /* NONE: empty */
};

struct name_table {
        struct name_table_config config;
        struct slot *slots;
        uint32_t capacity;
        struct cell *cells;
        uint32_t n_cells; /* a power of two, at least twice capacity */
        uint32_t free;    /* free list through next_free */
        uint32_t oldest, newest;
        struct name_table_stats stats;
};

static size_t cells_for(size_t capacity) {
        size_t n = 2;

        while (n < 2 * capacity)
                n *= 2;
        return n;
}

size_t name_table_size(const struct name_table_config *c, size_t *ret_capacity) {
        size_t capacity = MIN(c->max_entries, (size_t) SLOTS_MAX), bytes;

        /* As many slots as the bytes hold with their index. */
        for (;;) {
                bytes = sizeof(struct name_table) + capacity * sizeof(struct slot) +
                        cells_for(capacity) * sizeof(struct cell);
                if (capacity == 0 || bytes <= c->max_bytes)
                        break;
                capacity = MIN(capacity - 1, (c->max_bytes > sizeof(struct name_table) ? c->max_bytes - sizeof(struct name_table) : 0) /
                                                     (sizeof(struct slot) + 4 * sizeof(struct cell)));
        }
        if (ret_capacity)
                *ret_capacity = capacity;
        return capacity == 0 ? 0 : bytes;
}

int name_table_new(struct name_table **ret, const struct name_table_config *c) {
        _cleanup_(name_table_freep) struct name_table *t = NULL;
        size_t capacity, bytes = name_table_size(c, &capacity);

        if (bytes == 0 || c->ttl_min > c->ttl_max)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->config = *c;
        t->capacity = (uint32_t) capacity;
        t->n_cells = (uint32_t) cells_for(capacity);
        t->slots = calloc(capacity, sizeof(*t->slots));
        t->cells = malloc(t->n_cells * sizeof(*t->cells));
        if (!t->slots || !t->cells)
                return -ENOMEM;
        for (uint32_t i = 0; i < t->n_cells; i++)
                t->cells[i] = (struct cell) { .slot = NONE };
        for (uint32_t i = 0; i < t->capacity; i++)
                t->slots[i].next_free = i + 1 < t->capacity ? i + 1 : NONE;
        t->free = 0;
        t->oldest = t->newest = NONE;
        t->stats.capacity = capacity;
        t->stats.bytes = bytes;
        *ret = t;
        t = NULL;
        return 0;
}

struct name_table *name_table_free(struct name_table *t) {
        if (!t)
                return NULL;
        free(t->slots);
        free(t->cells);
        free(t);
        return NULL;
}

static uint32_t hash_addr(int family, const uint8_t *a) {
        size_t n = family == AF_INET ? 4 : 16;
        uint32_t h = 2166136261u ^ (uint32_t) family;

        for (size_t i = 0; i < n; i++)
                h = (h ^ a[i]) * 16777619u;
        return h ^ (h >> 15);
}

static bool slot_is(const struct slot *s, int family, const uint8_t *a) {
        return s->family == family && memcmp(s->addr, a, family == AF_INET ? 4 : 16) == 0;
}

static void queue_unlink(struct name_table *t, uint32_t i) {
        struct slot *s = &t->slots[i];

        if (s->older != NONE)
                t->slots[s->older].newer = s->newer;
        else
                t->oldest = s->newer;
        if (s->newer != NONE)
                t->slots[s->newer].older = s->older;
        else
                t->newest = s->older;
}

static void queue_append(struct name_table *t, uint32_t i) {
        struct slot *s = &t->slots[i];

        s->older = t->newest;
        s->newer = NONE;
        if (t->newest != NONE)
                t->slots[t->newest].newer = i;
        else
                t->oldest = i;
        t->newest = i;
}

/* The cell of slot i, which must be in the index. */
static uint32_t cell_of(const struct name_table *t, uint32_t i) {
        uint32_t mask = t->n_cells - 1;
        uint32_t c = hash_addr(t->slots[i].family, t->slots[i].addr) & mask;

        while (t->cells[c].slot != i)
                c = (c + 1) & mask;
        return c;
}

/* Empties cell c and moves back the cells of its run that may move, so
 * that every cell stays reachable from its home. */
static void cell_remove(struct name_table *t, uint32_t c) {
        uint32_t mask = t->n_cells - 1, j = c;

        for (;;) {
                uint32_t home;

                j = (j + 1) & mask;
                if (t->cells[j].slot == NONE)
                        break;
                home = t->cells[j].hash & mask;
                /* Stays when its home lies cyclically in (c, j]. */
                if (c <= j ? (c < home && home <= j) : (c < home || home <= j))
                        continue;
                t->cells[c] = t->cells[j];
                c = j;
        }
        t->cells[c] = (struct cell) { .slot = NONE };
}

static void slot_remove(struct name_table *t, uint32_t i) {
        cell_remove(t, cell_of(t, i));
        queue_unlink(t, i);
        t->slots[i].next_free = t->free;
        t->free = i;
        t->stats.entries--;
}

static uint32_t find(const struct name_table *t, int family, const uint8_t *a) {
        uint32_t mask = t->n_cells - 1, h = hash_addr(family, a);

        for (uint32_t c = h & mask; t->cells[c].slot != NONE; c = (c + 1) & mask)
                if (t->cells[c].hash == h && slot_is(&t->slots[t->cells[c].slot], family, a))
                        return t->cells[c].slot;
        return NONE;
}

static uint32_t clamp_ttl(const struct name_table *t, uint32_t ttl) {
        return MIN(MAX(ttl, t->config.ttl_min), t->config.ttl_max);
}

static void store(struct name_table *t, const struct dns_address *a, const struct dns_name *name,
                  uint64_t now) {
        uint32_t i = find(t, a->family, a->addr.bytes);
        struct slot *s;

        if (i != NONE)
                queue_unlink(t, i); /* refreshed: becomes the newest */
        else {
                if (t->free == NONE) {
                        uint32_t old = t->oldest;

                        if (t->slots[old].expires <= now)
                                t->stats.expired++;
                        else
                                t->stats.evicted++;
                        slot_remove(t, old);
                }
                uint32_t mask = t->n_cells - 1, h, c;

                i = t->free;
                s = &t->slots[i];
                t->free = s->next_free;
                s->family = (uint8_t) a->family;
                memset(s->addr, 0, sizeof(s->addr));
                memcpy(s->addr, a->addr.bytes, a->family == AF_INET ? 4 : 16);
                h = hash_addr(a->family, s->addr);
                for (c = h & mask; t->cells[c].slot != NONE; c = (c + 1) & mask)
                        ;
                t->cells[c] = (struct cell) { .hash = h, .slot = i };
                t->stats.entries++;
        }
        s = &t->slots[i];
        s->expires = now + clamp_ttl(t, a->ttl);
        s->name_len = (uint8_t) name->len;
        memcpy(s->name, name->text, name->len + 1u);
        queue_append(t, i);
        t->stats.inserted++;
}

unsigned name_table_add(struct name_table *t, const struct domains *d, const struct dns_answer *a,
                        uint64_t now) {
        const struct dns_name *apple = NULL;

        if (a->n_addrs == 0)
                return 0;
        for (unsigned k = 0; k < a->n_chain && !apple; k++)
                if (a->chain[k].usable && domains_match(d, a->chain[k].text, a->chain[k].len))
                        apple = &a->chain[k];
        if (!apple) {
                t->stats.answers_other++;
                return 0;
        }
        t->stats.answers_apple++;
        for (unsigned k = 0; k < a->n_addrs; k++)
                store(t, &a->addrs[k], apple, now);
        return a->n_addrs;
}

const char *name_table_lookup(struct name_table *t, int family, const void *addr, uint64_t now) {
        uint8_t key[16] = {};
        uint32_t i;

        if (family != AF_INET && family != AF_INET6) {
                t->stats.misses++;
                return NULL;
        }
        memcpy(key, addr, family == AF_INET ? 4 : 16);
        i = find(t, family, key);
        if (i != NONE && t->slots[i].expires <= now) {
                slot_remove(t, i);
                t->stats.expired++;
                i = NONE;
        }
        if (i == NONE) {
                t->stats.misses++;
                return NULL;
        }
        t->stats.hits++;
        return t->slots[i].name;
}

void name_table_get_stats(const struct name_table *t, struct name_table_stats *ret) {
        *ret = t->stats;
}
