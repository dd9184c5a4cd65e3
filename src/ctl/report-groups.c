/* SPDX-License-Identifier: MIT */

/*
 * The groups of a report: a bounded hash table from a field's value to its
 * counts. Values come from journal files that anyone who could write to the
 * journal may have shaped, so the table is seeded, limited in size (beyond
 * the limit entries are counted in "other") and every sum checked.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "report.h"

static const char *const by_names[_REPORT_BY_MAX] = {
        [REPORT_BY_ROUTER] = "router",
        [REPORT_BY_SERVICE] = "service",
        [REPORT_BY_PRODUCT] = "product",
        [REPORT_BY_CLIENT] = "client",
        [REPORT_BY_HOUR] = "hour",
        [REPORT_BY_DAY] = "day",
};

static const char *const by_fields[_REPORT_BY_MAX] = {
        [REPORT_BY_ROUTER] = "_HOSTNAME",
        [REPORT_BY_SERVICE] = "APPLE_SERVICE",
        [REPORT_BY_PRODUCT] = "APPLE_PRODUCT",
        [REPORT_BY_CLIENT] = "SOURCE_IP",
};

const char *report_by_name(enum report_by by) {
        return by < _REPORT_BY_MAX ? by_names[by] : NULL;
}

const char *report_by_field(enum report_by by) {
        return by < _REPORT_BY_MAX ? by_fields[by] : NULL;
}

int report_by_from_name(const char *name) {
        for (int i = 0; i < _REPORT_BY_MAX; i++)
                if (strcmp(by_names[i], name) == 0)
                        return i;
        return -EINVAL;
}

int report_new(enum report_by by, size_t groups_max, struct report **ret) {
        struct report *r;

        if (by >= _REPORT_BY_MAX || groups_max == 0 || groups_max > REPORT_GROUPS_MAX)
                return -EINVAL;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->by = by;
        r->groups_max = groups_max;
        if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) != sizeof(r->seed))
                r->seed = 0x9e3779b97f4a7c15u;
        *ret = r;
        return 0;
}

struct report *report_free(struct report *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_groups; i++)
                free(r->groups[i].key);
        free(r->groups);
        free(r->slots);
        free(r);
        return NULL;
}

/* FNV-1a from the report's random seed: keys chosen to collide in one run
 * do not collide in the next. */
static uint64_t hash_key(const struct report *r, const char *key, size_t len) {
        uint64_t h = 0xcbf29ce484222325u ^ r->seed;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char) key[i];
                h *= 0x100000001b3u;
        }
        return h ^ (h >> 29);
}

/* Keeps the table at most half full. */
static int grow_slots(struct report *r) {
        size_t n = r->n_slots ? r->n_slots * 2 : 64;
        uint32_t *s;

        if (r->n_slots >= (r->n_groups + 1) * 2)
                return 0;
        s = calloc(n, sizeof(*s));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_groups; i++) {
                size_t k = r->groups[i].hash & (n - 1);

                while (s[k] != 0)
                        k = (k + 1) & (n - 1);
                s[k] = (uint32_t) (i + 1);
        }
        free(r->slots);
        r->slots = s;
        r->n_slots = n;
        return 0;
}

/* Analyzer: gcc 12 loses the key's copy once it is stored in the group and
 * reports a leak, here and where report_merge() calls this; the report owns
 * it, and report_free() frees it. */
#ifndef __clang__
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
struct report_group *report_group(struct report *r, const char *key, size_t len, int *err) {
        uint64_t h = hash_key(r, key, len);
        struct report_group *g;
        char *copy;
        size_t k;

        *err = 0;
        if (r->n_slots > 0)
                for (k = h & (r->n_slots - 1); r->slots[k] != 0; k = (k + 1) & (r->n_slots - 1)) {
                        g = &r->groups[r->slots[k] - 1];
                        if (g->hash == h && g->key_len == len && memcmp(g->key, key, len) == 0)
                                return g;
                }
        if (r->n_groups >= r->groups_max)
                return NULL;

        if (r->n_groups == r->allocated) {
                size_t n = r->allocated ? r->allocated * 2 : 64;
                struct report_group *p = reallocarray(r->groups, n, sizeof(*p));

                if (!p)
                        goto nomem;
                r->groups = p;
                r->allocated = n;
        }
        if (grow_slots(r) < 0)
                goto nomem;

        /* The free slot first, then the copy of the key, which the group
         * owns from then on. */
        for (k = h & (r->n_slots - 1); r->slots[k] != 0; k = (k + 1) & (r->n_slots - 1))
                ;
        copy = malloc(len + 1);
        if (!copy)
                goto nomem;
        memcpy(copy, key, len);
        copy[len] = 0;
        g = &r->groups[r->n_groups];
        *g = (struct report_group) { .key = copy, .key_len = len, .hash = h };
        r->slots[k] = (uint32_t) ++r->n_groups;
        return g;
nomem:
        *err = -ENOMEM;
        return NULL;
}

int report_merge(struct report *dst, const struct report *src) {
        const struct report_problems *p = &src->problems;
        int err;

        for (size_t i = 0; i < src->n_groups; i++) {
                const struct report_group *s = &src->groups[i];
                struct report_group *g = report_group(dst, s->key, s->key_len, &err);

                if (err < 0)
                        return err;
                if (g)
                        report_counts_add(dst, &g->counts, &s->counts);
                else {
                        report_counts_add(dst, &dst->other, &s->counts);
                        dst->other_entries++;
                }
        }
        report_counts_add(dst, &dst->other, &src->other);
        report_add(dst, &dst->other_entries, src->other_entries);
        report_counts_add(dst, &dst->total, &src->total);
        report_add(dst, &dst->summaries.entries, src->summaries.entries);
        report_add(dst, &dst->summaries.connections, src->summaries.connections);
        report_add(dst, &dst->summaries.blocked, src->summaries.blocked);
        report_add(dst, &dst->summaries.bytes, src->summaries.bytes);
        report_add(dst, &dst->problems.bad_numbers, p->bad_numbers);
        report_add(dst, &dst->problems.long_keys, p->long_keys);
        report_add(dst, &dst->problems.overflows, p->overflows);
        report_add(dst, &dst->problems.damaged, p->damaged);
        report_add(dst, &dst->problems.unreadable, p->unreadable);
        report_add(dst, &dst->problems.foreign, p->foreign);
        if (src->entries > 0) {
                if (dst->entries == 0 || src->first_usec < dst->first_usec)
                        dst->first_usec = src->first_usec;
                dst->last_usec = MAX(dst->last_usec, src->last_usec);
        }
        report_add(dst, &dst->entries, src->entries);
        return 0;
}

#ifndef __clang__
#pragma GCC diagnostic pop
#endif

void report_add(struct report *r, uint64_t *sum, uint64_t add) {
        if (__builtin_add_overflow(*sum, add, sum)) {
                *sum = UINT64_MAX;
                r->problems.overflows++;
        }
}

void report_counts_add(struct report *r, struct report_counts *c, const struct report_counts *add) {
        report_add(r, &c->connections, add->connections);
        report_add(r, &c->ended, add->ended);
        report_add(r, &c->source_bytes, add->source_bytes);
        report_add(r, &c->destination_bytes, add->destination_bytes);
        report_add(r, &c->blocked, add->blocked);
        report_add(r, &c->events_lost, add->events_lost);
        report_add(r, &c->not_written, add->not_written);
        report_add(r, &c->refused, add->refused);
}

int report_parse_count(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > 20)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                if (__builtin_mul_overflow(v, 10u, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (s[i] - '0'), &v))
                        return -ERANGE;
        }
        *ret = v;
        return 0;
}

static int cmp_u64_desc(uint64_t a, uint64_t b) {
        return a > b ? -1 : a < b ? 1
                                  : 0;
}

static int cmp_key(const struct report_group *a, const struct report_group *b) {
        int c = memcmp(a->key, b->key, MIN(a->key_len, b->key_len));

        if (c != 0)
                return c;
        return a->key_len < b->key_len ? -1 : a->key_len > b->key_len ? 1
                                                                      : 0;
}

static int cmp_busiest(const void *x, const void *y) {
        const struct report_group *a = *(const struct report_group *const *) x;
        const struct report_group *b = *(const struct report_group *const *) y;
        int c;

        if ((c = cmp_u64_desc(a->counts.connections, b->counts.connections)) != 0 ||
            (c = cmp_u64_desc(a->counts.blocked, b->counts.blocked)) != 0 ||
            (c = cmp_u64_desc(report_counts_bytes(&a->counts), report_counts_bytes(&b->counts))) != 0 ||
            (c = cmp_u64_desc(report_counts_lost(&a->counts), report_counts_lost(&b->counts))) != 0)
                return c;
        return cmp_key(a, b);
}

/* Time keys are "YYYY-MM-DD[ HH:00]": their bytes sort as time does. */
static int cmp_time(const void *x, const void *y) {
        return cmp_key(*(const struct report_group *const *) x, *(const struct report_group *const *) y);
}

int report_sorted(const struct report *r, size_t top, const struct report_group ***ret, size_t *ret_n) {
        const struct report_group **v;
        size_t n = r->n_groups;

        v = calloc(MAX(n, 1u), sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                v[i] = &r->groups[i];
        qsort(v, n, sizeof(*v), cmp_busiest);
        if (top > 0 && top < n)
                n = top;
        if (report_by_time(r->by))
                qsort(v, n, sizeof(*v), cmp_time);
        *ret = v;
        *ret_n = n;
        return 0;
}

bool report_incomplete(const struct report *r) {
        const struct report_problems *p = &r->problems;

        return report_counts_lost(&r->total) > 0 || p->bad_numbers > 0 || p->overflows > 0 || p->unreadable > 0;
}
