/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "message-id.h"
#include "ring.h"
#include "summary.h"

#define SEC 1000000ull

struct fixture {
        struct catalog catalog;
        struct catalog_entry entries[3];
        struct catalog_product products[2];
        struct stats *stats;
        struct ring *ring;
        struct queue *queue;
        struct summary *summary;
};

static void fixture_init(struct fixture *x) {
        memset(x, 0, sizeof(*x));
        strcpy(x->entries[0].id, "apns");
        strcpy(x->entries[1].id, "facetime-rtp");
        strcpy(x->entries[2].id, "apple-other");
        x->entries[1].products[0] = 0;
        x->entries[1].products[1] = 1;
        x->entries[1].n_products = 2;
        strcpy(x->products[0].name, "FaceTime");
        strcpy(x->products[1].name, "Game Center");
        x->catalog.entries = x->entries;
        x->catalog.n_entries = 3;
        x->catalog.products = x->products;
        x->catalog.n_products = 2;
        x->catalog.apple_other = 2;
        assert_int_equal(stats_new(&x->stats, &x->catalog), 0);
        assert_int_equal(ring_new(&x->ring, 64 * 1024), 0);
        assert_int_equal(queue_new(&x->queue, x->ring, NULL), 0);
        assert_int_equal(summary_new(&x->summary, x->stats, x->queue), 0);
}

static void fixture_done(struct fixture *x) {
        summary_free(x->summary);
        queue_free(x->queue);
        ring_free(x->ring);
        stats_free(x->stats);
}

static unsigned count_field(const struct entry *e, const char *name, const char *value) {
        unsigned n = 0;
        size_t l = strlen(name);

        for (unsigned i = 0; i < e->n_fields; i++) {
                const char *f = entry_field_str(e, i);

                if (strncmp(f, name, l) == 0 && f[l] == '=' && strcmp(f + l + 1, value) == 0)
                        n++;
        }
        return n;
}

static void count(struct fixture *x, size_t entry, unsigned connections, unsigned blocked) {
        struct tag t = { .confidence = CONFIDENCE_HIGH, .entry = entry };
        struct flow f = { .action = FLOW_CONNECTION_NEW };

        for (unsigned i = 0; i < connections; i++)
                stats_count_flow(x->stats, &f, &t);
        f.action = FLOW_PACKET_LOGGED;
        for (unsigned i = 0; i < blocked; i++)
                stats_count_flow(x->stats, &f, &t);
}

static void test_format(void **state) {
        struct fixture x;
        _cleanup_free_ struct entry *e = calloc(1, sizeof(*e));

        fixture_init(&x);
        count(&x, 1, 7, 2);
        x.stats->entries[1].rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_5M] = 0.125;
        assert_int_equal(summary_format(e, x.stats, 1, 300), 0);
        assert_string_equal(entry_get(e, "MESSAGE_ID"), MESSAGE_ID_SUMMARY_STR);
        assert_string_equal(entry_get(e, "PRIORITY"), "6");
        assert_string_equal(entry_get(e, "MESSAGE"),
                            "facetime-rtp: 7 connections, 2 blocked packets in 300 s; "
                            "0.00 connections/s over 1 min, 0.12 over 5 min, 0.00 over 15 min");
        assert_string_equal(entry_get(e, "APPLE_SERVICE"), "facetime-rtp");
        assert_int_equal(count_field(e, "APPLE_PRODUCT", "FaceTime"), 1);
        assert_int_equal(count_field(e, "APPLE_PRODUCT", "Game Center"), 1);
        assert_string_equal(entry_get(e, "APPLE_PRODUCTS"), "FaceTime;Game Center");
        assert_string_equal(entry_get(e, "EVENT_ACTION"), "summary");
        assert_string_equal(entry_get(e, "SUMMARY_CONNECTIONS"), "7");
        assert_string_equal(entry_get(e, "SUMMARY_BLOCKED_PACKETS"), "2");
        assert_string_equal(entry_get(e, "SUMMARY_PERIOD_SEC"), "300");
        assert_string_equal(entry_get(e, "SUMMARY_CONNECTION_RATE_5M"), "0.125");
        assert_string_equal(entry_get(e, "SUMMARY_BLOCKED_RATE_15M"), "0.000");
        assert_int_equal(summary_format(e, x.stats, 3, 300), -EINVAL);
        fixture_done(&x);
}

/* Only services active in the period get an entry; each period starts anew. */
static void test_emit_periods(void **state) {
        struct fixture x;
        struct entry *e;

        fixture_init(&x);
        assert_int_equal(summary_emit(x.summary, 10 * SEC), 0);
        assert_null(ring_peek(x.ring, NULL));

        count(&x, 0, 3, 0);
        count(&x, 2, 0, 5);
        assert_false(summary_active(x.stats, 1));
        assert_int_equal(summary_emit(x.summary, 310 * SEC), 2);
        e = ring_peek(x.ring, NULL);
        assert_non_null(e);
        assert_string_equal(entry_get(e, "APPLE_SERVICE"), "apns");
        assert_string_equal(entry_get(e, "SUMMARY_CONNECTIONS"), "3");
        assert_string_equal(entry_get(e, "SUMMARY_PERIOD_SEC"), "300");
        ring_release(x.ring);
        e = ring_peek(x.ring, NULL);
        assert_string_equal(entry_get(e, "APPLE_SERVICE"), "apple-other");
        assert_string_equal(entry_get(e, "SUMMARY_BLOCKED_PACKETS"), "5");
        assert_null(entry_get(e, "APPLE_PRODUCT"));
        assert_null(entry_get(e, "APPLE_PRODUCTS"));
        ring_release(x.ring);
        assert_null(ring_peek(x.ring, NULL));

        /* Nothing new: nothing written. */
        assert_int_equal(summary_emit(x.summary, 610 * SEC), 0);
        assert_null(ring_peek(x.ring, NULL));

        /* The period counts, the totals keep growing. */
        count(&x, 0, 4, 0);
        assert_int_equal(summary_emit(x.summary, 910 * SEC), 1);
        e = ring_peek(x.ring, NULL);
        assert_string_equal(entry_get(e, "SUMMARY_CONNECTIONS"), "4");
        assert_string_equal(entry_get(e, "SUMMARY_TOTAL_CONNECTIONS"), "7");
        ring_release(x.ring);
        fixture_done(&x);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_emit_periods),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
