/* SPDX-License-Identifier: MIT */

/*
 * report's journal reading: sd-journal selects appleflowd's entries by
 * MESSAGE_ID and SYSLOG_IDENTIFIER through the journal's own indexes (the
 * other entries are never read), one kind at a time so that the match says
 * which kind an entry is, and of each entry only the fields the report
 * needs are read. Every value is checked: missing fields, numbers
 * that are not numbers, values too long.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "message-id.h"
#include "report.h"
#include "text-util.h"

/* A field value report reads is at most this long; journald keeps longer
 * ones compressed, and reading them whole would only be cut afterwards. */
#define DATA_THRESHOLD (REPORT_KEY_MAX + 64)
/* Products one entry may count under before the rest are counted without
 * looking for repeats (appleflowd writes at most a dozen). */
#define ENTRY_PRODUCTS_MAX 64
#define PROGRESS_EVERY 8192            /* entries between looks at the clock */
#define PROGRESS_AFTER_USEC 1000000ull /* no progress line for a quick read */
#define PROGRESS_INTERVAL_USEC 200000ull

static const char *const kind_ids[_REPORT_KIND_MAX] = {
        [REPORT_KIND_CONNECTION] = MESSAGE_ID_CONNECTION_STR,
        [REPORT_KIND_CONNECTION_END] = MESSAGE_ID_CONNECTION_END_STR,
        [REPORT_KIND_PACKET_LOGGED] = MESSAGE_ID_PACKET_LOGGED_STR,
        [REPORT_KIND_SUMMARY] = MESSAGE_ID_SUMMARY_STR,
        [REPORT_KIND_EVENTS_LOST] = MESSAGE_ID_EVENTS_LOST_STR,
        [REPORT_KIND_NOT_WRITTEN] = MESSAGE_ID_NOT_WRITTEN_STR,
        [REPORT_KIND_TABLE_FULL] = MESSAGE_ID_TABLE_FULL_STR,
};

/* The value of field in the current entry; -ENOENT when it has none. */
static int get_field(sd_journal *j, const char *field, const char **ret, size_t *ret_len) {
        size_t prefix = strlen(field) + 1;
        const void *data;
        size_t len;
        int r;

        r = sd_journal_get_data(j, field, &data, &len);
        if (r < 0)
                return r;
        if (len < prefix) /* sd-journal checked "FIELD=", but be sure */
                return -EBADMSG;
        *ret = (const char *) data + prefix;
        *ret_len = len - prefix;
        return 0;
}

/* A count field: absent is 0; not a number is counted and taken as 0. */
static uint64_t get_count(struct report *r, sd_journal *j, const char *field) {
        const char *v;
        size_t len;
        uint64_t n;

        if (get_field(j, field, &v, &len) < 0)
                return 0;
        if (report_parse_count(v, len, &n) < 0) {
                r->problems.bad_numbers++;
                return 0;
        }
        return n;
}

/* The group of key[0..len) in *ret, NULL for "other" (too many groups). */
static int find_group(struct report *r, const char *key, size_t len, struct report_group **ret) {
        int err;

        if (len > REPORT_KEY_MAX) {
                len = REPORT_KEY_MAX;
                r->problems.long_keys++;
        }
        *ret = report_group(r, key, len, &err);
        return err;
}

static void count_in(struct report *r, struct report_group *g, const struct report_counts *add) {
        if (g) {
                report_counts_add(r, &g->counts, add);
                return;
        }
        report_counts_add(r, &r->other, add);
        r->other_entries++;
}

static int add_to_group(struct report *r, const char *key, size_t len, const struct report_counts *add) {
        struct report_group *g;
        int q;

        q = find_group(r, key, len, &g);
        if (q < 0)
                return q;
        count_in(r, g, add);
        return 0;
}

/* Counts the entry under each of its APPLE_PRODUCT values, once each. */
static int add_to_products(struct report *r, sd_journal *j, const struct report_counts *add) {
        static const char prefix[] = "APPLE_PRODUCT=";
        const size_t plen = sizeof(prefix) - 1;
        size_t seen[ENTRY_PRODUCTS_MAX], n_seen = 0, n = 0;
        const void *data;
        size_t len;
        int q;

        sd_journal_restart_data(j);
        while ((q = sd_journal_enumerate_data(j, &data, &len)) > 0) {
                struct report_group *g;
                bool repeat = false;
                size_t i;

                if (len < plen || memcmp(data, prefix, plen) != 0)
                        continue;
                q = find_group(r, (const char *) data + plen, len - plen, &g);
                if (q < 0)
                        return q;
                n++;
                if (g) { /* a product written twice in one entry counts once */
                        i = (size_t) (g - r->groups);
                        for (size_t k = 0; k < n_seen && !repeat; k++)
                                repeat = seen[k] == i;
                        if (repeat)
                                continue;
                        if (n_seen < ENTRY_PRODUCTS_MAX)
                                seen[n_seen++] = i;
                }
                count_in(r, g, add);
        }
        if (q < 0)
                r->problems.damaged++; /* a damaged entry: what it had is counted */
        if (n == 0)
                return add_to_group(r, "", 0, add);
        return 0;
}

static int add_entry(struct report *r, sd_journal *j, enum report_kind kind, uint64_t usec,
                     struct report_time_bucket *bucket) {
        struct report_counts add = {};
        const char *field, *key;
        size_t len;

        switch (kind) {
        case REPORT_KIND_CONNECTION:
                add.connections = 1;
                break;
        case REPORT_KIND_CONNECTION_END:
                add.ended = 1;
                add.source_bytes = get_count(r, j, "SOURCE_BYTES");
                add.destination_bytes = get_count(r, j, "DESTINATION_BYTES");
                break;
        case REPORT_KIND_PACKET_LOGGED:
                add.blocked = 1;
                break;
        case REPORT_KIND_SUMMARY:
                r->summaries.entries++;
                report_add(r, &r->summaries.connections, get_count(r, j, "SUMMARY_CONNECTIONS"));
                report_add(r, &r->summaries.blocked, get_count(r, j, "SUMMARY_BLOCKED_PACKETS"));
                report_add(r, &r->summaries.bytes, get_count(r, j, "SUMMARY_BYTES"));
                return 0;
        case REPORT_KIND_EVENTS_LOST:
                add.events_lost = get_count(r, j, "EVENTS_LOST");
                break;
        case REPORT_KIND_NOT_WRITTEN:
                add.not_written = get_count(r, j, "ENTRIES_DROPPED");
                break;
        case REPORT_KIND_TABLE_FULL:
                add.refused = get_count(r, j, "CONNTRACK_REFUSED");
                break;
        default:
                r->problems.damaged++;
                return 0;
        }
        report_counts_add(r, &r->total, &add);

        /* Losses name no service, product or client: they count in the
         * total only, or in their router's or time's group. */
        bool loss = kind >= REPORT_KIND_EVENTS_LOST;
        if (loss && !(r->by == REPORT_BY_ROUTER || report_by_time(r->by)))
                return 0;

        if (report_by_time(r->by)) {
                key = report_time_key(bucket, usec, r->by, &len);
                return add_to_group(r, key, len, &add);
        }
        if (r->by == REPORT_BY_PRODUCT)
                return add_to_products(r, j, &add);
        field = report_by_field(r->by);
        if (get_field(j, field, &key, &len) < 0) {
                key = "";
                len = 0;
        }
        return add_to_group(r, key, len, &add);
}

static int add_match(sd_journal *j, const char *field, const char *value) {
        _cleanup_free_ char *m = NULL;
        int n;

        n = asprintf(&m, "%s=%s", field, value);
        if (n < 0)
                return -ENOMEM;
        return sd_journal_add_match(j, m, (size_t) n);
}

static int add_matches(sd_journal *j, const char *field, char **values, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = add_match(j, field, values[i]);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* The entries of one kind that pass the filters the kind carries fields
 * for: losses name no service, product or client (and are never filtered
 * away by them, since what is lost may be of any), summaries no client.
 * SYSLOG_IDENTIFIER is checked on each entry rather than matched: a second
 * match term doubles what sd_journal_next() costs, a read costs a quarter. */
static int set_matches(sd_journal *j, enum report_kind kind, const struct report_filter *f) {
        bool traffic = kind <= REPORT_KIND_PACKET_LOGGED;
        int r;

        sd_journal_flush_matches(j);
        r = add_match(j, "MESSAGE_ID", kind_ids[kind]);
        if (r >= 0)
                r = add_matches(j, "_HOSTNAME", f->routers, f->n_routers);
        if (r >= 0 && (traffic || kind == REPORT_KIND_SUMMARY))
                r = add_matches(j, "APPLE_SERVICE", f->services, f->n_services);
        if (r >= 0 && (traffic || kind == REPORT_KIND_SUMMARY))
                r = add_matches(j, "APPLE_PRODUCT", f->products, f->n_products);
        if (r >= 0 && traffic)
                r = add_matches(j, "SOURCE_IP", f->clients, f->n_clients);
        return r;
}

bool report_kind_wanted(enum report_kind kind, const struct report_filter *f) {
        if (f->blocked)
                return kind == REPORT_KIND_PACKET_LOGGED || kind >= REPORT_KIND_EVENTS_LOST;
        if (kind == REPORT_KIND_SUMMARY)
                return f->n_clients == 0;
        return true;
}

static int open_journal(sd_journal **j, const struct report_source *src) {
        int r;

        if (src->directory) {
                r = sd_journal_open_directory(j, src->directory, 0);
                if (r < 0)
                        fprintf(stderr, "appleflowctl: %s: cannot open the journal directory: %s\n",
                                src->directory, strerror(-r));
        } else if (src->n_files > 0) {
                r = sd_journal_open_files(j, (const char **) src->files, 0);
                if (r < 0)
                        fprintf(stderr, "appleflowctl: cannot open the journal files (%s%s): %s\n",
                                src->files[0], src->n_files > 1 ? ", …" : "", strerror(-r));
        } else {
                r = sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY);
                if (r < 0)
                        fprintf(stderr, "appleflowctl: cannot open the journal: %s\n", strerror(-r));
        }
        return r;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000;
}

/* "appleflowctl report: 1200000 entries, at 2026-12-05 10:00:00" on a
 * terminal, once the read takes more than a second. */
struct progress_line {
        struct report_progress *shared;
        bool print, shown;
        uint64_t next_usec;
};

static void progress_update(struct progress_line *p, uint64_t entries, uint64_t usec) {
        uint64_t now, total;
        char when[32];

        if (!p->shared || entries % PROGRESS_EVERY != 0)
                return;
        total = atomic_fetch_add(&p->shared->entries, PROGRESS_EVERY) + PROGRESS_EVERY;
        if (!p->print)
                return;
        now = now_usec();
        if (now < p->shared->start_usec + PROGRESS_AFTER_USEC || now < p->next_usec)
                return;
        p->next_usec = now + PROGRESS_INTERVAL_USEC;
        p->shown = true;
        fprintf(stderr, "\rappleflowctl report: %" PRIu64 " entries, at %s\033[K", total,
                report_format_time(usec, when, sizeof(when)));
}

static void progress_end(struct progress_line *p) {
        if (p->shown)
                fputs("\r\033[K", stderr);
}

/* Whether the entry is appleflowd's: anyone may log with its MESSAGE_IDs. */
static bool from_appleflowd(sd_journal *j) {
        const char *v;
        size_t len;

        return get_field(j, "SYSLOG_IDENTIFIER", &v, &len) >= 0 && memeq_str(v, len, "appleflowd");
}

/* One kind's entries: the match says which kind, so MESSAGE_ID is not read. */
static int read_kind(struct report *r, sd_journal *j, enum report_kind kind, const struct report_filter *f,
                     struct progress_line *progress) {
        struct report_time_bucket bucket = {};
        int q;

        q = set_matches(j, kind, f);
        if (q < 0) {
                fprintf(stderr, "appleflowctl: cannot select the journal entries: %s\n", strerror(-q));
                return q;
        }
        if (f->period.since_usec > 0)
                q = sd_journal_seek_realtime_usec(j, f->period.since_usec);
        else
                q = sd_journal_seek_head(j);
        if (q < 0) {
                fprintf(stderr, "appleflowctl: cannot seek in the journal: %s\n", strerror(-q));
                return q;
        }

        for (;;) {
                uint64_t usec;

                q = sd_journal_next(j);
                if (q < 0) {
                        fprintf(stderr, "appleflowctl: reading the journal failed: %s\n", strerror(-q));
                        return q;
                }
                if (q == 0)
                        return 0;
                q = sd_journal_get_realtime_usec(j, &usec);
                if (q < 0) {
                        r->problems.damaged++;
                        continue;
                }
                if (usec < f->period.since_usec)
                        continue;
                if (usec > f->period.until_usec)
                        return 0; /* as journalctl --until does */
                if (!from_appleflowd(j)) {
                        r->problems.foreign++;
                        continue;
                }
                q = add_entry(r, j, kind, usec, &bucket);
                if (q < 0) {
                        fprintf(stderr, "appleflowctl: %s\n", strerror(-q));
                        return q;
                }
                if (r->entries++ == 0 || usec < r->first_usec)
                        r->first_usec = usec;
                r->last_usec = MAX(r->last_usec, usec);
                progress_update(progress, r->entries, usec);
        }
}

int report_read_kinds(struct report *r, const struct report_source *src, const struct report_filter *f,
                      unsigned kinds, struct report_progress *progress, bool print) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        struct progress_line line = { .shared = progress, .print = print };
        int q;

        q = open_journal(&j, src);
        if (q < 0)
                return q;
        q = sd_journal_set_data_threshold(j, DATA_THRESHOLD);
        if (q < 0) {
                fprintf(stderr, "appleflowctl: cannot set the journal's data threshold: %s\n", strerror(-q));
                return q;
        }
        for (enum report_kind k = 0; k < _REPORT_KIND_MAX && q >= 0; k++)
                if (kinds & (1u << k) && report_kind_wanted(k, f))
                        q = read_kind(r, j, k, f, &line);
        progress_end(&line);
        return q;
}
