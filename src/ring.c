/* SPDX-License-Identifier: MIT */

/*
 * Lamport's ring with C11 atomics: head and tail count up forever (64 bits do
 * not wrap), a slot is index & mask. The producer publishes a filled slot
 * with a release store of head, the consumer frees one with a release store
 * of tail; each side reads the other's index with acquire and caches it, so
 * the shared cache lines are touched only when the cached view says full or
 * empty.
 */

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define CACHE_LINE 64

struct ring {
        struct entry *slots;
        size_t mask;

        /* Written by the producer. */
        alignas(CACHE_LINE) _Atomic uint64_t head;
        uint64_t tail_cache;
        _Atomic uint64_t drops;

        /* Written by the consumer. */
        alignas(CACHE_LINE) _Atomic uint64_t tail;
        uint64_t head_cache;
};

int ring_new(struct ring **ret, size_t capacity) {
        struct ring *r;
        size_t cap = 2;

        if (capacity > RING_CAPACITY_MAX)
                return -EINVAL;
        while (cap < capacity)
                cap <<= 1;

        r = aligned_alloc(CACHE_LINE, sizeof(*r));
        if (!r)
                return -ENOMEM;
        memset(r, 0, sizeof(*r));
        r->slots = calloc(cap, sizeof(struct entry));
        if (!r->slots) {
                free(r);
                return -ENOMEM;
        }
        r->mask = cap - 1;
        atomic_init(&r->head, 0);
        atomic_init(&r->tail, 0);
        atomic_init(&r->drops, 0);
        *ret = r;
        return 0;
}

struct ring *ring_free(struct ring *r) {
        if (!r)
                return NULL;
        free(r->slots);
        free(r);
        return NULL;
}

size_t ring_capacity(const struct ring *r) {
        return r->mask + 1;
}

struct entry *ring_reserve_keep(struct ring *r, size_t keep) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

        /* In use after this one: head - tail; it must leave keep slots free. */
        if (head - r->tail_cache + keep > r->mask) {
                r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
                if (head - r->tail_cache + keep > r->mask)
                        return NULL;
        }
        return &r->slots[head & r->mask];
}

struct entry *ring_reserve(struct ring *r) {
        return ring_reserve_keep(r, 0);
}

void ring_count_drop(struct ring *r) {
        /* Only the producer writes: no read-modify-write needed. */
        uint64_t n = atomic_load_explicit(&r->drops, memory_order_relaxed);

        atomic_store_explicit(&r->drops, n + 1, memory_order_release);
}

uint64_t ring_drops(struct ring *r) {
        return atomic_load_explicit(&r->drops, memory_order_acquire);
}

void ring_commit(struct ring *r) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

        atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

size_t ring_space(struct ring *r) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        return (size_t) (r->mask + 1 - (head - r->tail_cache));
}

struct entry *ring_peek(struct ring *r) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

        if (tail == r->head_cache) {
                r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
                if (tail == r->head_cache)
                        return NULL;
        }
        return &r->slots[tail & r->mask];
}

void ring_release(struct ring *r) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

        atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

size_t ring_count(struct ring *r) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

        return (size_t) (head - tail);
}
