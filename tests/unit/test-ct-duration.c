/* SPDX-License-Identifier: MIT */
/*
 * A connection's own duration from its conntrack entry's lifetime: the
 * timeouts read from files (written here, then the kernel's own in a private
 * namespace), and a table of ends: expired in each state, deleted early,
 * ambiguous states, missing data.
 */

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "ct-duration.h"
#include "kernel-netns.h"
#include "macro.h"
#include "sysctl-check.h"

#define MS 1000000ull
#define S 1000000000ull

static char dir[] = "/tmp/test-ct-duration-XXXXXX";

static void write_setting(const char *name, const char *value) {
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(value, f);
        fclose(f);
}

static const char *const settings[] = {
        "nf_conntrack_tcp_timeout_syn_sent",
        "nf_conntrack_tcp_timeout_syn_recv",
        "nf_conntrack_tcp_timeout_established",
        "nf_conntrack_tcp_timeout_fin_wait",
        "nf_conntrack_tcp_timeout_close_wait",
        "nf_conntrack_tcp_timeout_last_ack",
        "nf_conntrack_tcp_timeout_time_wait",
        "nf_conntrack_tcp_timeout_close",
        "nf_conntrack_tcp_timeout_max_retrans",
        "nf_conntrack_tcp_timeout_unacknowledged",
        "nf_conntrack_udp_timeout",
        "nf_conntrack_udp_timeout_stream",
};

static int make_dir(void **state) {
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int remove_dir(void **state) {
        char path[256];

        for (size_t i = 0; i < ELEMENTSOF(settings); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, settings[i]);
                (void) unlink(path);
        }
        (void) rmdir(dir);
        return 0;
}

/* The kernel's defaults (Linux 6.1). */
static struct ct_timeouts defaults(void) {
        struct ct_timeouts t = {
                .tcp = {
                        [TCP_STATE_SYN_SENT] = 120,
                        [TCP_STATE_SYN_RECV] = 60,
                        [TCP_STATE_ESTABLISHED] = 432000,
                        [TCP_STATE_FIN_WAIT] = 120,
                        [TCP_STATE_CLOSE_WAIT] = 60,
                        [TCP_STATE_LAST_ACK] = 30,
                        [TCP_STATE_TIME_WAIT] = 120,
                        [TCP_STATE_CLOSE] = 10,
                        [TCP_STATE_SYN_SENT2] = 120,
                },
                .tcp_retrans = 300,
                .tcp_unack = 300,
                .udp = 30,
                .udp_stream = 120,
        };
        return t;
}

static void test_read_files(void **state) {
        struct ct_timeouts t;
        const char *values[] = { "3", "60", "432000", "120", "60", "30", "2", "10", "300", "300", "2", "180" };

        /* Nothing there: nothing known, no duration. */
        assert_int_equal(ct_timeouts_read(&t, dir), 0);
        assert_int_equal(t.tcp[TCP_STATE_TIME_WAIT], 0);
        assert_int_equal(t.udp, 0);

        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                write_setting(settings[i], values[i]);
        assert_int_equal(ct_timeouts_read(&t, dir), (int) ELEMENTSOF(settings));
        assert_int_equal(t.tcp[TCP_STATE_SYN_SENT], 3);
        assert_int_equal(t.tcp[TCP_STATE_ESTABLISHED], 432000);
        assert_int_equal(t.tcp[TCP_STATE_TIME_WAIT], 2);
        assert_int_equal(t.tcp[TCP_STATE_SYN_SENT2], 120); /* no sysctl: the kernel's constant */
        assert_int_equal(t.tcp_retrans, 300);
        assert_int_equal(t.udp, 2);
        assert_int_equal(t.udp_stream, 180);

        /* Garbage in one file: that one is unknown, the others stand. */
        write_setting("nf_conntrack_tcp_timeout_time_wait", "soon\n");
        write_setting("nf_conntrack_udp_timeout", "-5\n");
        assert_int_equal(ct_timeouts_read(&t, dir), (int) ELEMENTSOF(settings) - 2);
        assert_int_equal(t.tcp[TCP_STATE_TIME_WAIT], 0);
        assert_int_equal(t.udp, 0);
        assert_int_equal(t.tcp[TCP_STATE_CLOSE], 10);
}

static struct flow end_flow(uint8_t proto, int tcp_state, uint32_t status, uint64_t lifetime_ns) {
        struct flow f = {
                .action = FLOW_CONNECTION_END,
                .l4proto = proto,
                .has_timestamps = true,
                .start_ns = 1700000000 * S,
                .has_status = true,
                .ct_status = status,
        };

        f.stop_ns = f.start_ns + lifetime_ns;
        if (tcp_state >= 0) {
                f.has_tcp_state = true;
                f.tcp_state = (uint8_t) tcp_state;
        }
        return f;
}

struct duration_case {
        const char *what;
        uint8_t proto;
        int tcp_state; /* -1: none */
        uint32_t status;
        uint64_t lifetime_ns;
        bool derived;
        uint64_t duration_ns;
};

static void test_durations(void **state) {
        const struct ct_timeouts t = defaults();
        const uint32_t answered = IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED;
        const struct duration_case cases[] = {
                { "10 ms exchange, TIME_WAIT expired", IPPROTO_TCP, TCP_STATE_TIME_WAIT, answered,
                  120 * S + 10 * MS, true, 10 * MS },
                { "a reset: CLOSE expired", IPPROTO_TCP, TCP_STATE_CLOSE, answered, 10 * S + 2500 * MS, true,
                  2500 * MS },
                { "unanswered SYN, one packet", IPPROTO_TCP, TCP_STATE_SYN_SENT, IPS_CONFIRMED, 120 * S, true,
                  0 },
                { "expired a jiffy early: 0", IPPROTO_TCP, TCP_STATE_SYN_SENT, IPS_CONFIRMED, 120 * S - 4 * MS,
                  true, 0 },
                { "SYN retransmitted after 1 s", IPPROTO_TCP, TCP_STATE_SYN_SENT, IPS_CONFIRMED, 121 * S,
                  true, 1 * S },
                { "deleted by hand in TIME_WAIT", IPPROTO_TCP, TCP_STATE_TIME_WAIT, answered, 3 * S, false, 0 },
                { "deleted 11 ms before the timeout", IPPROTO_TCP, TCP_STATE_TIME_WAIT, answered,
                  120 * S - 11 * MS, false, 0 },
                { "ESTABLISHED: the timeout is ambiguous", IPPROTO_TCP, TCP_STATE_ESTABLISHED, answered,
                  432000 * S + 5 * S, false, 0 },
                { "state NONE: no timeout", IPPROTO_TCP, TCP_STATE_NONE, answered, 200 * S, false, 0 },
                { "a state the kernel does not define", IPPROTO_TCP, 42, answered, 200 * S, false, 0 },
                { "TCP without a state", IPPROTO_TCP, -1, answered, 200 * S, false, 0 },
                { "UDP probe nobody answered", IPPROTO_UDP, -1, IPS_CONFIRMED, 30 * S, true, 0 },
                { "UDP answered within 2 s: the short timeout", IPPROTO_UDP, -1, IPS_SEEN_REPLY | IPS_CONFIRMED,
                  30 * S + 800 * MS, true, 800 * MS },
                { "UDP stream (assured)", IPPROTO_UDP, -1, answered, 120 * S + 45 * S, true, 45 * S },
                { "UDP deleted early", IPPROTO_UDP, -1, answered, 60 * S, false, 0 },
                { "another transport", IPPROTO_SCTP, -1, answered, 200 * S, false, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct duration_case *c = &cases[i];
                struct flow f = end_flow(c->proto, c->tcp_state, c->status, c->lifetime_ns);
                uint64_t d = UINT64_MAX;
                bool derived = ct_duration(&t, &f, &d);

                print_message("%s\n", c->what);
                assert_int_equal(derived, c->derived);
                if (c->derived)
                        assert_int_equal(d, c->duration_ns);
                else
                        assert_int_equal(d, UINT64_MAX);
        }
}

/* Without the data it needs there is no duration. */
static void test_missing(void **state) {
        struct ct_timeouts t = defaults();
        struct flow f = end_flow(IPPROTO_TCP, TCP_STATE_TIME_WAIT, IPS_SEEN_REPLY, 121 * S);
        uint64_t d;

        assert_true(ct_duration(&t, &f, &d));
        f.has_timestamps = false;
        assert_false(ct_duration(&t, &f, &d));
        f = end_flow(IPPROTO_TCP, TCP_STATE_TIME_WAIT, IPS_SEEN_REPLY, 121 * S);
        f.has_status = false;
        assert_false(ct_duration(&t, &f, &d));
        f = end_flow(IPPROTO_TCP, TCP_STATE_TIME_WAIT, IPS_SEEN_REPLY, 121 * S);
        f.action = FLOW_CONNECTION_NEW;
        assert_false(ct_duration(&t, &f, &d));
        f = end_flow(IPPROTO_TCP, TCP_STATE_TIME_WAIT, IPS_SEEN_REPLY, 121 * S);
        f.stop_ns = f.start_ns - 1; /* a clock stepped back */
        assert_false(ct_duration(&t, &f, &d));
        /* A timeout that could not be read. */
        f = end_flow(IPPROTO_TCP, TCP_STATE_TIME_WAIT, IPS_SEEN_REPLY, 121 * S);
        t.tcp[TCP_STATE_TIME_WAIT] = 0;
        assert_false(ct_duration(&t, &f, &d));
        /* TIME_WAIT set above the retransmission timeout: ambiguous too. */
        t.tcp[TCP_STATE_TIME_WAIT] = 600;
        f = end_flow(IPPROTO_TCP, TCP_STATE_TIME_WAIT, IPS_SEEN_REPLY, 601 * S);
        assert_false(ct_duration(&t, &f, &d));
}

/* The kernel's own files in a fresh namespace: its defaults, and a value set
 * there is what is read. */
static void test_kernel(void **state) {
        const char *why = kernel_netns_enter("");
        struct ct_timeouts t, want = defaults();
        FILE *f;

        if (why) {
                print_message("kernel test skipped: %s\n", why);
                skip();
        }
        assert_int_equal(ct_timeouts_read(&t, SYSCTL_NETFILTER_DIR), (int) ELEMENTSOF(settings));
        assert_memory_equal(&t, &want, sizeof(t));
        f = fopen(SYSCTL_NETFILTER_DIR "/nf_conntrack_tcp_timeout_time_wait", "we");
        assert_non_null(f);
        fputs("7\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(ct_timeouts_read(&t, SYSCTL_NETFILTER_DIR), (int) ELEMENTSOF(settings));
        assert_int_equal(t.tcp[TCP_STATE_TIME_WAIT], 7);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_files),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_kernel),
        };

        return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
