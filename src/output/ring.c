/* SPDX-License-Identifier: MIT */

/*
 * Lamport's ring over bytes, with C11 atomics: head and tail count bytes up
 * forever (64 bits do not wrap); each side also keeps its own offset in the
 * buffer, so no division is needed and the size need not be a power of two.
 * The producer publishes a record (and the padding before it, if it wrapped)
 * with one release store of head, the consumer frees one with a release store
 * of tail; each side reads the other's counter with acquire and caches it, so
 * the shared cache lines are touched only when the cached view says full or
 * empty.
 */

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define CACHE_LINE 64
/* A header's len when the rest of the buffer is padding. */
#define PADDING UINT32_MAX

struct header {
        uint32_t len; /* bytes committed, or PADDING */
        uint32_t unused;
};
_Static_assert(sizeof(struct header) == RING_ALIGN, "a record's header is one alignment unit");
_Static_assert(RING_SIZE_MAX < PADDING, "a length never reads as padding");

struct ring {
        uint8_t *buf;
        size_t size;

        /* Written by the producer. */
        alignas(CACHE_LINE) _Atomic uint64_t head;
        uint64_t tail_cache;
        size_t head_pos; /* head's offset in buf, always < size */
        size_t pad;      /* the reservation wraps: padding before it */
        size_t reserved; /* max of the reservation */
        _Atomic uint64_t drops;

        /* Written by the consumer. */
        alignas(CACHE_LINE) _Atomic uint64_t tail;
        uint64_t head_cache;
        size_t tail_pos;
};

int ring_new(struct ring **ret, size_t size) {
        struct ring *r;

        size &= ~((size_t) RING_ALIGN - 1);
        if (size < RING_SIZE_MIN || size > RING_SIZE_MAX)
                return -EINVAL;

        r = aligned_alloc(CACHE_LINE, sizeof(*r));
        if (!r)
                return -ENOMEM;
        memset(r, 0, sizeof(*r));
        /* Pages are touched as records reach them, not here. */
        r->buf = malloc(size);
        if (!r->buf) {
                free(r);
                return -ENOMEM;
        }
        r->size = size;
        atomic_init(&r->head, 0);
        atomic_init(&r->tail, 0);
        atomic_init(&r->drops, 0);
        *ret = r;
        return 0;
}

struct ring *ring_free(struct ring *r) {
        if (!r)
                return NULL;
        free(r->buf);
        free(r);
        return NULL;
}

size_t ring_size(const struct ring *r) {
        return r->size;
}

static struct header *header_at(struct ring *r, size_t pos) {
        return (struct header *) (void *) (r->buf + pos);
}

static size_t advance(const struct ring *r, size_t pos, size_t n) {
        pos += n;
        return pos == r->size ? 0 : pos;
}

void *ring_reserve_keep(struct ring *r, size_t max, size_t keep) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        size_t to_end = r->size - r->head_pos, need, pad = 0;
        uint64_t want;

        if (max > r->size || keep > r->size)
                return NULL;
        need = RING_RECORD_SIZE(max);
        if (need > to_end)
                pad = to_end; /* the rest is padding, the record starts at 0 */

        /* 64-bit sums: with a size_t of 32 bits these could wrap. */
        want = (uint64_t) pad + need + keep;
        if (head - r->tail_cache + want > r->size) {
                r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
                if (head - r->tail_cache + want > r->size)
                        return NULL;
        }
        r->pad = pad;
        r->reserved = max;
        return r->buf + (pad > 0 ? 0 : r->head_pos) + RING_ALIGN;
}

void *ring_reserve(struct ring *r, size_t max) {
        return ring_reserve_keep(r, max, 0);
}

void ring_commit(struct ring *r, size_t len) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        size_t pos = r->pad > 0 ? 0 : r->head_pos, n = RING_RECORD_SIZE(len);

        assert(len <= r->reserved);
        if (r->pad > 0)
                header_at(r, r->head_pos)->len = PADDING;
        header_at(r, pos)->len = (uint32_t) len;
        r->head_pos = advance(r, pos, n);
        atomic_store_explicit(&r->head, head + r->pad + n, memory_order_release);
        r->pad = 0;
        r->reserved = 0;
}

size_t ring_space(struct ring *r) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        return (size_t) (r->size - (head - r->tail_cache));
}

void ring_count_drop(struct ring *r) {
        /* Only the producer writes: no read-modify-write needed. */
        uint64_t n = atomic_load_explicit(&r->drops, memory_order_relaxed);

        atomic_store_explicit(&r->drops, n + 1, memory_order_release);
}

uint64_t ring_drops(struct ring *r) {
        return atomic_load_explicit(&r->drops, memory_order_acquire);
}

void *ring_peek(struct ring *r, size_t *ret_len) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        struct header *h;

        if (tail == r->head_cache) {
                r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
                if (tail == r->head_cache)
                        return NULL;
        }
        h = header_at(r, r->tail_pos);
        if (h->len == PADDING) {
                /* Committed together with the record after it, at the start:
                 * hand the padding back at once. */
                tail += r->size - r->tail_pos;
                r->tail_pos = 0;
                atomic_store_explicit(&r->tail, tail, memory_order_release);
                h = header_at(r, 0);
        }
        if (ret_len)
                *ret_len = h->len;
        return (uint8_t *) h + RING_ALIGN;
}

void ring_release(struct ring *r) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        size_t n = RING_RECORD_SIZE(header_at(r, r->tail_pos)->len);

        r->tail_pos = advance(r, r->tail_pos, n);
        atomic_store_explicit(&r->tail, tail + n, memory_order_release);
}
