/* SPDX-License-Identifier: MIT */
/*
 * Bytes of open connections: what each read of the table and each end count,
 * so that the sum is the kernel's total, once; connections older than the
 * daemon, ids reused, a full table, DESTROY events lost, incomplete reads.
 */

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "live-bytes.h"
#include "macro.h"

#define SUBSCRIBED 1000000000000ull

static struct flow conn(uint32_t id, uint16_t sport) {
        struct flow f = {
                .action = FLOW_CONNECTION_NEW,
                .family = AF_INET,
                .l4proto = IPPROTO_TCP,
                .src_port = sport,
                .dst_port = 5223,
                .has_ct = true,
                .ct_id = id,
                .has_timestamps = true,
                .start_ns = SUBSCRIBED + 1,
        };

        f.src.bytes[0] = 192;
        f.src.bytes[3] = 2;
        f.dst.bytes[0] = 17;
        f.dst.bytes[3] = 3;
        return f;
}

static void set_counters(struct flow *f, uint64_t orig_bytes, uint64_t reply_bytes, uint64_t packets) {
        f->has_counters = true;
        f->orig_bytes = orig_bytes;
        f->reply_bytes = reply_bytes;
        f->orig_packets = packets;
        f->reply_packets = packets;
}

static enum live_bytes_read read_one(struct live_bytes *lb, struct flow f, uint64_t ob, uint64_t rb,
                                     uint64_t *bytes, uint64_t *packets) {
        f.action = FLOW_CONNECTION_OPEN;
        set_counters(&f, ob, rb, 1);
        return live_bytes_read(lb, &f, bytes, packets);
}

static uint64_t end_one(struct live_bytes *lb, struct flow f, uint64_t ob, uint64_t rb) {
        uint64_t bytes, packets;

        f.action = FLOW_CONNECTION_END;
        set_counters(&f, ob, rb, 1);
        live_bytes_end(lb, &f, &bytes, &packets);
        return bytes;
}

static void open_id(struct live_bytes *lb, uint32_t id) {
        struct flow f = conn(id, (uint16_t) (50000 + id));

        live_bytes_open(lb, &f);
}

/* Open, three reads, end: the counts add up to the kernel's total. */
static void test_counts_once(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct flow f = conn(7, 50000);
        struct live_bytes_stats st;
        uint64_t b, p, sum = 0;

        assert_int_equal(live_bytes_new(&lb, 4, SUBSCRIBED), 0);
        live_bytes_open(lb, &f);
        live_bytes_open(lb, &f); /* twice: still one */
        live_bytes_get_stats(lb, &st);
        assert_int_equal(st.open, 1);

        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, f, 1000, 200, &b, &p), LIVE_BYTES_COUNT);
        assert_int_equal(b, 1200);
        assert_int_equal(p, 2);
        sum += b;
        live_bytes_read_end(lb, true, 1);
        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, f, 1000, 200, &b, &p), LIVE_BYTES_COUNT);
        assert_int_equal(b, 0); /* nothing new */
        assert_int_equal(p, 0);
        live_bytes_read_end(lb, true, 1);
        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, f, 5000, 300, &b, &p), LIVE_BYTES_COUNT);
        assert_int_equal(b, 4100);
        sum += b;
        live_bytes_read_end(lb, true, 1);

        sum += end_one(lb, f, 6000, 400);
        assert_int_equal(sum, 6400);
        live_bytes_get_stats(lb, &st);
        assert_int_equal(st.open, 0);
        assert_int_equal(st.reads, 3);
        assert_int_equal(st.stale, 0);
        assert_int_equal(st.read_entries, 1);

        /* After its end it is gone: a late read counts nothing. */
        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, f, 7000, 400, &b, &p), LIVE_BYTES_SKIP);
        assert_int_equal(b, 0);
}

/* Never followed (not tagged, or the table was full): the end counts all. */
static void test_end_unfollowed(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;

        assert_int_equal(live_bytes_new(&lb, 4, SUBSCRIBED), 0);
        assert_int_equal(end_one(lb, conn(9, 50001), 300, 30), 330);
}

/* A read of a connection the daemon did not open: begun after the
 * subscription, its NEW decides (skip); begun before, adopt it from its
 * counters now, so only what follows counts; without timestamps, skip. */
static void test_older(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct flow young = conn(1, 50000), old = conn(2, 50001), untimed = conn(3, 50002);
        uint64_t b, p;

        old.start_ns = SUBSCRIBED - 1;
        untimed.has_timestamps = false;
        assert_int_equal(live_bytes_new(&lb, 4, SUBSCRIBED), 0);
        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, young, 10, 10, &b, &p), LIVE_BYTES_SKIP);
        assert_int_equal(read_one(lb, untimed, 10, 10, &b, &p), LIVE_BYTES_SKIP);
        assert_int_equal(read_one(lb, old, 1000000, 5000, &b, &p), LIVE_BYTES_OLDER);
        assert_int_equal(b, 0);
        set_counters(&old, 1000000, 5000, 100);
        live_bytes_adopt(lb, &old);
        live_bytes_read_end(lb, true, 3);

        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, old, 1000500, 5000, &b, &p), LIVE_BYTES_COUNT);
        assert_int_equal(b, 500);
        live_bytes_read_end(lb, true, 3);
        assert_int_equal(end_one(lb, old, 1000700, 5100), 300);
}

/* A read without counters (accounting off) counts nothing. */
static void test_no_counters(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct flow f = conn(5, 50000);
        uint64_t b = 1, p = 1;

        assert_int_equal(live_bytes_new(&lb, 4, SUBSCRIBED), 0);
        live_bytes_open(lb, &f);
        f.action = FLOW_CONNECTION_OPEN;
        assert_int_equal(live_bytes_read(lb, &f, &b, &p), LIVE_BYTES_SKIP);
        assert_int_equal(b, 0);
        assert_int_equal(p, 0);
}

/* The same id with another tuple is another connection; a counter that went
 * back (an id reused under the same tuple) starts again from it. */
static void test_reused_id(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct flow a = conn(11, 50000), b = conn(11, 50001);
        uint64_t n, p;

        assert_int_equal(live_bytes_new(&lb, 4, SUBSCRIBED), 0);
        live_bytes_open(lb, &a);
        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, a, 900, 100, &n, &p), LIVE_BYTES_COUNT);
        assert_int_equal(read_one(lb, b, 50, 50, &n, &p), LIVE_BYTES_SKIP);
        assert_int_equal(read_one(lb, a, 20, 0, &n, &p), LIVE_BYTES_COUNT);
        assert_int_equal(n, 0);
        assert_int_equal(read_one(lb, a, 120, 0, &n, &p), LIVE_BYTES_COUNT);
        assert_int_equal(n, 100);
        assert_int_equal(end_one(lb, b, 70, 50), 120); /* never followed */
        assert_int_equal(end_one(lb, a, 150, 0), 30);
}

/* At most max followed; the rest count at their end, and say so. */
static void test_full(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct live_bytes_stats st;
        uint64_t b, p;

        assert_int_equal(live_bytes_new(&lb, 3, SUBSCRIBED), 0);
        for (uint32_t id = 1; id <= 5; id++)
                open_id(lb, id);
        live_bytes_get_stats(lb, &st);
        assert_int_equal(st.open, 3);
        assert_int_equal(st.capacity, 3);
        assert_int_equal(st.untracked, 2);
        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, conn(4, 50004), 10, 10, &b, &p), LIVE_BYTES_SKIP);
        assert_int_equal(read_one(lb, conn(2, 50002), 10, 10, &b, &p), LIVE_BYTES_COUNT);
        assert_int_equal(end_one(lb, conn(4, 50004), 40, 10), 50);
        assert_int_equal(end_one(lb, conn(2, 50002), 40, 10), 30);
        /* Room again: a new connection is followed. */
        open_id(lb, 6);
        live_bytes_get_stats(lb, &st);
        assert_int_equal(st.open, 3);
        assert_int_equal(st.untracked, 2);
}

/* Missing from two complete reads: forgotten as stale. An incomplete read
 * proves nothing; a connection opened during a read is not missing from it. */
static void test_stale(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct flow kept = conn(1, 50001), lost = conn(2, 50002), late = conn(3, 50003);
        struct live_bytes_stats st;
        uint64_t b, p;

        assert_int_equal(live_bytes_new(&lb, 8, SUBSCRIBED), 0);
        live_bytes_open(lb, &kept);
        live_bytes_open(lb, &lost);
        for (int r = 0; r < 4; r++) {
                live_bytes_read_begin(lb);
                if (r == 1)
                        live_bytes_open(lb, &late); /* after the dump passed it */
                assert_int_equal(read_one(lb, kept, 10u + r, 0, &b, &p), LIVE_BYTES_COUNT);
                if (r >= 2)
                        assert_int_equal(read_one(lb, late, 10u + r, 0, &b, &p), LIVE_BYTES_COUNT);
                /* read 1 is cut short */
                live_bytes_read_end(lb, r != 1, 1);
                live_bytes_get_stats(lb, &st);
                /* lost: missing from reads 0 and 2 (complete) */
                assert_int_equal(st.stale, r >= 2 ? 1 : 0);
        }
        live_bytes_get_stats(lb, &st);
        assert_int_equal(st.open, 2);
        assert_int_equal(st.reads, 3);
        assert_int_equal(st.reads_incomplete, 1);
        /* Its late DESTROY counts everything, as for one never followed. */
        assert_int_equal(end_one(lb, lost, 100, 0), 100);
        assert_int_equal(end_one(lb, late, 20, 0), 7);
}

/* The incomplete read between two complete ones does not make a connection
 * missing from "two reads": it must be missing from two complete ones. */
static void test_incomplete_between(void **state) {
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct flow f = conn(1, 50001);
        struct live_bytes_stats st;
        uint64_t b, p;

        assert_int_equal(live_bytes_new(&lb, 8, SUBSCRIBED), 0);
        live_bytes_open(lb, &f);
        live_bytes_read_begin(lb);
        assert_int_equal(read_one(lb, f, 10, 0, &b, &p), LIVE_BYTES_COUNT);
        live_bytes_read_end(lb, true, 1);
        live_bytes_read_begin(lb); /* interrupted before it got to f */
        live_bytes_read_end(lb, false, 0);
        live_bytes_read_begin(lb); /* f ended during this one; its DESTROY is queued */
        live_bytes_read_end(lb, true, 0);
        live_bytes_get_stats(lb, &st);
        assert_int_equal(st.stale, 0);
        assert_int_equal(end_one(lb, f, 25, 0), 15); /* not counted twice */
}

/* Many connections opening, growing and ending in a random order, ids
 * colliding in the table: each one's counts add up to its final counter,
 * and the table holds exactly the open ones (deletions keep every probe
 * chain whole). */
static void test_churn(void **state) {
        enum { SLOTS = 48,
               STEPS = 200000 };
        struct {
                bool open;
                uint32_t id;
                uint64_t kernel, counted;
        } c[SLOTS] = {};
        _cleanup_(live_bytes_freep) struct live_bytes *lb = NULL;
        struct live_bytes_stats st;
        uint32_t seed = 12345, next_id = 1;
        size_t open = 0;

        assert_int_equal(live_bytes_new(&lb, SLOTS, SUBSCRIBED), 0);
        for (int step = 0; step < STEPS; step++) {
                uint32_t r;
                size_t i;
                uint64_t b, p;

                seed = seed * 1103515245u + 12345u;
                r = seed >> 8;
                i = r % SLOTS;
                if (!c[i].open) {
                        /* ids close together and far apart: neighbours in the table */
                        c[i].id = (r & 1) ? next_id++ : next_id++ * 64;
                        c[i].open = true;
                        c[i].kernel = c[i].counted = 0;
                        open_id(lb, c[i].id);
                        open++;
                        continue;
                }
                c[i].kernel += (r >> 4) % 1000;
                if ((r >> 14) % 4 != 0) {
                        live_bytes_read_begin(lb);
                        assert_int_equal(read_one(lb, conn(c[i].id, (uint16_t) (50000 + c[i].id)), c[i].kernel,
                                                  0, &b, &p),
                                         LIVE_BYTES_COUNT);
                        c[i].counted += b;
                        continue;
                }
                c[i].counted += end_one(lb, conn(c[i].id, (uint16_t) (50000 + c[i].id)), c[i].kernel, 0);
                assert_int_equal(c[i].counted, c[i].kernel);
                c[i].open = false;
                open--;
                live_bytes_get_stats(lb, &st);
                assert_int_equal(st.open, open);
        }
        live_bytes_get_stats(lb, &st);
        assert_int_equal(st.untracked, 0);
        assert_int_equal(st.stale, 0);
}

static void test_bad_size(void **state) {
        struct live_bytes *lb = NULL;

        assert_int_equal(live_bytes_new(&lb, 0, SUBSCRIBED), -EINVAL);
        assert_int_equal(live_bytes_new(&lb, SIZE_MAX / 2, SUBSCRIBED), -EINVAL);
        assert_null(lb);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counts_once),
                cmocka_unit_test(test_end_unfollowed),
                cmocka_unit_test(test_older),
                cmocka_unit_test(test_no_counters),
                cmocka_unit_test(test_reused_id),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_stale),
                cmocka_unit_test(test_incomplete_between),
                cmocka_unit_test(test_churn),
                cmocka_unit_test(test_bad_size),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
