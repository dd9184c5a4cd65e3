/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"

/* The byte i of record seq: every record's content is its own. */
static uint8_t pattern(uint64_t seq, size_t i) {
        return (uint8_t) (seq * 131 + i * 7 + (seq >> 8));
}

static void fill(uint8_t *p, uint64_t seq, size_t len) {
        for (size_t i = 0; i < len; i++)
                p[i] = pattern(seq, i);
}

static bool intact(const uint8_t *p, uint64_t seq, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (p[i] != pattern(seq, i))
                        return false;
        return true;
}

/* Reserves max, writes len bytes of record seq, commits them. */
static uint8_t *put(struct ring *r, uint64_t seq, size_t max, size_t len) {
        uint8_t *p = ring_reserve(r, max);

        assert_non_null(p);
        assert_int_equal((uintptr_t) p % RING_ALIGN, 0);
        fill(p, seq, len);
        ring_commit(r, len);
        return p;
}

/* Takes the oldest record: it must be record seq, len bytes long. */
static void take(struct ring *r, uint64_t seq, size_t len) {
        size_t got;
        uint8_t *p = ring_peek(r, &got);

        assert_non_null(p);
        assert_int_equal((uintptr_t) p % RING_ALIGN, 0);
        assert_int_equal(got, len);
        assert_true(intact(p, seq, len));
        ring_release(r);
}

static void test_new(void **state) {
        struct ring *r = NULL;

        assert_int_equal(ring_new(&r, 100), 0);
        assert_int_equal(ring_size(r), 96);
        ring_free(r);
        assert_int_equal(ring_new(&r, RING_SIZE_MIN), 0);
        assert_int_equal(ring_size(r), RING_SIZE_MIN);
        ring_free(r);
        assert_int_equal(ring_new(&r, 4000), 0);
        assert_int_equal(ring_size(r), 4000);
        ring_free(r);
        assert_int_equal(ring_new(&r, RING_SIZE_MIN - 1), -EINVAL);
        assert_int_equal(ring_new(&r, 0), -EINVAL);
        assert_int_equal(ring_new(&r, RING_SIZE_MAX + RING_ALIGN), -EINVAL);
        assert_int_equal(RING_RECORD_SIZE(0), RING_ALIGN);
        assert_int_equal(RING_RECORD_SIZE(1), 2 * RING_ALIGN);
        assert_int_equal(RING_RECORD_SIZE(RING_ALIGN), 2 * RING_ALIGN);
        assert_int_equal(RING_RECORD_SIZE(RING_ALIGN + 1), 3 * RING_ALIGN);
}

/* Empty, full to the last byte, and first in first out. */
static void test_full_and_fifo(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;

        assert_int_equal(ring_new(&r, 256), 0);
        assert_null(ring_peek(r, NULL));
        assert_int_equal(ring_space(r), 256);

        /* Reserving again before a commit gives the same place. */
        assert_ptr_equal(ring_reserve(r, 24), ring_reserve(r, 10));
        /* Eight records of 32 bytes with their headers fill it exactly. */
        for (uint64_t i = 0; i < 8; i++)
                put(r, i, 24, 17 + i);
        assert_int_equal(ring_space(r), 0);
        assert_null(ring_reserve(r, 0));
        assert_non_null(ring_peek(r, NULL));

        for (uint64_t i = 0; i < 8; i++)
                take(r, i, 17 + i);
        assert_null(ring_peek(r, NULL));
        assert_int_equal(ring_space(r), 256);
}

/* A record that ends exactly at the end of the buffer needs no padding;
 * one larger than the ring never fits. */
static void test_exactly_fits(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;
        uint8_t *first, *p;

        assert_int_equal(ring_new(&r, 64), 0);
        assert_null(ring_reserve(r, 57));
        assert_null(ring_reserve(r, SIZE_MAX));
        assert_null(ring_reserve_keep(r, 0, SIZE_MAX));
        first = put(r, 1, 56, 56);
        assert_int_equal(ring_space(r), 0);
        assert_null(ring_reserve(r, 0));
        take(r, 1, 56);
        assert_int_equal(ring_space(r), 64);

        /* At offset 32: 24 bytes fit exactly, without padding. */
        put(r, 2, 24, 24);
        take(r, 2, 24);
        p = put(r, 3, 24, 20);
        assert_ptr_equal(p, first + 32);
        assert_int_equal(ring_space(r), 32);
        /* The next one goes back to the start, still without padding. */
        p = put(r, 4, 24, 24);
        assert_ptr_equal(p, first);
        assert_int_equal(ring_space(r), 0);
        take(r, 3, 20);
        take(r, 4, 24);
        assert_null(ring_peek(r, NULL));
}

/* From every offset, every length: a record fits without padding when the
 * rest of the buffer takes it, else after padding to the end when the ring
 * has room for both; the padding is never seen, and comes back on release. */
static void test_wrap_every_offset(void **state) {
        enum { SIZE = 128 };

        for (size_t offset = 0; offset < SIZE; offset += RING_ALIGN)
                for (size_t len = 0; len <= SIZE; len++) {
                        _cleanup_(ring_freep) struct ring *r = NULL;
                        size_t need = RING_RECORD_SIZE(len), to_end = SIZE - offset, head, pad;
                        uint8_t *base, *p;
                        bool fits = need <= to_end, wraps = !fits && need <= offset;

                        assert_int_equal(ring_new(&r, SIZE), 0);
                        base = ring_reserve(r, 0);
                        assert_non_null(base);
                        if (offset > 0) {
                                /* An empty ring whose next record starts at offset. */
                                put(r, 0, offset - RING_ALIGN, offset - RING_ALIGN);
                                take(r, 0, offset - RING_ALIGN);
                        }
                        assert_int_equal(ring_space(r), SIZE);

                        p = ring_reserve(r, len);
                        if (!fits && !wraps) {
                                assert_null(p);
                                continue;
                        }
                        assert_non_null(p);
                        assert_ptr_equal(p, fits ? base + offset : base);
                        fill(p, len, len);
                        ring_commit(r, len);
                        assert_int_equal(ring_space(r), SIZE - need - (wraps ? to_end : 0));

                        /* A second record where there is room: FIFO across the padding. */
                        head = ((wraps ? 0 : offset) + need) % SIZE;
                        pad = RING_RECORD_SIZE(1) > SIZE - head ? SIZE - head : 0;
                        p = ring_reserve(r, 1);
                        if (need + (wraps ? to_end : 0) + pad + RING_RECORD_SIZE(1) <= SIZE) {
                                assert_ptr_equal(p, base + (pad ? 0 : head));
                                fill(p, 1000 + len, 1);
                                ring_commit(r, 1);
                                take(r, len, len);
                                take(r, 1000 + len, 1);
                        } else {
                                assert_null(p);
                                take(r, len, len);
                        }
                        assert_null(ring_peek(r, NULL));
                        assert_int_equal(ring_space(r), SIZE);
                }
}

/* ring_reserve_keep leaves the last bytes to others, padding counted; the
 * drop counter is the producer's, read by the consumer. */
static void test_keep_and_drops(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;

        assert_int_equal(ring_new(&r, 256), 0);
        /* Records of 32 bytes; 96 must stay free after each. */
        for (uint64_t i = 0; i < 5; i++) {
                assert_non_null(ring_reserve_keep(r, 24, 96));
                put(r, i, 24, 24);
        }
        assert_int_equal(ring_space(r), 96);
        assert_null(ring_reserve_keep(r, 24, 96));
        assert_null(ring_reserve_keep(r, 24, 65));
        assert_non_null(ring_reserve_keep(r, 24, 64));
        assert_non_null(ring_reserve_keep(r, 24, 0));
        put(r, 5, 24, 24);
        put(r, 6, 24, 24);
        put(r, 7, 24, 24);
        assert_null(ring_reserve_keep(r, 0, 0));
        assert_null(ring_reserve(r, 0));

        /* The cached tail is refreshed when the consumer made room. */
        take(r, 0, 24);
        assert_null(ring_reserve_keep(r, 24, 1));
        assert_non_null(ring_reserve_keep(r, 24, 0));
        take(r, 1, 24);
        assert_non_null(ring_reserve_keep(r, 24, 32));

        put(r, 8, 24, 24);
        put(r, 9, 24, 24);
        assert_int_equal(ring_space(r), 0);
        for (uint64_t i = 2; i < 10; i++)
                take(r, i, 24);
        assert_int_equal(ring_space(r), 256);

        /* Padding counts against keep: at offset 224 a record of 40 bytes
         * (48 with its header) must wrap and waste 32 bytes. */
        for (uint64_t i = 10; i < 15; i++)
                put(r, i, 24, 24);
        for (uint64_t i = 10; i < 15; i++)
                take(r, i, 24);
        assert_null(ring_reserve_keep(r, 40, 256 - 32 - 48 + 1));
        assert_non_null(ring_reserve_keep(r, 40, 256 - 32 - 48));
        put(r, 17, 40, 40);
        assert_int_equal(ring_space(r), 256 - 32 - 48);
        take(r, 17, 40);

        assert_int_equal(ring_drops(r), 0);
        ring_count_drop(r);
        ring_count_drop(r);
        assert_int_equal(ring_drops(r), 2);
}

/* xorshift64*: the same sequence for producer, consumer and model. */
static uint64_t next_random(uint64_t *s) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ull;
}

/* Random sizes against a model of the ring (offsets, padding, free bytes):
 * every reservation succeeds exactly when the model says, at the place it
 * says, and records come out in order with their contents. */
static void test_model(void **state) {
        enum { SIZE = 1000 };
        _cleanup_(ring_freep) struct ring *r = NULL;
        uint64_t rnd = 0x9e3779b97f4a7c15ull, in = 0, out = 0;
        size_t head = 0, used = 0, lens[SIZE / RING_ALIGN];
        uint8_t *base;
        unsigned n = 0, wraps = 0, empty = 0;

        assert_int_equal(ring_new(&r, SIZE), 0);
        base = ring_reserve(r, 0);
        for (unsigned step = 0; step < 200000; step++) {
                uint64_t x = next_random(&rnd);
                /* Phases that mostly fill and mostly drain: full and empty both come often. */
                bool filling = step / 1000 % 2 == 0;

                if (filling ? x % 4 != 0 : x % 4 == 0) {
                        size_t max = (size_t) (x >> 8) % 200, len = (size_t) (x >> 24) % (max + 1);
                        size_t keep = x % 5 == 0 ? (size_t) (x >> 40) % 300 : 0;
                        size_t need = RING_RECORD_SIZE(max), to_end = SIZE - head;
                        size_t pad = need > to_end ? to_end : 0;
                        bool ok = used + pad + need + keep <= SIZE;
                        uint8_t *p = ring_reserve_keep(r, max, keep);

                        if (!ok) {
                                assert_null(p);
                                ring_count_drop(r);
                                continue;
                        }
                        assert_ptr_equal(p, base + (pad ? 0 : head));
                        fill(p, in, len);
                        ring_commit(r, len);
                        wraps += pad > 0;
                        head = (pad ? 0 : head) + RING_RECORD_SIZE(len);
                        head = head == SIZE ? 0 : head;
                        used += pad + RING_RECORD_SIZE(len);
                        lens[in % ELEMENTSOF(lens)] = len;
                        in++;
                        n++;
                        assert_true(n <= ELEMENTSOF(lens));
                        assert_int_equal(ring_space(r), SIZE - used);
                } else if (n > 0) {
                        size_t len = lens[out % ELEMENTSOF(lens)], got;
                        uint8_t *p = ring_peek(r, &got);

                        assert_non_null(p);
                        assert_int_equal(got, len);
                        assert_true(intact(p, out, len));
                        ring_release(r);
                        out++;
                        n--;
                        /* Free up to the next record, and the padding before it
                         * (the consumer skips it when it peeks at the record). */
                        used = 0;
                        if (n > 0) {
                                uint8_t *q = ring_peek(r, NULL);
                                size_t start = (size_t) (q - base);

                                used = head > start ? head - start : SIZE - start + head;
                        }
                        assert_int_equal(ring_space(r), SIZE - used);
                } else {
                        assert_null(ring_peek(r, NULL));
                        empty++;
                }
        }
        assert_true(wraps > 1000 && empty > 1000 && ring_drops(r) > 1000);
        print_message("%llu records, %u wraps, %llu refused, found empty %u times\n",
                      (unsigned long long) in, wraps, (unsigned long long) ring_drops(r), empty);
}

#define N_THREADED 1000000ull
#define THREADED_MAX 300

/* The size record seq reserves and the size it commits. */
static void threaded_sizes(uint64_t seq, size_t *max, size_t *len) {
        uint64_t s = seq + 1;

        next_random(&s);
        *max = (size_t) (next_random(&s) % (THREADED_MAX + 1));
        *len = (size_t) (next_random(&s) % (*max + 1));
}

static void *producer(void *userdata) {
        struct ring *r = userdata;

        for (uint64_t seq = 0; seq < N_THREADED;) {
                size_t max, len;
                uint8_t *p;

                threaded_sizes(seq, &max, &len);
                p = ring_reserve(r, max);
                if (!p) {
                        sched_yield();
                        continue;
                }
                fill(p, seq, len);
                ring_commit(r, len);
                seq++;
        }
        return NULL;
}

/* One producer, one consumer, random sizes: every record arrives once, in
 * order, with the length and the contents the producer wrote before
 * committing. The ring's size is no power of two, and it wraps often. */
static void test_threads(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;
        pthread_t t;
        uint64_t expect = 0, empty = 0;

        assert_int_equal(ring_new(&r, 4000), 0);
        assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
        while (expect < N_THREADED) {
                size_t max, len, got;
                uint8_t *p = ring_peek(r, &got);

                if (!p) {
                        empty++;
                        sched_yield();
                        continue;
                }
                threaded_sizes(expect, &max, &len);
                if (got != len || !intact(p, expect, len))
                        fail_msg("record %llu: %zu bytes, wanted %zu, or different contents",
                                 (unsigned long long) expect, got, len);
                ring_release(r);
                expect++;
        }
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_null(ring_peek(r, NULL));
        assert_int_equal(ring_space(r), 4000);
        print_message("%llu records, consumer found the ring empty %llu times\n",
                      (unsigned long long) N_THREADED, (unsigned long long) empty);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new),
                cmocka_unit_test(test_full_and_fifo),
                cmocka_unit_test(test_exactly_fits),
                cmocka_unit_test(test_wrap_every_offset),
                cmocka_unit_test(test_keep_and_drops),
                cmocka_unit_test(test_model),
                cmocka_unit_test(test_threads),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
