/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * O(1) port → catalogue entries. Per transport a dense table of 65536 slots,
 * each the number of a distinct match set; a match set lists every entry that
 * covers the port, the narrowest range first (ties in catalogue order).
 * Lookups touch two arrays and never allocate.
 */

#include <stdint.h>

#include "catalog.h"

struct match_set {
        const uint16_t *entries;        /* indices into catalog.entries */
        unsigned n;
};

struct port_index_set {
        uint32_t offset;                /* into port_index.members */
        uint32_t n;
};

struct port_index {
        uint16_t slot[2][65536];        /* [0] tcp, [1] udp → index into sets; 0 = empty set */
        struct port_index_set *sets;
        size_t n_sets;
        uint16_t *members;
        size_t n_members;
};

int port_index_build(const struct catalog *c, struct port_index **ret);
struct port_index *port_index_free(struct port_index *idx);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct port_index *, port_index_free);

/* transport is exactly one of TRANSPORT_TCP, TRANSPORT_UDP. */
static inline struct match_set port_index_lookup(const struct port_index *idx, unsigned transport,
                                                 uint16_t port) {
        const struct port_index_set *s = &idx->sets[idx->slot[transport == TRANSPORT_UDP][port]];
        return (struct match_set) { .entries = idx->members + s->offset, .n = s->n };
}
