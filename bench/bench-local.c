/* SPDX-License-Identifier: MIT */
/*
 * The cost of deciding whether a flow is the router's own traffic
 * (local_addresses_classify(), on the per-event path before tagging), for a
 * router with a few addresses and for a full table, with and without 64
 * configured networks, over the same flows in one run. The flows are mostly
 * forwarded (LAN client to a random internet address): every check runs to
 * the end, the common case and the slowest. Not a test; see
 * docs/performance.md.
 *
 * usage: bench-local [--rounds N]
 */

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-clock.h"
#include "local-addresses.h"

/* Few enough flows to stay in the cache (a struct flow is some 400 bytes):
 * the decision's cost, not the memory's. */
#define FLOWS 4096u
#define PASSES 256u

static volatile uint64_t sink;

static uint64_t xorshift(uint64_t *s) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

static void add4(struct local_addresses *la, uint32_t host_order, uint8_t len) {
        uint32_t v = htonl(host_order);

        if (local_addresses_add(la, AF_INET, &v, len, 2) < 0)
                abort();
}

/* A router: LAN, WAN, loopback, and their IPv6 (as IPv4 here: the flows are). */
static struct local_addresses *router(size_t n_addresses, unsigned n_networks) {
        struct local_exclusions x = { .router = true, .n_networks = n_networks };
        struct local_addresses *la;

        for (unsigned i = 0; i < n_networks; i++) {
                char text[32];

                snprintf(text, sizeof(text), "10.%u.0.0/16", 100 + i);
                if (ip_prefix_parse(text, &x.networks[i]) < 0)
                        abort();
        }
        if (local_addresses_new(&la, &x) < 0)
                abort();
        add4(la, 0xc0a80101u, 24); /* 192.168.1.1 */
        add4(la, 0xc6336401u, 24); /* 198.51.100.1 */
        for (size_t i = 2; i < n_addresses; i++)
                add4(la, 0xac100000u + (uint32_t) i, 32); /* 172.16.x.y */
        return la;
}

static double ns_per_flow(const struct local_addresses *la, const struct flow *flows) {
        uint64_t start = now_ns(), n = 0;

        for (unsigned pass = 0; pass < PASSES; pass++)
                for (size_t i = 0; i < FLOWS; i++)
                        n += local_addresses_classify(la, &flows[i]) != LOCAL_NOT;
        sink += n;
        return (double) (now_ns() - start) / ((double) FLOWS * PASSES);
}

int main(int argc, char **argv) {
        static const struct option options[] = { { "rounds", required_argument, NULL, 'r' }, {} };
        unsigned rounds = 5;
        struct local_addresses *small, *full, *small_nets, *full_nets;
        struct flow *flows = calloc(FLOWS, sizeof(*flows));
        uint64_t seed = 0x9e3779b97f4a7c15u;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                if (c == 'r')
                        rounds = (unsigned) atoi(optarg);
                else
                        return 2;
        if (!flows)
                return 1;
        for (size_t i = 0; i < FLOWS; i++) {
                uint32_t src = htonl(0xc0a80100u + (uint32_t) (xorshift(&seed) % 200 + 2));
                uint32_t dst = htonl((uint32_t) xorshift(&seed) | 0x01000000u);

                flows[i] = (struct flow) { .action = FLOW_CONNECTION_NEW, .family = AF_INET, .l4proto = IPPROTO_TCP, .has_ct_tuple = true };
                memcpy(flows[i].ct_src.bytes, &src, 4);
                memcpy(flows[i].ct_dst.bytes, &dst, 4);
                flows[i].src = flows[i].ct_src;
                flows[i].dst = flows[i].ct_dst;
        }
        small = router(8, 0);
        full = router(LOCAL_ADDRESSES_MAX, 0);
        small_nets = router(8, LOCAL_EXCLUDE_NETWORKS_MAX);
        full_nets = router(LOCAL_ADDRESSES_MAX, LOCAL_EXCLUDE_NETWORKS_MAX);

        printf("ns per flow: 8 addresses | %d addresses | 8 + %d networks | %d + %d networks\n",
               LOCAL_ADDRESSES_MAX, LOCAL_EXCLUDE_NETWORKS_MAX, LOCAL_ADDRESSES_MAX, LOCAL_EXCLUDE_NETWORKS_MAX);
        for (unsigned r = 0; r < rounds; r++)
                printf("%.2f | %.2f | %.2f | %.2f\n", ns_per_flow(small, flows), ns_per_flow(full, flows),
                       ns_per_flow(small_nets, flows), ns_per_flow(full_nets, flows));
        local_addresses_free(small);
        local_addresses_free(full);
        local_addresses_free(small_nets);
        local_addresses_free(full_nets);
        free(flows);
        return 0;
}
