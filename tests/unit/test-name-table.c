/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "name-table.h"

static struct domains *domains;

static const struct name_table_config config = {
        .max_entries = 1000,
        .max_bytes = 1024 * 1024,
        .ttl_min = 30,
        .ttl_max = 3600,
};

static void add_name(struct dns_answer *a, const char *name) {
        struct dns_name *n = &a->chain[a->n_chain++];

        snprintf(n->text, sizeof(n->text), "%s", name);
        n->len = (uint16_t) strlen(name);
        n->usable = true;
}

static void add_addr(struct dns_answer *a, const char *text, uint32_t ttl) {
        struct dns_address *d = &a->addrs[a->n_addrs++];

        d->family = strchr(text, ':') ? AF_INET6 : AF_INET;
        d->ttl = ttl;
        assert_int_equal(inet_pton(d->family, text, &d->addr), 1);
}

static const char *lookup(struct name_table *t, const char *text, uint64_t now) {
        union flow_addr a;
        int family = strchr(text, ':') ? AF_INET6 : AF_INET;

        assert_int_equal(inet_pton(family, text, &a), 1);
        return name_table_lookup(t, family, &a, now);
}

static void answer(struct name_table *t, const char *name, const char *cname, const char *addr, uint32_t ttl,
                   uint64_t now, unsigned want) {
        struct dns_answer a = {};

        add_name(&a, name);
        if (cname)
                add_name(&a, cname);
        add_addr(&a, addr, ttl);
        assert_int_equal(name_table_add(t, domains, &a, now), want);
}

static void test_apple_names_only(void **state) {
        struct name_table *t = NULL;
        struct name_table_stats s;

        (void) state;
        assert_int_equal(name_table_new(&t, &config), 0);
        answer(t, "gateway.icloud.com", NULL, "203.0.113.20", 300, 100, 1);
        answer(t, "gateway.icloud.com", NULL, "2001:db8:99::20", 300, 100, 1);
        answer(t, "www.icloud.com", "www-cdn.icloud.com.akadns.net", "203.0.113.23", 300, 100, 1);
        /* Only the CNAME target is Apple's: stored under it. */
        answer(t, "cdn.example.org", "a.icloud-content.com", "203.0.113.24", 300, 100, 1);
        answer(t, "www.example.org", NULL, "203.0.113.30", 300, 100, 0);
        answer(t, "www.example.org", "edge.example.net", "203.0.113.31", 300, 100, 0);

        assert_string_equal(lookup(t, "203.0.113.20", 101), "gateway.icloud.com");
        assert_string_equal(lookup(t, "2001:db8:99::20", 101), "gateway.icloud.com");
        assert_string_equal(lookup(t, "203.0.113.23", 101), "www.icloud.com");
        assert_string_equal(lookup(t, "203.0.113.24", 101), "a.icloud-content.com");
        assert_null(lookup(t, "203.0.113.30", 101));
        assert_null(lookup(t, "203.0.113.31", 101));
        /* An IPv4 address does not match the IPv6 one that begins with its bytes. */
        assert_null(lookup(t, "cb00:7114::", 101));

        name_table_get_stats(t, &s);
        assert_int_equal(s.answers_apple, 4);
        assert_int_equal(s.answers_other, 2);
        assert_int_equal(s.entries, 4);
        assert_int_equal(s.hits, 4);
        assert_int_equal(s.misses, 3);
        name_table_free(t);
}

static void test_ttl_floor_and_ceiling(void **state) {
        struct name_table *t = NULL;
        struct name_table_stats s;

        (void) state;
        assert_int_equal(name_table_new(&t, &config), 0);
        answer(t, "a.icloud.com", NULL, "203.0.113.1", 0, 1000, 1); /* floor: 30 */
        answer(t, "b.icloud.com", NULL, "203.0.113.2", 100, 1000, 1);
        answer(t, "c.icloud.com", NULL, "203.0.113.3", 0x7fffffff, 1000, 1); /* ceiling: 3600 */
        assert_non_null(lookup(t, "203.0.113.1", 1029));
        assert_null(lookup(t, "203.0.113.1", 1030));
        assert_non_null(lookup(t, "203.0.113.2", 1099));
        assert_null(lookup(t, "203.0.113.2", 1100));
        assert_non_null(lookup(t, "203.0.113.3", 4599));
        assert_null(lookup(t, "203.0.113.3", 4600));
        name_table_get_stats(t, &s);
        assert_int_equal(s.expired, 3);
        assert_int_equal(s.entries, 0);

        /* A new answer refreshes the record and may change its name. */
        answer(t, "a.icloud.com", NULL, "203.0.113.1", 100, 5000, 1);
        answer(t, "push.apple.com", NULL, "203.0.113.1", 100, 5050, 1);
        assert_string_equal(lookup(t, "203.0.113.1", 5149), "push.apple.com");
        name_table_free(t);
}

static void test_oldest_evicted(void **state) {
        struct name_table_config c = config;
        struct name_table *t = NULL;
        struct name_table_stats s;
        char addr[32];

        (void) state;
        c.max_entries = 4;
        assert_int_equal(name_table_new(&t, &c), 0);
        for (int i = 1; i <= 4; i++) {
                snprintf(addr, sizeof(addr), "203.0.113.%d", i);
                answer(t, "a.icloud.com", NULL, addr, 300, 10 + (uint64_t) i, 1);
        }
        /* .1 answered again: now the newest, so .2 and .3 go first. */
        answer(t, "a.icloud.com", NULL, "203.0.113.1", 300, 20, 1);
        answer(t, "a.icloud.com", NULL, "203.0.113.5", 300, 21, 1);
        answer(t, "a.icloud.com", NULL, "203.0.113.6", 300, 22, 1);
        assert_null(lookup(t, "203.0.113.2", 23));
        assert_null(lookup(t, "203.0.113.3", 23));
        assert_non_null(lookup(t, "203.0.113.1", 23));
        assert_non_null(lookup(t, "203.0.113.4", 23));
        assert_non_null(lookup(t, "203.0.113.6", 23));
        name_table_get_stats(t, &s);
        assert_int_equal(s.entries, 4);
        assert_int_equal(s.capacity, 4);
        assert_int_equal(s.evicted, 2);
        assert_int_equal(s.expired, 0);

        /* Thousands more through a full table: it stays at its size. */
        for (int i = 0; i < 5000; i++) {
                snprintf(addr, sizeof(addr), "2001:db8::%x", i);
                answer(t, "a.icloud.com", NULL, addr, 300, 30, 1);
        }
        name_table_get_stats(t, &s);
        assert_int_equal(s.entries, 4);
        assert_int_equal(s.evicted, 5002);
        assert_non_null(lookup(t, "2001:db8::1387", 31));
        name_table_free(t);
}

static void test_byte_limit(void **state) {
        struct name_table_config c = config;
        struct name_table *t = NULL;
        struct name_table_stats s;
        size_t capacity;

        (void) state;
        c.max_entries = 100000;
        c.max_bytes = 64 * 1024;
        assert_true(name_table_size(&c, &capacity) <= c.max_bytes);
        assert_true(capacity > 100 && capacity < 1000);
        assert_int_equal(name_table_new(&t, &c), 0);
        name_table_get_stats(t, &s);
        assert_int_equal(s.capacity, capacity);
        assert_true(s.bytes <= c.max_bytes);
        name_table_free(t);

        c.max_bytes = 100;
        assert_int_equal(name_table_size(&c, NULL), 0);
        assert_int_equal(name_table_new(&t, &c), -EINVAL);
        c = config;
        c.ttl_min = 4000;
        assert_int_equal(name_table_new(&t, &c), -EINVAL);
}

/* Random answers and lookups over few addresses in a small table, against
 * a plain list kept in the order of last writing: every lookup agrees. */
static void test_against_model(void **state) {
        enum { CAP = 64,
               ADDRS = 300,
               OPS = 200000 };
        struct model {
                unsigned addr;
                char name[32];
                uint64_t expires;
        } m[CAP];
        struct name_table_config c = { .max_entries = CAP, .max_bytes = 1 << 20, .ttl_min = 1, .ttl_max = 50 };
        struct name_table *t = NULL;
        struct name_table_stats s;
        unsigned n = 0, seed = 12345;
        uint64_t now = 100;

        (void) state;
        assert_int_equal(name_table_new(&t, &c), 0);
        for (unsigned op = 0; op < OPS; op++) {
                unsigned addr, k;
                char text[64], name[32];
                const char *got;

                seed = seed * 1103515245u + 12345u;
                addr = (seed >> 8) % ADDRS;
                if (op % 7 == 0)
                        now++;
                /* Half the addresses IPv6, sharing their hash's low bits with IPv4 ones. */
                if (addr % 2)
                        snprintf(text, sizeof(text), "2001:db8::%x", addr);
                else
                        snprintf(text, sizeof(text), "198.51.%u.%u", addr >> 8, addr & 0xff);
                for (k = 0; k < n && m[k].addr != addr; k++)
                        ;
                if ((seed >> 4) % 3 == 0) {
                        uint32_t ttl = (seed >> 12) % 60;

                        snprintf(name, sizeof(name), "n%u.icloud.com", op % 1000);
                        answer(t, name, NULL, text, ttl, now, 1);
                        if (k < n) {
                                memmove(&m[k], &m[k + 1], (n - k - 1) * sizeof(m[0]));
                                n--;
                        } else if (n == CAP) {
                                memmove(&m[0], &m[1], (n - 1) * sizeof(m[0]));
                                n--;
                        }
                        m[n].addr = addr;
                        snprintf(m[n].name, sizeof(m[n].name), "%s", name);
                        m[n++].expires = now + MIN(MAX(ttl, 1u), 50u);
                        continue;
                }
                got = lookup(t, text, now);
                if (k < n && m[k].expires <= now) {
                        memmove(&m[k], &m[k + 1], (n - k - 1) * sizeof(m[0]));
                        n--;
                        k = n;
                }
                if (k < n) {
                        assert_non_null(got);
                        assert_string_equal(got, m[k].name);
                } else
                        assert_null(got);
        }
        name_table_get_stats(t, &s);
        assert_true(s.entries >= n && s.entries <= CAP);
        assert_true(s.evicted > 1000 && s.expired > 1000);
        name_table_free(t);
}

static int setup(void **state) {
        char err[512];

        (void) state;
        return domains_load_default(&domains, err, sizeof(err));
}

static int teardown(void **state) {
        (void) state;
        domains = domains_free(domains);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_apple_names_only),
                cmocka_unit_test(test_ttl_floor_and_ceiling),
                cmocka_unit_test(test_oldest_evicted),
                cmocka_unit_test(test_byte_limit),
                cmocka_unit_test(test_against_model),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
