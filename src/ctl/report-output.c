/* SPDX-License-Identifier: MIT */

/*
 * report's output: an aligned table with totals, losses and the daemon's
 * summaries for people; JSON and CSV for scripts. Group names come from the
 * journal and may be anything: they are escaped before they are printed.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "report.h"

#define OTHER_NAME "(other)"

/* Length of the UTF-8 sequence at s[0..len), 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t len) {
        size_t n;
        uint32_t c;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        if (n > len)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
                return 0;
        return n;
}

char *report_key_escape(const char *key, size_t len, char *buf, size_t size) {
        const unsigned char *s = (const unsigned char *) key;
        size_t o = 0;

        if (size == 0)
                return buf;
        for (size_t i = 0; i < len;) {
                size_t n = utf8_sequence(s + i, len - i);

                if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\'))) {
                        if (o + 4 >= size)
                                break;
                        if (s[i] == '\\') {
                                buf[o++] = '\\';
                                buf[o++] = '\\';
                        } else
                                o += (size_t) snprintf(buf + o, size - o, "\\x%02x", s[i]);
                        i++;
                        continue;
                }
                if (o + n >= size)
                        break;
                memcpy(buf + o, s + i, n);
                o += n;
                i += n;
        }
        buf[o] = 0;
        return buf;
}

char *report_format_time(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000u);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "@%" PRIu64, usec / 1000000u);
        return buf;
}

/* Losses are shown per group when the groups are routers or times. */
static bool losses_per_group(const struct report *r) {
        return r->by == REPORT_BY_ROUTER || report_by_time(r->by);
}

static char *u64(uint64_t v, char *buf) {
        sprintf(buf, "%" PRIu64, v);
        return buf;
}

static int table_add_counts(struct table *t, const struct report *r, const char *name,
                            const struct report_counts *c) {
        char a[24], b[24], d[24], e[24], l[24];

        return table_add_row(t, name, u64(c->connections, a), u64(c->ended, b),
                             u64(report_counts_bytes(c), d), u64(c->blocked, e),
                             losses_per_group(r) ? u64(report_counts_lost(c), l) : NULL);
}

static void print_notes(const struct report *r, FILE *f) {
        const struct report_problems *p = &r->problems;
        const struct report_counts *t = &r->total;

        if (r->by == REPORT_BY_PRODUCT)
                fputs("\nA connection counts under each of its products (former names too): the rows add\n"
                      "up to more than the total.\n",
                      f);
        if (r->other_entries > 0)
                fprintf(f, "\n%s: %" PRIu64 " entries beyond the first %zu groups.\n", OTHER_NAME,
                        r->other_entries, r->groups_max);
        if (r->summaries.entries > 0)
                fprintf(f, "\nThe daemon's %" PRIu64 " summaries in the period count %" PRIu64 " connections, %" PRIu64 " blocked packets and %" PRIu64 " bytes\n"
                           "(every connection, also those not written to the journal).\n",
                        r->summaries.entries, r->summaries.connections, r->summaries.blocked,
                        r->summaries.bytes);
        if (report_counts_lost(t) > 0)
                fprintf(f, "\nIncomplete: %" PRIu64 " events lost in the kernel, %" PRIu64 " entries not written, %" PRIu64 " connections refused (conntrack table full)\n"
                           "in the period; the figures above do not include them.\n",
                        t->events_lost, t->not_written, t->refused);
        else
                fputs("\nNo losses reported in the period.\n", f);
        if (p->bad_numbers + p->long_keys + p->overflows + p->damaged > 0)
                fprintf(f, "Not understood: %" PRIu64 " counts that are not numbers, %" PRIu64 " names cut at %u bytes, %" PRIu64 " sums beyond 2^64, %" PRIu64 " damaged entries.\n",
                        p->bad_numbers, p->long_keys, REPORT_KEY_MAX, p->overflows, p->damaged);
        if (p->unreadable > 0)
                fprintf(f, "Incomplete: %" PRIu64 " journal files could not be read (see above).\n", p->unreadable);
        if (p->foreign > 0)
                fprintf(f, "Left out: %" PRIu64 " entries with appleflowd's MESSAGE_IDs from another program.\n",
                        p->foreign);
}

static int print_table(const struct report *r, const struct report_period *p,
                       const struct report_group *const *v, size_t n, FILE *f) {
        _cleanup_(table_freep) struct table *t = NULL;
        char name[REPORT_KEY_MAX * 4 + 1], first[32], last[32], upper[16];
        const char *by = report_by_name(r->by);
        size_t i;
        int q;

        for (i = 0; by[i] && i + 1 < sizeof(upper); i++)
                upper[i] = (char) (by[i] - 'a' + 'A');
        upper[i] = 0;
        t = losses_per_group(r) ? table_new(upper, "CONNECTIONS", "ENDED", "BYTES", "BLOCKED", "LOST", NULL)
                                : table_new(upper, "CONNECTIONS", "ENDED", "BYTES", "BLOCKED", NULL);
        if (!t)
                return -ENOMEM;
        for (unsigned c = 1; c <= 5; c++)
                table_align_right(t, c);
        for (i = 0; i < n; i++) {
                q = table_add_counts(t, r, report_key_escape(v[i]->key, v[i]->key_len, name, sizeof(name)),
                                     &v[i]->counts);
                if (q < 0)
                        return q;
        }
        if (r->other_entries > 0 && (q = table_add_counts(t, r, OTHER_NAME, &r->other)) < 0)
                return q;
        if ((q = table_add_counts(t, r, "total", &r->total)) < 0)
                return q;

        if (r->entries == 0)
                fputs("No entries of appleflowd in the period.\n", f);
        else
                fprintf(f, "%" PRIu64 " entries of appleflowd, %s to %s\n", r->entries,
                        report_format_time(r->first_usec, first, sizeof(first)),
                        report_format_time(r->last_usec, last, sizeof(last)));
        if (n + (r->other_entries > 0) < r->n_groups + (r->other_entries > 0))
                fprintf(f, "The %zu busiest of %zu groups:\n", n, r->n_groups);
        fputc('\n', f);
        table_print(t, f);
        print_notes(r, f);
        return 0;
}

static struct json_object *counts_json(const struct report *r, const struct report_counts *c) {
        struct json_object *o = json_object_new_object();

        if (!o || json_add(o, "connections", json_object_new_uint64(c->connections)) < 0 ||
            json_add(o, "ended", json_object_new_uint64(c->ended)) < 0 ||
            json_add(o, "bytes", json_object_new_uint64(report_counts_bytes(c))) < 0 ||
            json_add(o, "source_bytes", json_object_new_uint64(c->source_bytes)) < 0 ||
            json_add(o, "destination_bytes", json_object_new_uint64(c->destination_bytes)) < 0 ||
            json_add(o, "blocked_packets", json_object_new_uint64(c->blocked)) < 0)
                goto fail;
        if (losses_per_group(r) &&
            (json_add(o, "events_lost", json_object_new_uint64(c->events_lost)) < 0 ||
             json_add(o, "entries_not_written", json_object_new_uint64(c->not_written)) < 0 ||
             json_add(o, "connections_refused", json_object_new_uint64(c->refused)) < 0))
                goto fail;
        return o;
fail:
        json_object_put(o);
        return NULL;
}

/* key: usec, or null when the time is open or unknown. */
static int add_usec(struct json_object *o, const char *key, uint64_t usec, bool set) {
        if (!set)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return json_add(o, key, json_object_new_uint64(usec));
}

static int print_json(const struct report *r, const struct report_period *p,
                      const struct report_group *const *v, size_t n, FILE *f) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *groups, *g, *x;
        const struct report_problems *pr = &r->problems;
        char name[REPORT_KEY_MAX * 4 + 1];

        if (!o || json_add_string(o, "by", report_by_name(r->by)) < 0 ||
            json_add(o, "entries", json_object_new_uint64(r->entries)) < 0 ||
            add_usec(o, "since_usec", p->since_usec, p->since_usec > 0) < 0 ||
            add_usec(o, "until_usec", p->until_usec, p->until_usec != UINT64_MAX) < 0 ||
            add_usec(o, "first_usec", r->first_usec, r->entries > 0) < 0 ||
            add_usec(o, "last_usec", r->last_usec, r->entries > 0) < 0)
                return -ENOMEM;
        groups = json_object_new_array();
        if (json_add(o, "groups", groups) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                g = counts_json(r, &v[i]->counts);
                if (!g || json_append(groups, g) < 0)
                        return -ENOMEM;
                x = v[i]->key_len > 0
                            ? json_object_new_string(report_key_escape(v[i]->key, v[i]->key_len, name, sizeof(name)))
                            : NULL;
                if (v[i]->key_len > 0 && !x)
                        return -ENOMEM;
                if (json_object_object_add(g, report_by_name(r->by), x) < 0)
                        return -ENOMEM;
        }
        if (r->other_entries > 0) {
                g = counts_json(r, &r->other);
                if (json_add(o, "other", g) < 0 ||
                    json_add(g, "entries", json_object_new_uint64(r->other_entries)) < 0)
                        return -ENOMEM;
        } else if (json_object_object_add(o, "other", NULL) < 0)
                return -ENOMEM;
        if (json_add(o, "total", counts_json(r, &r->total)) < 0)
                return -ENOMEM;

        x = json_object_new_object();
        if (json_add(o, "losses", x) < 0 ||
            json_add(x, "events_lost", json_object_new_uint64(r->total.events_lost)) < 0 ||
            json_add(x, "entries_not_written", json_object_new_uint64(r->total.not_written)) < 0 ||
            json_add(x, "connections_refused", json_object_new_uint64(r->total.refused)) < 0)
                return -ENOMEM;
        x = json_object_new_object();
        if (json_add(o, "summaries", x) < 0 ||
            json_add(x, "entries", json_object_new_uint64(r->summaries.entries)) < 0 ||
            json_add(x, "connections", json_object_new_uint64(r->summaries.connections)) < 0 ||
            json_add(x, "blocked_packets", json_object_new_uint64(r->summaries.blocked)) < 0 ||
            json_add(x, "bytes", json_object_new_uint64(r->summaries.bytes)) < 0)
                return -ENOMEM;
        x = json_object_new_object();
        if (json_add(o, "problems", x) < 0 ||
            json_add(x, "bad_numbers", json_object_new_uint64(pr->bad_numbers)) < 0 ||
            json_add(x, "long_values", json_object_new_uint64(pr->long_keys)) < 0 ||
            json_add(x, "overflows", json_object_new_uint64(pr->overflows)) < 0 ||
            json_add(x, "damaged_entries", json_object_new_uint64(pr->damaged)) < 0 ||
            json_add(x, "foreign_entries", json_object_new_uint64(pr->foreign)) < 0 ||
            json_add(x, "unreadable_files", json_object_new_uint64(pr->unreadable)) < 0)
                return -ENOMEM;
        if (json_add_bool(o, "complete", !report_incomplete(r)) < 0)
                return -ENOMEM;
        return json_print(o, f);
}

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void csv_field(const char *s, FILE *f) {
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

static void csv_counts(const struct report *r, const char *name, const struct report_counts *c, FILE *f) {
        csv_field(name, f);
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, c->connections,
                c->ended, report_counts_bytes(c), c->source_bytes, c->destination_bytes, c->blocked);
        if (losses_per_group(r))
                fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, c->events_lost, c->not_written, c->refused);
        fputs("\r\n", f);
}

/* The groups only (and "(other)"); totals and losses are in the JSON, and
 * losses also on stderr. */
static int print_csv(const struct report *r, const struct report_group *const *v, size_t n, FILE *f) {
        char name[REPORT_KEY_MAX * 4 + 1];

        fprintf(f, "%s,connections,ended,bytes,source_bytes,destination_bytes,blocked_packets%s\r\n",
                report_by_name(r->by), losses_per_group(r) ? ",events_lost,entries_not_written,connections_refused" : "");
        for (size_t i = 0; i < n; i++)
                csv_counts(r, report_key_escape(v[i]->key, v[i]->key_len, name, sizeof(name)), &v[i]->counts, f);
        if (r->other_entries > 0)
                csv_counts(r, OTHER_NAME, &r->other, f);
        if (report_counts_lost(&r->total) > 0)
                fprintf(stderr, "appleflowctl: incomplete: %" PRIu64 " events lost, %" PRIu64 " entries not written, %" PRIu64 " connections refused in the period\n",
                        r->total.events_lost, r->total.not_written, r->total.refused);
        return 0;
}

int report_print(const struct report *r, const struct report_period *p, size_t top,
                 enum report_format format, FILE *f) {
        _cleanup_free_ const struct report_group **v = NULL;
        size_t n;
        int q;

        q = report_sorted(r, top, &v, &n);
        if (q < 0)
                return q;
        switch (format) {
        case REPORT_FORMAT_JSON:
                return print_json(r, p, v, n, f);
        case REPORT_FORMAT_CSV:
                return print_csv(r, v, n, f);
        default:
                return print_table(r, p, v, n, f);
        }
}
