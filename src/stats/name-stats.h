/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Connections tagged by an Apple name, counted per the name's service and
 * per the domain suffix that matched: fixed tables allocated once, keyed by
 * text so the counts carry over a reload of the domain list. When a table
 * is full, further keys are counted together as "other".
 */

#include <stddef.h>
#include <stdint.h>

#include "domains.h"
#include "macro.h"

#define NAME_STATS_SERVICES_MAX 256
#define NAME_STATS_SUFFIXES_MAX 1024

struct name_stats_row {
        char key[DOMAINS_NAME_MAX];
        uint64_t connections;
};

struct name_stats_table {
        struct name_stats_row *rows; /* in the order first counted */
        size_t n, max;
        uint32_t *slots; /* row index + 1; 0 empty */
        size_t n_slots;
        uint64_t overflow; /* connections of keys that found no room */
};

struct name_stats {
        struct name_stats_table services, suffixes;
};

int name_stats_new(struct name_stats **ret);
struct name_stats *name_stats_free(struct name_stats *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct name_stats *, name_stats_free);

/* One connection tagged by a name under r. No allocation. */
void name_stats_count(struct name_stats *n, const struct domain_rule *r);
