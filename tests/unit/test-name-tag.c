/* SPDX-License-Identifier: MIT */
/* The name rule on top of the port tagger, with the built-in catalogue and
 * domain list, down to the journal entry it makes. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "entry.h"
#include "name-tag.h"
#include "tagset.h"

static struct tagset set;
static struct tagger tagger;
static struct name_table *table;

static const uint8_t client4[4] = { 192, 168, 77, 2 };

static void learn(const char *name, const char *cname, int family, const char *addr) {
        struct dns_answer a = { .n_chain = 1, .n_addrs = 1 };

        snprintf(a.chain[0].text, sizeof(a.chain[0].text), "%s", name);
        a.chain[0].len = (uint16_t) strlen(name);
        a.chain[0].usable = true;
        if (cname) {
                snprintf(a.chain[1].text, sizeof(a.chain[1].text), "%s", cname);
                a.chain[1].len = (uint16_t) strlen(cname);
                a.chain[1].usable = true;
                a.n_chain = 2;
        }
        a.addrs[0].family = family;
        a.addrs[0].ttl = 300;
        assert_int_equal(inet_pton(family, addr, &a.addrs[0].addr), 1);
        assert_int_equal(name_table_add(table, set.domains, &a, 1000), 1);
}

/* A connection from the LAN client's ephemeral port to addr:port. */
static void tag(int family, const char *addr, unsigned transport, uint16_t port, struct tag *ret,
                union flow_addr *dst) {
        static const uint8_t client6[16] = { 0xfd, 0x77, [15] = 2 };
        struct tag_input in;

        assert_int_equal(inet_pton(family, addr, dst), 1);
        in = (struct tag_input) {
                .family = family,
                .transport = transport,
                .src_addr = family == AF_INET ? (const void *) client4 : (const void *) client6,
                .dst_addr = dst,
                .src_port = 48123,
                .dst_port = port,
        };
        tagger_tag(&tagger, &in, ret);
        name_tag_apply(table, set.domains, set.catalog, &in, 1001, ret);
}

static const char *service(const struct tag *t) {
        return t->by_name ? t->name_rule->service : set.catalog->entries[t->entry].id;
}

static void test_name_wins_over_https(void **state) {
        union flow_addr dst;
        struct tag t;
        struct flow f = {
                .action = FLOW_CONNECTION_NEW,
                .family = AF_INET,
                .l4proto = IPPROTO_TCP,
                .src_port = 48123,
                .dst_port = 443,
        };
        struct entry *e = malloc(sizeof(*e));

        (void) state;
        learn("www.icloud.com", "www-cdn.icloud.com.akadns.net", AF_INET, "203.0.113.23");
        tag(AF_INET, "203.0.113.23", TRANSPORT_TCP, 443, &t, &dst);
        assert_int_equal(t.confidence, CONFIDENCE_HIGH);
        assert_true(t.by_name);
        assert_string_equal(service(&t), "icloud");
        assert_string_equal(t.domain, "www.icloud.com");

        memcpy(&f.src, client4, 4);
        f.dst = dst;
        assert_non_null(e);
        assert_int_equal(entry_format_flow(e, &f, &t, set.catalog), 0);
        assert_string_equal(entry_get(e, "APPLE_SERVICE"), "icloud");
        assert_string_equal(entry_get(e, "APPLE_PRODUCT"), "iCloud");
        assert_string_equal(entry_get(e, "APPLE_CONFIDENCE"), "high");
        assert_string_equal(entry_get(e, "DESTINATION_DOMAIN"), "www.icloud.com");
        assert_string_equal(entry_get(e, "MESSAGE"),
                            "iCloud (www.icloud.com, 443/tcp): 192.168.77.2:48123 -> 203.0.113.23:443");
        free(e);

        /* Without a name the same connection is plain HTTPS, low. */
        tag(AF_INET, "203.0.113.99", TRANSPORT_TCP, 443, &t, &dst);
        assert_int_equal(t.confidence, CONFIDENCE_LOW);
        assert_null(t.domain);
        assert_false(t.by_name);
}

static void test_specific_port_wins(void **state) {
        union flow_addr dst;
        struct tag t;

        (void) state;
        learn("1-courier.push.apple.com", NULL, AF_INET6, "2001:db8:99::5");
        tag(AF_INET6, "2001:db8:99::5", TRANSPORT_TCP, 5223, &t, &dst);
        assert_false(t.by_name);
        assert_string_equal(service(&t), "apns");
        assert_int_equal(t.confidence, CONFIDENCE_HIGH);
        assert_string_equal(t.domain, "1-courier.push.apple.com");
        /* The same name on 443: the name names it. */
        tag(AF_INET6, "2001:db8:99::5", TRANSPORT_TCP, 443, &t, &dst);
        assert_true(t.by_name);
        assert_string_equal(service(&t), "apns");
}

static void test_port_entry_of_the_same_service(void **state) {
        union flow_addr dst;
        struct tag t;

        (void) state;
        learn("time.apple.com", NULL, AF_INET, "203.0.113.7");
        tag(AF_INET, "203.0.113.7", TRANSPORT_UDP, 123, &t, &dst);
        assert_false(t.by_name);
        assert_string_equal(service(&t), "ntp");
        assert_int_equal(t.confidence, CONFIDENCE_HIGH);
}

static void test_catch_all(void **state) {
        union flow_addr dst;
        struct tag t;

        (void) state;
        learn("www.apple.com", NULL, AF_INET, "203.0.113.8");
        tag(AF_INET, "203.0.113.8", TRANSPORT_TCP, 443, &t, &dst);
        assert_false(t.by_name);
        assert_string_equal(service(&t), "https");
        assert_int_equal(t.confidence, CONFIDENCE_HIGH);
        tag(AF_INET, "203.0.113.8", TRANSPORT_TCP, 40123, &t, &dst);
        assert_string_equal(service(&t), "apple-other");
        assert_int_equal(t.confidence, CONFIDENCE_HIGH);
        assert_string_equal(t.domain, "www.apple.com");
}

static int setup(void **state) {
        const struct name_table_config c = { .max_entries = 64, .max_bytes = 1 << 20, .ttl_max = 3600 };
        char err[512];

        (void) state;
        if (tagset_load(&set, NULL, NULL, NULL, err, sizeof(err)) < 0)
                return -1;
        tagger = tagset_tagger(&set);
        return name_table_new(&table, &c);
}

static int teardown(void **state) {
        (void) state;
        table = name_table_free(table);
        tagset_done(&set);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_wins_over_https),
                cmocka_unit_test(test_specific_port_wins),
                cmocka_unit_test(test_port_entry_of_the_same_service),
                cmocka_unit_test(test_catch_all),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
