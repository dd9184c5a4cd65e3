/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"

static void put(struct ring *r, uint64_t seq) {
        struct entry *e = ring_reserve(r);

        assert_non_null(e);
        e->realtime_usec = seq;
        e->n_fields = (uint8_t) seq;
        ring_commit(r);
}

static uint64_t take(struct ring *r) {
        struct entry *e = ring_peek(r);
        uint64_t seq;

        assert_non_null(e);
        seq = e->realtime_usec;
        assert_int_equal(e->n_fields, (uint8_t) seq);
        ring_release(r);
        return seq;
}

static void test_new(void **state) {
        struct ring *r = NULL;

        assert_int_equal(ring_new(&r, 5), 0);
        assert_int_equal(ring_capacity(r), 8);
        ring_free(r);
        assert_int_equal(ring_new(&r, 0), 0);
        assert_int_equal(ring_capacity(r), 2);
        ring_free(r);
        assert_int_equal(ring_new(&r, 64), 0);
        assert_int_equal(ring_capacity(r), 64);
        ring_free(r);
        assert_int_equal(ring_new(&r, RING_CAPACITY_MAX + 1), -EINVAL);
}

static void test_full_and_fifo(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;

        assert_int_equal(ring_new(&r, 8), 0);
        assert_null(ring_peek(r));
        assert_int_equal(ring_space(r), 8);

        /* Reserving twice without a commit gives the same slot. */
        assert_ptr_equal(ring_reserve(r), ring_reserve(r));
        for (uint64_t i = 0; i < 8; i++)
                put(r, i);
        assert_null(ring_reserve(r));
        assert_null(ring_reserve(r));
        assert_int_equal(ring_space(r), 0);
        assert_int_equal(ring_count(r), 8);

        for (uint64_t i = 0; i < 8; i++)
                assert_int_equal(take(r), i);
        assert_null(ring_peek(r));
        assert_int_equal(ring_count(r), 0);
        assert_int_equal(ring_space(r), 8);
}

/* ring_reserve_keep leaves the last slots to others; the drop counter is
 * the producer's, read by the consumer. */
static void test_keep_and_drops(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;

        assert_int_equal(ring_new(&r, 8), 0);
        for (uint64_t i = 0; i < 5; i++) {
                assert_non_null(ring_reserve_keep(r, 3));
                put(r, i);
        }
        assert_null(ring_reserve_keep(r, 3));
        assert_non_null(ring_reserve_keep(r, 2));
        assert_non_null(ring_reserve_keep(r, 0));
        put(r, 5);
        put(r, 6);
        put(r, 7);
        assert_null(ring_reserve_keep(r, 0));
        assert_null(ring_reserve(r));

        /* The cached tail is refreshed when the consumer made room. */
        assert_int_equal(take(r), 0);
        assert_null(ring_reserve_keep(r, 1));
        assert_non_null(ring_reserve_keep(r, 0));
        assert_int_equal(take(r), 1);
        assert_non_null(ring_reserve_keep(r, 1));

        assert_int_equal(ring_drops(r), 0);
        ring_count_drop(r);
        ring_count_drop(r);
        assert_int_equal(ring_drops(r), 2);
}

/* Head and tail run far past the capacity; order holds across the wrap. */
static void test_wraparound(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;
        uint64_t in = 0, out = 0;

        assert_int_equal(ring_new(&r, 4), 0);
        for (unsigned round = 0; round < 1000; round++) {
                unsigned n = 1 + round % 4;

                for (unsigned i = 0; i < n; i++)
                        put(r, in++);
                if (n == 4)
                        assert_null(ring_reserve(r));
                for (unsigned i = 0; i < n - (round % 2); i++)
                        assert_int_equal(take(r), out++);
                while (ring_count(r) > 0)
                        assert_int_equal(take(r), out++);
        }
        assert_int_equal(in, out);
        assert_null(ring_peek(r));
}

#define N_THREADED 4000000ull

static void *producer(void *userdata) {
        struct ring *r = userdata;

        for (uint64_t seq = 0; seq < N_THREADED;) {
                struct entry *e = ring_reserve(r);

                if (!e) {
                        sched_yield();
                        continue;
                }
                e->realtime_usec = seq;
                e->len = (uint16_t) (seq * 7);
                e->data[seq % 64] = (char) seq;
                ring_commit(r);
                seq++;
        }
        return NULL;
}

/* One producer, one consumer: every entry arrives once, in order, with the
 * contents the producer wrote before committing. */
static void test_threads(void **state) {
        _cleanup_(ring_freep) struct ring *r = NULL;
        pthread_t t;
        uint64_t expect = 0, empty = 0;

        assert_int_equal(ring_new(&r, 64), 0);
        assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
        while (expect < N_THREADED) {
                struct entry *e = ring_peek(r);

                if (!e) {
                        empty++;
                        sched_yield();
                        continue;
                }
                if (e->realtime_usec != expect || e->len != (uint16_t) (expect * 7) ||
                    e->data[expect % 64] != (char) expect)
                        fail_msg("entry %llu: got seq %llu", (unsigned long long) expect,
                                 (unsigned long long) e->realtime_usec);
                ring_release(r);
                expect++;
        }
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_null(ring_peek(r));
        print_message("%llu entries, consumer found the ring empty %llu times\n",
                      (unsigned long long) N_THREADED, (unsigned long long) empty);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new),
                cmocka_unit_test(test_full_and_fifo),
                cmocka_unit_test(test_wraparound),
                cmocka_unit_test(test_keep_and_drops),
                cmocka_unit_test(test_threads),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
