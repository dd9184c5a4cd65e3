/* SPDX-License-Identifier: MIT */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "stats.h"

#define SEC 1000000ull

/* A hand-made catalogue: entries a (products P0, P1), b (P1, P2), c (none). */
struct fixture {
        struct catalog catalog;
        struct catalog_entry entries[3];
        struct catalog_product products[3];
};

static void fixture_init(struct fixture *x, const char *const *ids, size_t n_ids,
                         const char *const *names, size_t n_names) {
        memset(x, 0, sizeof(*x));
        for (size_t i = 0; i < n_ids; i++)
                strcpy(x->entries[i].id, ids[i]);
        for (size_t i = 0; i < n_names; i++)
                strcpy(x->products[i].name, names[i]);
        x->catalog.entries = x->entries;
        x->catalog.n_entries = n_ids;
        x->catalog.products = x->products;
        x->catalog.n_products = n_names;
        x->catalog.apple_other = n_ids - 1;
        strcpy(x->catalog.source, "test");
}

static void fixture_abc(struct fixture *x) {
        static const char *const ids[] = { "a", "b", "c" };
        static const char *const names[] = { "P0", "P1", "P2" };

        fixture_init(x, ids, 3, names, 3);
        x->entries[0].products[0] = 0;
        x->entries[0].products[1] = 1;
        x->entries[0].n_products = 2;
        x->entries[1].products[0] = 1;
        x->entries[1].products[1] = 2;
        x->entries[1].n_products = 2;
}

static struct tag make_tag(size_t entry, const uint16_t *matches, unsigned n) {
        return (struct tag) {
                .confidence = CONFIDENCE_MEDIUM,
                .entry = entry,
                .matches = { .entries = matches, .n = n },
        };
}

static void test_counting(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        static const uint16_t ab[] = { 0, 1 };
        struct flow f = { .action = FLOW_CONNECTION_NEW };
        struct tag t;

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        assert_false(stats_item_active(&s->entries[0]));

        /* A connection matching a (primary) and b: entry a once, products
         * P0, P1, P2 once each although P1 is in both. */
        t = make_tag(0, ab, 2);
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->entries[0].total.connections, 1);
        assert_int_equal(s->entries[1].total.connections, 0);
        assert_int_equal(s->products[0].total.connections, 1);
        assert_int_equal(s->products[1].total.connections, 1);
        assert_int_equal(s->products[2].total.connections, 1);

        /* Primary only. */
        t = make_tag(1, ab + 1, 1);
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->entries[1].total.connections, 1);
        assert_int_equal(s->products[0].total.connections, 1);
        assert_int_equal(s->products[1].total.connections, 2);

        /* A connection end counts as ended; answered unless the status
         * says nobody replied. Its bytes come through stats_count_bytes(). */
        f = (struct flow) { .action = FLOW_CONNECTION_END, .has_status = true, .ct_status = FLOW_CT_SEEN_REPLY };
        stats_count_flow(s, &f, &t);
        f.ct_status = 0;
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->entries[1].total.ended, 2);
        assert_int_equal(s->entries[1].total.unanswered, 1);
        assert_int_equal(s->products[1].total.unanswered, 1);
        assert_int_equal(s->entries[1].total.bytes, 0);
        assert_int_equal(s->entries[1].total.connections, 1);

        /* Bytes, both directions, where the connection counts. */
        stats_count_bytes(s, &t, 1000, 5);
        assert_int_equal(s->entries[1].total.bytes, 1000);
        assert_int_equal(s->entries[1].total.packets, 5);
        assert_int_equal(s->products[2].total.bytes, 1000);
        assert_int_equal(s->products[0].total.bytes, 0);
        assert_int_equal(s->entries[1].total.connections, 1);

        /* Nothing new, nothing counted; an unmatched tag counts no bytes. */
        stats_count_bytes(s, &t, 0, 0);
        assert_int_equal(s->entries[1].total.bytes, 1000);

        /* NFLOG: blocked. */
        f = (struct flow) { .action = FLOW_PACKET_LOGGED };
        t = make_tag(2, NULL, 0);
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->entries[2].total.blocked, 1);
        assert_true(stats_item_active(&s->entries[2]));
        assert_true(stats_item_active(&s->products[0]));

        /* Unmatched. */
        t.confidence = CONFIDENCE_NONE;
        stats_count_flow(s, &f, &t);
        f.action = FLOW_CONNECTION_NEW;
        stats_count_flow(s, &f, &t);
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->unmatched_packets, 1);
        assert_int_equal(s->unmatched_connections, 2);
        assert_int_equal(s->entries[2].total.blocked, 1);

        /* An entry out of range (a tag from another catalogue) is unmatched,
         * never an out-of-bounds write. */
        t = make_tag(17, NULL, 0);
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->unmatched_connections, 3);
}

/* Products count only what the tags prove: a shared port's products stay
 * apart ("not attributed") unless the address is Apple's. */
static void test_attribution(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        static const uint16_t ab[] = { 0, 1 }, a[] = { 0 };
        struct flow f = { .action = FLOW_CONNECTION_NEW, .l4proto = IPPROTO_TCP };
        struct tag t;

        fixture_abc(&x);
        /* a: a shared port (low); b: one of Apple's own (medium). */
        x.entries[0].scope = CATALOG_SCOPE_SHARED;
        x.entries[0].ports[0] = (struct port_range) { 443, 443 };
        x.entries[0].n_ports = 1;
        x.entries[1].ports[0] = (struct port_range) { 5223, 5223 };
        x.entries[1].n_ports = 1;
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        assert_int_equal(s->attribute_min, CONFIDENCE_MEDIUM);

        /* HTTPS elsewhere, three times: the service counts them, no product does. */
        t = (struct tag) { .confidence = CONFIDENCE_LOW, .side = TAG_SIDE_SERVER, .entry = 0, .matches = { a, 1 } };
        for (int i = 0; i < 3; i++)
                stats_count_flow(s, &f, &t);
        assert_int_equal(s->entries[0].total.connections, 3);
        assert_int_equal(s->entries[0].total.confidence[STATS_CONFIDENCE_INDEX(CONFIDENCE_LOW)], 3);
        assert_int_equal(s->products[0].total.connections, 0);
        assert_int_equal(s->products[1].total.connections, 0);
        assert_int_equal(stats_confidence_below(&s->products[0].total, s->attribute_min), 3);
        assert_int_equal(stats_confidence_below(&s->products[1].total, s->attribute_min), 3);
        assert_true(stats_item_active(&s->products[0]));

        /* HTTPS to Apple: high, attributed to every product of the entry. */
        t.apple_network = true;
        t.confidence = CONFIDENCE_HIGH;
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->products[0].total.connections, 1);
        assert_int_equal(s->products[1].total.connections, 1);
        assert_int_equal(s->products[1].total.confidence[STATS_CONFIDENCE_INDEX(CONFIDENCE_HIGH)], 1);
        assert_int_equal(stats_confidence_at_least(&s->entries[0].total, CONFIDENCE_MEDIUM), 1);

        /* Two matches, b medium (primary) and a low: P1, named by both, counts
         * once with b's medium; P0, named by a only, stays low. */
        t = (struct tag) { .confidence = CONFIDENCE_MEDIUM, .side = TAG_SIDE_SERVER, .entry = 1, .matches = { ab, 2 } };
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->products[1].total.connections, 2);
        assert_int_equal(s->products[2].total.connections, 1);
        assert_int_equal(s->products[0].total.connections, 1);
        assert_int_equal(s->products[0].total.confidence[STATS_CONFIDENCE_INDEX(CONFIDENCE_LOW)], 4);
        assert_int_equal(s->products[1].total.confidence[STATS_CONFIDENCE_INDEX(CONFIDENCE_MEDIUM)], 1);

        /* With the threshold at low everything is attributed. */
        s->attribute_min = CONFIDENCE_LOW;
        t = (struct tag) { .confidence = CONFIDENCE_LOW, .entry = 0, .matches = { a, 1 } };
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->products[0].total.connections, 2);
}

/* seen = tagged + unmatched + excluded, for connections and packets apart;
 * connection ends are in neither account. */
static void test_account(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        struct flow tcp = { .action = FLOW_CONNECTION_NEW, .l4proto = IPPROTO_TCP };
        struct flow udp = { .action = FLOW_CONNECTION_NEW, .l4proto = IPPROTO_UDP };
        struct flow end = { .action = FLOW_CONNECTION_END, .l4proto = IPPROTO_TCP };
        struct flow pkt = { .action = FLOW_PACKET_LOGGED, .l4proto = IPPROTO_UDP };
        struct tag tagged = make_tag(0, NULL, 0), none = { .confidence = CONFIDENCE_NONE };
        struct tag apple_none = { .confidence = CONFIDENCE_NONE, .apple_network = true };

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        for (int i = 0; i < 5; i++) {
                stats_count_seen(s, &tcp);
                stats_count_flow(s, &tcp, &tagged);
        }
        for (int i = 0; i < 3; i++) {
                stats_count_seen(s, &udp);
                stats_count_flow(s, &udp, &none);
        }
        stats_count_seen(s, &tcp);
        stats_count_flow(s, &tcp, &none);
        stats_count_seen(s, &tcp);
        stats_count_flow(s, &tcp, &apple_none);
        for (int i = 0; i < 2; i++) {
                stats_count_seen(s, &tcp);
                stats_count_excluded(s, &tcp);
        }
        stats_count_seen(s, &end);
        stats_count_flow(s, &end, &tagged);
        stats_count_seen(s, &pkt);
        stats_count_excluded(s, &pkt);
        stats_count_seen(s, &pkt);
        stats_count_flow(s, &pkt, &none);

        assert_int_equal(s->connections.seen, 12);
        assert_int_equal(s->connections.tagged, 5);
        assert_int_equal(s->connections.unmatched, 5);
        assert_int_equal(s->connections.excluded, 2);
        assert_int_equal(s->connections.seen,
                         s->connections.tagged + s->connections.unmatched + s->connections.excluded);
        assert_int_equal(s->unmatched_by[0][0], 1);
        assert_int_equal(s->unmatched_by[0][1], 1);
        assert_int_equal(s->unmatched_by[1][0], 3);
        assert_int_equal(s->unmatched_by[1][1], 0);
        assert_int_equal(s->unmatched_connections, 5);
        assert_int_equal(s->excluded_connections, 2);
        assert_int_equal(s->packets.seen, 2);
        assert_int_equal(s->packets.excluded, 1);
        assert_int_equal(s->packets.unmatched, 1);
        assert_int_equal(s->packets.tagged, 0);
}

/* 10 connections per second for 15 minutes, ticked by a fake clock once per
 * second: every window follows λ(1 - e^(-t/W)) of its own ticks. */
static void test_tick_constant(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        struct flow f = { .action = FLOW_CONNECTION_NEW };
        struct tag t;
        uint64_t now = 1000 * SEC;
        const unsigned seconds = 900;

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        t = make_tag(0, NULL, 0);

        stats_tick(s, now);
        for (unsigned i = 0; i < seconds; i++) {
                for (unsigned k = 0; k < 10; k++)
                        stats_count_flow(s, &f, &t);
                now += SEC;
                stats_tick(s, now);
        }
        assert_int_equal(s->entries[0].total.connections, 10 * seconds);
        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++) {
                double want = 10 * (1 - exp(-(double) seconds / (rate_window_usec(w) / SEC)));
                double got = s->entries[0].rate[STATS_RATED_CONNECTIONS][w];

                if (fabs(got - want) > 1e-9)
                        fail_msg("window %s: got %.12g, want %.12g", rate_window_to_string(w), got, want);
                assert_true(s->products[0].rate[STATS_RATED_CONNECTIONS][w] == got);
                assert_true(s->entries[0].rate[STATS_RATED_BLOCKED][w] == 0);
                assert_true(s->entries[1].rate[STATS_RATED_CONNECTIONS][w] == 0);
        }

        /* Then an hour of silence in one late tick: e^(-3600/W) of it. */
        {
                double before = s->entries[0].rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_15M];

                now += 3600 * SEC;
                stats_tick(s, now);
                assert_true(fabs(s->entries[0].rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_15M] -
                                 before * exp(-4.0)) < 1e-9);
                assert_true(s->entries[0].rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_10S] < 1e-100);
        }
}

/* A fake clock that jumps by uneven whole ticks (a loop that woke late) with
 * a constant 4 blocked packets per second: at every tick each window is
 * still λ(1 - e^(-t/W)), for the entry and for its products alike. */
static void test_tick_late(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        struct flow f = { .action = FLOW_PACKET_LOGGED };
        static const unsigned jumps[] = { 5, 10, 35, 5, 60, 15, 100, 5, 20, 45 }; /* seconds */
        const unsigned lambda = 4;
        uint64_t start = 7 * SEC, now = start;
        struct tag t;

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        t = make_tag(1, NULL, 0);
        stats_tick(s, now);

        for (size_t j = 0; j < ELEMENTSOF(jumps); j++) {
                double elapsed;

                for (unsigned k = 0; k < lambda * jumps[j]; k++)
                        stats_count_flow(s, &f, &t);
                now += jumps[j] * SEC;
                stats_tick(s, now);
                elapsed = (double) (now - start) / SEC;

                for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++) {
                        double want = lambda * (1 - exp(-elapsed / (rate_window_usec(w) / SEC)));
                        double got = s->entries[1].rate[STATS_RATED_BLOCKED][w];

                        if (fabs(got - want) > 1e-9)
                                fail_msg("after %.0f s, window %s: got %.12g, want %.12g", elapsed,
                                         rate_window_to_string(w), got, want);
                        assert_true(s->products[1].rate[STATS_RATED_BLOCKED][w] == got);
                        assert_true(s->products[2].rate[STATS_RATED_BLOCKED][w] == got);
                        assert_true(s->products[0].rate[STATS_RATED_BLOCKED][w] == 0);
                        assert_true(s->entries[1].rate[STATS_RATED_CONNECTIONS][w] == 0);
                }
        }
        assert_int_equal(s->entries[1].total.blocked, lambda * 300);
        assert_int_equal(s->products[2].total.blocked, lambda * 300);
}

/* Rates move only on whole ticks; events in a partial tick wait for it. */
static void test_tick_partial(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        struct flow f = { .action = FLOW_PACKET_LOGGED };
        struct tag t;

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        t = make_tag(1, NULL, 0);

        stats_tick(s, 10 * SEC);
        for (unsigned k = 0; k < 50; k++)
                stats_count_flow(s, &f, &t);
        stats_tick(s, 10 * SEC + SEC / 2);
        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                assert_true(s->entries[1].rate[STATS_RATED_BLOCKED][w] == 0);
        stats_tick(s, 11 * SEC);
        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                assert_true(fabs(s->entries[1].rate[STATS_RATED_BLOCKED][w] -
                                 50.0 * (1 - exp(-1.0 / (rate_window_usec(w) / SEC)))) < 1e-9);
        /* 3.9 s later: three quiet ticks, the fourth not yet. */
        stats_tick(s, 14 * SEC + 9 * SEC / 10);
        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++) {
                double W = (double) rate_window_usec(w) / SEC;

                assert_true(fabs(s->entries[1].rate[STATS_RATED_BLOCKED][w] -
                                 50.0 * (1 - exp(-1.0 / W)) * exp(-3.0 / W)) < 1e-9);
        }
}

static void test_reset_marks(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        stats_tick(s, 5 * SEC);
        /* As if loaded from the state file: no burst. */
        s->entries[0].total.connections = 1000000;
        stats_reset_marks(s);
        stats_tick(s, 10 * SEC);
        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                assert_true(s->entries[0].rate[STATS_RATED_CONNECTIONS][w] == 0);
        assert_int_equal(s->entries[0].summary_mark.connections, 1000000);
}

static void test_reload(void **state) {
        struct fixture x, y;
        _cleanup_(stats_freep) struct stats *s = NULL;
        static const char *const ids[] = { "c", "new", "a" };
        static const char *const names[] = { "P2", "P0", "Q" };
        struct flow f = { .action = FLOW_CONNECTION_NEW };
        struct tag t;

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        t = make_tag(0, NULL, 0);
        stats_count_flow(s, &f, &t);
        stats_count_flow(s, &f, &t);
        t = make_tag(2, NULL, 0);
        stats_count_flow(s, &f, &t);
        s->entries[0].rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_1M] = 2.5;

        fixture_init(&y, ids, 3, names, 3);
        y.entries[2].products[0] = 1;
        y.entries[2].n_products = 1;
        assert_int_equal(stats_reload(s, &y.catalog), 0);
        assert_ptr_equal(s->catalog, &y.catalog);
        assert_int_equal(s->n_entries, 3);
        assert_int_equal(s->entries[0].total.connections, 1); /* c */
        assert_int_equal(s->entries[1].total.connections, 0); /* new */
        assert_int_equal(s->entries[2].total.connections, 2); /* a */
        assert_true(s->entries[2].rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_1M] == 2.5);
        assert_int_equal(s->products[1].total.connections, 2); /* P0 */
        assert_int_equal(s->products[2].total.connections, 0); /* Q */

        /* Counting works against the new catalogue. */
        stats_count_flow(s, &f, &t);
        assert_int_equal(s->entries[2].total.connections, 3);
        assert_int_equal(s->products[1].total.connections, 3);
}

static void test_names(void **state) {
        assert_string_equal(stats_source_to_string(STATS_SOURCE_CONNTRACK), "conntrack");
        assert_string_equal(stats_source_to_string(STATS_SOURCE_NFLOG), "nflog");
        assert_null(stats_source_to_string(_STATS_SOURCE_MAX));
        assert_string_equal(stats_rated_to_string(STATS_RATED_BLOCKED), "blocked");
}

static unsigned refreshed;

static void refresh(struct stats *s, struct stats_daemon *d, void *userdata) {
        refreshed++;
        d->entries_written = *(uint64_t *) userdata;
}

static void test_refresh(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        uint64_t written = 42;

        fixture_abc(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        stats_refresh(s);
        assert_int_equal(refreshed, 0);
        stats_set_refresh(s, refresh, &written);
        stats_refresh(s);
        assert_int_equal(refreshed, 1);
        assert_int_equal(s->daemon.entries_written, 42);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counting),
                cmocka_unit_test(test_attribution),
                cmocka_unit_test(test_account),
                cmocka_unit_test(test_tick_constant),
                cmocka_unit_test(test_tick_late),
                cmocka_unit_test(test_tick_partial),
                cmocka_unit_test(test_reset_marks),
                cmocka_unit_test(test_reload),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_refresh),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
