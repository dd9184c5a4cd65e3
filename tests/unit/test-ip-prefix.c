/* SPDX-License-Identifier: MIT */
/* Network prefixes as the configuration writes them, and matching. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ip-prefix.h"
#include "macro.h"

static union flow_addr addr(int family, const char *text) {
        union flow_addr a = {};

        assert_int_equal(inet_pton(family, text, a.bytes), 1);
        return a;
}

static void test_prefix_parse(void **state) {
        static const char *const bad[] = {
                "",
                "10.0.0.0/",
                "10.0.0.0/33",
                "10.0.0.1/24",
                "fd00::/129",
                "fd00::1/64",
                "10.0.0.0/-1",
                "10.0.0.0/8x",
                "10.0.0.0/ 8",
                "host.example",
                "10.0.0.0/8/8",
                "0123456789012345678901234567890123456789012345678901234567890",
        };
        struct ip_prefix p;

        assert_int_equal(ip_prefix_parse("10.0.0.0/8", &p), 0);
        assert_int_equal(p.family, AF_INET);
        assert_int_equal(p.len, 8);
        assert_int_equal(ip_prefix_parse("192.0.2.7", &p), 0);
        assert_int_equal(p.len, 32);
        assert_int_equal(ip_prefix_parse("fd00:1::/33", &p), 0);
        assert_int_equal(p.family, AF_INET6);
        assert_int_equal(p.len, 33);
        assert_int_equal(ip_prefix_parse("0.0.0.0/0", &p), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(ip_prefix_parse(bad[i], &p), -EINVAL);

        /* a prefix length that is no multiple of 8: host bits inside a byte */
        assert_int_equal(ip_prefix_parse("10.64.0.0/10", &p), 0);
        assert_int_equal(ip_prefix_parse("10.96.0.0/10", &p), -EINVAL);
        assert_int_equal(ip_prefix_parse("10.64.0.0/11", &p), 0);
        assert_int_equal(ip_prefix_parse("fd00:8000::/17", &p), 0);
        assert_int_equal(ip_prefix_parse("fd00:4000::/17", &p), -EINVAL);
}

/* An interface's address and its length: the network, host bits cleared,
 * at every length that is no multiple of 8 too. */
static void test_prefix_of(void **state) {
        union flow_addr a = addr(AF_INET6, "fd00:1234:5678::1"), b = addr(AF_INET, "192.168.77.130");
        struct ip_prefix p, want;

        p = ip_prefix_of(AF_INET6, &a, 64);
        assert_int_equal(ip_prefix_parse("fd00:1234:5678::/64", &want), 0);
        assert_memory_equal(&p.addr, &want.addr, sizeof(p.addr));
        assert_int_equal(p.len, 64);
        p = ip_prefix_of(AF_INET, &b, 25);
        assert_int_equal(ip_prefix_parse("192.168.77.128/25", &want), 0);
        assert_memory_equal(&p.addr, &want.addr, sizeof(p.addr));
        /* every length: the address with its host bits cleared */
        for (uint8_t len = 0; len <= 32; len++) {
                uint32_t v = ntohl(b.in.s_addr) & (len ? UINT32_MAX << (32 - len) : 0);

                p = ip_prefix_of(AF_INET, &b, len);
                assert_int_equal(p.family, AF_INET);
                assert_int_equal(p.len, len);
                assert_int_equal(ntohl(p.addr.in.s_addr), v);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefix_parse),
                cmocka_unit_test(test_prefix_of),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
