/* SPDX-License-Identifier: MIT */
/*
 * Port lookups per second: the dense index against a linear scan of the
 * catalogue, over the same random (port, transport) queries in one run.
 * Not a test; see docs/performance.md.
 *
 * usage: bench-index [--catalog PATH] [--rounds N]
 */

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "port-index.h"

#define QUERIES (1u << 20)

struct query {
        uint16_t port;
        uint16_t transport;
};

static volatile uint64_t sink;

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

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

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "catalog", required_argument, NULL, 'c' },
                { "rounds", required_argument, NULL, 'r' },
                {}
        };
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        _cleanup_free_ struct query *q = NULL;
        const char *path = NULL;
        unsigned rounds = 64, linear_rounds;
        char err[CATALOG_ERROR_MAX];
        uint64_t seed = 0x9e3779b97f4a7c15u, t0, t_index, t_branch, t_linear, check_index = 0, check_linear = 0;
        double ns_index, ns_branch, ns_linear;
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
        if (!q)
                return 2;
        for (unsigned i = 0; i < QUERIES; i++) {
                uint64_t x = xorshift(&seed);
                q[i] = (struct query) { .port = (uint16_t) x, .transport = (x >> 16) & 1 ? TRANSPORT_UDP : TRANSPORT_TCP };
        }

        /* Both must give the same answers, or the comparison means nothing. */
        for (unsigned i = 0; i < QUERIES; i++) {
                check_index += index_lookup(idx, q[i].transport, q[i].port);
                check_linear += linear_lookup(c, q[i].transport, q[i].port);
        }

        t0 = now_ns();
        for (unsigned round = 0; round < rounds; round++)
                for (unsigned i = 0; i < QUERIES; i++)
                        sink = index_lookup_timed(idx, q[i].transport, q[i].port);
        t_index = now_ns() - t0;

        /* As a caller that skips the empty set: a data-dependent branch per lookup. */
        t0 = now_ns();
        for (unsigned round = 0; round < rounds; round++)
                for (unsigned i = 0; i < QUERIES; i++)
                        sink = index_lookup(idx, q[i].transport, q[i].port);
        t_branch = now_ns() - t0;

        /* The scan is slower: fewer rounds, still over every query. */
        linear_rounds = MAX(rounds / 16, 1u);
        t0 = now_ns();
        for (unsigned round = 0; round < linear_rounds; round++)
                for (unsigned i = 0; i < QUERIES; i++)
                        sink = linear_lookup(c, q[i].transport, q[i].port);
        t_linear = now_ns() - t0;

        ns_index = (double) t_index / ((double) rounds * QUERIES);
        ns_branch = (double) t_branch / ((double) rounds * QUERIES);
        ns_linear = (double) t_linear / ((double) linear_rounds * QUERIES);
        printf("catalogue:    %s, %zu entries, %zu match sets, %zu members\n", c->source, c->n_entries,
               idx->n_sets, idx->n_members);
        printf("queries:      %u random (port, tcp|udp); answers agree: %s\n", QUERIES,
               check_index == check_linear ? "yes" : "NO");
        printf("index:        %8.2f ns/lookup  %8.1f M lookups/s  (%u rounds)\n", ns_index, 1e3 / ns_index, rounds);
        printf("index+branch: %8.2f ns/lookup  %8.1f M lookups/s  (%u rounds, caller tests for no match)\n",
               ns_branch, 1e3 / ns_branch, rounds);
        printf("linear scan:  %8.2f ns/lookup  %8.1f M lookups/s  (%u rounds)\n", ns_linear, 1e3 / ns_linear,
               linear_rounds);
        printf("ratio:        index %.1fx faster\n", ns_linear / ns_index);
        return check_index == check_linear ? 0 : 1;
}
