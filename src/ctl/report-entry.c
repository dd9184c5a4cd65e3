/* SPDX-License-Identifier: MIT */

/*
 * One journal entry into the report: its fields are read in one walk over
 * the entry (sd_journal_enumerate_data()), taking only those the report
 * needs: SYSLOG_IDENTIFIER, the field grouped on, and the counts of its
 * kind. sd_journal_get_data() walks the entry from its start for each field
 * it is asked for, and the counts (SOURCE_BYTES, …), whose values are new in
 * every entry, come last: one walk costs half as much. Every value is
 * checked: missing fields, numbers that are not numbers, values too long.
 */

#include <errno.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "report.h"
#include "text-util.h"

/* Products one entry may count under before the rest are counted without
 * looking for repeats (appleflowd writes at most a dozen). */
#define ENTRY_PRODUCTS_MAX 64
#define COUNTS_MAX 3

struct field {
        const char *prefix; /* "NAME=" */
        size_t len;
};
#define FIELD(s) \
        { s, sizeof(s) - 1 }

static const struct field syslog_identifier = FIELD("SYSLOG_IDENTIFIER=");
static const struct field apple_product = FIELD("APPLE_PRODUCT=");
static const struct field group_fields[_REPORT_BY_MAX] = {
        [REPORT_BY_ROUTER] = FIELD("_HOSTNAME="),
        [REPORT_BY_SERVICE] = FIELD("APPLE_SERVICE="),
        [REPORT_BY_CLIENT] = FIELD("SOURCE_IP="),
};
/* The count fields of each kind, in the order of struct entry's counts[]. */
static const struct field count_fields[_REPORT_KIND_MAX][COUNTS_MAX] = {
        [REPORT_KIND_CONNECTION_END] = { FIELD("SOURCE_BYTES="), FIELD("DESTINATION_BYTES=") },
        [REPORT_KIND_SUMMARY] = { FIELD("SUMMARY_CONNECTIONS="), FIELD("SUMMARY_BLOCKED_PACKETS="),
                                  FIELD("SUMMARY_BYTES=") },
        [REPORT_KIND_EVENTS_LOST] = { FIELD("EVENTS_LOST=") },
        [REPORT_KIND_NOT_WRITTEN] = { FIELD("ENTRIES_DROPPED=") },
        [REPORT_KIND_TABLE_FULL] = { FIELD("CONNTRACK_REFUSED=") },
};

/* What the walk found. Values are copied or parsed at once: the data
 * sd-journal returns is valid only until its next call. */
struct entry {
        bool appleflowd;
        bool has_key;
        char key[REPORT_KEY_MAX];
        size_t key_len;
        uint64_t counts[COUNTS_MAX];
        bool has_count[COUNTS_MAX];
        /* --by product: the groups, by index (SIZE_MAX: "other") */
        size_t products[ENTRY_PRODUCTS_MAX];
        size_t n_products, n_other_products;
};

static bool has_prefix(const char *d, size_t len, const struct field *f) {
        return f->prefix && len >= f->len && memcmp(d, f->prefix, f->len) == 0;
}

/* The group of key[0..len) by index, SIZE_MAX for "other". */
static int find_group(struct report *r, const char *key, size_t len, size_t *ret) {
        struct report_group *g;
        int err;

        if (len > REPORT_KEY_MAX) {
                len = REPORT_KEY_MAX;
                r->problems.long_keys++;
        }
        g = report_group(r, key, len, &err);
        if (err < 0)
                return err;
        *ret = g ? (size_t) (g - r->groups) : SIZE_MAX;
        return 0;
}

static int add_product(struct report *r, struct entry *e, const char *v, size_t len) {
        size_t i;
        int q;

        q = find_group(r, v, len, &i);
        if (q < 0)
                return q;
        if (i == SIZE_MAX) {
                e->n_other_products++;
                return 0;
        }
        for (size_t k = 0; k < e->n_products; k++)
                if (e->products[k] == i)
                        return 0; /* a product written twice counts once */
        if (e->n_products < ENTRY_PRODUCTS_MAX)
                e->products[e->n_products++] = i;
        else
                e->n_other_products++;
        return 0;
}

/* One walk over the entry's fields into e. Stops once it has every field
 * it looks for, except for products, which may be repeated. */
static int walk(struct report *r, sd_journal *j, enum report_kind kind, struct entry *e) {
        const struct field *group = &group_fields[r->by];
        const struct field *counts = count_fields[kind];
        bool products = r->by == REPORT_BY_PRODUCT && kind <= REPORT_KIND_PACKET_LOGGED;
        bool want_key = group->prefix && kind != REPORT_KIND_SUMMARY;
        size_t n_counts = 0, found_counts = 0;
        bool found_syslog = false;
        const void *data;
        size_t len;
        int q;

        while (n_counts < COUNTS_MAX && counts[n_counts].prefix)
                n_counts++;
        sd_journal_restart_data(j);
        while ((q = sd_journal_enumerate_data(j, &data, &len)) > 0) {
                const char *d = data;

                if (!found_syslog && has_prefix(d, len, &syslog_identifier)) {
                        found_syslog = true;
                        e->appleflowd = memeq_str(d + syslog_identifier.len, len - syslog_identifier.len,
                                                  "appleflowd");
                } else if (want_key && !e->has_key && has_prefix(d, len, group)) {
                        size_t n = len - group->len;

                        if (n > REPORT_KEY_MAX) {
                                n = REPORT_KEY_MAX;
                                r->problems.long_keys++;
                        }
                        memcpy(e->key, d + group->len, n);
                        e->key_len = n;
                        e->has_key = true;
                } else if (products && has_prefix(d, len, &apple_product)) {
                        q = add_product(r, e, d + apple_product.len, len - apple_product.len);
                        if (q < 0)
                                return q;
                } else
                        for (size_t i = 0; i < n_counts; i++)
                                if (!e->has_count[i] && has_prefix(d, len, &counts[i])) {
                                        e->has_count[i] = true;
                                        found_counts++;
                                        if (report_parse_count(d + counts[i].len, len - counts[i].len,
                                                               &e->counts[i]) < 0) {
                                                r->problems.bad_numbers++;
                                                e->counts[i] = 0;
                                        }
                                        break;
                                }
                if (found_syslog && (!want_key || e->has_key) && !products && found_counts == n_counts)
                        break;
        }
        if (q < 0)
                r->problems.damaged++; /* what it had is counted */
        return 0;
}

static void count_in(struct report *r, size_t i, const struct report_counts *add) {
        if (i != SIZE_MAX) {
                report_counts_add(r, &r->groups[i].counts, add);
                return;
        }
        report_counts_add(r, &r->other, add);
        r->other_entries++;
}

int report_add_entry(struct report *r, sd_journal *j, enum report_kind kind, uint64_t usec,
                     struct report_time_bucket *bucket) {
        struct report_counts add = {};
        struct entry e = {};
        const char *key;
        size_t len, i;
        int q;

        q = walk(r, j, kind, &e);
        if (q < 0)
                return q;
        if (!e.appleflowd) {
                r->problems.foreign++;
                return 0;
        }

        switch (kind) {
        case REPORT_KIND_CONNECTION:
                add.connections = 1;
                break;
        case REPORT_KIND_CONNECTION_END:
                add.ended = 1;
                add.source_bytes = e.counts[0];
                add.destination_bytes = e.counts[1];
                break;
        case REPORT_KIND_PACKET_LOGGED:
                add.blocked = 1;
                break;
        case REPORT_KIND_SUMMARY:
                r->summaries.entries++;
                report_add(r, &r->summaries.connections, e.counts[0]);
                report_add(r, &r->summaries.blocked, e.counts[1]);
                report_add(r, &r->summaries.bytes, e.counts[2]);
                return 1;
        case REPORT_KIND_EVENTS_LOST:
                add.events_lost = e.counts[0];
                break;
        case REPORT_KIND_NOT_WRITTEN:
                add.not_written = e.counts[0];
                break;
        case REPORT_KIND_TABLE_FULL:
                add.refused = e.counts[0];
                break;
        default:
                return -EINVAL;
        }
        report_counts_add(r, &r->total, &add);

        /* Losses name no service, product or client: they count in the
         * total only, or in their router's or time's group. */
        if (kind >= REPORT_KIND_EVENTS_LOST && !(r->by == REPORT_BY_ROUTER || report_by_time(r->by)))
                return 1;

        if (r->by == REPORT_BY_PRODUCT) {
                for (size_t k = 0; k < e.n_products; k++)
                        count_in(r, e.products[k], &add);
                for (size_t k = 0; k < e.n_other_products; k++)
                        count_in(r, SIZE_MAX, &add);
                if (e.n_products + e.n_other_products > 0)
                        return 1;
                key = "", len = 0; /* an entry without products: the "-" row */
        } else if (report_by_time(r->by))
                key = report_time_key(bucket, usec, r->by, &len);
        else
                key = e.key, len = e.key_len; /* empty when missing: the "-" row */
        q = find_group(r, key, len, &i);
        if (q < 0)
                return q;
        count_in(r, i, &add);
        return 1;
}
