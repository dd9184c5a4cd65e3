/* SPDX-License-Identifier: MIT */

/*
 * report's journal reading: sd-journal selects appleflowd's entries by
 * MESSAGE_ID (and the filters' fields) through the journal's own indexes,
 * so the other entries are never read, one kind at a time so that the match
 * says which kind an entry is; report-entry.c reads each entry's fields.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "message-id.h"
#include "report.h"
#include "time-util.h"

/* A field value report reads is at most this long; journald keeps longer
 * ones compressed, and reading them whole would only be cut afterwards. */
#define DATA_THRESHOLD (REPORT_KEY_MAX + 64)
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

/* "appleflowctl report: 1200000 entries, at 2026-12-05 10:00:00" on a
 * terminal, once the read takes more than a second. */
static void progress_update(struct report_progress_line *p, uint64_t entries, uint64_t usec) {
        uint64_t now, total;
        char when[32];

        if (!p->shared || entries % PROGRESS_EVERY != 0)
                return;
        total = atomic_fetch_add(&p->shared->entries, PROGRESS_EVERY) + PROGRESS_EVERY;
        if (!p->print)
                return;
        now = clock_usec(CLOCK_MONOTONIC);
        if (now < p->shared->start_usec + PROGRESS_AFTER_USEC || now < p->next_usec)
                return;
        p->next_usec = now + PROGRESS_INTERVAL_USEC;
        p->shown = true;
        fprintf(stderr, "\rappleflowctl report: %" PRIu64 " entries, at %s\033[K", total,
                report_format_time(usec, when, sizeof(when)));
}

void report_progress_end(struct report_progress_line *p) {
        if (p->shown)
                fputs("\r\033[K", stderr);
}

/* One kind's entries: the match says which kind, so MESSAGE_ID is not read. */
static int read_kind(struct report *r, sd_journal *j, enum report_kind kind, const struct report_filter *f,
                     struct report_progress_line *progress) {
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
                q = report_add_entry(r, j, kind, usec, &bucket);
                if (q < 0) {
                        fprintf(stderr, "appleflowctl: %s\n", strerror(-q));
                        return q;
                }
                if (q == 0)
                        continue; /* not appleflowd's: counted */
                if (r->entries++ == 0 || usec < r->first_usec)
                        r->first_usec = usec;
                r->last_usec = MAX(r->last_usec, usec);
                progress_update(progress, r->entries, usec);
        }
}

int report_read_file(struct report *r, const char *path, const struct report_filter *f,
                     struct report_progress_line *progress) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        const char *paths[] = { path, NULL };
        int q;

        q = sd_journal_open_files(&j, paths, 0);
        if (q == -EACCES || q == -EPERM) { /* another user's journal: the rest is read */
                fprintf(stderr, "appleflowctl: %s: %s, left out\n", path, strerror(-q));
                r->problems.unreadable++;
                return 0;
        }
        if (q < 0) {
                fprintf(stderr, "appleflowctl: %s: cannot open the journal file: %s\n", path, strerror(-q));
                return q;
        }
        q = sd_journal_set_data_threshold(j, DATA_THRESHOLD);
        if (q < 0) {
                fprintf(stderr, "appleflowctl: cannot set the journal's data threshold: %s\n", strerror(-q));
                return q;
        }
        for (enum report_kind k = 0; k < _REPORT_KIND_MAX && q >= 0; k++)
                if (report_kind_wanted(k, f))
                        q = read_kind(r, j, k, f, progress);
        return q;
}
