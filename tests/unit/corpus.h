/* SPDX-License-Identifier: MIT */
#pragma once

/* tests/tagging-corpus.txt, parsed: for the tagger's and the per-event
 * path's tests. */

#include <stdbool.h>
#include <stdint.h>

#include "ephemeral-range.h"

#define CORPUS_ROWS_MAX 256
#define CORPUS_ROUTER_MAX 16

struct corpus_endpoint {
        int family;
        uint8_t addr[16];
        uint16_t port;      /* the fixed port, or the first of the range */
        uint16_t port_last; /* == port when fixed */
};

struct corpus_row {
        unsigned line;
        unsigned transport; /* TRANSPORT_TCP or TRANSPORT_UDP */
        struct corpus_endpoint src, dst, dnat;
        bool has_dnat;
        char service[48]; /* an entry id, "unmatched" or "excluded" */
        char side[8], confidence[8];
        char why[128];
};

struct corpus {
        struct corpus_row rows[CORPUS_ROWS_MAX];
        unsigned n_rows;
        struct corpus_endpoint router[CORPUS_ROUTER_MAX];
        unsigned n_router;
};

/* Fails the test (cmocka) on anything malformed, naming file:line. */
void corpus_load(const char *path, struct corpus *ret);
