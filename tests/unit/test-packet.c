/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "macro.h"
#include "packet.h"

/* Packet builders: IPv4/IPv6 header followed by a TCP or UDP header. */

static size_t put_l4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport) {
        p[0] = sport >> 8;
        p[1] = sport & 0xff;
        p[2] = dport >> 8;
        p[3] = dport & 0xff;
        if (proto == IPPROTO_TCP) {
                memset(p + 4, 0, 16);
                p[12] = 5 << 4; /* data offset */
                return 20;
        }
        p[4] = 0;
        p[5] = 8; /* UDP length */
        p[6] = p[7] = 0;
        return 8;
}

/* IPv4, 20-byte header, correct total length. */
static size_t build_ipv4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport) {
        size_t n;

        memset(p, 0, 20);
        p[0] = 0x45;
        p[8] = 64;
        p[9] = proto;
        inet_pton(AF_INET, "192.168.1.20", p + 12);
        inet_pton(AF_INET, "17.1.2.3", p + 16);
        n = 20 + put_l4(p + 20, proto, sport, dport);
        p[2] = n >> 8;
        p[3] = n & 0xff;
        return n;
}

static void set_payload_len(uint8_t *p, size_t n) {
        p[4] = (n - 40) >> 8;
        p[5] = (n - 40) & 0xff;
}

/* IPv6 with the extension headers in ext[] (each 8 bytes, the generic form),
 * then the transport header. */
static size_t build_ipv6(uint8_t *p, const uint8_t *ext, size_t n_ext, uint8_t proto,
                         uint16_t sport, uint16_t dport) {
        size_t off = 40;

        memset(p, 0, 40);
        p[0] = 0x60;
        p[7] = 64;
        inet_pton(AF_INET6, "2001:db8::20", p + 8);
        inet_pton(AF_INET6, "2620:149::1", p + 24);
        p[6] = n_ext > 0 ? ext[0] : proto;
        for (size_t i = 0; i < n_ext; i++) {
                memset(p + off, 0, 8);
                p[off] = i + 1 < n_ext ? ext[i + 1] : proto;
                p[off + 1] = 0; /* (0 + 1) * 8 bytes; AH: (0 + 2) * 4 */
                off += 8;
        }
        off += put_l4(p + off, proto, sport, dport);
        set_payload_len(p, off);
        return off;
}

static void assert_v4_addrs(const struct flow *f) {
        char s[INET_ADDRSTRLEN];

        assert_int_equal(f->family, AF_INET);
        assert_string_equal(inet_ntop(AF_INET, &f->src.in, s, sizeof(s)), "192.168.1.20");
        assert_string_equal(inet_ntop(AF_INET, &f->dst.in, s, sizeof(s)), "17.1.2.3");
}

static void assert_v6_addrs(const struct flow *f) {
        char s[INET6_ADDRSTRLEN];

        assert_int_equal(f->family, AF_INET6);
        assert_string_equal(inet_ntop(AF_INET6, &f->src.in6, s, sizeof(s)), "2001:db8::20");
        assert_string_equal(inet_ntop(AF_INET6, &f->dst.in6, s, sizeof(s)), "2620:149::1");
}

static void test_ipv4_tcp(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_TCP, 60321, 5223);

        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_v4_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_TCP);
        assert_int_equal(f.src_port, 60321);
        assert_int_equal(f.dst_port, 5223);
}

static void test_ipv4_udp(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_UDP, 16384, 16385);

        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_v4_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_UDP);
        assert_int_equal(f.src_port, 16384);
        assert_int_equal(f.dst_port, 16385);
}

static void test_ipv4_options(void **state) {
        uint8_t p[128];
        struct flow f = {};

        /* IHL 6: one 4-byte option word between IP and UDP header */
        build_ipv4(p, IPPROTO_UDP, 1, 2);
        memmove(p + 24, p + 20, 8);
        memset(p + 20, 1, 4); /* NOPs */
        p[0] = 0x46;
        p[3] = 32;
        assert_int_equal(packet_parse(p, 32, &f), PACKET_OK);
        assert_int_equal(f.src_port, 1);
        assert_int_equal(f.dst_port, 2);
}

static void test_ipv4_truncated(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_TCP, 1, 2);

        assert_int_equal(packet_parse(p, 0, &f), PACKET_MALFORMED);
        assert_int_equal(packet_parse(NULL, 40, &f), PACKET_MALFORMED);
        assert_int_equal(packet_parse(p, 1, &f), PACKET_MALFORMED);
        assert_int_equal(packet_parse(p, 19, &f), PACKET_MALFORMED);
        /* the capture ends inside the TCP header: truncated, addresses known */
        assert_int_equal(packet_parse(p, 23, &f), PACKET_TRUNCATED);
        assert_v4_addrs(&f);
        assert_int_equal(f.src_port, 0);
        assert_int_equal(packet_parse(p, n - 1, &f), PACKET_TRUNCATED);
        /* the ports are all that is read; 24 bytes hold them, but the TCP
         * header minimum is 20: still truncated */
        assert_int_equal(packet_parse(p, 24, &f), PACKET_TRUNCATED);
}

static void test_ipv4_ihl(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_UDP, 1, 2);

        for (uint8_t ihl = 0; ihl < 5; ihl++) {
                p[0] = 0x40 | ihl;
                assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        }
        /* IHL 15 = 60 bytes: longer than the total length (28) */
        p[0] = 0x4f;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        /* ... and with a total length covering it, the UDP header would lie
         * beyond the 60 bytes the total length allows */
        p[2] = 0;
        p[3] = 60;
        memset(p + n, 0, sizeof(p) - n);
        assert_int_equal(packet_parse(p, sizeof(p), &f), PACKET_MALFORMED);
}

static void test_ipv4_total_length(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_TCP, 1, 2);

        /* total length below the header length */
        p[2] = 0;
        p[3] = 19;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        /* total length ends inside the TCP header */
        p[3] = 30;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        /* total length bigger than the buffer: a truncated capture, the
         * headers are all there */
        p[2] = 0x05;
        p[3] = 0xdc;
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_int_equal(f.dst_port, 2);
        /* ... and the capture ending before the ports */
        assert_int_equal(packet_parse(p, 21, &f), PACKET_TRUNCATED);
        /* 0: unknown (GSO), the capture bounds the parse */
        p[2] = p[3] = 0;
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
}

static void test_ipv4_fragments(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_UDP, 5353, 5353);

        /* first fragment (MF, offset 0): ports present */
        p[6] = 0x20;
        p[7] = 0;
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_int_equal(f.src_port, 5353);
        /* later fragment (offset 185 * 8): no transport header */
        p[6] = 0x20;
        p[7] = 185;
        assert_int_equal(packet_parse(p, n, &f), PACKET_FRAGMENT);
        assert_v4_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_UDP);
        assert_int_equal(f.src_port, 0);
        assert_int_equal(f.dst_port, 0);
        /* last fragment (no MF) */
        p[6] = 0x00;
        assert_int_equal(packet_parse(p, n, &f), PACKET_FRAGMENT);
        /* DF alone is not a fragment */
        p[6] = 0x40;
        p[7] = 0;
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
}

static void test_ipv4_not_tcp_udp(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_UDP, 1, 2);

        p[9] = IPPROTO_ICMP;
        assert_int_equal(packet_parse(p, n, &f), PACKET_NOT_TCP_UDP);
        assert_v4_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_ICMP);
        assert_int_equal(f.src_port, 0);
        /* an ICMP packet of nothing but an IP header is still ICMP */
        p[3] = 20;
        assert_int_equal(packet_parse(p, 20, &f), PACKET_NOT_TCP_UDP);
        p[9] = IPPROTO_SCTP;
        assert_int_equal(packet_parse(p, 20, &f), PACKET_NOT_TCP_UDP);
        assert_int_equal(f.l4proto, IPPROTO_SCTP);
}

static void test_tcp_header(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_TCP, 1, 2);

        /* data offset below 5 */
        p[20 + 12] = 4 << 4;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        /* data offset beyond the packet */
        p[20 + 12] = 6 << 4;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        /* ... but options cut by the capture only are fine */
        p[2] = 0x05;
        p[3] = 0xdc;
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
}

static void test_udp_length(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_UDP, 1, 2);

        p[20 + 5] = 7;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        p[20 + 5] = 9; /* beyond the IP total length */
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        p[20 + 5] = 0;
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
}

static void test_bad_version(void **state) {
        uint8_t p[128];
        struct flow f = {};
        size_t n = build_ipv4(p, IPPROTO_UDP, 1, 2);

        for (unsigned v = 0; v < 16; v++) {
                if (v == 4 || v == 6)
                        continue;
                p[0] = (uint8_t) (v << 4 | 5);
                assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        }
}

static void test_ipv6_tcp_udp(void **state) {
        uint8_t p[256];
        struct flow f = {};
        size_t n;

        n = build_ipv6(p, NULL, 0, IPPROTO_TCP, 50000, 443);
        assert_int_equal(n, 60);
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_v6_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_TCP);
        assert_int_equal(f.src_port, 50000);
        assert_int_equal(f.dst_port, 443);

        n = build_ipv6(p, NULL, 0, IPPROTO_UDP, 5353, 5353);
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_v6_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_UDP);
        assert_int_equal(f.dst_port, 5353);
}

static void test_ipv6_truncated(void **state) {
        uint8_t p[256];
        struct flow f = {};
        size_t n = build_ipv6(p, NULL, 0, IPPROTO_TCP, 1, 2);

        assert_int_equal(packet_parse(p, 1, &f), PACKET_MALFORMED);
        assert_int_equal(packet_parse(p, 39, &f), PACKET_MALFORMED);
        assert_int_equal(packet_parse(p, 40, &f), PACKET_TRUNCATED);
        assert_v6_addrs(&f);
        assert_int_equal(packet_parse(p, n - 1, &f), PACKET_TRUNCATED);
        /* payload length too short for the TCP header */
        set_payload_len(p, 50);
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        /* payload length bigger than the buffer: a truncated capture */
        set_payload_len(p, 1500);
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
}

static void test_ipv6_ext_headers(void **state) {
        static const uint8_t chain[] = {
                IPPROTO_HOPOPTS,
                IPPROTO_DSTOPTS,
                IPPROTO_ROUTING,
                IPPROTO_FRAGMENT,
                IPPROTO_AH,
                135,
                139,
                IPPROTO_DSTOPTS,
        };
        uint8_t p[256];
        struct flow f = {};
        size_t n;

        for (size_t k = 1; k <= ELEMENTSOF(chain); k++) {
                n = build_ipv6(p, chain, k, IPPROTO_UDP, 16384, 16393);
                assert_int_equal(n, 40 + 8 * k + 8);
                assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
                assert_v6_addrs(&f);
                assert_int_equal(f.l4proto, IPPROTO_UDP);
                assert_int_equal(f.src_port, 16384);
                assert_int_equal(f.dst_port, 16393);
        }

        /* a longer header: routing header of (1 + 1) * 8 bytes */
        n = build_ipv6(p, (const uint8_t[]) { IPPROTO_ROUTING }, 1, IPPROTO_TCP, 7, 8);
        memmove(p + 56, p + 48, 20);
        memset(p + 48, 0, 8);
        p[41] = 1;
        n += 8;
        set_payload_len(p, n);
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_int_equal(f.dst_port, 8);
        /* ... whose length runs past the payload */
        p[41] = 3;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
}

static void test_ipv6_ext_chain_limits(void **state) {
        uint8_t chain[PACKET_MAX_EXT_HEADERS + 1];
        uint8_t p[256];
        struct flow f = {};
        size_t n;

        memset(chain, IPPROTO_DSTOPTS, sizeof(chain));

        /* exactly the limit */
        n = build_ipv6(p, chain, PACKET_MAX_EXT_HEADERS, IPPROTO_TCP, 1, 2);
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);

        /* one more */
        n = build_ipv6(p, chain, PACKET_MAX_EXT_HEADERS + 1, IPPROTO_TCP, 1, 2);
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);

        /* hop-by-hop anywhere but first */
        n = build_ipv6(p, (const uint8_t[]) { IPPROTO_DSTOPTS, IPPROTO_HOPOPTS }, 2,
                       IPPROTO_TCP, 1, 2);
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);

        /* chain cut by the capture: inside the second extension header */
        n = build_ipv6(p, chain, 3, IPPROTO_TCP, 1, 2);
        assert_int_equal(packet_parse(p, 52, &f), PACKET_TRUNCATED);
        assert_v6_addrs(&f);
        /* chain cut by the payload length */
        set_payload_len(p, 52);
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
        /* an extension header claiming 2048 bytes in a short packet */
        n = build_ipv6(p, chain, 1, IPPROTO_TCP, 1, 2);
        p[41] = 255;
        assert_int_equal(packet_parse(p, n, &f), PACKET_MALFORMED);
}

static void test_ipv6_fragments(void **state) {
        uint8_t p[256];
        struct flow f = {};
        size_t n = build_ipv6(p, (const uint8_t[]) { IPPROTO_FRAGMENT }, 1, IPPROTO_UDP,
                              4500, 4500);

        /* first fragment: offset 0, M set */
        p[43] = 1;
        assert_int_equal(packet_parse(p, n, &f), PACKET_OK);
        assert_int_equal(f.dst_port, 4500);
        /* non-first: offset 1 (8 bytes) */
        p[42] = 0;
        p[43] = 0x08 | 1;
        assert_int_equal(packet_parse(p, n, &f), PACKET_FRAGMENT);
        assert_v6_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_UDP);
        assert_int_equal(f.src_port, 0);
        assert_int_equal(f.dst_port, 0);
        /* the last one */
        p[42] = 0x10;
        p[43] = 0;
        assert_int_equal(packet_parse(p, n, &f), PACKET_FRAGMENT);
}

static void test_ipv6_not_tcp_udp(void **state) {
        uint8_t p[256];
        struct flow f = {};
        size_t n = build_ipv6(p, NULL, 0, IPPROTO_UDP, 1, 2);

        p[6] = IPPROTO_ICMPV6;
        assert_int_equal(packet_parse(p, n, &f), PACKET_NOT_TCP_UDP);
        assert_v6_addrs(&f);
        assert_int_equal(f.l4proto, IPPROTO_ICMPV6);
        p[6] = IPPROTO_NONE;
        assert_int_equal(packet_parse(p, n, &f), PACKET_NOT_TCP_UDP);
        p[6] = IPPROTO_ESP;
        assert_int_equal(packet_parse(p, n, &f), PACKET_NOT_TCP_UDP);
        /* behind an extension header */
        n = build_ipv6(p, (const uint8_t[]) { IPPROTO_DSTOPTS }, 1, IPPROTO_UDP, 1, 2);
        p[40] = IPPROTO_ICMPV6;
        assert_int_equal(packet_parse(p, n, &f), PACKET_NOT_TCP_UDP);
        assert_int_equal(f.l4proto, IPPROTO_ICMPV6);
}

static void test_result_names(void **state) {
        assert_string_equal(packet_result_to_string(PACKET_OK), "ok");
        assert_string_equal(packet_result_to_string(PACKET_MALFORMED), "malformed");
        assert_string_equal(packet_result_to_string(PACKET_NOT_TCP_UDP), "not-tcp-udp");
        assert_string_equal(packet_result_to_string(PACKET_FRAGMENT), "fragment");
        assert_string_equal(packet_result_to_string(PACKET_TRUNCATED), "truncated");
        assert_string_equal(packet_result_to_string(-99), "unknown");
}

/* Every prefix of a valid packet: never OK short of the transport header,
 * never a read outside the buffer (checked under ASan, which sees the heap
 * copy's exact bounds). */
static void check_prefixes(const uint8_t *p, size_t n, size_t ip_header) {
        struct flow f;

        for (size_t l = 0; l <= n; l++) {
                uint8_t *copy = test_malloc(l ? l : 1);
                int expected = l < ip_header ? PACKET_MALFORMED : l < n ? PACKET_TRUNCATED
                                                                        : PACKET_OK;

                memcpy(copy, p, l);
                assert_int_equal(packet_parse(copy, l, &f), expected);
                test_free(copy);
        }
}

static void test_all_prefixes(void **state) {
        uint8_t p[256];
        size_t n;

        n = build_ipv4(p, IPPROTO_TCP, 1, 2);
        check_prefixes(p, n, 20);
        n = build_ipv4(p, IPPROTO_UDP, 1, 2);
        check_prefixes(p, n, 20);
        n = build_ipv6(p, (const uint8_t[]) { IPPROTO_HOPOPTS, IPPROTO_FRAGMENT }, 2,
                       IPPROTO_UDP, 1, 2);
        check_prefixes(p, n, 40);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ipv4_tcp),
                cmocka_unit_test(test_ipv4_udp),
                cmocka_unit_test(test_ipv4_options),
                cmocka_unit_test(test_ipv4_truncated),
                cmocka_unit_test(test_ipv4_ihl),
                cmocka_unit_test(test_ipv4_total_length),
                cmocka_unit_test(test_ipv4_fragments),
                cmocka_unit_test(test_ipv4_not_tcp_udp),
                cmocka_unit_test(test_tcp_header),
                cmocka_unit_test(test_udp_length),
                cmocka_unit_test(test_bad_version),
                cmocka_unit_test(test_ipv6_tcp_udp),
                cmocka_unit_test(test_ipv6_truncated),
                cmocka_unit_test(test_ipv6_ext_headers),
                cmocka_unit_test(test_ipv6_ext_chain_limits),
                cmocka_unit_test(test_ipv6_fragments),
                cmocka_unit_test(test_ipv6_not_tcp_udp),
                cmocka_unit_test(test_result_names),
                cmocka_unit_test(test_all_prefixes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
