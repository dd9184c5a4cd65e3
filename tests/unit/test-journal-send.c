/* SPDX-License-Identifier: MIT */
/*
 * journald's native protocol on our own socket, against a stand-in journald
 * (a datagram socket in a temporary directory): the exact bytes, and every
 * failure reported, where sd_journal_sendv() reports ENOENT as success.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake-journald.h"
#include "macro.h"
#include "journal-send.h"
#include "message-id.h"

struct fixture {
        struct fake_journald journald;
        struct journal_socket j;
};

static int setup(void **state) {
        struct fixture *x = calloc(1, sizeof(*x));

        assert_non_null(x);
        fake_journald_init(&x->journald);
        assert_int_equal(journal_socket_open(&x->j, x->journald.path), 0);
        *state = x;
        return 0;
}

static int teardown(void **state) {
        struct fixture *x = *state;

        journal_socket_close(&x->j);
        fake_journald_done(&x->journald);
        free(x);
        return 0;
}

/* One field per line; a value with a newline in the binary form. */
static void test_wire_format(void **state) {
        static const char want[] =
                "MESSAGE_ID=" MESSAGE_ID_RELOADED_STR "\n"
                "MESSAGE\n\x0c\0\0\0\0\0\0\0two\nlines =x\n"
                "PRIORITY=5\n"
                "SYSLOG_IDENTIFIER=appleflowd\n"
                "EXTRA=a=b\n";
        struct fixture *x = *state;
        struct entry e;
        char buf[4096];
        long n;

        fake_journald_bind(&x->journald);
        assert_int_equal(entry_format_message(&e, MESSAGE_ID_RELOADED_STR, 5, "two\nlines =x"), 0);
        assert_int_equal(entry_add_field(&e, "EXTRA", "a=b"), 0);
        assert_int_equal(journal_socket_send(&x->j, &e), 0);
        n = fake_journald_recv(&x->journald, buf, sizeof(buf));
        assert_int_equal(n, sizeof(want) - 1);
        assert_memory_equal(buf, want, sizeof(want) - 1);
}

/* The largest datagram: as many fields as an entry holds, each value a
 * newline (the binary form, 8 bytes more than the field and its NUL), then
 * one long value filling the rest. It fits JOURNAL_DATAGRAM_MAX and reads back
 * field by field. */
static void test_largest_entry(void **state) {
        struct fixture *x = *state;
        _cleanup_free_ struct entry *e = malloc(sizeof(*e));
        _cleanup_free_ char *buf = malloc(JOURNAL_DATAGRAM_MAX + 1);
        char name[16], big[ENTRY_BUF_SIZE];
        unsigned fields;
        size_t want = 0;
        long n;

        assert_non_null(e);
        assert_non_null(buf);
        fake_journald_bind(&x->journald);
        assert_int_equal(entry_format_message(e, MESSAGE_ID_RELOADED_STR, 5, "m"), 0);
        for (fields = e->n_fields; fields < ENTRY_FIELDS_MAX - 1; fields++) {
                snprintf(name, sizeof(name), "F%u", fields);
                assert_int_equal(entry_add_field(e, name, "\n"), 0);
        }
        memset(big, 'v', sizeof(big));
        for (size_t len = sizeof(big) - 1; len > 0; len--) {
                big[len] = '\0';
                if (entry_add_field(e, "BIG", "%s", big) == 0)
                        break;
        }
        assert_int_equal(e->n_fields, ENTRY_FIELDS_MAX);
        for (unsigned i = 0; i < e->n_fields; i++)
                want += memchr(entry_field_str(e, i), '\n', entry_field_len(e, i)) ? entry_field_len(e, i) + 9 : entry_field_len(e, i) + 1;
        assert_true(want <= JOURNAL_DATAGRAM_MAX);

        assert_int_equal(journal_socket_send(&x->j, e), 0);
        n = fake_journald_recv(&x->journald, buf, JOURNAL_DATAGRAM_MAX + 1);
        assert_int_equal(n, (long) want);
        assert_memory_equal(buf, "MESSAGE_ID=", 11);
        assert_int_equal(buf[n - 1], '\n');
}

/* No journald: no socket (ENOENT), a socket nobody listens on (ECONNREFUSED). */
static void test_no_journald(void **state) {
        struct fixture *x = *state;
        struct entry e;

        assert_int_equal(entry_format_message(&e, MESSAGE_ID_STARTED_STR, 5, "started"), 0);
        assert_int_equal(journal_socket_send(&x->j, &e), -ENOENT);
        fake_journald_bind(&x->journald);
        fake_journald_close(&x->journald);
        assert_int_equal(journal_socket_send(&x->j, &e), -ECONNREFUSED);
}

/* A journald that does not read: the send blocks, and with a timeout gives
 * up with -EAGAIN once its queue is full. */
static void test_timeout(void **state) {
        struct fixture *x = *state;
        struct entry e;
        unsigned sent = 0;
        int r;

        fake_journald_bind(&x->journald);
        assert_int_equal(entry_format_message(&e, MESSAGE_ID_STARTED_STR, 5, "started"), 0);
        assert_int_equal(journal_socket_set_timeout(&x->j, 50000), 0);
        while ((r = journal_socket_send(&x->j, &e)) == 0)
                assert_true(++sent < 1000000);
        assert_int_equal(r, -EAGAIN);
        assert_true(sent > 0);
}

static void test_bad_path(void **state) {
        struct journal_socket j;
        char long_path[200];

        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[sizeof(long_path) - 1] = '\0';
        assert_int_equal(journal_socket_open(&j, long_path), -ENAMETOOLONG);
        assert_int_equal(j.fd, -1);
        assert_int_equal(journal_socket_open(&j, ""), -ENAMETOOLONG);
        journal_socket_close(&j);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_wire_format, setup, teardown),
                cmocka_unit_test_setup_teardown(test_largest_entry, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_journald, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
                cmocka_unit_test(test_bad_path),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
