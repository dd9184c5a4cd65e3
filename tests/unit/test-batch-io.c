/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch-io.h"

struct reader {
        int fds[2]; /* a pipe: written by the test, read by read_all */
        unsigned calls;
        uint64_t last_usec; /* when read_all last ran */
        int result;         /* returned instead of the bytes read, when not 0 */
        size_t per_read;    /* bytes taken per read, 0: all */
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static int read_all(void *userdata) {
        struct reader *rd = userdata;
        char buf[64];
        ssize_t n;
        int total = 0;

        rd->calls++;
        rd->last_usec = now_usec();
        while ((n = read(rd->fds[0], buf, rd->per_read ?: sizeof(buf))) > 0) {
                total += (int) n;
                if (rd->per_read)
                        break;
        }
        return rd->result != 0 ? rd->result : total;
}

static void put(struct reader *rd) {
        assert_int_equal(write(rd->fds[1], "x", 1), 1);
}

struct fixture {
        sd_event *event;
        struct batch_io *b;
        struct reader rd;
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(pipe2(f->rd.fds, O_NONBLOCK | O_CLOEXEC), 0);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(batch_io_new(&f->b, f->event, f->rd.fds[0], read_all, &f->rd), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        batch_io_free(f->b);
        sd_event_unref(f->event);
        close(f->rd.fds[0]);
        close(f->rd.fds[1]);
        free(f);
        return 0;
}

/* sd_event_run() until the reader has been called `calls` times in all; a
 * loop that has nothing to do for 10 s will never call it. */
static void run_until(struct fixture *f, unsigned calls) {
        while (f->rd.calls < calls)
                if (sd_event_run(f->event, 10 * 1000000u) <= 0)
                        fail_msg("no read %u: nothing to dispatch", calls);
}

static void test_idle_reads_when_data_arrives(void **state) {
        struct fixture *f = *state;

        /* Nothing there: no read, however long it waits (50 ms here). */
        assert_true(sd_event_run(f->event, 50000) >= 0);
        assert_int_equal(f->rd.calls, 0);

        put(&f->rd);
        run_until(f, 1);
        assert_int_equal(f->rd.calls, 1);
}

static void test_busy_reads_once_per_interval(void **state) {
        struct fixture *f = *state;
        uint64_t previous;

        put(&f->rd);
        run_until(f, 1);
        /* It found something: however much more comes, the next read waits
         * for the interval (timers never fire early). */
        for (unsigned i = 2; i <= 4; i++) {
                previous = f->rd.last_usec;
                put(&f->rd);
                put(&f->rd);
                run_until(f, i);
                assert_true(f->rd.last_usec - previous >= BATCH_IO_INTERVAL_USEC);
        }
}

static void test_burst_reads_on_at_once(void **state) {
        struct fixture *f = *state;

        /* A read that leaves some behind is followed by the next without
         * waiting: a loop iteration that does not wait finds it due. */
        f->rd.per_read = 1;
        put(&f->rd);
        put(&f->rd);
        put(&f->rd);
        run_until(f, 1);
        assert_true(sd_event_run(f->event, 0) > 0);
        assert_int_equal(f->rd.calls, 2);
        assert_true(sd_event_run(f->event, 0) > 0);
        assert_int_equal(f->rd.calls, 3);
}

static void test_back_to_idle_after_an_empty_read(void **state) {
        struct fixture *f = *state;

        put(&f->rd);
        run_until(f, 1);
        run_until(f, 2); /* the interval's read finds nothing */
        /* Idle again: no more reads on the timer ... */
        assert_true(sd_event_run(f->event, 50000) >= 0);
        assert_int_equal(f->rd.calls, 2);
        /* ... but data wakes it. */
        put(&f->rd);
        run_until(f, 3);
}

static void test_error_stops_reading(void **state) {
        struct fixture *f = *state;

        f->rd.result = -EIO;
        put(&f->rd);
        run_until(f, 1);
        put(&f->rd);
        assert_true(sd_event_run(f->event, 50000) >= 0);
        assert_int_equal(f->rd.calls, 1);
}

static void test_invalid(void **state) {
        sd_event *e = NULL;
        struct batch_io *b = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(batch_io_new(&b, e, -1, read_all, NULL), -EINVAL);
        assert_int_equal(batch_io_new(&b, e, 0, NULL, NULL), -EINVAL);
        assert_null(b);
        assert_null(batch_io_free(NULL));
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_idle_reads_when_data_arrives, setup, teardown),
                cmocka_unit_test_setup_teardown(test_busy_reads_once_per_interval, setup, teardown),
                cmocka_unit_test_setup_teardown(test_burst_reads_on_at_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_back_to_idle_after_an_empty_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_stops_reading, setup, teardown),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
