/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "prometheus.h"
#include "state.h"

void prometheus_escape(FILE *f, const char *v) {
        for (; *v; v++)
                switch (*v) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(*v, f);
                }
}

/* What one family's samples run over, and so which label they carry. */
enum scope {
        SCOPE_NONE,                     /* one unlabelled sample */
        SCOPE_SERVICE,                  /* one per catalogue entry: service="id" */
        SCOPE_PRODUCT,                  /* one per product: product="name" */
        SCOPE_SOURCE,                   /* one per input: source="conntrack|nflog" */
        SCOPE_BUILD,                    /* one: version="…", value 1 */
};

/* What a value is read from: the statistics and the moment of writing. */
struct view {
        const struct stats *stats;
        uint64_t now_usec;              /* CLOCK_REALTIME */
        uint64_t interval_usec;
};

struct family {
        const char *name;
        const char *type;               /* "counter" or "gauge" */
        enum scope scope;
        /* i: the entry, product or source; 0 for SCOPE_NONE */
        uint64_t (*value)(const struct view *v, enum scope scope, size_t i);
        const char *help;
};

static const struct stats_item *item(const struct view *v, enum scope scope, size_t i) {
        return scope == SCOPE_PRODUCT ? &v->stats->products[i] : &v->stats->entries[i];
}

#define ITEM_VALUE(field)                                                               \
        static uint64_t item_##field(const struct view *v, enum scope scope, size_t i) { \
                return item(v, scope, i)->total.field;                                  \
        }
ITEM_VALUE(connections)
ITEM_VALUE(blocked)
ITEM_VALUE(bytes)
ITEM_VALUE(packets)

#define DAEMON_VALUE(field)                                                             \
        static uint64_t daemon_##field(const struct view *v, enum scope scope, size_t i) { \
                return v->stats->daemon.field;                                          \
        }
DAEMON_VALUE(malformed)
DAEMON_VALUE(entries_written)
DAEMON_VALUE(entries_dropped)
DAEMON_VALUE(journal_errors)
DAEMON_VALUE(below_threshold)
DAEMON_VALUE(conntrack_refused)
DAEMON_VALUE(conntrack_table_entries)
DAEMON_VALUE(conntrack_table_max)

static uint64_t events_received(const struct view *v, enum scope scope, size_t i) {
        return v->stats->daemon.events_received[i];
}

static uint64_t events_lost(const struct view *v, enum scope scope, size_t i) {
        return v->stats->daemon.events_lost[i];
}

static uint64_t unmatched_connections(const struct view *v, enum scope scope, size_t i) {
        return v->stats->unmatched_connections;
}

static uint64_t unmatched_packets(const struct view *v, enum scope scope, size_t i) {
        return v->stats->unmatched_packets;
}

static uint64_t catalog_entries(const struct view *v, enum scope scope, size_t i) {
        return v->stats->n_entries;
}

static uint64_t catalog_products(const struct view *v, enum scope scope, size_t i) {
        return v->stats->n_products;
}

static uint64_t one(const struct view *v, enum scope scope, size_t i) {
        return 1;
}

static uint64_t start_time(const struct view *v, enum scope scope, size_t i) {
        return v->stats->started_realtime_usec / 1000000;
}

static uint64_t write_time(const struct view *v, enum scope scope, size_t i) {
        return v->now_usec / 1000000;
}

static uint64_t write_interval(const struct view *v, enum scope scope, size_t i) {
        return v->interval_usec / 1000000;
}

/* Every family, in the file's order. docs/prometheus.md says why each exists. */
static const struct family families[] = {
        { "appleflowd_build_info", "gauge", SCOPE_BUILD, one,
          "The daemon's version, as a label; always 1." },
        { "appleflowd_start_time_seconds", "gauge", SCOPE_NONE, start_time,
          "When the daemon started, in seconds since the epoch." },
        { "appleflowd_textfile_write_time_seconds", "gauge", SCOPE_NONE, write_time,
          "When the daemon wrote this file, in seconds since the epoch: an old value means a stale file." },
        { "appleflowd_textfile_interval_seconds", "gauge", SCOPE_NONE, write_interval,
          "How often the daemon rewrites this file (prometheus_interval)." },
        { "appleflowd_catalog_entries", "gauge", SCOPE_NONE, catalog_entries,
          "Entries in the catalogue in force." },
        { "appleflowd_catalog_products", "gauge", SCOPE_NONE, catalog_products,
          "Products in the catalogue in force." },

        { "appleflowd_connections_total", "counter", SCOPE_SERVICE, item_connections,
          "Tagged connections (conntrack NEW) per catalogue entry." },
        { "appleflowd_blocked_packets_total", "counter", SCOPE_SERVICE, item_blocked,
          "Tagged packets logged through NFLOG per catalogue entry." },
        { "appleflowd_connection_bytes_total", "counter", SCOPE_SERVICE, item_bytes,
          "Bytes of ended tagged connections, both directions, per catalogue entry." },
        { "appleflowd_connection_packets_total", "counter", SCOPE_SERVICE, item_packets,
          "Packets of ended tagged connections, both directions, per catalogue entry." },

        { "appleflowd_product_connections_total", "counter", SCOPE_PRODUCT, item_connections,
          "Tagged connections per Apple product." },
        { "appleflowd_product_blocked_packets_total", "counter", SCOPE_PRODUCT, item_blocked,
          "Tagged packets logged through NFLOG per Apple product." },
        { "appleflowd_product_connection_bytes_total", "counter", SCOPE_PRODUCT, item_bytes,
          "Bytes of ended tagged connections, both directions, per Apple product." },
        { "appleflowd_product_connection_packets_total", "counter", SCOPE_PRODUCT, item_packets,
          "Packets of ended tagged connections, both directions, per Apple product." },

        { "appleflowd_unmatched_connections_total", "counter", SCOPE_NONE, unmatched_connections,
          "Connections no catalogue entry matched." },
        { "appleflowd_unmatched_packets_total", "counter", SCOPE_NONE, unmatched_packets,
          "NFLOG packets no catalogue entry matched." },
        { "appleflowd_below_threshold_events_total", "counter", SCOPE_NONE, daemon_below_threshold,
          "Tagged events counted but not logged (below the logging confidence)." },

        { "appleflowd_events_received_total", "counter", SCOPE_SOURCE, events_received,
          "Events received from the kernel." },
        { "appleflowd_events_lost_total", "counter", SCOPE_SOURCE, events_lost,
          "Events the kernel dropped because the receive buffer was full (exact for conntrack, a lower bound for nflog)." },
        { "appleflowd_malformed_packets_total", "counter", SCOPE_NONE, daemon_malformed,
          "Messages and packets that did not parse." },
        { "appleflowd_entries_written_total", "counter", SCOPE_NONE, daemon_entries_written,
          "Journal entries written." },
        { "appleflowd_entries_dropped_total", "counter", SCOPE_NONE, daemon_entries_dropped,
          "Journal entries dropped because the writer queue was full." },
        { "appleflowd_journal_errors_total", "counter", SCOPE_NONE, daemon_journal_errors,
          "Journal writes that failed." },

        { "appleflowd_conntrack_entries", "gauge", SCOPE_NONE, daemon_conntrack_table_entries,
          "Connections in the kernel's conntrack table." },
        { "appleflowd_conntrack_entries_limit", "gauge", SCOPE_NONE, daemon_conntrack_table_max,
          "The conntrack table's limit (nf_conntrack_max); 0: none, or unknown." },
        { "appleflowd_conntrack_refused_total", "counter", SCOPE_NONE, daemon_conntrack_refused,
          "New connections the kernel refused because its conntrack table was full: never seen, never logged." },
};

static size_t scope_size(const struct stats *s, enum scope scope) {
        switch (scope) {
        case SCOPE_SERVICE:
                return s->n_entries;
        case SCOPE_PRODUCT:
                return s->n_products;
        case SCOPE_SOURCE:
                return _STATS_SOURCE_MAX;
        default:
                return 1;
        }
}

static void labels(FILE *f, const struct stats *s, enum scope scope, size_t i) {
        const char *label, *value;

        switch (scope) {
        case SCOPE_SERVICE:
                label = "service", value = s->catalog->entries[i].id;
                break;
        case SCOPE_PRODUCT:
                label = "product", value = s->catalog->products[i].name;
                break;
        case SCOPE_SOURCE:
                label = "source", value = stats_source_to_string(i);
                break;
        case SCOPE_BUILD:
                label = "version", value = PACKAGE_VERSION;
                break;
        default:
                return;
        }
        fprintf(f, "{%s=\"", label);
        prometheus_escape(f, value);
        fputs("\"}", f);
}

int prometheus_format(const struct stats *s, uint64_t now_usec, uint64_t interval_usec, FILE *f) {
        const struct view v = { .stats = s, .now_usec = now_usec, .interval_usec = interval_usec };

        for (size_t k = 0; k < ELEMENTSOF(families); k++) {
                const struct family *fam = &families[k];

                fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
                for (size_t i = 0; i < scope_size(s, fam->scope); i++) {
                        fputs(fam->name, f);
                        labels(f, s, fam->scope, i);
                        fprintf(f, " %" PRIu64 "\n", fam->value(&v, fam->scope, i));
                }
        }
        return ferror(f) ? -EIO : 0;
}

static uint64_t realtime_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

int prometheus_new(struct prometheus **ret, struct stats *s, const char *path) {
        _cleanup_(prometheus_freep) struct prometheus *p = NULL;

        if (!ret || !s || !path || !*path)
                return -EINVAL;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->stats = s;
        p->path = strdup(path);
        if (!p->path)
                return -ENOMEM;
        *ret = p;
        p = NULL;
        return 0;
}

struct prometheus *prometheus_free(struct prometheus *p) {
        if (!p)
                return NULL;
        sd_event_source_disable_unref(p->timer);
        free(p->path);
        free(p);
        return NULL;
}

int prometheus_write(struct prometheus *p, char *err, size_t errlen) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        stats_refresh(p->stats);

        f = open_memstream(&buf, &len);
        if (!f) {
                r = -ENOMEM;
                goto fail;
        }
        r = prometheus_format(p->stats, realtime_usec(), p->interval_usec, f);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                goto fail;

        /* node_exporter reads only *.prom; the temporary name ends otherwise.
         * Not durable: the next interval rewrites it, and an fsync on a slow
         * disk would hold up the netlink sockets. */
        r = write_file_atomic(p->path, buf, len, 0644, false);
        if (r < 0)
                goto fail;
        return 0;

fail:
        if (err && errlen > 0)
                snprintf(err, errlen, "%s: %s", p->path, strerror(-r));
        return r;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        struct prometheus *p = userdata;
        char err[PROMETHEUS_ERROR_MAX];
        int r;

        r = prometheus_write(p, err, sizeof(err));
        if (r < 0 && r != p->last_error)
                fprintf(stderr, "<4>Failed to write the Prometheus file: %s, will retry\n", err);
        else if (r >= 0 && p->last_error < 0)
                fprintf(stderr, "<5>Prometheus file %s written again\n", p->path);
        p->last_error = r < 0 ? r : 0;

        r = sd_event_source_set_time(source, usec + p->interval_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

int prometheus_attach_event(struct prometheus *p, sd_event *e, uint64_t interval_usec) {
        uint64_t now;
        int r;

        if (interval_usec == 0)
                return -EINVAL;
        if (p->timer)
                return -EBUSY;
        r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        p->interval_usec = interval_usec;
        r = sd_event_add_time(e, &p->timer, CLOCK_MONOTONIC, now, 100000, on_timer, p);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(p->timer, "prometheus");
        return 0;
}
