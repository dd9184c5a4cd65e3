/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "default-data.h"
#include "networks.h"

#define SENTINEL ((struct networks *) 0x1)

struct ref {
        int family;
        uint8_t addr[16];
        unsigned len;
        char text[64];
};

/* An independent reading of a networks file: the reference for the matcher. */
static size_t ref_parse(const char *text, struct ref *out, size_t max) {
        const char *s = text;
        size_t n = 0;

        while (*s) {
                size_t l = strcspn(s, "\n");
                char buf[256], *slash, *hash;

                assert_true(l < sizeof(buf));
                memcpy(buf, s, l);
                buf[l] = 0;
                s += l + (s[l] == '\n');
                hash = strchr(buf, '#');
                if (hash)
                        *hash = 0;
                char *t = strtok(buf, " \t\r");
                if (!t)
                        continue;
                assert_true(n < max);
                snprintf(out[n].text, sizeof(out[n].text), "%s", t);
                slash = strchr(t, '/');
                assert_non_null(slash);
                *slash = 0;
                out[n].family = strchr(t, ':') ? AF_INET6 : AF_INET;
                memset(out[n].addr, 0, 16);
                assert_int_equal(inet_pton(out[n].family, t, out[n].addr), 1);
                out[n].len = (unsigned) atoi(slash + 1);
                n++;
        }
        return n;
}

static bool ref_contains(const struct ref *r, int family, const uint8_t *a) {
        if (r->family != family)
                return false;
        for (unsigned bit = 0; bit < r->len; bit++)
                if (((a[bit / 8] ^ r->addr[bit / 8]) >> (7 - bit % 8)) & 1)
                        return false;
        return true;
}

/* Linear longest-prefix match. */
static int ref_match(const struct ref *refs, size_t n, int family, const uint8_t *a, const char **text) {
        int best = -1;

        for (size_t i = 0; i < n; i++)
                if (ref_contains(&refs[i], family, a) && (int) refs[i].len > best) {
                        best = (int) refs[i].len;
                        *text = refs[i].text;
                }
        return best;
}

static void check_addr(const struct networks *nw, const struct ref *refs, size_t n, int family, const uint8_t *a) {
        const char *want_text = NULL, *got_text = NULL;
        int want = ref_match(refs, n, family, a, &want_text);
        int got = networks_match(nw, family, a, &got_text);
        char s[INET6_ADDRSTRLEN];

        if (got != want || (want >= 0 && strcmp(got_text, want_text) != 0))
                fail_msg("%s: got /%d (%s), want /%d (%s)", inet_ntop(family, a, s, sizeof(s)), got,
                         got >= 0 ? got_text : "-", want, want >= 0 ? want_text : "-");
}

/* a += delta (+1 or -1) as a big-endian number of len bytes; false on wrap. */
static bool addr_step(uint8_t *a, unsigned len, int delta) {
        for (int i = (int) len - 1; i >= 0; i--) {
                if (delta > 0 ? a[i]++ != 0xff : a[i]-- != 0x00)
                        return true;
        }
        return false;
}

/* First and last address of every prefix are in; one below and one above are
 * not in it (they may be in another prefix: the reference decides). */
static void check_edges(const struct networks *nw, const struct ref *refs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned alen = refs[i].family == AF_INET ? 4 : 16;
                uint8_t first[16] = {}, last[16] = {}, x[16];
                const char *text = NULL;

                memcpy(first, refs[i].addr, alen);
                memcpy(last, refs[i].addr, alen);
                for (unsigned bit = refs[i].len; bit < alen * 8; bit++)
                        last[bit / 8] |= (uint8_t) (0x80 >> (bit % 8));

                assert_true(networks_match(nw, refs[i].family, first, &text) >= (int) refs[i].len);
                assert_true(networks_match(nw, refs[i].family, last, &text) >= (int) refs[i].len);
                check_addr(nw, refs, n, refs[i].family, first);
                check_addr(nw, refs, n, refs[i].family, last);
                memcpy(x, first, 16);
                if (addr_step(x, alen, -1)) {
                        assert_false(ref_contains(&refs[i], refs[i].family, x));
                        check_addr(nw, refs, n, refs[i].family, x);
                }
                memcpy(x, last, 16);
                if (addr_step(x, alen, +1)) {
                        assert_false(ref_contains(&refs[i], refs[i].family, x));
                        check_addr(nw, refs, n, refs[i].family, x);
                }
        }
}

static void test_default(void **state) {
        _cleanup_(networks_freep) struct networks *nw = NULL;
        static struct ref refs[1024];
        char err[512] = "";
        size_t n;
        bool v4 = false, v6 = false;

        if (networks_load_default(&nw, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        n = ref_parse(default_networks_txt, refs, ELEMENTSOF(refs));
        assert_true(n > 0);
        assert_int_equal(networks_count(nw), n);
        assert_string_equal(networks_source(nw), "built-in");
        for (size_t i = 0; i < n; i++) {
                v4 |= refs[i].family == AF_INET;
                v6 |= refs[i].family == AF_INET6;
        }
        assert_true(v4 && v6);
        check_edges(nw, refs, n);

        /* A few known points of Apple's space. */
        uint8_t a[16] = { 17, 253, 144, 10 };
        const char *text = NULL;
        assert_int_equal(networks_match(nw, AF_INET, a, &text), 8);
        assert_string_equal(text, "17.0.0.0/8");
        a[0] = 16;
        assert_int_equal(networks_match(nw, AF_INET, a, NULL), -1);
        assert_int_equal(inet_pton(AF_INET6, "2620:149:a:b::1", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, &text), 32);
        assert_string_equal(text, "2620:149::/32");
        assert_int_equal(inet_pton(AF_INET6, "2620:14a::", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, NULL), -1);
        /* An IPv4 address is not looked up among IPv6 prefixes, nor other families. */
        assert_int_equal(networks_match(nw, AF_UNIX, a, NULL), -1);
        assert_int_equal(networks_match(NULL, AF_INET, a, NULL), -1);
}

static const char nested[] =
        "# nested prefixes\n"
        "10.0.0.0/8\n"
        "10.1.0.0/16   # comment after\n"
        "\t10.1.2.0/24\r\n"
        "10.1.2.3/32\n"
        "0.0.0.0/0\n"
        "192.168.0.0/31\n"
        "2001:db8::/32\n"
        "2001:db8:1::/48\n"
        "2001:DB8:1:2::/64\n"
        "2001:db8:1:2::1/128\n"
        "fe80::/10\n"
        "\n";

static void test_longest(void **state) {
        _cleanup_(networks_freep) struct networks *nw = NULL;
        static struct ref refs[64];
        char err[512] = "";
        const char *text = NULL;
        uint8_t a[16];
        size_t n;

        if (networks_load_buffer("nested", nested, strlen(nested), &nw, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        n = ref_parse(nested, refs, ELEMENTSOF(refs));
        assert_int_equal(networks_count(nw), n);
        check_edges(nw, refs, n);

        assert_int_equal(inet_pton(AF_INET, "10.1.2.3", a), 1);
        assert_int_equal(networks_match(nw, AF_INET, a, &text), 32);
        assert_string_equal(text, "10.1.2.3/32");
        assert_int_equal(inet_pton(AF_INET, "10.1.2.4", a), 1);
        assert_int_equal(networks_match(nw, AF_INET, a, &text), 24);
        assert_string_equal(text, "10.1.2.0/24");
        assert_int_equal(inet_pton(AF_INET, "10.1.3.4", a), 1);
        assert_int_equal(networks_match(nw, AF_INET, a, &text), 16);
        assert_int_equal(inet_pton(AF_INET, "10.2.3.4", a), 1);
        assert_int_equal(networks_match(nw, AF_INET, a, &text), 8);
        assert_int_equal(inet_pton(AF_INET, "11.2.3.4", a), 1);
        assert_int_equal(networks_match(nw, AF_INET, a, &text), 0);
        assert_string_equal(text, "0.0.0.0/0");

        assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::1", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, &text), 128);
        assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::2", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, &text), 64);
        assert_string_equal(text, "2001:DB8:1:2::/64"); /* as written */
        assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:3::", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, &text), 48);
        assert_int_equal(inet_pton(AF_INET6, "2001:db8:2::", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, &text), 32);
        assert_int_equal(inet_pton(AF_INET6, "febf:ffff::", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, &text), 10);
        assert_int_equal(inet_pton(AF_INET6, "fec0::", a), 1);
        assert_int_equal(networks_match(nw, AF_INET6, a, &text), -1);

        /* Random addresses near the prefixes against the reference. */
        unsigned seed = 714;
        for (int i = 0; i < 100000; i++) {
                const struct ref *r = &refs[(size_t) rand_r(&seed) % n];
                uint8_t x[16] = {};
                unsigned alen = r->family == AF_INET ? 4 : 16;

                memcpy(x, r->addr, alen);
                x[(unsigned) rand_r(&seed) % alen] ^= (uint8_t) (1u << (rand_r(&seed) % 8));
                check_addr(nw, refs, n, r->family, x);
        }
}

static void expect_error(const char *text, size_t len, const char *want) {
        struct networks *nw = SENTINEL;
        char err[512] = "";
        int r = networks_load_buffer("n", text, len, &nw, err, sizeof(err));

        if (r != -EINVAL || strcmp(err, want) != 0)
                print_error("input '%.*s'\n got %d '%s'\nwant '%s'\n", (int) MIN(len, 100u), text, r, err, want);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err, want);
        assert_ptr_equal(nw, SENTINEL);
}

static void expect_error_str(const char *text, const char *want) {
        expect_error(text, strlen(text), want);
}

static void test_malformed(void **state) {
        char *s;

        expect_error_str("17.0.0.1/8\n", "n:1: host bits set in '17.0.0.1/8' (network is 17.0.0.0/8)");
        expect_error_str("# x\n2620:149::1/32\n", "n:2: host bits set in '2620:149::1/32' (network is 2620:149::/32)");
        expect_error_str("10.0.0.0/33", "n:1: prefix length 33 too long for IPv4");
        expect_error_str("::/129", "n:1: prefix length 129 too long for IPv6");
        expect_error_str("10.0.0.0/", "n:1: bad prefix length in '10.0.0.0/'");
        expect_error_str("10.0.0.0/08", "n:1: bad prefix length in '10.0.0.0/08'");
        expect_error_str("10.0.0.0/-8", "n:1: bad prefix length in '10.0.0.0/-8'");
        expect_error_str("10.0.0.0/8a", "n:1: bad prefix length in '10.0.0.0/8a'");
        expect_error_str("10.0.0.0/1000", "n:1: bad prefix length in '10.0.0.0/1000'");
        expect_error_str("10.0.0.0", "n:1: '10.0.0.0': no prefix length (want address/length, e.g. 17.0.0.0/8)");
        expect_error_str("hello", "n:1: 'hello': no prefix length (want address/length, e.g. 17.0.0.0/8)");
        expect_error_str("hello/8", "n:1: bad IPv4 address 'hello'");
        expect_error_str("10.0.0/8", "n:1: bad IPv4 address '10.0.0'");
        expect_error_str("010.0.0.0/8", "n:1: bad IPv4 address '010.0.0.0'");
        expect_error_str("256.0.0.0/8", "n:1: bad IPv4 address '256.0.0.0'");
        expect_error_str("2620:::/32", "n:1: bad IPv6 address '2620:::'");
        expect_error_str("/8", "n:1: bad address in '/8'");
        expect_error_str("17.0.0.0/8 57.0.0.0/8", "n:1: '17.0.0.0/8 57.0.0.0/8': one prefix per line (a comment starts with '#')");
        expect_error_str("17.0.0.0/8\n10.0.0.0/8\n17.0.0.0/8 # again\n",
                         "n:3: duplicate prefix 17.0.0.0/8 (first on line 1)");
        expect_error_str("2620:149::/32\n2620:0149:0::/32\n",
                         "n:2: duplicate prefix 2620:0149:0::/32 (first on line 1)");
        expect_error("17.0.0.0/8\n\0", 12, "n:2: NUL byte");
        expect_error_str("# \x1b\n", "n:1: control character 0x1b");
        expect_error_str("17.0.0.0\r/8\n", "n:1: control character 0x0d");

        s = malloc(NETWORKS_LINE_MAX + 1);
        assert_non_null(s);
        memset(s, ' ', NETWORKS_LINE_MAX);
        s[NETWORKS_LINE_MAX] = 0;
        expect_error_str(s, "n:1: line too long (256 bytes, max 255)");
        free(s);
}

static void test_limits(void **state) {
        /* NETWORKS_PREFIXES_MAX + 1 distinct /32s. */
        size_t size = (NETWORKS_PREFIXES_MAX + 1) * 20, n = 0;
        char *text = malloc(size);
        struct networks *nw = NULL;
        char want[64];

        assert_non_null(text);
        for (unsigned i = 0; i < NETWORKS_PREFIXES_MAX; i++)
                n += (size_t) snprintf(text + n, size - n, "10.%u.%u.%u/32\n", i >> 16, (i >> 8) & 0xff, i & 0xff);
        assert_int_equal(networks_load_buffer("n", text, n, &nw, NULL, 0), 0);
        assert_int_equal(networks_count(nw), NETWORKS_PREFIXES_MAX);
        n += (size_t) snprintf(text + n, size - n, "11.0.0.0/8\n");
        snprintf(want, sizeof(want), "n:%d: too many prefixes (max %d)", NETWORKS_PREFIXES_MAX + 1,
                 NETWORKS_PREFIXES_MAX);
        expect_error(text, n, want);
        networks_free(nw);
        free(text);

        /* No prefix would make nothing Apple's: refused. */
        expect_error_str("# none\n", "n: no prefix: expected one network per line, address/length "
                                     "(17.0.0.0/8, 2620:149::/36)");
        expect_error("", 0, "n: no prefix: expected one network per line, address/length "
                            "(17.0.0.0/8, 2620:149::/36)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default),
                cmocka_unit_test(test_longest),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
