/* SPDX-License-Identifier: MIT */
#pragma once

/* What every libFuzzer target shares. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input in an exactly sized heap buffer, so that AddressSanitizer
 * catches a read of even one byte past the end (libFuzzer's own buffer may
 * have room behind it). malloc's alignment also suits netlink messages.
 * NULL only when out of memory: the target then returns at once. */
static inline void *fuzz_copy(const uint8_t *data, size_t size) {
        void *copy = malloc(size ? size : 1);

        if (copy && size > 0)
                memcpy(copy, data, size);
        return copy;
}

/* Checks an invariant; a violation is a finding, reported like a crash. */
#define fuzz_assert(expr)                                                  \
        do {                                                               \
                if (!(expr)) {                                             \
                        fprintf(stderr, "%s:%d: invariant violated: %s\n", \
                                __FILE__, __LINE__, #expr);                \
                        abort();                                           \
                }                                                          \
        } while (0)

/* A small catalogue for the targets that need one (the control replies, the
 * state file): products with aliases and a non-ASCII name, a range, both
 * scopes. Loaded once and kept for the whole run. */
static inline const struct catalog *fuzz_small_catalog(void) {
        static const char tsv[] =
                "apns\t5223\ttcp\tAPNs\t-\t-\tAPNs (Push)\ten2015,pl\tapple\t-\n"
                "facetime-rtp\t16384-16387\tudp\tRTP\t-\t-\tFaceTime; Game Center\tpl\tapple\t-\n"
                "https\t443\ttcp\tHTTPS\thttps\tRFC 2818\tiCloud; Messages (iChat)\ten2015\tshared\t-\n"
                "bonjour\t5353\tudp\tmDNS\tmdns\t-\tBonjour; Zürich \"Quoted\"\\Name\tnl\tapple\tnote\n";
        static struct catalog *c;
        char err[CATALOG_ERROR_MAX];

        if (!c && catalog_load_buffer("fuzz-fixture", tsv, sizeof(tsv) - 1, &c, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s\n", err);
                abort();
        }
        return c;
}
