/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * appleflowctl report: what appleflowd's journal entries add up to over a
 * period, grouped by router, service, product, client or time. The journal
 * reading (report-read.c), the groups (report-groups.c), the time syntax
 * (report-time.c) and the output (report-output.c) meet here.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* A group's name is a journal field's value: longer ones are cut here and
 * counted. journald allows far more, but no field report groups on needs it. */
#define REPORT_KEY_MAX 256
/* Distinct groups kept; the rest go to one "other" row, counted. */
#define REPORT_GROUPS_MAX 100000u

enum report_by {
        REPORT_BY_ROUTER,
        REPORT_BY_SERVICE,
        REPORT_BY_PRODUCT,
        REPORT_BY_CLIENT,
        REPORT_BY_HOUR,
        REPORT_BY_DAY,
        _REPORT_BY_MAX,
};

/* "router", "service", …; report_by_from_name() gives -EINVAL for others. */
const char *report_by_name(enum report_by by);
int report_by_from_name(const char *name);
/* The journal field a grouping reads, NULL for the time groupings. */
const char *report_by_field(enum report_by by);
static inline bool report_by_time(enum report_by by) {
        return by == REPORT_BY_HOUR || by == REPORT_BY_DAY;
}

/* What the entries of one group add up to. */
struct report_counts {
        uint64_t connections;       /* connection-new entries */
        uint64_t ended;             /* connection-end entries */
        uint64_t source_bytes;      /* their SOURCE_BYTES */
        uint64_t destination_bytes; /* their DESTINATION_BYTES */
        uint64_t blocked;           /* packet-logged entries */
        /* Losses, attributed to a group when the grouping is by router or
         * time (the loss entries name no service, product or client). */
        uint64_t events_lost; /* EVENTS_LOST of events-lost entries */
        uint64_t not_written; /* ENTRIES_DROPPED of entries-not-written entries */
        uint64_t refused;     /* CONNTRACK_REFUSED of connections-refused entries */
};

/* Sums that stop at 2^64-1 rather than wrap (the parts may be hostile). */
static inline uint64_t report_sum(uint64_t a, uint64_t b) {
        uint64_t s;

        return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}
static inline uint64_t report_counts_bytes(const struct report_counts *c) {
        return report_sum(c->source_bytes, c->destination_bytes);
}
static inline uint64_t report_counts_lost(const struct report_counts *c) {
        return report_sum(report_sum(c->events_lost, c->not_written), c->refused);
}

struct report_group {
        char *key; /* the field's bytes, NUL-terminated, maybe not UTF-8 */
        size_t key_len;
        uint64_t hash;
        struct report_counts counts;
};

/* The daemon's periodic summaries in the period: its own counts, which
 * include what it counted but did not write (low confidence, losses). */
struct report_summaries {
        uint64_t entries;
        uint64_t connections; /* SUMMARY_CONNECTIONS */
        uint64_t blocked;     /* SUMMARY_BLOCKED_PACKETS */
        uint64_t bytes;       /* SUMMARY_BYTES */
};

/* Entries and values that were not what appleflowd writes: counted, never
 * silently left out. */
struct report_problems {
        uint64_t bad_numbers; /* a count field that is not a decimal number */
        uint64_t long_keys;   /* a group's value longer than REPORT_KEY_MAX, cut */
        uint64_t overflows;   /* a sum that would pass 2^64-1, kept at the maximum */
        uint64_t damaged;     /* an entry sd-journal could not read whole */
        uint64_t unreadable;  /* journal files that could not be opened: left out */
        uint64_t foreign;     /* appleflowd's MESSAGE_ID, another SYSLOG_IDENTIFIER: left out */
};

struct report {
        enum report_by by;
        size_t groups_max;
        struct report_group *groups; /* n_groups used, in insertion order */
        size_t n_groups, allocated;
        uint32_t *slots; /* open addressing: index + 1, 0 free */
        size_t n_slots;
        uint64_t seed; /* of the slots' hash: each report's own, so two reading threads share nothing */

        struct report_counts other; /* entries of groups beyond groups_max */
        uint64_t other_entries;
        struct report_counts total; /* every entry once, whatever its groups */
        struct report_summaries summaries;
        struct report_problems problems;
        uint64_t entries;               /* entries read */
        uint64_t first_usec, last_usec; /* realtime of the first and last entry read */
};

int report_new(enum report_by by, size_t groups_max, struct report **ret);
struct report *report_free(struct report *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct report *, report_free);

/* The group of key[0..len), made on first use; NULL when groups_max is
 * reached (the caller counts into r->other) or memory ran out (*err set). */
struct report_group *report_group(struct report *r, const char *key, size_t len, int *err);

/* Adds everything src counted into dst (groups by name; beyond dst's limit
 * into its "other"). */
int report_merge(struct report *dst, const struct report *src);

/* Adds add to *sum, keeping 2^64-1 on overflow (counted). */
void report_add(struct report *r, uint64_t *sum, uint64_t add);
/* Adds every counter of add to c. */
void report_counts_add(struct report *r, struct report_counts *c, const struct report_counts *add);
/* Parses a count field: decimal digits only, at most 2^64-1. */
int report_parse_count(const char *s, size_t len, uint64_t *ret);

/* The groups busiest first (connections, then blocked packets, then bytes,
 * then the name); the time groupings in time order. top > 0 keeps the top
 * busiest (still printed in time order for hour and day). Returns pointers
 * into r, valid until r changes; *ret_n their number. */
int report_sorted(const struct report *r, size_t top, const struct report_group ***ret, size_t *ret_n);

/* Whether the losses or the problems make the figures incomplete. */
bool report_incomplete(const struct report *r);

/* Output (report-output.c). */
enum report_format {
        REPORT_FORMAT_TABLE,
        REPORT_FORMAT_JSON,
        REPORT_FORMAT_CSV,
};

struct report_period {
        uint64_t since_usec, until_usec; /* 0, UINT64_MAX: open */
};

int report_print(const struct report *r, const struct report_period *p, size_t top,
                 enum report_format format, FILE *f);
/* key[0..len) made printable: valid UTF-8 kept, control characters and
 * bytes that are not UTF-8 as \xNN. Returns buf (NUL-terminated, cut to size). */
char *report_key_escape(const char *key, size_t len, char *buf, size_t size);
/* "2026-12-05 10:00:00" in local time; buf of at least 32 bytes. */
char *report_format_time(uint64_t usec, char *buf, size_t size);

/* Time (report-time.c): journalctl's syntax, in local time. Absolute
 * "2026-12-01 10:00[:SS]", "2026-12-01", "10:00[:SS]" (today); "now",
 * "today", "yesterday", "tomorrow"; "@SECONDS" since the epoch; relative
 * "-1h", "+30min", "2 days ago". now_usec is the present. */
int report_parse_time(const char *s, uint64_t now_usec, uint64_t *ret);
/* The hour ("2026-12-05 10:00") or day ("2026-12-05") in local time that
 * usec falls in; the last one is kept in b, since entries come in order. */
struct report_time_bucket {
        uint64_t start, end; /* [start, end) in µs; end 0: none yet */
        char key[32];
        size_t len;
};
const char *report_time_key(struct report_time_bucket *b, uint64_t usec, enum report_by by, size_t *ret_len);

/* Journal reading (report-read.c, report-readers.c). */
enum report_kind {
        REPORT_KIND_CONNECTION,
        REPORT_KIND_CONNECTION_END,
        REPORT_KIND_PACKET_LOGGED,
        REPORT_KIND_SUMMARY,
        REPORT_KIND_EVENTS_LOST,
        REPORT_KIND_NOT_WRITTEN,
        REPORT_KIND_TABLE_FULL,
        _REPORT_KIND_MAX,
};

struct report_source {
        const char *directory; /* --directory, or NULL */
        char **files;          /* --file ..., NULL-terminated, or NULL */
        size_t n_files;
};

struct report_filter {
        char **routers, **services, **products, **clients; /* NULL-terminated lists */
        size_t n_routers, n_services, n_products, n_clients;
        bool blocked; /* only packet-logged entries */
        struct report_period period;
};

/* Adds the current entry of j, of this kind (the match that found it says
 * which), to r (report-entry.c). Returns 1 when counted, 0 when it is not
 * appleflowd's (counted as foreign), or a negative errno. */
struct sd_journal;
int report_add_entry(struct report *r, struct sd_journal *j, enum report_kind kind, uint64_t usec,
                     struct report_time_bucket *bucket);

/* Whether the filters leave any entry of this kind. */
bool report_kind_wanted(enum report_kind kind, const struct report_filter *f);

/* A progress line on a terminal, shared by the readers: each adds what it
 * has read every so often; one of them prints. */
struct report_progress {
        _Atomic uint64_t entries;
        uint64_t start_usec; /* CLOCK_MONOTONIC */
};
struct report_progress_line {
        struct report_progress *shared;
        bool print, shown;
        uint64_t next_usec;
};
void report_progress_end(struct report_progress_line *p);

/* Reads the entries of the journal file at path that pass the filter into
 * r, with a sd-journal of its own. Errors are printed; returns 0 or a
 * negative errno. */
int report_read_file(struct report *r, const char *path, const struct report_filter *f,
                     struct report_progress_line *progress);

/* The journal files of the source (report-files.c): --file's, those in
 * --directory and its machine ID folders, or the local machine's in
 * /var/log/journal and /run/log/journal. A NULL-terminated list. */
int report_journal_files(const struct report_source *src, char ***ret, size_t *ret_n);

/* Reads every file of the source into r, file by file, on two threads when
 * there are two CPUs. Errors are printed; returns 0 or a negative errno. */
int report_read(struct report *r, const struct report_source *src, const struct report_filter *f);
