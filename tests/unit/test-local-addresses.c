/* SPDX-License-Identifier: MIT */
/*
 * The router's own addresses and the decision whether a flow is its own
 * traffic: the cases an operator meets (the router originates, terminates,
 * forwards a port to a LAN server, masquerades a LAN client; IPv6;
 * configured networks and interfaces) on a table filled by hand; the
 * rtnetlink messages as the kernel sends them; then, as root in a private
 * network namespace, the table following the kernel's own addresses as they
 * are added and deleted, and a fresh dump after lost messages.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "kernel-netns.h"
#include "local-addresses.h"
#include "macro.h"

static union flow_addr addr(int family, const char *text) {
        union flow_addr a = {};

        assert_int_equal(inet_pton(family, text, a.bytes), 1);
        return a;
}

static int family_of(const char *text) {
        return strchr(text, ':') ? AF_INET6 : AF_INET;
}

/* A conntrack NEW event src:sport -> dst:dport. */
static struct flow conn(const char *src, uint16_t sport, const char *dst, uint16_t dport) {
        int family = family_of(src);
        struct flow f = {
                .action = FLOW_CONNECTION_NEW,
                .family = family,
                .l4proto = IPPROTO_TCP,
                .src = addr(family, src),
                .dst = addr(family, dst),
                .src_port = sport,
                .dst_port = dport,
                .ct_dir = FLOW_DIR_ORIGINAL,
                .has_ct_tuple = true,
        };

        f.ct_src = f.src;
        f.ct_dst = f.dst;
        f.ct_sport = sport;
        f.ct_dport = dport;
        return f;
}

struct conn_case {
        const char *src;
        uint16_t sport;
        const char *dst;
        uint16_t dport;
        enum local_verdict want;
};

/* Connections without NAT, each with its verdict. */
static void check_cases(const struct local_addresses *la, const struct conn_case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                struct flow f = conn(cases[i].src, cases[i].sport, cases[i].dst, cases[i].dport);

                if (local_addresses_classify(la, &f) != cases[i].want)
                        fail_msg("%s:%u -> %s:%u: %s, not %s", cases[i].src, cases[i].sport, cases[i].dst,
                                 cases[i].dport, local_verdict_to_string(local_addresses_classify(la, &f)),
                                 local_verdict_to_string(cases[i].want));
        }
}

static void add(struct local_addresses *la, const char *text, uint8_t prefixlen) {
        union flow_addr a = addr(family_of(text), text);

        assert_int_equal(local_addresses_add(la, family_of(text), a.bytes, prefixlen, 0), 0);
}

/* A router: LAN 192.168.1.1/24 and fd00::1/64, WAN 203.0.113.1/24 and
 * 2001:db8::1/64. */
static struct local_addresses *router(const struct local_exclusions *x) {
        struct local_addresses *la = NULL;

        assert_int_equal(local_addresses_new(&la, x), 0);
        add(la, "192.168.1.1", 24);
        add(la, "203.0.113.1", 24);
        add(la, "fd00::1", 64);
        add(la, "2001:db8::1", 64);
        return la;
}

static void test_router_cases(void **state) {
        struct local_exclusions x = { .router = true };
        _cleanup_(local_addresses_freep) struct local_addresses *la = router(&x);
        struct flow f;

        static const struct conn_case cases[] = {
                /* SSH from the router to the internet, from the kernel's port */
                { "203.0.113.1", 41234, "198.51.100.9", 22, LOCAL_ORIGINATED },
                /* a Prometheus scrape of node-exporter on the router, from the LAN */
                { "192.168.1.20", 50123, "192.168.1.1", 9100, LOCAL_TERMINATED },
                /* the router's DNS server, asked on its WAN address from the LAN */
                { "192.168.1.20", 50124, "203.0.113.1", 53, LOCAL_TERMINATED },
                /* IPv6: originated, terminated, forwarded */
                { "2001:db8::1", 41000, "2620:149::1", 443, LOCAL_ORIGINATED },
                { "fd00::20", 50000, "fd00::1", 22, LOCAL_TERMINATED },
                { "fd00::20", 50000, "2620:149::7", 5223, LOCAL_NOT },
                /* an address in the router's prefix is not the router's */
                { "192.168.1.20", 50000, "192.168.1.2", 22, LOCAL_NOT },
                /* the same bytes in another family are not it either */
                { "::c0a8:101", 50000, "2620:149::7", 22, LOCAL_NOT },
        };

        check_cases(la, cases, ELEMENTSOF(cases));
        /* a port forward: WAN 8548 to the LAN's AFP server */
        f = conn("198.51.100.9", 50000, "203.0.113.1", 8548);
        f.has_dnat = true;
        f.dnat = addr(AF_INET, "192.168.1.5");
        f.dnat_port = 548;
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);
        /* the same forward reached from the LAN (hairpin), masqueraded too */
        f.src = f.ct_src = addr(AF_INET, "192.168.1.20");
        f.has_snat = true;
        f.snat = addr(AF_INET, "192.168.1.1");
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);

        /* a masqueraded LAN client: the router's address is only the SNAT */
        f = conn("192.168.1.20", 60321, "17.1.2.3", 5223);
        f.has_snat = true;
        f.snat = addr(AF_INET, "203.0.113.1");
        f.snat_port = 61000;
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);

        /* turned off: the router's own connections are tagged like any */
        x.router = false;
        local_addresses_set_exclusions(la, &x);
        f = conn("203.0.113.1", 41234, "198.51.100.9", 22);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);
}

/* NFLOG packets: with their connection, judged by its original tuple
 * whichever way the packet went; without, by their own two ends. */
static void test_nflog_packets(void **state) {
        struct local_exclusions x = { .router = true };
        _cleanup_(local_addresses_freep) struct local_addresses *la = router(&x);
        struct flow f;

        /* the reply to a forwarded LAN client, logged after SNAT was undone */
        f = conn("17.1.2.3", 5223, "192.168.1.20", 60321);
        f.action = FLOW_PACKET_LOGGED;
        f.ct_dir = FLOW_DIR_REPLY;
        f.ct_src = addr(AF_INET, "192.168.1.20");
        f.ct_dst = addr(AF_INET, "17.1.2.3");
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);
        /* the reply to the router's own connection */
        f.ct_src = addr(AF_INET, "203.0.113.1");
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_ORIGINATED);

        /* no conntrack information: a blocked probe of the router's SSH */
        f = conn("198.51.100.9", 40000, "203.0.113.1", 22);
        f.action = FLOW_PACKET_LOGGED;
        f.has_ct_tuple = false;
        f.ct_dir = FLOW_DIR_UNKNOWN;
        memset(&f.ct_src, 0, sizeof(f.ct_src));
        memset(&f.ct_dst, 0, sizeof(f.ct_dst));
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_TERMINATED);
        /* ... and the router answering it */
        f.src = addr(AF_INET, "203.0.113.1");
        f.dst = addr(AF_INET, "198.51.100.9");
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_ORIGINATED);
}

static void test_configured_networks(void **state) {
        static const struct conn_case cases[] = {
                { "10.9.0.5", 50000, "17.1.2.3", 443, LOCAL_EXCLUDED_NETWORK },
                { "192.168.1.20", 50000, "10.9.0.255", 443, LOCAL_EXCLUDED_NETWORK },
                { "10.9.1.5", 50000, "17.1.2.3", 443, LOCAL_NOT },
                { "fd09:0:0:ffff::1", 50000, "2620:149::1", 443, LOCAL_EXCLUDED_NETWORK },
                { "fd09:1::1", 50000, "2620:149::1", 443, LOCAL_NOT },
                { "100.127.255.255", 50000, "17.1.2.3", 443, LOCAL_EXCLUDED_NETWORK },
                { "100.64.0.1", 50000, "17.1.2.3", 443, LOCAL_EXCLUDED_NETWORK },
                { "100.128.0.0", 50000, "17.1.2.3", 443, LOCAL_NOT },
                { "100.63.255.255", 50000, "17.1.2.3", 443, LOCAL_NOT },
                { "2001:db8:0:1:8000::5", 50000, "2620:149::1", 443, LOCAL_EXCLUDED_NETWORK },
                { "2001:db8:0:1:ffff:ffff:ffff:ffff", 50000, "2620:149::1", 443, LOCAL_EXCLUDED_NETWORK },
                { "2001:db8:0:1:4000::5", 50000, "2620:149::1", 443, LOCAL_NOT },
                { "2001:db8:0:2:8000::5", 50000, "2620:149::1", 443, LOCAL_NOT },
        };
        struct local_exclusions x = { .router = true, .n_networks = 4 };
        _cleanup_(local_addresses_freep) struct local_addresses *la = NULL;
        struct flow f;

        assert_int_equal(ip_prefix_parse("10.9.0.0/24", &x.networks[0]), 0);
        assert_int_equal(ip_prefix_parse("fd09::/48", &x.networks[1]), 0);
        assert_int_equal(ip_prefix_parse("100.64.0.0/10", &x.networks[2]), 0);          /* within a byte */
        assert_int_equal(ip_prefix_parse("2001:db8:0:1:8000::/65", &x.networks[3]), 0); /* past 64 bits */
        la = router(&x);

        check_cases(la, cases, ELEMENTSOF(cases));
        /* a port forward into the excluded network */
        f = conn("198.51.100.9", 50000, "203.0.113.1", 8080);
        f.has_dnat = true;
        f.dnat = addr(AF_INET, "10.9.0.7");
        f.dnat_port = 80;
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_EXCLUDED_NETWORK);
}

/* An interface by name: its addresses' prefixes. lo is ifindex 1 in every
 * namespace, so this needs no privilege. */
static void test_configured_interface(void **state) {
        struct local_exclusions x = { .router = false, .n_interfaces = 1 };
        _cleanup_(local_addresses_freep) struct local_addresses *la = NULL;
        union flow_addr a = addr(AF_INET, "10.77.0.1");
        struct flow f = conn("10.77.0.20", 50000, "17.1.2.3", 443);
        struct local_addresses_stats st;

        strcpy(x.interfaces[0], "lo");
        assert_int_equal(local_addresses_new(&la, &x), 0);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);
        assert_int_equal(local_addresses_add(la, AF_INET, a.bytes, 24, 1), 0);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_EXCLUDED_INTERFACE);
        f = conn("10.77.1.20", 50000, "17.1.2.3", 443);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);

        /* more of the interface's networks than are kept: each left out is
         * counted once, not again at every later change */
        for (unsigned i = 1; i <= 64; i++) {
                uint32_t v = htonl(0x0a4e0001u + (i << 8)); /* 10.78.i.1/24 */

                memcpy(a.bytes, &v, 4);
                assert_int_equal(local_addresses_add(la, AF_INET, a.bytes, 24, 1), 0);
                local_addresses_get_stats(la, &st);
                assert_int_equal(st.overflow, i == 64 ? 1 : 0);
        }
        a = addr(AF_INET, "10.77.0.2");
        assert_int_equal(local_addresses_add(la, AF_INET, a.bytes, 24, 1), 0); /* a known network */
        local_addresses_get_stats(la, &st);
        assert_int_equal(st.overflow, 1);

        /* a reload that names another interface */
        strcpy(x.interfaces[0], "eth9");
        local_addresses_set_exclusions(la, &x);
        f = conn("10.77.0.20", 50000, "17.1.2.3", 443);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);
}

static void test_table(void **state) {
        struct local_exclusions x = { .router = true };
        _cleanup_(local_addresses_freep) struct local_addresses *la = NULL;
        struct local_addresses_stats st;
        union flow_addr a = {}, link = addr(AF_INET6, "fe80::1");

        assert_int_equal(local_addresses_new(&la, &x), 0);
        /* the same link-local address on two interfaces: two entries, one
         * address; it stays the router's until both are gone */
        assert_int_equal(local_addresses_add(la, AF_INET6, link.bytes, 64, 2), 0);
        assert_int_equal(local_addresses_add(la, AF_INET6, link.bytes, 64, 3), 0);
        assert_int_equal(local_addresses_add(la, AF_INET6, link.bytes, 64, 3), 0); /* again: refreshed */
        local_addresses_get_stats(la, &st);
        assert_int_equal(st.addresses, 2);
        assert_true(local_addresses_is_own(la, AF_INET6, &link));
        assert_int_equal(local_addresses_remove(la, AF_INET6, link.bytes, 2), 0);
        assert_true(local_addresses_is_own(la, AF_INET6, &link));
        assert_int_equal(local_addresses_remove(la, AF_INET6, link.bytes, 3), 0);
        assert_false(local_addresses_is_own(la, AF_INET6, &link));
        assert_int_equal(local_addresses_remove(la, AF_INET6, link.bytes, 3), -ENOENT);

        assert_int_equal(local_addresses_add(la, AF_INET, a.bytes, 33, 1), -EINVAL);
        assert_int_equal(local_addresses_add(la, AF_UNIX, a.bytes, 8, 1), -EINVAL);

        /* bounded: one more than fits is counted, not kept; the others all
         * still found (the order is kept through every insertion) */
        for (uint32_t i = 0; i < LOCAL_ADDRESSES_MAX; i++) {
                uint32_t v = htonl(0x0a000000u + i * 7919u % 65536u * 256u + i / 65536u);

                memcpy(a.bytes, &v, 4);
                assert_int_equal(local_addresses_add(la, AF_INET, a.bytes, 32, i % 5), 0);
        }
        a = addr(AF_INET, "192.0.2.1");
        assert_int_equal(local_addresses_add(la, AF_INET, a.bytes, 32, 1), -E2BIG);
        local_addresses_get_stats(la, &st);
        assert_int_equal(st.addresses, LOCAL_ADDRESSES_MAX);
        assert_int_equal(st.overflow, 1);
        assert_false(local_addresses_is_own(la, AF_INET, &a));
        for (uint32_t i = 0; i < LOCAL_ADDRESSES_MAX; i++) {
                uint32_t v = htonl(0x0a000000u + i * 7919u % 65536u * 256u + i / 65536u);

                memcpy(a.bytes, &v, 4);
                assert_true(local_addresses_is_own(la, AF_INET, &a));
        }
}

/* An RTM_NEWADDR or RTM_DELADDR as the kernel sends it. */
static struct nlmsghdr *put_addr_msg(void *buf, uint16_t type, int family, const char *local,
                                     const char *peer, uint8_t prefixlen, uint8_t scope) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        size_t size = family == AF_INET6 ? 16 : 4;

        nlh->nlmsg_type = type;
        ifa->ifa_family = (uint8_t) family;
        ifa->ifa_prefixlen = prefixlen;
        ifa->ifa_scope = scope;
        ifa->ifa_index = 2;
        if (peer)
                mnl_attr_put(nlh, IFA_ADDRESS, size, addr(family, peer).bytes);
        if (local)
                mnl_attr_put(nlh, IFA_LOCAL, size, addr(family, local).bytes);
        return nlh;
}

static void test_messages(void **state) {
        struct local_exclusions x = { .router = true };
        _cleanup_(local_addresses_freep) struct local_addresses *la = NULL;
        _Alignas(4) uint8_t buf[512];
        struct local_addresses_stats st;
        struct nlmsghdr *nlh;
        union flow_addr a;
        struct flow f;

        assert_int_equal(local_addresses_new(&la, &x), 0);

        /* lo's 127.0.0.1/8, of host scope: the whole prefix is the router */
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET, "127.0.0.1", "127.0.0.1", 8, RT_SCOPE_HOST);
        local_addresses_process(la, buf, nlh->nlmsg_len);
        f = conn("127.0.0.1", 40000, "127.0.0.53", 53);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_ORIGINATED);

        /* a point-to-point link: IFA_LOCAL is ours, IFA_ADDRESS the peer's */
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET, "100.64.0.2", "100.64.0.1", 32, RT_SCOPE_UNIVERSE);
        local_addresses_process(la, buf, nlh->nlmsg_len);
        a = addr(AF_INET, "100.64.0.2");
        assert_true(local_addresses_is_own(la, AF_INET, &a));
        a = addr(AF_INET, "100.64.0.1");
        assert_false(local_addresses_is_own(la, AF_INET, &a));

        /* IPv6 has only IFA_ADDRESS; deleted again */
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET6, NULL, "2001:db8::1", 64, RT_SCOPE_UNIVERSE);
        local_addresses_process(la, buf, nlh->nlmsg_len);
        a = addr(AF_INET6, "2001:db8::1");
        assert_true(local_addresses_is_own(la, AF_INET6, &a));
        nlh = put_addr_msg(buf, RTM_DELADDR, AF_INET6, NULL, "2001:db8::1", 64, RT_SCOPE_UNIVERSE);
        local_addresses_process(la, buf, nlh->nlmsg_len);
        assert_false(local_addresses_is_own(la, AF_INET6, &a));

        /* malformed: each counted, none kept */
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET, NULL, NULL, 24, 0); /* no address */
        local_addresses_process(la, buf, nlh->nlmsg_len);
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET, "10.0.0.1", NULL, 33, 0); /* prefix too long */
        local_addresses_process(la, buf, nlh->nlmsg_len);
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET6, NULL, NULL, 64, 0);
        mnl_attr_put(nlh, IFA_ADDRESS, 4, addr(AF_INET, "10.0.0.2").bytes); /* v4 bytes for v6 */
        local_addresses_process(la, buf, nlh->nlmsg_len);
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET, "10.0.0.3", NULL, 24, 0);
        ((struct nlattr *) ((uint8_t *) nlh + nlh->nlmsg_len - 8))->nla_len = 12; /* past the end */
        local_addresses_process(la, buf, nlh->nlmsg_len);
        nlh = mnl_nlmsg_put_header(buf); /* no ifaddrmsg */
        nlh->nlmsg_type = RTM_NEWADDR;
        local_addresses_process(la, buf, nlh->nlmsg_len);
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET, "10.0.0.4", NULL, 24, 0);
        local_addresses_process(la, buf, nlh->nlmsg_len - 1); /* cut short */
        local_addresses_get_stats(la, &st);
        assert_int_equal(st.malformed, 6);
        assert_int_equal(st.addresses, 2);

        /* another family is not malformed, only not ours */
        nlh = put_addr_msg(buf, RTM_NEWADDR, AF_INET, "10.0.0.5", NULL, 24, 0);
        ((struct ifaddrmsg *) mnl_nlmsg_get_payload(nlh))->ifa_family = AF_PACKET;
        local_addresses_process(la, buf, nlh->nlmsg_len);
        local_addresses_get_stats(la, &st);
        assert_int_equal(st.malformed, 6);
        assert_int_equal(st.addresses, 2);
}

/* Runs the dispatcher until is_own(text) == want, or 5 s passed. */
static void follow_until(struct local_addresses *la, const char *text, bool want) {
        union flow_addr a = addr(family_of(text), text);

        for (int i = 0; i < 50 && local_addresses_is_own(la, family_of(text), &a) != want; i++) {
                struct pollfd p = { .fd = local_addresses_fd(la), .events = POLLIN };

                if (poll(&p, 1, 100) > 0)
                        assert_int_equal(local_addresses_dispatch(la), 0);
        }
        assert_int_equal(local_addresses_is_own(la, family_of(text), &a), want);
}

static void run(const char *command) {
        assert_int_equal(system(command), 0);
}

static void test_kernel_follow(void **state) {
        struct local_exclusions x = { .router = true };
        _cleanup_(local_addresses_freep) struct local_addresses *la = NULL;
        union flow_addr a;
        struct flow f;

        run("ip addr add 10.66.0.1/24 dev lo");
        assert_int_equal(local_addresses_new(&la, &x), 0);
        assert_int_equal(local_addresses_open(la), 0);
        /* the dump: lo's own, and the one added before */
        a = addr(AF_INET, "127.0.0.1");
        assert_true(local_addresses_is_own(la, AF_INET, &a));
        a = addr(AF_INET6, "::1");
        assert_true(local_addresses_is_own(la, AF_INET6, &a));
        a = addr(AF_INET, "10.66.0.1");
        assert_true(local_addresses_is_own(la, AF_INET, &a));

        /* followed as they come and go */
        run("ip addr add 10.66.1.1/24 dev lo");
        run("ip addr add fd66::1/64 dev lo nodad");
        follow_until(la, "10.66.1.1", true);
        follow_until(la, "fd66::1", true);
        f = conn("10.66.1.20", 50000, "10.66.1.1", 22);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_TERMINATED);
        run("ip addr del 10.66.1.1/24 dev lo");
        run("ip addr del fd66::1/64 dev lo");
        follow_until(la, "10.66.1.1", false);
        follow_until(la, "fd66::1", false);
        assert_int_equal(local_addresses_classify(la, &f), LOCAL_NOT);
}

/* Changes while the socket is too full to take them: lost, noticed
 * (ENOBUFS), and the fresh dump has them all, including what was deleted
 * meanwhile. */
static void test_kernel_resync(void **state) {
        struct local_exclusions x = { .router = true };
        _cleanup_(local_addresses_freep) struct local_addresses *la = NULL;
        struct local_addresses_stats st;
        FILE *batch;
        int small = 1;

        assert_int_equal(local_addresses_new(&la, &x), 0);
        assert_int_equal(local_addresses_open(la), 0);
        follow_until(la, "10.66.0.1", true);
        assert_int_equal(setsockopt(local_addresses_fd(la), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);

        batch = popen("ip -batch -", "w");
        assert_non_null(batch);
        for (int i = 0; i < 200; i++)
                fprintf(batch, "addr add 10.67.%d.%d/16 dev lo\n", i / 250, i % 250 + 1);
        fprintf(batch, "addr del 10.66.0.1/24 dev lo\n");
        assert_int_equal(pclose(batch), 0);

        small = 1 << 20;
        assert_int_equal(setsockopt(local_addresses_fd(la), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
        follow_until(la, "10.67.0.200", true);
        follow_until(la, "10.66.0.1", false);
        for (int i = 0; i < 200; i++) {
                char text[32];

                snprintf(text, sizeof(text), "10.67.%d.%d", i / 250, i % 250 + 1);
                follow_until(la, text, true);
        }
        local_addresses_get_stats(la, &st);
        assert_true(st.resyncs >= 1);
        assert_int_equal(st.malformed, 0);
        assert_int_equal(st.overflow, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_router_cases),
                cmocka_unit_test(test_nflog_packets),
                cmocka_unit_test(test_configured_networks),
                cmocka_unit_test(test_configured_interface),
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_messages),
        };
        const struct CMUnitTest kernel[] = {
                cmocka_unit_test(test_kernel_follow),
                cmocka_unit_test(test_kernel_resync),
        };
        const char *skip;
        int r;

        r = cmocka_run_group_tests(tests, NULL, NULL);
        skip = kernel_netns_enter("");
        if (skip) {
                printf("test-local-addresses: kernel tests skipped: %s\n", skip);
                return r != 0 ? r : 77;
        }
        return r + cmocka_run_group_tests(kernel, NULL, NULL);
}
