/* SPDX-License-Identifier: MIT */
/*
 * A fixed array of slots, a hash index over them (chained through the
 * slots) and a queue of the slots in the order they were last written: the
 * head is the oldest, evicted first. Expired slots are reclaimed when a
 * lookup meets them or when they reach the head of the queue.
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
        uint32_t hash_next;             /* the next slot in this bucket, or the free list */
        uint32_t older, newer;          /* the queue */
        uint64_t expires;
        char name[DNS_NAME_TEXT_MAX];
};

struct name_table {
        struct name_table_config config;
        struct slot *slots;
        uint32_t capacity;
        uint32_t *buckets;
        uint32_t n_buckets;             /* a power of two */
        uint32_t free;                  /* free list through hash_next */
        uint32_t oldest, newest;
        struct name_table_stats stats;
};

static size_t buckets_for(size_t capacity) {
        size_t n = 1;

        while (n < capacity)
                n *= 2;
        return n;
}

size_t name_table_size(const struct name_table_config *c, size_t *ret_capacity) {
        size_t capacity = MIN(c->max_entries, (size_t) SLOTS_MAX), bytes;

        /* As many slots as the bytes hold with their index. */
        for (;;) {
                bytes = sizeof(struct name_table) + capacity * sizeof(struct slot) +
                        buckets_for(capacity) * sizeof(uint32_t);
                if (capacity == 0 || bytes <= c->max_bytes)
                        break;
                capacity = MIN(capacity - 1, (c->max_bytes > sizeof(struct name_table) ?
                                              c->max_bytes - sizeof(struct name_table) : 0) /
                                             (sizeof(struct slot) + 2 * sizeof(uint32_t)));
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
        t->n_buckets = (uint32_t) buckets_for(capacity);
        t->slots = calloc(capacity, sizeof(*t->slots));
        t->buckets = malloc(t->n_buckets * sizeof(*t->buckets));
        if (!t->slots || !t->buckets)
                return -ENOMEM;
        memset(t->buckets, 0xff, t->n_buckets * sizeof(*t->buckets));
        for (uint32_t i = 0; i < t->capacity; i++)
                t->slots[i].hash_next = i + 1 < t->capacity ? i + 1 : NONE;
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
        free(t->buckets);
        free(t);
        return NULL;
}

static uint32_t hash_addr(const struct name_table *t, int family, const uint8_t *a) {
        size_t n = family == AF_INET ? 4 : 16;
        uint32_t h = 2166136261u ^ (uint32_t) family;

        for (size_t i = 0; i < n; i++)
                h = (h ^ a[i]) * 16777619u;
        return (h ^ (h >> 15)) & (t->n_buckets - 1);
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

static void slot_remove(struct name_table *t, uint32_t i) {
        struct slot *s = &t->slots[i];
        uint32_t *p = &t->buckets[hash_addr(t, s->family, s->addr)];

        while (*p != i)
                p = &t->slots[*p].hash_next;
        *p = s->hash_next;
        queue_unlink(t, i);
        s->hash_next = t->free;
        t->free = i;
        t->stats.entries--;
}

static uint32_t find(const struct name_table *t, int family, const uint8_t *a) {
        for (uint32_t i = t->buckets[hash_addr(t, family, a)]; i != NONE; i = t->slots[i].hash_next)
                if (slot_is(&t->slots[i], family, a))
                        return i;
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
                queue_unlink(t, i);     /* refreshed: becomes the newest */
        else {
                if (t->free == NONE) {
                        uint32_t old = t->oldest;

                        if (t->slots[old].expires <= now)
                                t->stats.expired++;
                        else
                                t->stats.evicted++;
                        slot_remove(t, old);
                }
                i = t->free;
                s = &t->slots[i];
                t->free = s->hash_next;
                s->family = (uint8_t) a->family;
                memset(s->addr, 0, sizeof(s->addr));
                memcpy(s->addr, a->addr.bytes, a->family == AF_INET ? 4 : 16);
                uint32_t b = hash_addr(t, a->family, s->addr);
                s->hash_next = t->buckets[b];
                t->buckets[b] = i;
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
