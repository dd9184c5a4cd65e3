/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Per-service statistics: for every catalogue entry and every product, totals
 * (connections, blocked packets, bytes, packets) and exponentially weighted
 * rates of connections and blocked packets (rate.h), plus the daemon's own
 * counters. Fixed memory sized from the catalogue; counting touches only
 * these arrays, never allocates, takes no lock.
 *
 * What counts where: a tagged connection (conntrack NEW) counts once for its
 * primary entry (tag.entry), so the per-service figures add up to the tagged
 * total, whatever the confidence. A product counts only what the tags can
 * prove: a connection counts for a product once (per event) when an entry
 * that matched names it, with that match's confidence (high on Apple's
 * networks, else the entry's own, tagger_match_confidence()); at or above
 * stats.attribute_min it goes into the product's totals and rates, below it
 * only into its confidence counts, "not attributed". So HTTPS to the rest of
 * the internet (https, shared: low) adds nothing to Siri or Maps, and
 * FaceTime's figures are FaceTime's. Bytes and packets come from the
 * kernel's accounting (both directions), read while connections are open
 * and at their end; blocked packets from NFLOG. A connection end counts as
 * ended, and as unanswered when the other side never replied.
 *
 * The account of this run: every TCP or UDP event the per-event path sees
 * is counted as seen, then exactly once as excluded (the router's own),
 * unmatched or tagged, so seen = tagged + unmatched + excluded.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "catalog.h"
#include "flow.h"
#include "live-bytes.h"
#include "macro.h"
#include "name-stats.h"
#include "rate.h"
#include "tagger.h"

enum stats_source {
        STATS_SOURCE_CONNTRACK,
        STATS_SOURCE_NFLOG,
        _STATS_SOURCE_MAX,
};

/* The rated quantities. */
enum stats_rated {
        STATS_RATED_CONNECTIONS,
        STATS_RATED_BLOCKED,
        _STATS_RATED_MAX,
};

/* Apple's names from DNS answers (the DNS NFLOG group and the name table). */
struct stats_dns {
        bool enabled;
        uint64_t packets, answers, not_answers, malformed, skipped, empty, other, lost;
        uint64_t answers_apple, answers_other; /* answers: with an Apple name, without */
        uint64_t hits, misses, evicted, expired;
        uint64_t names, capacity, bytes; /* the table now */
};

/* The daemon's own counters, filled by the daemon (see stats_set_refresh). */
struct stats_daemon {
        uint64_t events_received[_STATS_SOURCE_MAX];
        uint64_t events_lost[_STATS_SOURCE_MAX]; /* events the kernel dropped: receive buffer full */
        uint64_t malformed;                      /* packets or messages that did not parse */
        uint64_t entries_written;
        uint64_t entries_dropped;            /* ring full */
        uint64_t write_errors;               /* entries the output (journal, console, JSON) refused */
        uint64_t below_threshold;            /* matched, counted, not logged */
        uint64_t conntrack_table_entries;    /* the kernel's table, at the last tick */
        uint64_t conntrack_table_max;        /* 0: no limit, or unknown */
        uint64_t conntrack_refused;          /* new connections refused, table full */
        uint64_t router_addresses;           /* the router's addresses known now */
        uint64_t router_addresses_overflow;  /* not kept: the table was full */
        uint64_t router_addresses_resyncs;   /* dumped afresh after lost notifications */
        uint64_t router_addresses_malformed; /* rtnetlink messages that did not parse */
        uint64_t nflog_conntrack_unparsed;   /* NFLOG packets handled without their
                                                         * connection, which did not parse */
        uint64_t conntrack_quiet_sec;        /* no conntrack event for so long; 0: fine */
        struct live_bytes_stats live;        /* open connections' bytes (live-bytes.h) */
        uint64_t live_interval_sec;          /* live_bytes_interval; 0: off */
        uint64_t live_reads_skipped;         /* a read was due while the last still ran */
        struct stats_dns dns;
};

/* Connections by the confidence of their match: [CONFIDENCE_LOW .. HIGH]. */
#define STATS_CONFIDENCE_INDEX(c) ((size_t) (c) -CONFIDENCE_LOW)
#define _STATS_CONFIDENCE_MAX (_CONFIDENCE_MAX - CONFIDENCE_LOW)

struct stats_counters {
        uint64_t connections; /* products: the attributed ones only */
        uint64_t blocked;
        uint64_t bytes; /* both directions, as they flow (stats_count_bytes) */
        uint64_t packets;
        uint64_t ended;                             /* connection ends (DESTROY) */
        uint64_t unanswered;                        /* of those, never answered (no SEEN_REPLY) */
        uint64_t confidence[_STATS_CONFIDENCE_MAX]; /* every connection, by confidence */
};

/* One run's account of events: seen = tagged + unmatched + excluded. */
struct stats_account {
        uint64_t seen;
        uint64_t tagged;
        uint64_t unmatched;
        uint64_t excluded;
};

struct stats_item {
        struct stats_counters total;                     /* persisted across restarts */
        struct stats_counters summary_mark;              /* total at the last summary */
        double rate[_STATS_RATED_MAX][_RATE_WINDOW_MAX]; /* events per second */
        uint64_t mark[_STATS_RATED_MAX];                 /* total at the last tick */
        uint64_t stamp;                                  /* last event counted, for products */
};

struct stats;
typedef void (*stats_refresh_t)(struct stats *s, struct stats_daemon *d, void *userdata);

struct stats {
        const struct catalog *catalog;
        struct stats_item *entries; /* catalog->n_entries */
        size_t n_entries;
        struct stats_item *products; /* catalog->n_products */
        size_t n_products;

        struct stats_daemon daemon;
        uint64_t unmatched_connections; /* NEW events no entry matched */
        uint64_t unmatched_packets;     /* NFLOG packets no entry matched */
        uint64_t excluded_connections;  /* NEW events of the router's own traffic */
        uint64_t excluded_packets;      /* NFLOG packets of it (local-addresses.h) */
        /* Unmatched connections by [transport: tcp, udp][an address in Apple's networks].
         * An Apple address always tags (apple-other): the second column stays 0 unless
         * the networks are not loaded. */
        uint64_t unmatched_by[2][2];
        struct stats_account connections; /* NEW events, this run */
        struct stats_account packets;     /* NFLOG packets, this run */
        enum confidence attribute_min;    /* products count matches from here up */
        struct name_stats *names;         /* NULL unless DNS names are learnt */

        uint64_t stamp;
        uint64_t started_usec; /* CLOCK_MONOTONIC */
        uint64_t started_realtime_usec;
        uint64_t tick_usec; /* the last tick; 0 before the first */

        stats_refresh_t refresh;
        void *refresh_userdata;
        sd_event_source *timer;
};

/* Sized for c, which must outlive s (or until stats_reload with another). */
int stats_new(struct stats **ret, const struct catalog *c);
struct stats *stats_free(struct stats *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct stats *, stats_free);

/* Swap in a new catalogue: counters and rates carried over by entry id and
 * product name. On failure (-ENOMEM) s is unchanged and keeps the old one.
 * Call before freeing the old catalogue. */
int stats_reload(struct stats *s, const struct catalog *c);

/* Count connections tagged by an Apple name, per service and suffix. */
int stats_enable_names(struct stats *s);

/* Per event: stats_count_seen(), then one of stats_count_excluded() or
 * stats_count_flow() (tagged or not: confidence NONE counts as unmatched).
 * A connection tagged by a name (t->by_name) counts for its entry and for
 * the name's service and suffix, not for the port's products.
 * The hot path: no allocation, no system call. */
void stats_count_seen(struct stats *s, const struct flow *f);
void stats_count_flow(struct stats *s, const struct flow *f, const struct tag *t);
/* Bytes and packets of a tagged connection (both directions), counted
 * where stats_count_flow() counts its connection. The daemon hands over
 * what is new since it last counted the connection (live-bytes.h), so a
 * byte counts once whether it was read while the connection was open or
 * at its end. */
void stats_count_bytes(struct stats *s, const struct tag *t, uint64_t bytes, uint64_t packets);
/* A flow left out of tagging (the router's own traffic, a configured
 * exclusion): counted here only, never as matched or unmatched. */
void stats_count_excluded(struct stats *s, const struct flow *f);

/* Advance the rates to now (CLOCK_MONOTONIC, µs). Any interval works: missed
 * ticks are caught up in closed form. The first call only sets the clock. */
void stats_tick(struct stats *s, uint64_t now_usec);

/* Called before every reader (control reply, Prometheus file, summary,
 * state file) and every tick, so that the daemon can copy counters kept
 * elsewhere (the writer thread's) into *d. */
void stats_set_refresh(struct stats *s, stats_refresh_t cb, void *userdata);
void stats_refresh(struct stats *s);

/* Tick every second on e's CLOCK_MONOTONIC. */
int stats_attach_event(struct stats *s, sd_event *e);

/* Set every tick mark to the current totals, so a jump in the totals (a
 * loaded state file) does not show up as a burst in the rates. */
void stats_reset_marks(struct stats *s);

/* Connections of an item at or above (attributed) or below min, by its confidence counts. */
uint64_t stats_confidence_at_least(const struct stats_counters *c, enum confidence min);
uint64_t stats_confidence_below(const struct stats_counters *c, enum confidence min);

const char *stats_source_to_string(enum stats_source src); /* "conntrack", "nflog" */
const char *stats_rated_to_string(enum stats_rated r);     /* "connections", "blocked" */
bool stats_item_active(const struct stats_item *i);
