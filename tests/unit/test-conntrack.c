/* SPDX-License-Identifier: MIT */
/*
 * The conntrack input against the real kernel, in a private network
 * namespace where a rule makes the kernel track loopback traffic: every
 * event the kernel sends is either handed over or counted as dropped,
 * exactly; a clean stop reads what was queued and nothing after. Needs root
 * (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN for nftables and
 * ctnetlink); skipped otherwise. The message parser is tested on messages
 * built here, everywhere, and has its own fuzzer.
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
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>

#include "config.h"
#include "conntrack.h"
#include "ct-message.h"
#include "kernel-netns.h"
#include "macro.h"
#include "tcp-state.h"

static const char ruleset[] =
        "table inet ct_test {\n"
        "        chain out {\n"
        "                type filter hook output priority 0; policy accept;\n"
        "                ct state new counter\n"
        "        }\n"
        "        chain nat_out {\n"
        "                type nat hook output priority -100; policy accept;\n"
        "                ip daddr 127.0.0.2 udp dport 6666 dnat ip to 127.0.0.1:6667\n"
        "                ip6 daddr ::1 udp dport 6666 dnat ip6 to [::1]:6667\n"
        "        }\n"
        "}\n";

struct capture {
        uint64_t calls, new_events;
        struct flow last[2]; /* the last NEW event of each family */
};

static void on_flow(const struct flow *f, void *userdata) {
        struct capture *c = userdata;

        c->calls++;
        c->new_events += f->action == FLOW_CONNECTION_NEW;
        if (f->action == FLOW_CONNECTION_NEW)
                c->last[f->family == AF_INET6] = *f;
}

static struct conntrack_input *opened;

static int close_input(void **state) {
        opened = conntrack_input_free(opened);
        return 0;
}

static struct conntrack_input *open_input(uint32_t rcvbuf, uint32_t rcvbuf_max, struct capture *c) {
        assert_int_equal(conntrack_input_new(&opened, INPUT_FAMILY_IPV4 | INPUT_FAMILY_IPV6, rcvbuf,
                                             rcvbuf_max, on_flow, NULL, c),
                         0);
        return opened;
}

/* One UDP datagram to addr:dport from the port the kernel picks. */
static void send_udp_to(int family, const char *addr, uint16_t dport) {
        struct sockaddr_storage dst = {};
        socklen_t len;
        int fd;

        if (family == AF_INET) {
                struct sockaddr_in *d = (struct sockaddr_in *) &dst;

                d->sin_family = AF_INET;
                d->sin_port = htons(dport);
                assert_int_equal(inet_pton(AF_INET, addr, &d->sin_addr), 1);
                len = sizeof(*d);
        } else {
                struct sockaddr_in6 *d = (struct sockaddr_in6 *) &dst;

                d->sin6_family = AF_INET6;
                d->sin6_port = htons(dport);
                assert_int_equal(inet_pton(AF_INET6, addr, &d->sin6_addr), 1);
                len = sizeof(*d);
        }
        fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *) &dst, len), 1);
        close(fd);
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
        assert_int_equal(kernel_netns_ping(), 0); /* tracked, filtered out */
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

/* A DNAT rule of the kernel's own: the event keeps what the client dialled
 * and names where the connection really went, for both families. */
static void test_dnat_kernel(void **state) {
        struct capture c = {};
        struct conntrack_input *in = open_input(1 << 20, 1 << 20, &c);
        char addr[INET6_ADDRSTRLEN];
        const struct flow *f;

        send_udp_to(AF_INET, "127.0.0.2", 6666);
        send_udp_to(AF_INET6, "::1", 6666);
        read_all(in);
        assert_int_equal(c.new_events, 2);

        f = &c.last[0];
        assert_int_equal(f->family, AF_INET);
        assert_non_null(inet_ntop(AF_INET, f->dst.bytes, addr, sizeof(addr)));
        assert_string_equal(addr, "127.0.0.2");
        assert_int_equal(f->dst_port, 6666);
        assert_true(f->has_dnat);
        assert_non_null(inet_ntop(AF_INET, f->dnat.bytes, addr, sizeof(addr)));
        assert_string_equal(addr, "127.0.0.1");
        assert_int_equal(f->dnat_port, 6667);
        assert_false(f->has_snat);
        assert_true(f->has_ct_tuple);
        assert_int_equal(f->ct_dport, 6666);

        f = &c.last[1];
        assert_int_equal(f->family, AF_INET6);
        assert_true(f->has_dnat);
        assert_non_null(inet_ntop(AF_INET6, f->dnat.bytes, addr, sizeof(addr)));
        assert_string_equal(addr, "::1");
        assert_int_equal(f->dst_port, 6666);
        assert_int_equal(f->dnat_port, 6667);
}

/* A CT_NEW event for 10.0.0.1:40000 -> 17.1.2.3:5223/tcp, answered from
 * reply_src:reply_sport to reply_dst:reply_dport. */
static struct nlmsghdr *put_event_nat(void *buf, const char *reply_src, uint16_t reply_sport,
                                      const char *reply_dst, uint16_t reply_dport) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nfgenmsg *nfg;

        nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = AF_INET;
        nfg->version = NFNETLINK_V0;
        ct_message_put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET, "10.0.0.1", "17.1.2.3", IPPROTO_TCP, 40000, 5223);
        ct_message_put_tuple(nlh, CTA_TUPLE_REPLY, AF_INET, reply_src, reply_dst, IPPROTO_TCP,
                             reply_sport, reply_dport);
        mnl_attr_put_u32(nlh, CTA_ID, htonl(77));
        return nlh;
}

/* The same; the reply comes back to 192.0.2.7:50000 (SNAT) when `snat`. */
static struct nlmsghdr *put_event(void *buf, bool snat) {
        return put_event_nat(buf, "17.1.2.3", 5223, snat ? "192.0.2.7" : "10.0.0.1", snat ? 50000 : 40000);
}

static void test_parse_event(void **state) {
        _Alignas(4) uint8_t buf[512];
        struct nlmsghdr *nlh = put_event(buf, true);
        struct flow f;
        char addr[INET_ADDRSTRLEN];

        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_int_equal(f.action, FLOW_CONNECTION_NEW);
        assert_int_equal(f.family, AF_INET);
        assert_int_equal(f.l4proto, IPPROTO_TCP);
        assert_int_equal(f.src_port, 40000);
        assert_int_equal(f.dst_port, 5223);
        assert_int_equal(f.ct_id, 77);
        assert_non_null(inet_ntop(AF_INET, f.dst.bytes, addr, sizeof(addr)));
        assert_string_equal(addr, "17.1.2.3");
        assert_true(f.has_snat);
        assert_non_null(inet_ntop(AF_INET, f.snat.bytes, addr, sizeof(addr)));
        assert_string_equal(addr, "192.0.2.7");
        assert_int_equal(f.snat_port, 50000);
        assert_false(f.has_dnat);
        /* the connection itself, in its original direction */
        assert_int_equal(f.ct_dir, FLOW_DIR_ORIGINAL);
        assert_true(f.has_ct_tuple);
        assert_memory_equal(f.ct_src.bytes, f.src.bytes, 4);
        assert_memory_equal(f.ct_dst.bytes, f.dst.bytes, 4);
        assert_int_equal(f.ct_sport, 40000);
        assert_int_equal(f.ct_dport, 5223);

        nlh = put_event(buf, false);
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_false(f.has_snat);
        /* IPv6 only: an IPv4 event is not ours to count as malformed. */
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV6, &f),
                         CONNTRACK_PARSE_IGNORED);
}

/* Port forwarding: the client dialled 17.1.2.3:5223 (standing in for the
 * router's WAN address), the reply comes from the LAN server 192.168.1.5:548.
 * A REDIRECT changes the port only: that is DNAT too. */
static void test_parse_dnat(void **state) {
        _Alignas(4) uint8_t buf[512];
        struct nlmsghdr *nlh = put_event_nat(buf, "192.168.1.5", 548, "10.0.0.1", 40000);
        struct flow f;
        char addr[INET_ADDRSTRLEN];

        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_true(f.has_dnat);
        assert_false(f.has_snat);
        assert_non_null(inet_ntop(AF_INET, f.dnat.bytes, addr, sizeof(addr)));
        assert_string_equal(addr, "192.168.1.5");
        assert_int_equal(f.dnat_port, 548);
        assert_int_equal(f.dst_port, 5223); /* what the client dialled stays */

        nlh = put_event_nat(buf, "17.1.2.3", 3128, "10.0.0.1", 40000);
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_true(f.has_dnat);
        assert_int_equal(f.dnat_port, 3128);

        /* both at once: a hairpin, LAN client to the WAN address, forwarded
         * back into the LAN and masqueraded */
        nlh = put_event_nat(buf, "192.168.1.5", 548, "192.0.2.7", 61000);
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_true(f.has_dnat && f.has_snat);
        assert_int_equal(f.dnat_port, 548);
        assert_int_equal(f.snat_port, 61000);
}

/* A DESTROY with the connection's status and TCP state: answered or not,
 * the state it ended in; a state attribute of the wrong size is malformed. */
static struct nlmsghdr *put_end(void *buf, uint32_t status, const void *state, size_t state_len) {
        struct nlmsghdr *nlh = put_event(buf, true);
        struct nlattr *proto, *tcp;

        nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE;
        mnl_attr_put_u32(nlh, CTA_STATUS, htonl(status));
        if (state) {
                proto = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
                tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
                mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
                mnl_attr_put(nlh, CTA_PROTOINFO_TCP_STATE, state_len, state);
                mnl_attr_nest_end(nlh, tcp);
                mnl_attr_nest_end(nlh, proto);
        }
        return nlh;
}

static void test_parse_end_status(void **state) {
        _Alignas(4) uint8_t buf[512];
        const uint8_t time_wait = 7, syn_sent = 1;
        const uint16_t wide = 7;
        struct nlmsghdr *nlh;
        struct flow f;

        nlh = put_end(buf, IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED, &time_wait, 1);
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_int_equal(f.action, FLOW_CONNECTION_END);
        assert_true(f.has_status);
        assert_true(flow_answered(&f));
        assert_true(f.has_tcp_state);
        assert_string_equal(tcp_state_name(f.tcp_state), "TIME_WAIT");

        nlh = put_end(buf, IPS_CONFIRMED, &syn_sent, 1);
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_false(flow_answered(&f));
        assert_string_equal(tcp_state_name(f.tcp_state), "SYN_SENT");

        /* No protocol information (UDP): no state. */
        nlh = put_end(buf, IPS_CONFIRMED, NULL, 0);
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_OK);
        assert_false(f.has_tcp_state);
        assert_false(flow_answered(&f));

        nlh = put_end(buf, IPS_CONFIRMED, &wide, sizeof(wide));
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_MALFORMED);

        /* A status of the wrong size. */
        nlh = put_event(buf, true);
        mnl_attr_put_u16(nlh, CTA_STATUS, 1);
        assert_int_equal(conntrack_parse_message(nlh, nlh->nlmsg_len, INPUT_FAMILY_IPV4, &f),
                         CONNTRACK_PARSE_MALFORMED);
}

/* Every cut of a well-formed message is malformed unless it falls between
 * two top-level attributes after the original tuple (a shorter event), and is
 * never read past: each is parsed from a buffer of exactly that many bytes,
 * so AddressSanitizer sees any read beyond it. */
static void test_parse_truncated(void **state) {
        _Alignas(4) uint8_t buf[512];
        struct nlmsghdr *nlh = put_event(buf, true);
        uint32_t full = nlh->nlmsg_len, orig_end = 0, reply_end = 0;
        const struct nlattr *a;
        struct flow f;

        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
                uint32_t end = (uint32_t) ((const uint8_t *) mnl_attr_next(a) - buf);

                if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG)
                        orig_end = end;
                else if (mnl_attr_get_type(a) == CTA_TUPLE_REPLY)
                        reply_end = end;
        }
        assert_true(orig_end > 0 && reply_end > orig_end && full > reply_end);

        for (uint32_t len = sizeof(*nlh); len < full; len++) {
                int want = len == orig_end || len == reply_end ? CONNTRACK_PARSE_OK : CONNTRACK_PARSE_MALFORMED;
                struct nlmsghdr *cut = malloc(len);

                assert_non_null(cut);
                memcpy(cut, buf, len);
                cut->nlmsg_len = len;
                assert_int_equal(conntrack_parse_message(cut, len, INPUT_FAMILY_IPV4, &f), want);
                /* The same cut with the padding a kernel datagram carries. */
                if (len % 4 != 0) {
                        free(cut);
                        cut = calloc(1, MNL_ALIGN(len));
                        assert_non_null(cut);
                        memcpy(cut, buf, len);
                        cut->nlmsg_len = len;
                        assert_int_equal(conntrack_parse_message(cut, MNL_ALIGN(len), INPUT_FAMILY_IPV4, &f),
                                         CONNTRACK_PARSE_MALFORMED);
                }
                free(cut);
        }
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
                cmocka_unit_test_teardown(test_dnat_kernel, close_input),
        };
        const struct CMUnitTest messages[] = {
                cmocka_unit_test(test_parse_event),
                cmocka_unit_test(test_parse_dnat),
                cmocka_unit_test(test_parse_truncated),
                cmocka_unit_test(test_parse_end_status),
        };
        const char *skip;
        int r;

        r = cmocka_run_group_tests(messages, NULL, NULL);

        skip = kernel_netns_enter(ruleset);
        if (!skip && events_on() < 0)
                skip = "cannot turn conntrack events on";
        if (skip) {
                printf("test-conntrack: kernel tests skipped: %s\n", skip);
                return r != 0 ? r : 77;
        }
        return r + cmocka_run_group_tests(kernel, NULL, NULL);
}
