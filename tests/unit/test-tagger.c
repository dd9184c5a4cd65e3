/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "tagger.h"

static const char catalog_tsv[] =
        "apns\t5223\ttcp\tAPNs\t-\t-\tPush\ten2015\tapple\t-\n"
        "https\t443\ttcp\tHTTPS\thttps\t2818\t-\ten2015\tshared\t-\n"
        "dynamic\t49152-65535\tudp\t-\t-\t-\t-\ten2015\tapple\t-\n"
        "narrow-128\t1000-1127\ttcp\t-\t-\t-\t-\ten2015\tapple\t-\n"
        "broad-129\t2000-2128\ttcp\t-\t-\t-\t-\ten2015\tapple\t-\n"
        "multi-202\t3000-3100,3200-3300\ttcp\t-\t-\t-\t-\ten2015\tapple\t-\n"
        "vpn\t500\tudp\tIKE\t-\t-\tVPN\ten2015\tshared\t-\n"
        "wifi-calling\t500\tudp\tIKEv2\t-\t-\tWi-Fi Calling\tpl\tapple\t-\n"
        "wide-apple\t400-600\tudp\t-\t-\t-\t-\tpl\tapple\t-\n"
        "first-medium\t7000\tudp\t-\t-\t-\t-\tpl\tapple\t-\n"
        "second-medium\t7000-7001\tudp\t-\t-\t-\t-\tpl\tapple\t-\n";

static const char networks_txt[] = "17.0.0.0/8\n2620:149::/32\n";

struct fixture {
        struct catalog *catalog;
        struct port_index *index;
        struct networks *networks;
        struct tagger tagger;
};

static int setup(void **state) {
        static struct fixture f;
        char err[CATALOG_ERROR_MAX];

        if (catalog_load_buffer("t", catalog_tsv, strlen(catalog_tsv), &f.catalog, err, sizeof(err)) < 0 ||
            port_index_build(f.catalog, &f.index) < 0 ||
            networks_load_buffer("n", networks_txt, strlen(networks_txt), &f.networks, err, sizeof(err)) < 0)
                return -1;
        f.tagger = (struct tagger) { .catalog = f.catalog, .index = f.index, .networks = f.networks };
        *state = &f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        catalog_free(f->catalog);
        port_index_free(f->index);
        networks_free(f->networks);
        return 0;
}

static struct tag tag(const struct tagger *t, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                      unsigned transport) {
        uint8_t s[16], d[16];
        int family = strchr(src, ':') ? AF_INET6 : AF_INET;
        struct tag r;

        assert_int_equal(inet_pton(family, src, s), 1);
        assert_int_equal(inet_pton(family, dst, d), 1);
        tagger_tag(t, &(struct tag_input) { .family = family, .transport = transport, .src_addr = s, .dst_addr = d, .src_port = sport, .dst_port = dport },
                   &r);
        return r;
}

static const char *entry_id(const struct fixture *f, const struct tag *r) {
        return f->catalog->entries[r->entry].id;
}

static void test_medium(void **state) {
        struct fixture *f = *state;
        struct tag r = tag(&f->tagger, "192.168.1.2", 50000, "203.0.113.1", 5223, TRANSPORT_TCP);

        assert_int_equal(r.confidence, CONFIDENCE_MEDIUM);
        assert_string_equal(entry_id(f, &r), "apns");
        assert_false(r.apple_network);
        assert_int_equal(r.side, TAG_SIDE_SERVER);
        assert_int_equal(r.port, 5223);
        assert_int_equal(r.matches.n, 1);
        assert_int_equal(r.matches.entries[0], r.entry);

        /* Exactly TAGGER_BROAD_RANGE ports is still narrow. */
        r = tag(&f->tagger, "192.168.1.2", 50000, "203.0.113.1", 1127, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_MEDIUM);
        assert_string_equal(entry_id(f, &r), "narrow-128");
}

static void test_low(void **state) {
        struct fixture *f = *state;
        struct tag r;

        /* A shared entry. */
        r = tag(&f->tagger, "192.168.1.2", 50000, "203.0.113.1", 443, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_string_equal(entry_id(f, &r), "https");

        /* Broad apple ranges: one range of 129 ports, two ranges of 202 together, the dynamic range. */
        r = tag(&f->tagger, "192.168.1.2", 50000, "203.0.113.1", 2000, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_string_equal(entry_id(f, &r), "broad-129");
        r = tag(&f->tagger, "192.168.1.2", 50000, "203.0.113.1", 3050, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_string_equal(entry_id(f, &r), "multi-202");
        r = tag(&f->tagger, "192.168.1.2", 40000, "203.0.113.1", 50000, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_string_equal(entry_id(f, &r), "dynamic");
}

static void test_best_of_set(void **state) {
        struct fixture *f = *state;
        struct tag r;

        /* 500/udp: vpn (shared, low) comes first in the set, wifi-calling (medium) gives the confidence. */
        r = tag(&f->tagger, "192.168.1.2", 40000, "203.0.113.1", 500, TRANSPORT_UDP);
        assert_int_equal(r.matches.n, 3);
        assert_string_equal(f->catalog->entries[r.matches.entries[0]].id, "vpn");
        assert_int_equal(r.confidence, CONFIDENCE_MEDIUM);
        assert_string_equal(entry_id(f, &r), "wifi-calling");

        /* Two medium entries: the narrowest. */
        r = tag(&f->tagger, "192.168.1.2", 40000, "203.0.113.1", 7000, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_MEDIUM);
        assert_string_equal(entry_id(f, &r), "first-medium");

        /* Only a wide apple entry: low. */
        r = tag(&f->tagger, "192.168.1.2", 40000, "203.0.113.1", 501, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_string_equal(entry_id(f, &r), "wide-apple");
}

static void test_high(void **state) {
        struct fixture *f = *state;
        struct tag r;

        /* Apple destination on a shared port. */
        r = tag(&f->tagger, "192.168.1.2", 50000, "17.253.144.10", 443, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_true(r.apple_network);
        assert_string_equal(entry_id(f, &r), "https");

        /* Apple source (a reply direction or Apple connecting in). */
        r = tag(&f->tagger, "17.1.2.3", 443, "192.168.1.2", 5223, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_true(r.apple_network);
        assert_string_equal(entry_id(f, &r), "apns");

        /* IPv6, unlisted port: apple-other. */
        r = tag(&f->tagger, "2001:db8::1", 50000, "2620:149:a::1", 12345, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_true(r.apple_network);
        assert_int_equal(r.entry, f->catalog->apple_other);
        assert_string_equal(entry_id(f, &r), CATALOG_APPLE_OTHER_ID);
        assert_int_equal(r.matches.n, 0);
        assert_int_equal(r.side, TAG_SIDE_NONE);

        /* Just outside Apple's space. */
        r = tag(&f->tagger, "2001:db8::1", 50000, "2620:14a::1", 12345, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_NONE);
        assert_false(r.apple_network);
        r = tag(&f->tagger, "192.168.1.2", 50000, "18.0.0.1", 443, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_false(r.apple_network);
}

static void test_source_port(void **state) {
        struct fixture *f = *state;
        struct tag r;

        /* A service answering: destination ephemeral, source a specific listed port. */
        r = tag(&f->tagger, "192.168.1.2", 5223, "192.168.1.3", 40000, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_MEDIUM);
        assert_int_equal(r.side, TAG_SIDE_CLIENT);
        assert_int_equal(r.port, 5223);
        assert_string_equal(entry_id(f, &r), "apns");

        /* Destination not ephemeral: the destination is the server, listed or not. */
        r = tag(&f->tagger, "192.168.1.2", 5223, "192.168.1.3", 443, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_int_equal(r.side, TAG_SIDE_SERVER);
        assert_int_equal(r.port, 443);
        assert_string_equal(entry_id(f, &r), "https");
        r = tag(&f->tagger, "192.168.1.2", 5223, "192.168.1.3", 4, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_NONE);
        assert_int_equal(r.side, TAG_SIDE_NONE);

        /* A client's ephemeral port never tags: not the dynamic range (udp 50000 to
         * an unlisted port), not an Apple address's connection either. */
        r = tag(&f->tagger, "192.168.1.2", 50000, "203.0.113.10", 4, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_NONE);
        r = tag(&f->tagger, "192.168.1.2", 50000, "17.253.144.10", 8, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_int_equal(r.entry, f->catalog->apple_other);
        assert_int_equal(r.side, TAG_SIDE_NONE);

        /* Both ends ephemeral: the destination is the server; a broad range, low. */
        r = tag(&f->tagger, "192.168.1.2", 50000, "203.0.113.10", 50001, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        assert_int_equal(r.side, TAG_SIDE_SERVER);
        assert_int_equal(r.port, 50001);
        assert_string_equal(entry_id(f, &r), "dynamic");
        /* The same to Apple: the address proves Apple, the broad range nothing more. */
        r = tag(&f->tagger, "192.168.1.2", 50000, "17.1.2.3", 50001, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_int_equal(r.entry, f->catalog->apple_other);
        assert_int_equal(r.side, TAG_SIDE_NONE);
        assert_int_equal(r.matches.n, 0);
}

static void test_local_port_range(void **state) {
        struct fixture *f = *state;
        struct tagger t = f->tagger;
        struct tag r;

        /* 1100 is a specific listed port; as a destination it is the server's. */
        r = tag(&t, "192.168.1.2", 5223, "192.168.1.3", 1100, TRANSPORT_TCP);
        assert_int_equal(r.side, TAG_SIDE_SERVER);
        assert_string_equal(entry_id(f, &r), "narrow-128");
        /* With the namespace's range covering it, it is a client's port. */
        t.local_ports = (struct ephemeral_range) { 1024, 1200, true };
        assert_true(tagger_port_ephemeral(&t, 1100));
        assert_false(tagger_port_ephemeral(&t, 1201));
        r = tag(&t, "192.168.1.2", 5223, "192.168.1.3", 1100, TRANSPORT_TCP);
        assert_int_equal(r.side, TAG_SIDE_CLIENT);
        assert_string_equal(entry_id(f, &r), "apns");
        /* The fixed ranges hold whatever the namespace says. */
        for (unsigned p = 32768; p <= 65535; p++)
                assert_true(tagger_port_ephemeral(&t, (uint16_t) p));
        assert_false(tagger_port_ephemeral(&t, 32767));
}

static void test_dnat(void **state) {
        struct fixture *f = *state;
        uint8_t s[4], d[4], real[4];
        struct tag r;

        inet_pton(AF_INET, "198.51.100.7", s);
        inet_pton(AF_INET, "203.0.113.1", d);
        inet_pton(AF_INET, "192.168.1.10", real);
        /* WAN 8548 forwarded to a LAN server's 5223: the reply's source port is the service. */
        tagger_tag(&f->tagger, &(struct tag_input) { .family = AF_INET, .transport = TRANSPORT_TCP, .src_addr = s, .dst_addr = d, .src_port = 50123, .dst_port = 8548, .dnat_addr = real, .dnat_port = 5223 }, &r);
        assert_int_equal(r.confidence, CONFIDENCE_MEDIUM);
        assert_int_equal(r.side, TAG_SIDE_SERVER);
        assert_int_equal(r.port, 5223);
        assert_string_equal(entry_id(f, &r), "apns");
        /* Forwarded to an ephemeral port: never the client's port 443. */
        tagger_tag(&f->tagger, &(struct tag_input) { .family = AF_INET, .transport = TRANSPORT_TCP, .src_addr = s, .dst_addr = d, .src_port = 443, .dst_port = 8548, .dnat_addr = real, .dnat_port = 40000, .direction_guessed = true },
                   &r);
        assert_int_equal(r.confidence, CONFIDENCE_NONE);
        assert_true(r.side_guessed);
}

static void test_none(void **state) {
        struct fixture *f = *state;
        struct tag r;

        r = tag(&f->tagger, "192.168.1.2", 40000, "203.0.113.1", 12345, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_NONE);
        assert_int_equal(r.matches.n, 0);
        assert_false(r.apple_network);
        assert_int_equal(r.entry, f->catalog->apple_other);

        /* 5223 is tcp only. */
        r = tag(&f->tagger, "192.168.1.2", 40000, "203.0.113.1", 5223, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_NONE);

        /* Without networks, Apple's addresses are not known. */
        struct tagger t = f->tagger;
        t.networks = NULL;
        r = tag(&t, "192.168.1.2", 40000, "17.0.0.1", 12345, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_NONE);
        r = tag(&t, "192.168.1.2", 40000, "17.0.0.1", 443, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
}

static void test_entry_confidence(void **state) {
        struct fixture *f = *state;
        const struct catalog *c = f->catalog;

        assert_int_equal(tagger_entry_confidence(&c->entries[catalog_find_entry(c, "apns")]), CONFIDENCE_MEDIUM);
        assert_int_equal(tagger_entry_confidence(&c->entries[catalog_find_entry(c, "https")]), CONFIDENCE_LOW);
        assert_int_equal(tagger_entry_confidence(&c->entries[catalog_find_entry(c, "narrow-128")]), CONFIDENCE_MEDIUM);
        assert_int_equal(tagger_entry_confidence(&c->entries[catalog_find_entry(c, "broad-129")]), CONFIDENCE_LOW);
        assert_int_equal(tagger_entry_confidence(&c->entries[c->apple_other]), CONFIDENCE_HIGH);
}

static void test_strings(void **state) {
        static const char *const names[] = { "none", "low", "medium", "high" };
        enum confidence c;

        for (int i = CONFIDENCE_NONE; i <= CONFIDENCE_HIGH; i++) {
                assert_string_equal(confidence_to_string((enum confidence) i), names[i]);
                assert_int_equal(confidence_from_string(names[i], &c), 0);
                assert_int_equal(c, i);
        }
        c = CONFIDENCE_LOW;
        /* Keywords take any case, like the booleans of the configuration. */
        assert_int_equal(confidence_from_string("HIGH", &c), 0);
        assert_int_equal(c, CONFIDENCE_HIGH);
        assert_int_equal(confidence_from_string("highest", &c), -EINVAL);
        assert_int_equal(confidence_from_string("", &c), -EINVAL);
        assert_int_equal(confidence_from_string(NULL, &c), -EINVAL);
        assert_int_equal(c, CONFIDENCE_HIGH); /* untouched by the failures */
        assert_string_equal(confidence_to_string((enum confidence) 42), "none");
        assert_string_equal(tag_side_to_string(TAG_SIDE_SERVER), "server");
        assert_string_equal(tag_side_to_string(TAG_SIDE_CLIENT), "client");
        assert_string_equal(tag_side_to_string(TAG_SIDE_NONE), "none");
        assert_string_equal(tag_side_to_string((enum tag_side) 42), "none");
}

/* The shipped data: APNs is Apple's own, HTTPS is shared, Apple's space is high. */
static void test_default(void **state) {
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        _cleanup_(networks_freep) struct networks *n = NULL;
        char err[CATALOG_ERROR_MAX];
        struct tag r;

        if (catalog_load_default(&c, err, sizeof(err)) < 0 || networks_load_default(&n, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        assert_int_equal(port_index_build(c, &idx), 0);
        struct tagger t = { .catalog = c, .index = idx, .networks = n };

        r = tag(&t, "192.168.1.2", 50000, "203.0.113.1", 5223, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_MEDIUM);
        r = tag(&t, "192.168.1.2", 50000, "203.0.113.1", 443, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
        r = tag(&t, "192.168.1.2", 50000, "17.253.144.10", 443, TRANSPORT_TCP);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        /* Source port 40000 and destination 1 are unlisted. */
        r = tag(&t, "192.168.1.2", 40000, "17.253.144.10", 1, TRANSPORT_UDP);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_int_equal(r.entry, c->apple_other);
        /* An iPhone's port never makes Xsan or Back to My Mac. */
        for (unsigned p = 49152; p <= 65535; p += 97) {
                r = tag(&t, "192.168.1.2", (uint16_t) p, "203.0.113.10", 4, TRANSPORT_TCP);
                assert_int_equal(r.confidence, CONFIDENCE_NONE);
                r = tag(&t, "192.168.1.2", (uint16_t) p, "17.253.144.10", 8, TRANSPORT_UDP);
                assert_int_equal(r.entry, c->apple_other);
                assert_int_equal(r.side, TAG_SIDE_NONE);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_medium),
                cmocka_unit_test(test_low),
                cmocka_unit_test(test_best_of_set),
                cmocka_unit_test(test_high),
                cmocka_unit_test(test_source_port),
                cmocka_unit_test(test_none),
                cmocka_unit_test(test_local_port_range),
                cmocka_unit_test(test_dnat),
                cmocka_unit_test(test_entry_confidence),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_default),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
