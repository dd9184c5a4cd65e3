/* SPDX-License-Identifier: MIT */
/*
 * The conntrack input against the real kernel, in a private network
 * namespace where a rule makes the kernel track loopback traffic: every
 * event the kernel sends is either handed over or counted as dropped,
 * exactly; a clean stop reads what was queued and nothing after. Needs root
 * (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN for nftables and
 * ctnetlink); skipped otherwise. The parser has its own fuzzer.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "conntrack.h"
#include "kernel-netns.h"

static const char ruleset[] =
        "table inet ct_test {\n"
        "        chain out {\n"
        "                type filter hook output priority 0; policy accept;\n"
        "                ct state new counter\n"
        "        }\n"
        "}\n";

struct capture {
        uint64_t calls, new_events;
};

static void on_flow(const struct flow *f, void *userdata) {
        struct capture *c = userdata;

        c->calls++;
        c->new_events += f->action == FLOW_CONNECTION_NEW;
}

static struct conntrack_input *opened;

static int close_input(void **state) {
        opened = conntrack_input_free(opened);
        return 0;
}

static struct conntrack_input *open_input(uint32_t rcvbuf, uint32_t rcvbuf_max, struct capture *c) {
        assert_int_equal(conntrack_input_new(&opened, CONFIG_FAMILY_IPV4 | CONFIG_FAMILY_IPV6, rcvbuf,
                                             rcvbuf_max, on_flow, NULL, c), 0);
        return opened;
}

/* One new UDP flow on loopback per call: its own source port. */
static void send_udp(uint16_t sport) {
        struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(sport) };
        struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9) };
        int fd;

        src.sin_addr.s_addr = dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &src, sizeof(src)), 0);
        assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *) &dst, sizeof(dst)), 1);
        close(fd);
}

/* Reads until the kernel has nothing more for a while. */
static void read_all(struct conntrack_input *in) {
        for (int idle = 0; idle < 3;) {
                struct pollfd p = { .fd = conntrack_input_fd(in), .events = POLLIN };
                int r = poll(&p, 1, 100);

                assert_true(r >= 0);
                if (r == 0) {
                        idle++;
                        continue;
                }
                idle = 0;
                assert_true(conntrack_input_dispatch(in) >= 0);
        }
}

/* Far more events than the smallest buffer holds, read only afterwards:
 * the overrun is counted, the buffer grown, and the events handed over plus
 * those the kernel dropped are exactly the flows created. A filtered-out
 * ping meanwhile is neither. */
static void test_drops_exact(void **state) {
        struct capture c = {};
        struct conntrack_input *in = open_input(4096, 8192, &c);
        struct conntrack_stats st;

        for (uint16_t i = 0; i < 300; i++)
                send_udp((uint16_t) (20000 + i));
        assert_int_equal(kernel_netns_ping(), 0);    /* tracked, filtered out */
        read_all(in);

        conntrack_input_get_stats(in, &st);
        assert_true(st.dropped_exact);
        assert_true(st.dropped > 0);
        assert_true(st.enobufs >= 1);
        assert_int_equal(st.events + st.dropped, 300);
        assert_int_equal(c.calls, st.events);
        assert_int_equal(c.new_events, st.events);
        assert_int_equal(st.malformed, 0);
        assert_int_equal(st.rcvbuf, 8192);
}

/* A clean stop: what the kernel queued before is handed over, nothing
 * comes after. */
static void test_stop_drains(void **state) {
        struct capture c = {};
        struct conntrack_input *in = open_input(1 << 20, 1 << 20, &c);
        struct conntrack_stats st;

        for (uint16_t i = 0; i < 20; i++)
                send_udp((uint16_t) (21000 + i));
        assert_int_equal(conntrack_input_stop(in), 20);
        for (uint16_t i = 0; i < 10; i++)
                send_udp((uint16_t) (21100 + i));
        read_all(in);

        conntrack_input_get_stats(in, &st);
        assert_int_equal(st.events, 20);
        assert_int_equal(st.dropped, 0);
        assert_int_equal(c.calls, 20);
}

static int events_on(void) {
        FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_events", "we");

        if (!f)
                return -errno;
        fputs("1\n", f);
        return fclose(f) == 0 ? 0 : -errno;
}

int main(void) {
        const struct CMUnitTest kernel[] = {
                cmocka_unit_test_teardown(test_drops_exact, close_input),
                cmocka_unit_test_teardown(test_stop_drains, close_input),
        };
        const char *skip = kernel_netns_enter(ruleset);

        if (!skip && events_on() < 0)
                skip = "cannot turn conntrack events on";
        if (skip) {
                printf("test-conntrack: skipped: %s\n", skip);
                return 77;
        }
        return cmocka_run_group_tests(kernel, NULL, NULL);
}
