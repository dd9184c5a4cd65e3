/* SPDX-License-Identifier: MIT */
/*
 * Port lookups per second: the dense index against a linear scan of the
 * catalogue, over the same random (port, transport) queries in one run.
 * Two ways to time a lookup: one after another with nothing linking them
 * (throughput: the CPU overlaps several), and as a chain where each query's
 * port depends on the previous answer (latency: one lookup alone, as a
 * single event sees it). Not a test; see docs/performance.md.
 *
 * usage: bench-index [--catalog PATH] [--rounds N]
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-clock.h"
#include "catalog.h"
#include "port-index.h"

#define QUERIES (1u << 20)

static const uint16_t hot_ports[] = { 53, 80, 123, 443, 993, 3478, 5223, 5353, 16385, 16393, 50000, 51820, 60321 };

struct query {
        uint16_t port;
        uint16_t transport;
};

static volatile uint64_t sink;
static volatile uint64_t zero; /* read once: the compiler cannot know it is 0 */

static uint64_t xorshift(uint64_t *s) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

/* What a tagger without the index would do: every covering entry, the narrowest first. */
static uint64_t linear_lookup(const struct catalog *c, unsigned transport, uint16_t port) {
        uint32_t best_width = UINT32_MAX;
        uint64_t n = 0, best = 0;

        for (size_t i = 0; i < c->n_entries; i++) {
                const struct catalog_entry *e = &c->entries[i];

                if (!(e->transports & transport))
                        continue;
                for (unsigned k = 0; k < e->n_ports; k++)
                        if (e->ports[k].lo <= port && port <= e->ports[k].hi) {
                                uint32_t w = (uint32_t) e->ports[k].hi - e->ports[k].lo + 1;
                                n++;
                                if (w < best_width) {
                                        best_width = w;
                                        best = i;
                                }
                        }
        }
        return n == 0 ? 0 : (n << 16 | best);
}

static uint64_t index_lookup(const struct port_index *idx, unsigned transport, uint16_t port) {
        struct match_set m = port_index_lookup(idx, transport, port);
        return m.n == 0 ? 0 : ((uint64_t) m.n << 16 | m.entries[0]);
}

/* The same, reading the first member without a branch: members is never
 * empty, so entries[0] is readable even for the empty set (and ignored). */
static uint64_t index_lookup_timed(const struct port_index *idx, unsigned transport, uint16_t port) {
        struct match_set m = port_index_lookup(idx, transport, port);
        return (uint64_t) m.n << 16 | m.entries[0];
}

/* ns per lookup over rounds × QUERIES; chained: each port depends on the
 * previous answer. Inlined so that a constant chained=false leaves no link
 * between iterations: the CPU would honour even a mask that is always 0. */
static inline __attribute__((always_inline)) double time_index(const struct port_index *idx, const struct query *q, unsigned rounds, bool chained,
                                                               bool branch) {
        uint64_t mask = chained ? zero : 0, prev = 0, sum = 0, t0 = now_ns();

        for (unsigned round = 0; round < rounds; round++)
                for (unsigned i = 0; i < QUERIES; i++) {
                        uint16_t port = chained ? q[i].port ^ (uint16_t) (prev & mask) : q[i].port;

                        prev = branch ? index_lookup(idx, q[i].transport, port)
                                      : index_lookup_timed(idx, q[i].transport, port);
                        sum += prev;
                }
        sink = sum;
        return (double) (now_ns() - t0) / ((double) rounds * QUERIES);
}

/* The floor of any dense table: one chained load of a slot, nothing more. */
static double time_slot_load(const struct port_index *idx, const struct query *q, unsigned rounds) {
        uint64_t mask = zero, prev = 0, t0 = now_ns();

        for (unsigned round = 0; round < rounds; round++)
                for (unsigned i = 0; i < QUERIES; i++)
                        prev = idx->slot[q[i].transport == TRANSPORT_UDP][q[i].port ^ (uint16_t) (prev & mask)];
        sink = prev;
        return (double) (now_ns() - t0) / ((double) rounds * QUERIES);
}

static inline __attribute__((always_inline)) double time_linear(const struct catalog *c, const struct query *q, unsigned rounds, bool chained) {
        uint64_t mask = chained ? zero : 0, prev = 0, sum = 0, t0 = now_ns();

        for (unsigned round = 0; round < rounds; round++)
                for (unsigned i = 0; i < QUERIES; i++) {
                        prev = linear_lookup(c, q[i].transport,
                                             chained ? q[i].port ^ (uint16_t) (prev & mask) : q[i].port);
                        sum += prev;
                }
        sink = sum;
        return (double) (now_ns() - t0) / ((double) rounds * QUERIES);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "catalog", required_argument, NULL, 'c' },
                { "rounds", required_argument, NULL, 'r' },
                {}
        };
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        _cleanup_free_ struct query *q = NULL, *hot = NULL;
        const char *path = NULL;
        unsigned rounds = 64, linear_rounds;
        char err[CATALOG_ERROR_MAX];
        uint64_t seed = 0x9e3779b97f4a7c15u, check_index = 0, check_linear = 0;
        double ns_index, ns_branch, ns_linear, ns_index_chain, ns_linear_chain, ns_index_hot, ns_linear_hot, ns_slot;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "c:r:", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        path = optarg;
                        break;
                case 'r':
                        rounds = (unsigned) strtoul(optarg, NULL, 10);
                        if (rounds == 0) {
                                fprintf(stderr, "bench-index: bad --rounds\n");
                                return 2;
                        }
                        break;
                default:
                        fprintf(stderr, "usage: bench-index [--catalog PATH] [--rounds N]\n");
                        return 2;
                }

        r = path ? catalog_load_file(path, &c, err, sizeof(err)) : catalog_load_default(&c, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "bench-index: %s\n", err);
                return 2;
        }
        r = port_index_build(c, &idx);
        if (r < 0) {
                fprintf(stderr, "bench-index: building the index: %s\n", strerror(-r));
                return 2;
        }

        q = malloc(QUERIES * sizeof(*q));
        hot = malloc(QUERIES * sizeof(*hot));
        if (!q || !hot)
                return 2;
        for (unsigned i = 0; i < QUERIES; i++) {
                uint64_t x = xorshift(&seed);
                q[i] = (struct query) { .port = (uint16_t) x, .transport = (x >> 16) & 1 ? TRANSPORT_UDP : TRANSPORT_TCP };
                /* A router's traffic: a few ports over and over, their slots in L1. */
                hot[i] = (struct query) { .port = hot_ports[(x >> 20) % ELEMENTSOF(hot_ports)], .transport = q[i].transport };
        }

        /* Both must give the same answers, or the comparison means nothing. */
        for (unsigned i = 0; i < QUERIES; i++) {
                check_index += index_lookup(idx, q[i].transport, q[i].port);
                check_linear += linear_lookup(c, q[i].transport, q[i].port);
        }

        /* The scan is slower: fewer rounds, still over every query. */
        linear_rounds = MAX(rounds / 16, 1u);
        ns_index = time_index(idx, q, rounds, false, false);
        ns_branch = time_index(idx, q, rounds, false, true);
        ns_linear = time_linear(c, q, linear_rounds, false);
        ns_index_chain = time_index(idx, q, rounds, true, false);
        ns_linear_chain = time_linear(c, q, linear_rounds, true);
        ns_index_hot = time_index(idx, hot, rounds, true, false);
        ns_linear_hot = time_linear(c, hot, linear_rounds, true);
        ns_slot = time_slot_load(idx, q, rounds);

        printf("catalogue:    %s, %zu entries, %zu match sets, %zu members\n", c->source, c->n_entries,
               idx->n_sets, idx->n_members);
        printf("queries:      %u random (port, tcp|udp); answers agree: %s\n", QUERIES,
               check_index == check_linear ? "yes" : "NO");
        printf("%-32s %12s %12s %8s\n", "ns per lookup", "index", "linear scan", "ratio");
        printf("%-32s %12.2f %12.2f %7.1fx\n", "independent (throughput)", ns_index, ns_linear,
               ns_linear / ns_index);
        printf("%-32s %12.2f %12s %8s\n", "independent, caller tests n", ns_branch, "", "");
        printf("%-32s %12.2f %12.2f %7.1fx\n", "chained (latency)", ns_index_chain, ns_linear_chain,
               ns_linear_chain / ns_index_chain);
        printf("%-32s %12.2f %12.2f %7.1fx\n", "chained, 13 hot ports", ns_index_hot, ns_linear_hot,
               ns_linear_hot / ns_index_hot);
        printf("%-32s %12.2f %12s %8s\n", "chained, one slot load (floor)", ns_slot, "", "");
        printf("rounds:       index %u, linear scan %u (x %u queries)\n", rounds, linear_rounds, QUERIES);
        return check_index == check_linear ? 0 : 1;
}
