/* SPDX-License-Identifier: MIT */

/* A conntrack input that hears nothing: when to warn, and what to say. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conntrack-quiet.h"

#define SEC 1000000ull

static void test_at_start(void **state) {
        struct conntrack_quiet q;
        char buf[512];

        /* The kernel tracks nothing in this namespace: said at once, once. */
        conntrack_quiet_start(&q, 0);
        assert_true(conntrack_quiet_check(&q, 0, 0, true, 0, buf, sizeof(buf)));
        assert_non_null(strstr(buf, "At start the kernel tracks no connection in this network namespace"));
        assert_non_null(strstr(buf, "no firewall rule here uses connection tracking"));
        assert_int_equal(conntrack_quiet_seconds(&q, 5 * SEC), 5);
        assert_false(conntrack_quiet_check(&q, 0, 0, false, 120 * SEC, buf, sizeof(buf)));

        /* Connections older than the daemon: nothing to say at start. */
        conntrack_quiet_start(&q, 0);
        assert_false(conntrack_quiet_check(&q, 0, 12, true, 0, buf, sizeof(buf)));
        assert_int_equal(conntrack_quiet_seconds(&q, 5 * SEC), 0);
}

static void test_quiet(void **state) {
        struct conntrack_quiet q;
        char buf[512];

        conntrack_quiet_start(&q, 0);
        assert_false(conntrack_quiet_check(&q, 0, 7, false, 59 * SEC, buf, sizeof(buf)));
        /* A minute without an event while the kernel tracks 7: events are off. */
        assert_true(conntrack_quiet_check(&q, 0, 7, false, 60 * SEC, buf, sizeof(buf)));
        assert_string_equal(buf, "No conntrack event for 60 s: the kernel tracks 7 connections but sends no "
                                 "event. Most likely events are off: set net.netfilter.nf_conntrack_events=1 "
                                 "(sysctl -w net.netfilter.nf_conntrack_events=1, and in /etc/sysctl.d/)");
        assert_false(conntrack_quiet_check(&q, 0, 7, false, 200 * SEC, buf, sizeof(buf)));
        assert_int_equal(conntrack_quiet_seconds(&q, 200 * SEC), 200);

        /* Events again: quiet ends, and a new silence is told again. */
        assert_false(conntrack_quiet_check(&q, 3, 7, false, 210 * SEC, buf, sizeof(buf)));
        assert_int_equal(conntrack_quiet_seconds(&q, 211 * SEC), 0);
        assert_true(conntrack_quiet_check(&q, 3, -1, false, 271 * SEC, buf, sizeof(buf)));
        assert_non_null(strstr(buf, "No conntrack event for 61 s: no traffic, no firewall rule"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_at_start),
                cmocka_unit_test(test_quiet),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
