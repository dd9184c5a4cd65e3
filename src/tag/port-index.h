/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * O(1) port → catalogue entries. Per transport a dense table of 65536 slots;
 * a match set lists every entry that covers the port, the narrowest range
 * first (ties in catalogue order). A slot holds where its set starts in one
 * members array: the count, then the entries. A lookup is one load from the
 * table and one from members, never an allocation (docs/performance.md).
 */

#include <stdint.h>

#include "catalog.h"

struct match_set {
        const uint16_t *entries; /* indices into catalog.entries */
        unsigned n;
};

struct port_index_set {
        uint32_t offset; /* of the first entry in port_index.members */
        uint32_t n;
};

struct port_index {
        uint16_t slot[2][65536];     /* [0] tcp, [1] udp → offset of a set's count in members;
                                         * 0 = the empty set */
        struct port_index_set *sets; /* every distinct set once, set 0 empty (for building, checks) */
        size_t n_sets;
        uint16_t *members; /* per set: its count n, then its n entries */
        size_t n_members;
};

int port_index_build(const struct catalog *c, struct port_index **ret);
struct port_index *port_index_free(struct port_index *idx);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct port_index *, port_index_free);

/* transport is exactly one of TRANSPORT_TCP, TRANSPORT_UDP. */
static inline struct match_set port_index_lookup(const struct port_index *idx, unsigned transport,
                                                 uint16_t port) {
        const uint16_t *set = idx->members + idx->slot[transport == TRANSPORT_UDP][port];
        return (struct match_set) { .entries = set + 1, .n = set[0] };
}
