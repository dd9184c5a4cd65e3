/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "port-index.h"

/* The answer by definition: every entry covering the port, the narrowest
 * covering range first, ties in catalogue order. Returns the count. */
static unsigned brute_force(const struct catalog *c, unsigned transport, unsigned port, uint16_t *out) {
        uint32_t width[CATALOG_ENTRIES_MAX + 1];
        unsigned n = 0;

        for (size_t i = 0; i < c->n_entries; i++) {
                const struct catalog_entry *e = &c->entries[i];
                uint32_t w = 0;

                if (!(e->transports & transport))
                        continue;
                for (unsigned k = 0; k < e->n_ports; k++)
                        if (e->ports[k].lo <= port && port <= e->ports[k].hi)
                                w = (uint32_t) e->ports[k].hi - e->ports[k].lo + 1;
                if (w == 0)
                        continue;
                /* Insertion keeps catalogue order among equal widths. */
                unsigned j = n++;
                while (j > 0 && width[j - 1] > w) {
                        width[j] = width[j - 1];
                        out[j] = out[j - 1];
                        j--;
                }
                width[j] = w;
                out[j] = (uint16_t) i;
        }
        return n;
}

static void check_against_brute_force(const struct catalog *c) {
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        static uint16_t want[CATALOG_ENTRIES_MAX + 1];
        static const unsigned transports[] = { TRANSPORT_TCP, TRANSPORT_UDP };

        assert_int_equal(port_index_build(c, &idx), 0);
        assert_int_equal(idx->sets[0].n, 0);
        for (size_t t = 0; t < ELEMENTSOF(transports); t++)
                for (unsigned port = 0; port <= 65535; port++) {
                        struct match_set m = port_index_lookup(idx, transports[t], (uint16_t) port);
                        unsigned n = brute_force(c, transports[t], port, want);

                        if (m.n != n || (n > 0 && memcmp(m.entries, want, n * sizeof(*want)) != 0))
                                fail_msg("%s %u/%s: index has %u entries, brute force %u", c->source, port,
                                         transport_to_string(transports[t], false), m.n, n);
                }

        /* Sets are stored once each. */
        for (size_t i = 1; i < idx->n_sets; i++) {
                assert_true(idx->sets[i].n > 0);
                for (size_t j = 1; j < i; j++)
                        if (idx->sets[i].n == idx->sets[j].n)
                                assert_memory_not_equal(idx->members + idx->sets[i].offset,
                                                        idx->members + idx->sets[j].offset,
                                                        idx->sets[i].n * sizeof(uint16_t));
        }
}

static struct catalog *load(const char *name, const char *text) {
        struct catalog *c = NULL;
        char err[CATALOG_ERROR_MAX] = "";

        if (catalog_load_buffer(name, text, strlen(text), &c, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        return c;
}

static const char overlap_tsv[] =
        "facetime-rtp\t16384-16387,16393-16402\tudp\tRTP\t-\t-\tFaceTime;Game Center\ten2015\tapple\t-\n"
        "ichat-av\t16384-16403\tudp\tRTP\t-\t-\tMessages (iChat)\ten2015\tapple\t-\n"
        "wide\t16000-17000\t-\t-\t-\t-\t-\ten2015\tshared\t-\n"
        "vpn-ike\t500\tudp\tIKE\tisakmp\t-\tVPN\ten2015\tshared\t-\n"
        "wifi-calling-ike\t500\tudp\tIKEv2\tisakmp\t-\tWi-Fi Calling\tpl\tapple\t-\n"
        "https\t443\ttcp\tHTTPS\thttps\t2818\t-\ten2015\tshared\t-\n"
        "edges\t0,65535\ttcp/udp\t-\t-\t-\t-\ten2015\tshared\t-\n"
        "all\t0-65535\ttcp\t-\t-\t-\t-\ten2015\tshared\t-\n";

static bool set_has_product(const struct catalog *c, struct match_set m, const char *product) {
        ssize_t p = catalog_find_product(c, product);

        assert_true(p >= 0);
        for (unsigned i = 0; i < m.n; i++)
                if (catalog_entry_has_product(&c->entries[m.entries[i]], (size_t) p))
                        return true;
        return false;
}

static void test_overlap(void **state) {
        _cleanup_(catalog_freep) struct catalog *c = load("overlap", overlap_tsv);
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        struct match_set m;

        assert_int_equal(port_index_build(c, &idx), 0);

        m = port_index_lookup(idx, TRANSPORT_UDP, 16385);
        assert_int_equal(m.n, 3);
        assert_string_equal(c->entries[m.entries[0]].id, "facetime-rtp"); /* 4 ports */
        assert_string_equal(c->entries[m.entries[1]].id, "ichat-av");     /* 20 ports */
        assert_string_equal(c->entries[m.entries[2]].id, "wide");         /* 1001 ports */
        assert_true(set_has_product(c, m, "FaceTime"));
        assert_true(set_has_product(c, m, "Game Center"));
        assert_true(set_has_product(c, m, "iChat"));

        /* 16388 lies between facetime's two ranges. */
        m = port_index_lookup(idx, TRANSPORT_UDP, 16388);
        assert_int_equal(m.n, 2);
        assert_string_equal(c->entries[m.entries[0]].id, "ichat-av");

        /* tcp: only the unspecified entry and the full range. */
        m = port_index_lookup(idx, TRANSPORT_TCP, 16385);
        assert_int_equal(m.n, 2);
        assert_string_equal(c->entries[m.entries[0]].id, "wide");
        assert_string_equal(c->entries[m.entries[1]].id, "all");

        /* Same width: catalogue order. */
        m = port_index_lookup(idx, TRANSPORT_UDP, 500);
        assert_int_equal(m.n, 2);
        assert_string_equal(c->entries[m.entries[0]].id, "vpn-ike");
        assert_string_equal(c->entries[m.entries[1]].id, "wifi-calling-ike");
        assert_true(set_has_product(c, m, "VPN"));
        assert_true(set_has_product(c, m, "Wi-Fi Calling"));

        m = port_index_lookup(idx, TRANSPORT_UDP, 501);
        assert_int_equal(m.n, 0);
        m = port_index_lookup(idx, TRANSPORT_UDP, 65535);
        assert_int_equal(m.n, 1);
        assert_string_equal(c->entries[m.entries[0]].id, "edges");
        m = port_index_lookup(idx, TRANSPORT_TCP, 0);
        assert_int_equal(m.n, 2);
        assert_string_equal(c->entries[m.entries[0]].id, "edges");
        assert_string_equal(c->entries[m.entries[1]].id, "all");

        check_against_brute_force(c);
}

/* One entry on one port: every other port, and the other transport, is empty. */
static void test_sparse(void **state) {
        _cleanup_(catalog_freep) struct catalog *c =
                load("sparse", "# one port\none\t7\ttcp\t-\t-\t-\t-\ten2015\tshared\t-\n");
        _cleanup_(port_index_freep) struct port_index *idx = NULL;

        assert_int_equal(port_index_build(c, &idx), 0);
        assert_int_equal(idx->n_sets, 2);
        for (unsigned port = 0; port <= 65535; port++) {
                assert_int_equal(port_index_lookup(idx, TRANSPORT_TCP, (uint16_t) port).n, port == 7);
                assert_int_equal(port_index_lookup(idx, TRANSPORT_UDP, (uint16_t) port).n, 0);
        }
}

static void test_default(void **state) {
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        char err[CATALOG_ERROR_MAX] = "";

        if (catalog_load_default(&c, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        check_against_brute_force(c);
}

/* The overlaps Apple's article is known for, in the data shipped. */
static void test_default_overlaps(void **state) {
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        char err[CATALOG_ERROR_MAX] = "";
        struct match_set m;

        if (catalog_load_default(&c, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        assert_int_equal(port_index_build(c, &idx), 0);

        m = port_index_lookup(idx, TRANSPORT_UDP, 16385);
        assert_true(m.n >= 2);
        assert_true(set_has_product(c, m, "FaceTime"));
        assert_true(set_has_product(c, m, "Game Center"));
        assert_true(set_has_product(c, m, "Messages"));
        assert_true(set_has_product(c, m, "iChat"));
        assert_int_equal(catalog_find_product(c, "iChat"), catalog_find_product(c, "Messages"));

        m = port_index_lookup(idx, TRANSPORT_UDP, 500);
        assert_true(m.n >= 2);
        assert_true(set_has_product(c, m, "VPN"));
        assert_true(set_has_product(c, m, "Wi-Fi Calling"));
        m = port_index_lookup(idx, TRANSPORT_UDP, 4500);
        assert_true(set_has_product(c, m, "VPN"));
        assert_true(set_has_product(c, m, "Wi-Fi Calling"));
}

/* Random catalogues with heavy overlap, built as text so they pass the loader. */
static void test_random(void **state) {
        static const char *const transports[] = { "tcp", "udp", "tcp/udp", "-" };
        unsigned seed = 20151023;

        for (int round = 0; round < 8; round++) {
                size_t size = 256 * 1024, n = 0;
                char *text = malloc(size), name[32];
                int entries = 1 + rand_r(&seed) % 300;

                assert_non_null(text);
                for (int i = 0; i < entries; i++) {
                        /* Ranges within a narrow window so they overlap a lot; a few wide ones. */
                        unsigned base = (unsigned) rand_r(&seed) % 4 == 0 ? 0 : 5000;
                        unsigned span = (unsigned) rand_r(&seed) % 3 == 0 ? 60000 : 300;
                        unsigned n_ranges = 1 + (unsigned) rand_r(&seed) % CATALOG_PORT_RANGES_MAX;
                        unsigned lo = base, k;

                        n += (size_t) snprintf(text + n, size - n, "e%d\t", i);
                        /* Ascending, disjoint ranges inside one entry. */
                        for (k = 0; k < n_ranges && lo <= 65535; k++) {
                                unsigned a = lo + (unsigned) rand_r(&seed) % span;
                                unsigned b = a + (unsigned) rand_r(&seed) % (span / 4 + 1);
                                if (a > 65535)
                                        break;
                                if (b > 65535)
                                        b = 65535;
                                if (k > 0)
                                        text[n++] = ',';
                                if (a == b)
                                        n += (size_t) snprintf(text + n, size - n, "%u", a);
                                else
                                        n += (size_t) snprintf(text + n, size - n, "%u-%u", a, b);
                                lo = b + 2;
                        }
                        if (k == 0)
                                n += (size_t) snprintf(text + n, size - n, "%u", base);
                        n += (size_t) snprintf(text + n, size - n, "\t%s\t-\t-\t-\t-\t-\t%s\t-\n",
                                               transports[rand_r(&seed) % 4], rand_r(&seed) % 2 ? "apple" : "shared");
                        assert_true(n < size - 256);
                }
                snprintf(name, sizeof(name), "random-%d", round);
                struct catalog *c = load(name, text);
                assert_int_equal(c->n_entries, (size_t) entries + 1);
                check_against_brute_force(c);
                catalog_free(c);
                free(text);
        }
}

/* Staggered ranges, other ones per transport: every segment has a set of
 * its own, the most a catalogue of this size can make. The sets' hash table is
 * sized from the number of ranges; it must hold them all. */
static void test_distinct_sets(void **state) {
        size_t size = 64 * 1024, n = 0;
        char *text = malloc(size);
        struct port_index *idx = NULL;
        struct catalog *c;

        assert_non_null(text);
        for (unsigned i = 0; i < 150; i++)
                n += (size_t) snprintf(text + n, size - n,
                                       "t%u\t%u-%u\ttcp\t-\t-\t-\t-\t-\tshared\t-\n"
                                       "u%u\t%u-%u\tudp\t-\t-\t-\t-\t-\tshared\t-\n",
                                       i, 1000 + i, 1200 + i, i, 2000 + 2 * i, 2301 + 2 * i);
        assert_true(n < size);
        c = load("distinct", text);
        assert_int_equal(port_index_build(c, &idx), 0);
        /* the empty set; per transport, 150 growing sets and 149 shrinking ones */
        assert_int_equal(idx->n_sets, 1 + 299 + 299);
        check_against_brute_force(c);
        port_index_free(idx);
        catalog_free(c);
        free(text);
}

/* Nested ranges [i, 65535 - i]: the segment at port i is covered by i + 1
 * entries, so the sets' members grow with the square of the entries. A slot
 * reaches the first 65536 members: 300 entries need 45452, 400 need 80602. */
static struct catalog *nested(unsigned entries) {
        size_t size = 64 * 1024, n = 0;
        _cleanup_free_ char *text = malloc(size);
        char name[32];

        assert_non_null(text);
        for (unsigned i = 0; i < entries; i++) {
                n += (size_t) snprintf(text + n, size - n, "n%u\t%u-%u\ttcp\t-\t-\t-\t-\ten2015\tshared\t-\n",
                                       i, i, 65535 - i);
                assert_true(n < size);
        }
        snprintf(name, sizeof(name), "nested-%u", entries);
        return load(name, text);
}

static void test_limit(void **state) {
        _cleanup_(catalog_freep) struct catalog *fits = nested(300), *too_big = nested(400);
        _cleanup_(port_index_freep) struct port_index *idx = NULL;

        check_against_brute_force(fits);
        assert_int_equal(port_index_build(too_big, &idx), -E2BIG);
        assert_null(idx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_overlap),
                cmocka_unit_test(test_sparse),
                cmocka_unit_test(test_default),
                cmocka_unit_test(test_default_overlaps),
                cmocka_unit_test(test_random),
                cmocka_unit_test(test_distinct_sets),
                cmocka_unit_test(test_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
