/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "name-stats.h"

static int table_init(struct name_stats_table *t, size_t max) {
        t->max = max;
        t->n_slots = 2 * max;
        t->rows = calloc(max, sizeof(*t->rows));
        t->slots = calloc(t->n_slots, sizeof(*t->slots));
        return t->rows && t->slots ? 0 : -ENOMEM;
}

static void table_done(struct name_stats_table *t) {
        free(t->rows);
        free(t->slots);
}

int name_stats_new(struct name_stats **ret) {
        _cleanup_(name_stats_freep) struct name_stats *n = calloc(1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        if (table_init(&n->services, NAME_STATS_SERVICES_MAX) < 0 ||
            table_init(&n->suffixes, NAME_STATS_SUFFIXES_MAX) < 0)
                return -ENOMEM;
        *ret = n;
        n = NULL;
        return 0;
}

struct name_stats *name_stats_free(struct name_stats *n) {
        if (!n)
                return NULL;
        table_done(&n->services);
        table_done(&n->suffixes);
        free(n);
        return NULL;
}

static void table_count(struct name_stats_table *t, const char *key) {
        size_t len = strlen(key);
        uint32_t h = 2166136261u;

        if (len >= DOMAINS_NAME_MAX) {
                t->overflow++;
                return;
        }
        for (size_t i = 0; i < len; i++)
                h = (h ^ (uint8_t) key[i]) * 16777619u;
        for (size_t s = h % t->n_slots;; s = (s + 1) % t->n_slots) {
                struct name_stats_row *row;

                if (t->slots[s] == 0) {
                        if (t->n >= t->max) {
                                t->overflow++;
                                return;
                        }
                        row = &t->rows[t->n++];
                        memcpy(row->key, key, len + 1);
                        t->slots[s] = (uint32_t) t->n;
                        row->connections = 1;
                        return;
                }
                row = &t->rows[t->slots[s] - 1];
                if (strcmp(row->key, key) == 0) {
                        row->connections++;
                        return;
                }
        }
}

void name_stats_count(struct name_stats *n, const struct domain_rule *r) {
        if (!n || !r)
                return;
        table_count(&n->services, r->service);
        table_count(&n->suffixes, r->suffix);
}
