/* SPDX-License-Identifier: MIT */
/*
 * The NFLOG input against the real kernel: in a private network namespace,
 * nftables rules log loopback packets to NFLOG groups, and the input must
 * report each with the right addresses, ports, group, prefix and interface.
 * Those need root (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN for
 * nftables and NFLOG) and are skipped otherwise. The message parsing itself is
 * tested without privileges, on messages built here.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/if_ether.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct-message.h"
#include "kernel-netns.h"
#include "nflog.h"
#include "packet.h"

#define MAX_FLOWS 16

struct capture {
        struct flow flows[MAX_FLOWS];
        size_t n;
        uint64_t calls;
};

static const char ruleset[] =
        "table inet pkt_test {\n"
        "        chain out {\n"
        "                type filter hook output priority 0; policy accept;\n"
        "                oifname \"lo\" udp dport 5555 ct state new log group 7 prefix \"t\"\n"
        "                oifname \"lo\" tcp dport 5557 log group 8 prefix \"drop\xc3\xa4\"\n"
        "                oifname \"lo\" icmp type echo-request log group 7 prefix \"icmp\"\n"
        "                oifname \"lo\" udp dport 5560 log group 10 prefix \"request\"\n"
        "                oifname \"lo\" udp sport 5560 log group 10 prefix \"reply\"\n"
        "        }\n"
        "}\n";

static void on_flow(const struct flow *f, void *userdata) {
        struct capture *c = userdata;

        c->calls++;
        if (c->n < MAX_FLOWS)
                c->flows[c->n++] = *f;
}

/* Every input a test opens, closed by the teardown even when an assertion
 * ends the test early, so the next test can bind the same groups. */
static struct nflog_input *opened[4];

static struct nflog_input *open_input(const uint16_t *groups, size_t n, size_t rcvbuf,
                                      struct capture *c) {
        struct nflog_input *in = NULL;

        assert_int_equal(nflog_input_new(&in, groups, n, rcvbuf, on_flow, c), 0);
        assert_non_null(in);
        for (size_t i = 0; i < ELEMENTSOF(opened); i++)
                if (!opened[i]) {
                        opened[i] = in;
                        return in;
                }
        fail_msg("too many inputs");
        return NULL;
}

static void close_input(struct nflog_input *in) {
        for (size_t i = 0; i < ELEMENTSOF(opened); i++)
                if (opened[i] == in)
                        opened[i] = nflog_input_free(opened[i]);
}

static int close_inputs(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(opened); i++)
                opened[i] = nflog_input_free(opened[i]);
        return 0;
}

/* Messages built by hand, as the kernel would send them. */

static const uint8_t udp4[28] = {
        0x45, 0, 0, 28, 0, 1, 0, 0, 64, IPPROTO_UDP, 0, 0,
        192, 168, 1, 20, 17, 1, 2, 3,
        0xeb, 0xa1, 0x40, 0x01, 0, 8, 0, 0, /* 60321 -> 16385 */
};

static struct nlmsghdr *put_packet(void *buf, uint16_t group, uint16_t hw_protocol,
                                   const void *payload, size_t len) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nfgenmsg *nfg;
        struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(hw_protocol) };

        nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET;
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = AF_INET;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = htons(group);
        mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
        if (payload)
                mnl_attr_put(nlh, NFULA_PAYLOAD, len, payload);
        return nlh;
}

static struct nflog_input *open_unbound(struct capture *c) {
        struct nflog_input *in = NULL;

        assert_int_equal(nflog_input_new(&in, NULL, 0, 0, on_flow, c), 0);
        for (size_t i = 0; i < ELEMENTSOF(opened); i++)
                if (!opened[i]) {
                        opened[i] = in;
                        return in;
                }
        fail_msg("too many inputs");
        return NULL;
}

static void test_message_fields(void **state) {
        _Alignas(4) uint8_t buf[1024];
        struct capture c = {};
        struct nflog_input *in = open_unbound(&c);
        struct nlmsghdr *nlh = put_packet(buf, 42, ETH_P_IP, udp4, sizeof(udp4));
        struct nlattr *nest;

        /* not NUL-terminated, with control and non-ASCII bytes */
        mnl_attr_put(nlh, NFULA_PREFIX, 6, "a\x01"
                                           "b\xff"
                                           "c\n");
        mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(1));
        mnl_attr_put_u32(nlh, NFULA_IFINDEX_OUTDEV, htonl(999999));
        nest = mnl_attr_nest_start(nlh, NFULA_CT);
        mnl_attr_put_u32(nlh, CTA_ID, htonl(1234));
        mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x55));
        mnl_attr_put_u16(nlh, CTA_ZONE, htons(3));
        mnl_attr_nest_end(nlh, nest);

        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(c.n, 1);
        assert_int_equal(nflog_input_get_stats(in)->packets, 1);
        assert_int_equal(c.flows[0].action, FLOW_PACKET_LOGGED);
        assert_true(c.flows[0].has_nflog);
        assert_int_equal(c.flows[0].nflog_group, 42);
        assert_string_equal(c.flows[0].nflog_prefix, "a?b?c?");
        assert_int_equal(c.flows[0].src_port, 60321);
        assert_int_equal(c.flows[0].dst_port, 16385);
        /* ifindex 1 is lo in every namespace */
        assert_string_equal(c.flows[0].in_interface, "lo");
        assert_string_equal(c.flows[0].out_interface, "999999");
        assert_true(c.flows[0].has_ct);
        assert_int_equal(c.flows[0].ct_id, 1234);
        assert_int_equal(c.flows[0].ct_mark, 0x55);
        assert_int_equal(c.flows[0].ct_zone, 3);

        /* a second message in the same datagram, and the interface cache */
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(c.n, 2);
        assert_string_equal(c.flows[1].in_interface, "lo");
}

/* The connection of a reply packet: 17.1.2.3:16385 answering the client
 * 192.168.1.20:60321, which the router masqueraded as 192.0.2.7:61000. The
 * packet (udp4) is the original direction's, as seen before SNAT. */
static struct nlmsghdr *put_packet_ct(void *buf, uint32_t ctinfo) {
        struct nlmsghdr *nlh = put_packet(buf, 3, ETH_P_IP, udp4, sizeof(udp4));
        struct nlattr *nest = mnl_attr_nest_start(nlh, NFULA_CT);

        ct_message_put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET, "192.168.1.20", "17.1.2.3", IPPROTO_UDP, 60321, 16385);
        ct_message_put_tuple(nlh, CTA_TUPLE_REPLY, AF_INET, "17.1.2.3", "192.0.2.7", IPPROTO_UDP, 16385, 61000);
        mnl_attr_put_u32(nlh, CTA_ID, htonl(9));
        mnl_attr_nest_end(nlh, nest);
        mnl_attr_put_u32(nlh, NFULA_CT_INFO, htonl(ctinfo));
        return nlh;
}

static void test_message_conntrack(void **state) {
        static const struct {
                uint32_t ctinfo;
                enum flow_direction dir;
        } cases[] = {
                { IP_CT_NEW, FLOW_DIR_ORIGINAL },
                { IP_CT_ESTABLISHED, FLOW_DIR_ORIGINAL },
                { IP_CT_RELATED, FLOW_DIR_ORIGINAL },
                { IP_CT_ESTABLISHED_REPLY, FLOW_DIR_REPLY },
                { IP_CT_RELATED_REPLY, FLOW_DIR_REPLY },
                { 7 /* IP_CT_UNTRACKED */, FLOW_DIR_UNKNOWN },
                { 0xffffffffu, FLOW_DIR_UNKNOWN },
        };
        _Alignas(4) uint8_t buf[1024];
        struct capture c = {};
        struct nflog_input *in = open_unbound(&c);
        char a[INET_ADDRSTRLEN];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct nlmsghdr *nlh = put_packet_ct(buf, cases[i].ctinfo);

                c.n = 0;
                nflog_input_process(in, buf, nlh->nlmsg_len);
                assert_int_equal(c.n, 1);
                assert_int_equal(c.flows[0].ct_dir, cases[i].dir);
        }
        assert_true(c.flows[0].has_ct);
        assert_int_equal(c.flows[0].ct_id, 9);
        assert_true(c.flows[0].has_ct_tuple);
        assert_string_equal(inet_ntop(AF_INET, &c.flows[0].ct_src.in, a, sizeof(a)), "192.168.1.20");
        assert_string_equal(inet_ntop(AF_INET, &c.flows[0].ct_dst.in, a, sizeof(a)), "17.1.2.3");
        assert_int_equal(c.flows[0].ct_sport, 60321);
        assert_int_equal(c.flows[0].ct_dport, 16385);
        assert_true(c.flows[0].has_snat);
        assert_string_equal(inet_ntop(AF_INET, &c.flows[0].snat.in, a, sizeof(a)), "192.0.2.7");
        assert_int_equal(c.flows[0].snat_port, 61000);
        assert_false(c.flows[0].has_dnat);
        assert_int_equal(nflog_input_get_stats(in)->ct_malformed, 0);
}

/* Conntrack information that does not parse is left out and counted; the
 * packet itself is still handed over. */
static void test_message_conntrack_bad(void **state) {
        _Alignas(4) uint8_t buf[1024];
        struct capture c = {};
        struct nflog_input *in = open_unbound(&c);
        const struct nflog_input_stats *st = nflog_input_get_stats(in);
        struct nlmsghdr *nlh;
        struct nlattr *nest;

        /* IPv6 addresses in the tuple of an IPv4 packet */
        nlh = put_packet(buf, 3, ETH_P_IP, udp4, sizeof(udp4));
        nest = mnl_attr_nest_start(nlh, NFULA_CT);
        ct_message_put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET6, "fd00::1", "fd00::2", IPPROTO_UDP, 1, 2);
        mnl_attr_nest_end(nlh, nest);
        mnl_attr_put_u32(nlh, NFULA_CT_INFO, htonl(IP_CT_ESTABLISHED_REPLY));
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->ct_malformed, 1);

        /* another transport than the packet's */
        nlh = put_packet(buf, 3, ETH_P_IP, udp4, sizeof(udp4));
        nest = mnl_attr_nest_start(nlh, NFULA_CT);
        ct_message_put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2);
        mnl_attr_nest_end(nlh, nest);
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->ct_malformed, 2);

        /* a short NFULA_CT_INFO: the tuples stand, the direction is unknown */
        nlh = put_packet_ct(buf, IP_CT_ESTABLISHED_REPLY);
        ((struct nlattr *) ((uint8_t *) nlh + nlh->nlmsg_len - 8))->nla_len = 6;
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->ct_malformed, 3);
        assert_true(c.flows[2].has_ct_tuple);
        assert_int_equal(c.flows[2].ct_dir, FLOW_DIR_UNKNOWN);
        c.flows[2].has_ct_tuple = c.flows[2].has_snat = false; /* for the loop below */

        /* a tuple cut inside (its nest claims less than its attributes) */
        nlh = put_packet(buf, 3, ETH_P_IP, udp4, sizeof(udp4));
        nest = mnl_attr_nest_start(nlh, NFULA_CT);
        ct_message_put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2);
        mnl_attr_nest_end(nlh, nest);
        ((struct nlattr *) ((uint8_t *) nest + MNL_ATTR_HDRLEN))->nla_len = 12;
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->ct_malformed, 4);

        assert_int_equal(c.n, 4);
        for (size_t i = 0; i < c.n; i++) {
                assert_false(c.flows[i].has_ct_tuple);
                assert_false(c.flows[i].has_snat || c.flows[i].has_dnat);
                assert_int_equal(c.flows[i].ct_dir, FLOW_DIR_UNKNOWN);
                assert_int_equal(c.flows[i].src_port, 60321);
        }
        assert_int_equal(st->malformed, 0);
}

static void test_message_prefix_bounded(void **state) {
        _Alignas(4) uint8_t buf[1024];
        char prefix[300];
        struct capture c = {};
        struct nflog_input *in = open_unbound(&c);
        struct nlmsghdr *nlh = put_packet(buf, 1, ETH_P_IP, udp4, sizeof(udp4));

        memset(prefix, 'p', sizeof(prefix));
        prefix[sizeof(prefix) - 1] = 0;
        mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(c.n, 1);
        assert_int_equal(strlen(c.flows[0].nflog_prefix), FLOW_PREFIX_MAX - 1);
        assert_false(c.flows[0].has_ct);
        assert_false(c.flows[0].has_ct_tuple);
        assert_int_equal(c.flows[0].ct_dir, FLOW_DIR_UNKNOWN);
        assert_string_equal(c.flows[0].in_interface, "");
}

static void test_message_counted(void **state) {
        _Alignas(4) uint8_t buf[1024];
        uint8_t pkt[sizeof(udp4)];
        struct capture c = {};
        struct nflog_input *in = open_unbound(&c);
        const struct nflog_input_stats *st = nflog_input_get_stats(in);
        struct nlmsghdr *nlh;

        /* link layer says IPv6, payload is IPv4 */
        nlh = put_packet(buf, 1, ETH_P_IPV6, udp4, sizeof(udp4));
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->malformed, 1);

        /* no payload */
        nlh = put_packet(buf, 1, ETH_P_IP, NULL, 0);
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->malformed, 2);

        /* an attribute running past the message */
        nlh = put_packet(buf, 1, ETH_P_IP, udp4, sizeof(udp4));
        ((struct nlattr *) ((uint8_t *) nlh + nlh->nlmsg_len - MNL_ALIGN(sizeof(udp4)) -
                            MNL_ATTR_HDRLEN))
                ->nla_len = 200;
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->malformed, 3);

        /* copy ended inside the UDP header */
        nlh = put_packet(buf, 1, ETH_P_IP, udp4, 22);
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->truncated, 1);

        /* a later fragment */
        memcpy(pkt, udp4, sizeof(pkt));
        pkt[7] = 10;
        nlh = put_packet(buf, 1, ETH_P_IP, pkt, sizeof(pkt));
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->fragments, 1);

        /* ICMP */
        pkt[7] = 0;
        pkt[9] = IPPROTO_ICMP;
        nlh = put_packet(buf, 1, ETH_P_IP, pkt, sizeof(pkt));
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(st->not_tcp_udp, 1);

        /* a message longer than the datagram, or bytes too few for a
         * header, are not parsed but counted as one malformed packet each */
        nlh = put_packet(buf, 1, ETH_P_IP, udp4, sizeof(udp4));
        nflog_input_process(in, buf, nlh->nlmsg_len - 1);
        assert_int_equal(st->malformed, 4);
        nflog_input_process(in, buf, 3);
        assert_int_equal(st->malformed, 5);

        assert_int_equal(st->packets, 8);
        assert_int_equal(c.n, 0);
        assert_int_equal(st->enobufs, 0);
}

/* A length of 2 GiB or more once passed libmnl's signed check: the walk read
 * far past the datagram (0xf0f0f0f0) or stood still forever (0xffffffff,
 * which aligns to 0). Such a message lies outside the datagram: counted. */
static void test_message_length_huge(void **state) {
        static const uint32_t lengths[] = { 0xf0f0f0f0u, 0xffffffffu, 0x80000000u };
        _Alignas(4) uint8_t buf[1024];
        struct capture c = {};
        struct nflog_input *in = open_unbound(&c);
        const struct nflog_input_stats *st = nflog_input_get_stats(in);
        struct nlmsghdr *nlh;

        for (size_t i = 0; i < ELEMENTSOF(lengths); i++) {
                nlh = put_packet(buf, 1, ETH_P_IP, udp4, sizeof(udp4));
                nlh->nlmsg_len = lengths[i];
                nflog_input_process(in, buf, 16);
                nflog_input_process(in, buf, sizeof(buf));
        }
        /* Each is counted as one malformed packet message, never parsed. */
        assert_int_equal(st->packets, 2 * ELEMENTSOF(lengths));
        assert_int_equal(st->malformed, 2 * ELEMENTSOF(lengths));
        assert_int_equal(c.calls, 0);
}

/* A message whose length is not a multiple of 4, ending 3 bytes into its
 * last attribute, as the fuzzer found it: libmnl walks attributes to the
 * padded end, so the packet header attribute was read 1 byte past the
 * datagram. Without its padding in the datagram the message is not one
 * (counted); with it, the attribute still runs past the message
 * (malformed). Each is parsed from a buffer of exactly its size. */
static void test_message_unpadded_end(void **state) {
        _Alignas(4) uint8_t buf[1024];
        struct capture c = {};
        struct nflog_input *in = open_unbound(&c);
        const struct nflog_input_stats *st = nflog_input_get_stats(in);
        struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(ETH_P_IP) };
        struct nlmsghdr *nlh = put_packet(buf, 1, 0, NULL, 0);
        uint8_t *exact;
        uint32_t len;

        /* put_packet() put the header attribute first; this one goes last. */
        nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(struct nfgenmsg);
        mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(udp4), udp4);
        mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
        nflog_input_process(in, buf, nlh->nlmsg_len);
        assert_int_equal(c.calls, 1); /* whole, it is a packet */

        len = nlh->nlmsg_len - 3;
        nlh->nlmsg_len = len;
        for (uint32_t size = len; size <= len + 3; size += 3) {
                exact = malloc(size);
                assert_non_null(exact);
                memcpy(exact, buf, size);
                nflog_input_process(in, exact, size);
                free(exact);
        }
        assert_int_equal(st->packets, 3);
        assert_int_equal(st->malformed, 2);
        assert_int_equal(c.calls, 1);
}

/* Dispatches until `want` more packets were counted, or 5 s passed. */
static void receive(struct nflog_input *in, uint64_t want) {
        uint64_t goal = nflog_input_get_stats(in)->packets + want;

        for (int i = 0; i < 50 && nflog_input_get_stats(in)->packets < goal; i++) {
                struct pollfd p = { .fd = nflog_input_fd(in), .events = POLLIN };

                if (poll(&p, 1, 100) > 0)
                        assert_int_equal(nflog_input_dispatch(in), 0);
        }
        assert_int_equal(nflog_input_get_stats(in)->packets, goal);
}

static void send_udp(int family, const char *addr, uint16_t sport, uint16_t dport) {
        struct sockaddr_storage src = {}, dst = {};
        socklen_t sl;
        int fd;

        if (family == AF_INET) {
                struct sockaddr_in *s = (struct sockaddr_in *) &src, *d = (struct sockaddr_in *) &dst;

                s->sin_family = d->sin_family = AF_INET;
                s->sin_port = htons(sport);
                d->sin_port = htons(dport);
                assert_int_equal(inet_pton(AF_INET, addr, &d->sin_addr), 1);
                sl = sizeof(*s);
        } else {
                struct sockaddr_in6 *s = (struct sockaddr_in6 *) &src, *d = (struct sockaddr_in6 *) &dst;

                s->sin6_family = d->sin6_family = AF_INET6;
                s->sin6_port = htons(sport);
                d->sin6_port = htons(dport);
                assert_int_equal(inet_pton(AF_INET6, addr, &d->sin6_addr), 1);
                sl = sizeof(*s);
        }
        fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &src, sl), 0);
        assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *) &dst, sl), 1);
        close(fd);
}

static void test_udp_ipv4(void **state) {
        static const uint16_t groups[] = { 7 };
        struct nflog_input *in = NULL;
        struct capture c = {};
        char a[INET_ADDRSTRLEN];

        in = open_input(groups, 1, 1 << 20, &c);
        send_udp(AF_INET, "127.0.0.1", 4444, 5555);
        receive(in, 1);

        assert_int_equal(c.n, 1);
        assert_int_equal(c.flows[0].action, FLOW_PACKET_LOGGED);
        assert_true(c.flows[0].has_nflog);
        assert_int_equal(c.flows[0].family, AF_INET);
        assert_int_equal(c.flows[0].l4proto, IPPROTO_UDP);
        assert_string_equal(inet_ntop(AF_INET, &c.flows[0].src.in, a, sizeof(a)), "127.0.0.1");
        assert_string_equal(inet_ntop(AF_INET, &c.flows[0].dst.in, a, sizeof(a)), "127.0.0.1");
        assert_int_equal(c.flows[0].src_port, 4444);
        assert_int_equal(c.flows[0].dst_port, 5555);
        assert_int_equal(c.flows[0].nflog_group, 7);
        assert_string_equal(c.flows[0].nflog_prefix, "t");
        assert_string_equal(c.flows[0].out_interface, "lo");
        assert_string_equal(c.flows[0].in_interface, "");
        /* conntrack id and mark come only from kernels built with
         * CONFIG_NETFILTER_NETLINK_GLUE_CT; when they come, they are set */
        if (c.flows[0].has_ct)
                assert_int_not_equal(c.flows[0].ct_id, 0);
        assert_int_equal(nflog_input_get_stats(in)->malformed, 0);
}

static void test_udp_ipv6(void **state) {
        static const uint16_t groups[] = { 7 };
        struct nflog_input *in = NULL;
        struct capture c = {};
        char a[INET6_ADDRSTRLEN];

        in = open_input(groups, 1, 0, &c);
        send_udp(AF_INET6, "::1", 4446, 5555);
        receive(in, 1);

        assert_int_equal(c.n, 1);
        assert_int_equal(c.flows[0].family, AF_INET6);
        assert_int_equal(c.flows[0].l4proto, IPPROTO_UDP);
        assert_string_equal(inet_ntop(AF_INET6, &c.flows[0].dst.in6, a, sizeof(a)), "::1");
        assert_int_equal(c.flows[0].src_port, 4446);
        assert_int_equal(c.flows[0].dst_port, 5555);
        assert_int_equal(c.flows[0].nflog_group, 7);
        assert_string_equal(c.flows[0].nflog_prefix, "t");
        assert_string_equal(c.flows[0].out_interface, "lo");
}

/* A request and its answer. A kernel with CONFIG_NETFILTER_NETLINK_GLUE_CT
 * attaches the connection and says which way each packet went; one without
 * refuses the flag (EOPNOTSUPP), and both packets still come, their
 * direction unknown and no connection made up. */
static void test_udp_reply_direction(void **state) {
        static const uint16_t groups[] = { 10 };
        struct sockaddr_in server_addr = { .sin_family = AF_INET, .sin_port = htons(5560), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct sockaddr_in client_addr;
        socklen_t len = sizeof(client_addr);
        struct nflog_input *in;
        struct capture c = {};
        int server, client, refused;
        char byte;

        in = open_input(groups, 1, 0, &c);
        refused = nflog_input_get_stats(in)->conntrack_refused;
        server = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(server >= 0 && client >= 0);
        assert_int_equal(bind(server, (struct sockaddr *) &server_addr, sizeof(server_addr)), 0);
        /* the client's port is the kernel's choice */
        assert_int_equal(sendto(client, "q", 1, 0, (struct sockaddr *) &server_addr, sizeof(server_addr)), 1);
        assert_int_equal(recvfrom(server, &byte, 1, 0, (struct sockaddr *) &client_addr, &len), 1);
        assert_int_equal(sendto(server, "a", 1, 0, (struct sockaddr *) &client_addr, len), 1);
        receive(in, 2);
        close(server);
        close(client);

        assert_int_equal(c.n, 2);
        assert_string_equal(c.flows[0].nflog_prefix, "request");
        assert_string_equal(c.flows[1].nflog_prefix, "reply");
        /* the reply packet's own ports are the other way round */
        assert_int_equal(c.flows[1].src_port, 5560);
        assert_int_equal(c.flows[1].dst_port, ntohs(client_addr.sin_port));
        assert_int_equal(nflog_input_get_stats(in)->ct_malformed, 0);

        if (refused != 0) {
                print_message("the kernel refuses NFULNL_CFG_F_CONNTRACK (%s): checked that packets "
                              "come without direction\n",
                              strerror(-refused));
                assert_int_equal(refused, -EOPNOTSUPP);
                for (size_t i = 0; i < 2; i++) {
                        assert_int_equal(c.flows[i].ct_dir, FLOW_DIR_UNKNOWN);
                        assert_false(c.flows[i].has_ct_tuple || c.flows[i].has_ct);
                }
                return;
        }
        assert_int_equal(c.flows[0].ct_dir, FLOW_DIR_ORIGINAL);
        assert_int_equal(c.flows[1].ct_dir, FLOW_DIR_REPLY);
        for (size_t i = 0; i < 2; i++) {
                assert_true(c.flows[i].has_ct_tuple);
                assert_int_equal(c.flows[i].ct_sport, ntohs(client_addr.sin_port));
                assert_int_equal(c.flows[i].ct_dport, 5560);
                assert_false(c.flows[i].has_snat || c.flows[i].has_dnat);
        }
}

/* Two groups on one input; the non-ASCII prefix comes out as '?' bytes. */
static void test_tcp_two_groups(void **state) {
        static const uint16_t groups[] = { 7, 8 };
        struct nflog_input *in = NULL;
        struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(5557), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct capture c = {};
        int fd;

        in = open_input(groups, 2, 0, &c);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(fd >= 0);
        /* no listener: one SYN goes out, a RST comes back */
        (void) connect(fd, (struct sockaddr *) &dst, sizeof(dst));
        send_udp(AF_INET, "127.0.0.1", 4445, 5555);
        receive(in, 2);
        close(fd);

        assert_int_equal(c.n, 2);
        for (size_t i = 0; i < c.n; i++) {
                if (c.flows[i].l4proto == IPPROTO_TCP) {
                        assert_int_equal(c.flows[i].nflog_group, 8);
                        assert_int_equal(c.flows[i].dst_port, 5557);
                        assert_string_equal(c.flows[i].nflog_prefix, "drop??");
                } else {
                        assert_int_equal(c.flows[i].nflog_group, 7);
                        assert_int_equal(c.flows[i].src_port, 4445);
                }
        }
        assert_int_not_equal(c.flows[0].l4proto, c.flows[1].l4proto);
}

/* ICMP is counted, not handed over. */
static void test_icmp_counted(void **state) {
        static const uint16_t groups[] = { 7 };
        struct nflog_input *in = NULL;
        struct capture c = {};

        in = open_input(groups, 1, 0, &c);
        assert_int_equal(kernel_netns_ping(), 0);
        receive(in, 1);

        assert_int_equal(c.n, 0);
        assert_int_equal(nflog_input_get_stats(in)->not_tcp_udp, 1);
        assert_int_equal(nflog_input_get_stats(in)->malformed, 0);
}

/* More than the socket buffer holds: the overflow is counted, never silent,
 * and what was queued is still read. */
static void test_enobufs_counted(void **state) {
        static const uint16_t groups[] = { 7 };
        struct nflog_input *in;
        struct capture c = {};
        const struct nflog_input_stats *st;
        int r;

        /* the smallest buffer the kernel allows (it rounds up to ~2 KiB) */
        in = open_input(groups, 1, 1, &c);
        st = nflog_input_get_stats(in);
        for (unsigned i = 0; i < 2000; i++)
                send_udp(AF_INET, "127.0.0.1", (uint16_t) (10000 + i), 5555);

        /* read until the kernel has flushed all it holds and nothing more comes */
        for (int idle = 0; idle < 5;) {
                struct pollfd p = { .fd = nflog_input_fd(in), .events = POLLIN };

                r = poll(&p, 1, 200);
                assert_true(r >= 0);
                if (r == 0) {
                        idle++;
                        continue;
                }
                idle = 0;
                assert_int_equal(nflog_input_dispatch(in), 0);
        }

        assert_true(st->enobufs >= 1);
        assert_true(st->packets >= 1);
        assert_true(st->packets < 2000);
        /* every packet read was handed over */
        assert_int_equal(c.calls, st->packets);
        assert_int_equal(st->malformed + st->truncated + st->fragments + st->not_tcp_udp, 0);
}

/* A group held by another socket is refused, not shared (the kernel says
 * EPERM). */
static void test_group_busy(void **state) {
        static const uint16_t groups[] = { 9 };
        struct nflog_input *a, *b = NULL;
        struct capture c = {};

        a = open_input(groups, 1, 0, &c);
        assert_int_equal(nflog_input_new(&b, groups, 1, 0, on_flow, &c), -EPERM);
        assert_null(b);
        /* freed: the group is free again */
        close_input(a);
        b = open_input(groups, 1, 0, &c);
        assert_non_null(b);
}

static void test_bad_arguments(void **state) {
        static const uint16_t groups[] = { 7 }, many[33] = {};
        struct nflog_input *in = NULL;
        struct capture c = {};

        assert_int_equal(nflog_input_new(&in, many, ELEMENTSOF(many), 0, on_flow, &c), -EINVAL);
        assert_int_equal(nflog_input_new(&in, NULL, 1, 0, on_flow, &c), -EINVAL);
        assert_int_equal(nflog_input_new(&in, groups, 1, 0, NULL, &c), -EINVAL);
        assert_null(in);
}

int main(void) {
        const struct CMUnitTest messages[] = {
                cmocka_unit_test_teardown(test_bad_arguments, close_inputs),
                cmocka_unit_test_teardown(test_message_fields, close_inputs),
                cmocka_unit_test_teardown(test_message_conntrack, close_inputs),
                cmocka_unit_test_teardown(test_message_conntrack_bad, close_inputs),
                cmocka_unit_test_teardown(test_message_prefix_bounded, close_inputs),
                cmocka_unit_test_teardown(test_message_counted, close_inputs),
                cmocka_unit_test_teardown(test_message_length_huge, close_inputs),
                cmocka_unit_test_teardown(test_message_unpadded_end, close_inputs),
        };
        const struct CMUnitTest kernel[] = {
                cmocka_unit_test_teardown(test_udp_ipv4, close_inputs),
                cmocka_unit_test_teardown(test_udp_ipv6, close_inputs),
                cmocka_unit_test_teardown(test_tcp_two_groups, close_inputs),
                cmocka_unit_test_teardown(test_udp_reply_direction, close_inputs),
                cmocka_unit_test_teardown(test_icmp_counted, close_inputs),
                cmocka_unit_test_teardown(test_group_busy, close_inputs),
                cmocka_unit_test_teardown(test_enobufs_counted, close_inputs),
        };
        const char *skip;
        int r;

        r = cmocka_run_group_tests(messages, NULL, NULL);

        skip = kernel_netns_enter(ruleset);
        if (skip) {
                printf("test-nflog: kernel tests skipped: %s\n", skip);
                return r != 0 ? r : 77;
        }

        return r + cmocka_run_group_tests(kernel, NULL, NULL);
}
