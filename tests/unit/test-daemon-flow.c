/* SPDX-License-Identifier: MIT */
/*
 * daemon_handle_flow, the per-event path, with the shipped catalogue and
 * networks, the router's addresses and a real queue: every connection of
 * tests/tagging-corpus.txt as conntrack reports it (three source ports of
 * its client's range each), then the journal entries queued, the counters
 * and the logging thresholds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "corpus.h"
#include "daemon.h"
#include "entry.h"
#include "local-addresses.h"
#include "queue.h"
#include "ring.h"

static const char *corpus_path;

struct fixture {
        struct daemon d;
        struct ring *ring;
        struct corpus corpus;
};

static int setup(void **state) {
        static struct fixture x;
        struct local_exclusions ex = { .router = true };
        char err[512];

        corpus_load(corpus_path, &x.corpus);
        if (config_new(&x.d.config) < 0 || tagset_load(&x.d.tagset, NULL, NULL, NULL, err, sizeof(err)) < 0 ||
            stats_new(&x.d.stats, x.d.tagset.catalog) < 0 || ring_new(&x.ring, 4u << 20) < 0 ||
            queue_new(&x.d.queue, x.ring, NULL) < 0 || local_addresses_new(&x.d.local, &ex) < 0)
                return -1;
        x.d.tagger = tagset_tagger(&x.d.tagset);
        x.d.tagger.local_ports = EPHEMERAL_RANGE_DEFAULT;
        for (unsigned i = 0; i < x.corpus.n_router; i++) {
                const struct corpus_endpoint *r = &x.corpus.router[i];

                if (local_addresses_add(x.d.local, r->family, r->addr,
                                        r->family == AF_INET ? 32 : 128, 0) < 0)
                        return -1;
        }
        *state = &x;
        return 0;
}

static int teardown(void **state) {
        struct fixture *x = *state;

        local_addresses_free(x->d.local);
        queue_free(x->d.queue);
        ring_free(x->ring);
        stats_free(x->d.stats);
        tagset_done(&x->d.tagset);
        config_free(x->d.config);
        return 0;
}

static struct flow make_flow(const struct corpus_row *r, uint16_t sport, enum flow_action action) {
        struct flow f = {
                .action = action,
                .family = r->src.family,
                .l4proto = r->transport == TRANSPORT_TCP ? IPPROTO_TCP : IPPROTO_UDP,
                .src_port = sport,
                .dst_port = r->dst.port,
                .has_dnat = r->has_dnat,
                .dnat_port = r->dnat.port,
                .ct_dir = FLOW_DIR_ORIGINAL,
                .has_ct = true,
        };

        memcpy(&f.src, r->src.addr, sizeof(f.src));
        memcpy(&f.dst, r->dst.addr, sizeof(f.dst));
        memcpy(&f.dnat, r->dnat.addr, sizeof(f.dnat));
        return f;
}

/* The first, a middle and the last port the client may pick. */
static uint16_t sample_port(const struct corpus_row *r, unsigned k) {
        return (uint16_t) (r->src.port + (uint32_t) (r->src.port_last - r->src.port) * k / 2);
}

static bool is(const struct corpus_row *r, const char *what) {
        return strcmp(r->service, what) == 0;
}

static enum confidence row_confidence(const struct corpus_row *r) {
        enum confidence c = CONFIDENCE_NONE;

        (void) confidence_from_string(r->confidence, &c);
        return c;
}

/* The next queued entry, or NULL; released by the next call. */
static const struct entry *next_entry(struct fixture *x, bool *held) {
        size_t len;

        if (*held)
                ring_release(x->ring);
        *held = false;
        const struct entry *e = ring_peek(x->ring, &len);
        *held = e != NULL;
        return e;
}

static void drain(struct fixture *x) {
        bool held = false;

        while (next_entry(x, &held))
                ;
}

/* Every row, three ports each; returns how many would be written at min. */
static unsigned send_corpus(struct fixture *x, enum confidence min, unsigned *n_low) {
        unsigned written = 0;

        x->d.config->log_min_confidence = min;
        *n_low = 0;
        for (unsigned i = 0; i < x->corpus.n_rows; i++) {
                const struct corpus_row *r = &x->corpus.rows[i];

                for (unsigned k = 0; k < 3; k++) {
                        struct flow f = make_flow(r, sample_port(r, k), FLOW_CONNECTION_NEW);
                        enum confidence c = row_confidence(r);

                        daemon_handle_flow(&f, &x->d);
                        if (c != CONFIDENCE_NONE && c >= min)
                                written++;
                        else if (c != CONFIDENCE_NONE)
                                (*n_low)++;
                }
        }
        return written;
}

static void test_corpus(void **state) {
        struct fixture *x = *state;
        const struct catalog *c = x->d.tagset.catalog;
        unsigned n_low, written, tagged = 0, unmatched = 0, excluded = 0;
        uint64_t *expected = calloc(c->n_entries, sizeof(uint64_t));
        bool held = false;

        assert_non_null(expected);
        written = send_corpus(x, CONFIDENCE_MEDIUM, &n_low);

        /* The entries, in order: the service and side the corpus says. */
        for (unsigned i = 0; i < x->corpus.n_rows; i++) {
                const struct corpus_row *r = &x->corpus.rows[i];

                for (unsigned k = 0; k < 3; k++) {
                        ssize_t e;

                        if (is(r, "excluded")) {
                                excluded++;
                                continue;
                        }
                        if (is(r, "unmatched")) {
                                unmatched++;
                                continue;
                        }
                        tagged++;
                        e = catalog_find_entry(c, r->service);
                        if (e < 0)
                                fail_msg("line %u: no entry %s", r->line, r->service);
                        expected[e]++;
                        if (row_confidence(r) < CONFIDENCE_MEDIUM)
                                continue;
                        const struct entry *en = next_entry(x, &held);
                        assert_non_null(en);
                        if (strcmp(entry_get(en, "APPLE_SERVICE"), r->service) != 0 ||
                            strcmp(entry_get(en, "APPLE_MATCHED_SIDE"), r->side) != 0 ||
                            strcmp(entry_get(en, "APPLE_CONFIDENCE"), r->confidence) != 0)
                                fail_msg("line %u: entry %s %s %s, expected %s %s %s", r->line,
                                         entry_get(en, "APPLE_SERVICE"), entry_get(en, "APPLE_MATCHED_SIDE"),
                                         entry_get(en, "APPLE_CONFIDENCE"), r->service, r->side,
                                         r->confidence);
                        if (strcmp(r->side, "none") == 0)
                                assert_null(entry_get(en, "APPLE_MATCHED_PORT"));
                        else
                                assert_non_null(entry_get(en, "APPLE_MATCHED_PORT"));
                        assert_int_equal(!!entry_get(en, "DESTINATION_NAT_IP"), r->has_dnat);
                }
        }
        assert_null(next_entry(x, &held));

        for (size_t i = 0; i < c->n_entries; i++)
                if (x->d.stats->entries[i].total.connections != expected[i])
                        fail_msg("%s: %llu connections, expected %llu", c->entries[i].id,
                                 (unsigned long long) x->d.stats->entries[i].total.connections,
                                 (unsigned long long) expected[i]);
        assert_int_equal(x->d.stats->connections.tagged, tagged);
        assert_int_equal(x->d.stats->connections.unmatched, unmatched);
        assert_int_equal(x->d.stats->connections.excluded, excluded);
        assert_int_equal(x->d.stats->connections.seen, tagged + unmatched + excluded);
        assert_int_equal(x->d.stats->connections.seen, 3 * x->corpus.n_rows);
        assert_true(excluded > 0 && unmatched > 0 && n_low > 0);
        /* Matched, counted, not logged: the low ones, no more. */
        assert_int_equal(x->d.stats->daemon.below_threshold, n_low);
        assert_int_equal(written + n_low, tagged);

        /* HTTPS and DNS elsewhere add nothing to the products they name:
         * Siri counts the HTTPS to Apple only; FaceTime no DNS. */
        ssize_t siri = catalog_find_product(c, "Siri"), https = catalog_find_entry(c, "https");
        assert_true(siri >= 0 && https >= 0);
        assert_int_equal(x->d.stats->products[siri].total.connections,
                         x->d.stats->entries[https].total.confidence[STATS_CONFIDENCE_INDEX(CONFIDENCE_HIGH)]);
        assert_true(stats_confidence_below(&x->d.stats->products[siri].total, CONFIDENCE_MEDIUM) > 0);
        free(expected);
}

/* The thresholds: low writes every tag, high only Apple's addresses; the
 * below-threshold counter grows by exactly the rest. */
static void test_thresholds(void **state) {
        struct fixture *x = *state;
        struct queue_stats before, after;
        uint64_t below = x->d.stats->daemon.below_threshold;
        unsigned n_low, written;

        drain(x);
        queue_get_stats(x->d.queue, &before);
        written = send_corpus(x, CONFIDENCE_LOW, &n_low);
        assert_int_equal(n_low, 0);
        queue_get_stats(x->d.queue, &after);
        assert_int_equal(after.submitted - before.submitted, written);
        assert_int_equal(x->d.stats->daemon.below_threshold, below);
        drain(x);

        before = after;
        written = send_corpus(x, CONFIDENCE_HIGH, &n_low);
        queue_get_stats(x->d.queue, &after);
        assert_int_equal(after.submitted - before.submitted, written);
        assert_true(n_low > 10 && written > 10);
        assert_int_equal(x->d.stats->daemon.below_threshold, below + n_low);
        drain(x);

        /* A connection's end, not logged: counted below the threshold, its bytes counted. */
        x->d.config->log_min_confidence = CONFIDENCE_MEDIUM;
        x->d.config->log_connection_end = false;
        below = x->d.stats->daemon.below_threshold;
        struct flow f = make_flow(&x->corpus.rows[0], 50000, FLOW_CONNECTION_END);
        f.has_counters = true;
        f.orig_bytes = 1000;
        f.reply_bytes = 234;
        ssize_t apns = catalog_find_entry(x->d.tagset.catalog, "apns");
        uint64_t bytes = x->d.stats->entries[apns].total.bytes;
        daemon_handle_flow(&f, &x->d);
        assert_int_equal(x->d.stats->daemon.below_threshold, below + 1);
        assert_int_equal(x->d.stats->entries[apns].total.bytes, bytes + 1234);
        x->d.config->log_connection_end = true;
        queue_get_stats(x->d.queue, &before);
        daemon_handle_flow(&f, &x->d);
        queue_get_stats(x->d.queue, &after);
        assert_int_equal(after.submitted, before.submitted + 1);
        drain(x);
}

/* A logged packet of the reply direction is read as its connection: the
 * APNs server's answer to an iPhone is APNs, server side, from conntrack. */
static void test_packet_direction(void **state) {
        struct fixture *x = *state;
        const struct corpus_row *r = &x->corpus.rows[0]; /* iPhone to APNs on Apple */
        struct flow f = make_flow(r, 50000, FLOW_PACKET_LOGGED);
        bool held = false;
        const struct entry *e;

        drain(x);
        /* The answer: the packet goes from the server to the client. */
        memcpy(&f.src, r->dst.addr, sizeof(f.src));
        memcpy(&f.dst, r->src.addr, sizeof(f.dst));
        f.src_port = r->dst.port;
        f.dst_port = 50000;
        f.ct_dir = FLOW_DIR_REPLY;
        daemon_handle_flow(&f, &x->d);
        e = next_entry(x, &held);
        assert_non_null(e);
        assert_string_equal(entry_get(e, "APPLE_SERVICE"), "apns");
        assert_string_equal(entry_get(e, "APPLE_MATCHED_SIDE"), "server");
        assert_string_equal(entry_get(e, "APPLE_SIDE_FROM"), "conntrack");
        assert_string_equal(entry_get(e, "SOURCE_PORT"), "5223");

        /* Without conntrack state the rule decides, and says so. */
        f.ct_dir = FLOW_DIR_UNKNOWN;
        daemon_handle_flow(&f, &x->d);
        e = next_entry(x, &held);
        assert_non_null(e);
        assert_string_equal(entry_get(e, "APPLE_SERVICE"), "apns");
        assert_string_equal(entry_get(e, "APPLE_MATCHED_SIDE"), "client");
        assert_string_equal(entry_get(e, "APPLE_SIDE_FROM"), "rule");
        assert_null(next_entry(x, &held));
        assert_int_equal(x->d.stats->packets.seen, 2);
        assert_int_equal(x->d.stats->packets.tagged, 2);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_corpus),
                cmocka_unit_test(test_thresholds),
                cmocka_unit_test(test_packet_direction),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s tests/tagging-corpus.txt\n", argv[0]);
                return 2;
        }
        corpus_path = argv[1];
        return cmocka_run_group_tests(tests, setup, teardown);
}
