/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Address -> Apple name, learnt from the DNS answers the router forwards.
 * Only answers whose name, or a name in its CNAME chain, falls under the
 * domain list are kept: nothing else a client resolves is stored. Each
 * record lives for its TTL, held between a floor and a ceiling. The table
 * is bounded in entries and bytes and allocated whole when it is made: when
 * it is full the oldest record goes, and nothing is allocated per answer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns-answer.h"
#include "domains.h"
#include "macro.h"

struct name_table_config {
        size_t max_entries;
        size_t max_bytes;          /* the table's whole memory, slots and index */
        uint32_t ttl_min, ttl_max; /* seconds */
};

struct name_table_stats {
        uint64_t answers_apple; /* answers with an Apple name and an address */
        uint64_t answers_other; /* answers with no Apple name in their chain: not kept */
        uint64_t inserted;      /* addresses stored or refreshed */
        uint64_t hits, misses;  /* lookups */
        uint64_t evicted;       /* live records pushed out by newer ones */
        uint64_t expired;       /* records that outlived their TTL */
        size_t entries;         /* records now (expired ones not yet reclaimed included) */
        size_t capacity;        /* records the memory holds */
        size_t bytes;           /* the table's memory */
};

struct name_table;

/* -EINVAL when the bytes do not hold one record or ttl_min > ttl_max. */
int name_table_new(struct name_table **ret, const struct name_table_config *c);
struct name_table *name_table_free(struct name_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct name_table *, name_table_free);

/* The bytes a table of this configuration takes, 0 when it cannot be made. */
size_t name_table_size(const struct name_table_config *c, size_t *ret_capacity);

/* Stores every address of a, under the first name of its chain that d
 * covers, until now + its TTL (seconds, CLOCK_MONOTONIC). Returns the
 * number of addresses stored; 0 when no name is Apple's. */
unsigned name_table_add(struct name_table *t, const struct domains *d, const struct dns_answer *a,
                        uint64_t now);

/* The name an address was last answered for, while its TTL lasts, or NULL.
 * The pointer is valid until the next name_table_add(). */
const char *name_table_lookup(struct name_table *t, int family, const void *addr, uint64_t now);

void name_table_get_stats(const struct name_table *t, struct name_table_stats *ret);
