/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "prometheus.h"
#include "state.h"
#include "time-util.h"

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
        SCOPE_NONE,    /* one unlabelled sample */
        SCOPE_SERVICE, /* one per catalogue entry: service="id" */
        SCOPE_PRODUCT, /* one per product: product="name" */
        SCOPE_SOURCE,  /* one per input: source="conntrack|nflog" */
        SCOPE_BUILD,   /* one: version="…", value 1 */
        /* one per catalogue entry and confidence it can have: service="id",confidence="…" */
        SCOPE_SERVICE_CONFIDENCE,
        /* one per product and confidence its entries can have: product="name",confidence="…" */
        SCOPE_PRODUCT_CONFIDENCE,
        /* one per transport and Apple network or not: transport="tcp|udp",apple_network="0|1" */
        SCOPE_TRANSPORT_APPLE,
};

/* The samples of a two-label scope: i = outer × N_CONFIDENCE + confidence. */
#define N_CONFIDENCE ((size_t) _STATS_CONFIDENCE_MAX)

/* What a value is read from: the statistics and the moment of writing. */
struct view {
        const struct stats *stats;
        uint64_t now_usec; /* CLOCK_REALTIME */
        uint64_t interval_usec;
};

struct family {
        const char *name;
        const char *type; /* "counter" or "gauge" */
        enum scope scope;
        /* i: the entry, product or source; 0 for SCOPE_NONE */
        uint64_t (*value)(const struct view *v, enum scope scope, size_t i);
        const char *help;
};

static const struct stats_item *item(const struct view *v, enum scope scope, size_t i) {
        return scope == SCOPE_PRODUCT ? &v->stats->products[i] : &v->stats->entries[i];
}

static uint64_t by_confidence(const struct view *v, enum scope scope, size_t i) {
        const struct stats_item *it = scope == SCOPE_PRODUCT_CONFIDENCE ? v->stats->products : v->stats->entries;

        return it[i / N_CONFIDENCE].total.confidence[i % N_CONFIDENCE];
}

static uint64_t unmatched_by(const struct view *v, enum scope scope, size_t i) {
        return v->stats->unmatched_by[i / 2][i % 2];
}

#define ITEM_VALUE(field)                                                                \
        static uint64_t item_##field(const struct view *v, enum scope scope, size_t i) { \
                return item(v, scope, i)->total.field;                                   \
        }
ITEM_VALUE(connections)
ITEM_VALUE(blocked)
ITEM_VALUE(bytes)
ITEM_VALUE(packets)
ITEM_VALUE(ended)
ITEM_VALUE(unanswered)

#define DAEMON_VALUE(field)                                                                \
        static uint64_t daemon_##field(const struct view *v, enum scope scope, size_t i) { \
                return v->stats->daemon.field;                                             \
        }
DAEMON_VALUE(malformed)
DAEMON_VALUE(entries_written)
DAEMON_VALUE(entries_dropped)
DAEMON_VALUE(write_errors)
DAEMON_VALUE(below_threshold)
DAEMON_VALUE(conntrack_refused)
DAEMON_VALUE(conntrack_table_entries)
DAEMON_VALUE(conntrack_table_max)

static uint64_t live_open(const struct view *v, enum scope scope, size_t i) {
        return v->stats->daemon.live.open;
}

static uint64_t live_untracked(const struct view *v, enum scope scope, size_t i) {
        return v->stats->daemon.live.untracked;
}

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

static uint64_t excluded_connections(const struct view *v, enum scope scope, size_t i) {
        return v->stats->excluded_connections;
}

static uint64_t excluded_packets(const struct view *v, enum scope scope, size_t i) {
        return v->stats->excluded_packets;
}

static uint64_t connections_seen(const struct view *v, enum scope scope, size_t i) {
        return v->stats->connections.seen;
}

static uint64_t connections_tagged(const struct view *v, enum scope scope, size_t i) {
        return v->stats->connections.tagged;
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
          "Bytes of tagged connections, both directions, per catalogue entry, as they flow." },
        { "appleflowd_connection_packets_total", "counter", SCOPE_SERVICE, item_packets,
          "Packets of tagged connections, both directions, per catalogue entry, as they flow." },
        { "appleflowd_connections_ended_total", "counter", SCOPE_SERVICE, item_ended,
          "Tagged connections that ended (conntrack DESTROY) per catalogue entry." },
        { "appleflowd_connections_unanswered_total", "counter", SCOPE_SERVICE, item_unanswered,
          "Of those, connections the other side never answered, per catalogue entry." },

        { "appleflowd_product_connections_total", "counter", SCOPE_PRODUCT, item_connections,
          "Tagged connections per Apple product." },
        { "appleflowd_product_blocked_packets_total", "counter", SCOPE_PRODUCT, item_blocked,
          "Tagged packets logged through NFLOG per Apple product." },
        { "appleflowd_product_connection_bytes_total", "counter", SCOPE_PRODUCT, item_bytes,
          "Bytes of tagged connections, both directions, per Apple product, as they flow." },
        { "appleflowd_product_connection_packets_total", "counter", SCOPE_PRODUCT, item_packets,
          "Packets of tagged connections, both directions, per Apple product, as they flow." },
        { "appleflowd_product_connections_ended_total", "counter", SCOPE_PRODUCT, item_ended,
          "Tagged connections that ended per Apple product." },
        { "appleflowd_product_connections_unanswered_total", "counter", SCOPE_PRODUCT, item_unanswered,
          "Of those, connections the other side never answered, per Apple product." },

        { "appleflowd_connections_by_confidence_total", "counter", SCOPE_SERVICE_CONFIDENCE, by_confidence,
          "Tagged connections per catalogue entry by confidence." },
        { "appleflowd_product_connections_by_confidence_total", "counter", SCOPE_PRODUCT_CONFIDENCE, by_confidence,
          "Connections per Apple product by the confidence of the match, attributed or not." },

        { "appleflowd_connections_seen_total", "counter", SCOPE_NONE, connections_seen,
          "Connections seen since start: tagged + unmatched + excluded." },
        { "appleflowd_connections_tagged_total", "counter", SCOPE_NONE, connections_tagged,
          "Connections tagged since start, at any confidence." },
        { "appleflowd_unmatched_connections_total", "counter", SCOPE_NONE, unmatched_connections,
          "Connections no catalogue entry matched." },
        { "appleflowd_unmatched_connections_by_transport_total", "counter", SCOPE_TRANSPORT_APPLE, unmatched_by,
          "Connections no catalogue entry matched, by transport and whether an address is in Apple's networks." },
        { "appleflowd_excluded_connections_total", "counter", SCOPE_NONE, excluded_connections,
          "Connections of the router's own traffic, left out of tagging." },
        { "appleflowd_unmatched_packets_total", "counter", SCOPE_NONE, unmatched_packets,
          "NFLOG packets no catalogue entry matched." },
        { "appleflowd_excluded_packets_total", "counter", SCOPE_NONE, excluded_packets,
          "NFLOG packets of the router's own traffic, left out of tagging." },
        { "appleflowd_below_threshold_events_total", "counter", SCOPE_NONE, daemon_below_threshold,
          "Tagged events counted but not logged (below the logging confidence)." },

        { "appleflowd_events_received_total", "counter", SCOPE_SOURCE, events_received,
          "Events received from the kernel." },
        { "appleflowd_events_lost_total", "counter", SCOPE_SOURCE, events_lost,
          "Events the kernel dropped because the receive buffer was full (exact for conntrack, a lower bound for nflog)." },
        { "appleflowd_malformed_packets_total", "counter", SCOPE_NONE, daemon_malformed,
          "Messages and packets that did not parse." },
        { "appleflowd_entries_written_total", "counter", SCOPE_NONE, daemon_entries_written,
          "Entries written to the output (journald, the console or JSON: mode=)." },
        { "appleflowd_entries_dropped_total", "counter", SCOPE_NONE, daemon_entries_dropped,
          "Entries dropped because the writer queue was full." },
        { "appleflowd_entry_write_errors_total", "counter", SCOPE_NONE, daemon_write_errors,
          "Entries the output refused (journald away, a full pipe): not written." },

        { "appleflowd_live_connections", "gauge", SCOPE_NONE, live_open,
          "Open tagged connections whose bytes are read as they flow (live_bytes_interval)." },
        { "appleflowd_live_connections_untracked_total", "counter", SCOPE_NONE, live_untracked,
          "Tagged connections not followed while open (live_connections_max reached): their bytes count at their end." },

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
        case SCOPE_SERVICE_CONFIDENCE:
                return s->n_entries * N_CONFIDENCE;
        case SCOPE_PRODUCT_CONFIDENCE:
                return s->n_products * N_CONFIDENCE;
        case SCOPE_TRANSPORT_APPLE:
                return 4;
        default:
                return 1;
        }
}

static enum confidence confidence_of(size_t i) {
        return (enum confidence)(CONFIDENCE_LOW + i % N_CONFIDENCE);
}

/* Whether entry e can be tagged with confidence c: on Apple's networks
 * (high), or by its port (the entry's own confidence). */
static bool entry_can_have(const struct catalog_entry *e, enum confidence c) {
        return c == CONFIDENCE_HIGH || c == tagger_entry_confidence(e);
}

static bool product_can_have(const struct catalog *cat, size_t product, enum confidence c) {
        if (c == CONFIDENCE_HIGH)
                return true;
        for (size_t k = 0; k < cat->n_entries; k++)
                if (catalog_entry_has_product(&cat->entries[k], product) &&
                    entry_can_have(&cat->entries[k], c))
                        return true;
        return false;
}

/* Every sample is written, zero or not, except a confidence the catalogue
 * makes impossible for its service or product: that one only when it is not
 * zero, so that nothing counted is ever left out. */
static bool written(const struct view *v, const struct family *fam, size_t i) {
        const struct catalog *cat = v->stats->catalog;

        if (fam->value(v, fam->scope, i) != 0)
                return true;
        switch (fam->scope) {
        case SCOPE_SERVICE_CONFIDENCE:
                return entry_can_have(&cat->entries[i / N_CONFIDENCE], confidence_of(i));
        case SCOPE_PRODUCT_CONFIDENCE:
                return product_can_have(cat, i / N_CONFIDENCE, confidence_of(i));
        default:
                return true;
        }
}

static void label(FILE *f, bool first, const char *name, const char *value) {
        fprintf(f, "%s%s=\"", first ? "{" : ",", name);
        prometheus_escape(f, value);
        fputc('"', f);
}

static void labels(FILE *f, const struct stats *s, enum scope scope, size_t i) {
        switch (scope) {
        case SCOPE_SERVICE:
                label(f, true, "service", s->catalog->entries[i].id);
                break;
        case SCOPE_PRODUCT:
                label(f, true, "product", s->catalog->products[i].name);
                break;
        case SCOPE_SOURCE:
                label(f, true, "source", stats_source_to_string(i));
                break;
        case SCOPE_BUILD:
                label(f, true, "version", PACKAGE_VERSION);
                break;
        case SCOPE_SERVICE_CONFIDENCE:
                label(f, true, "service", s->catalog->entries[i / N_CONFIDENCE].id);
                label(f, false, "confidence", confidence_to_string(confidence_of(i)));
                break;
        case SCOPE_PRODUCT_CONFIDENCE:
                label(f, true, "product", s->catalog->products[i / N_CONFIDENCE].name);
                label(f, false, "confidence", confidence_to_string(confidence_of(i)));
                break;
        case SCOPE_TRANSPORT_APPLE:
                label(f, true, "transport", i / 2 ? "udp" : "tcp");
                label(f, false, "apple_network", i % 2 ? "1" : "0");
                break;
        default:
                return;
        }
        fputc('}', f);
}

/* A family's HELP and TYPE lines, before its samples. */
static void header(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The DNS names (dns_nflog_group): written only when that input is on, so a
 * router without it exports none of these families. */
static void dns_single(FILE *f, const char *name, const char *type, const char *help, uint64_t v) {
        header(f, name, type, help);
        fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void dns_labelled(FILE *f, const char *name, const char *key, const char *value, uint64_t v) {
        fputs(name, f);
        label(f, true, key, value);
        fprintf(f, "} %" PRIu64 "\n", v);
}

static void dns_name_counts(FILE *f, const char *name, const char *key, const char *help,
                            const struct name_stats_table *t) {
        header(f, name, "counter", help);
        for (size_t i = 0; i < t->n; i++)
                dns_labelled(f, name, key, t->rows[i].key, t->rows[i].connections);
        if (t->overflow > 0)
                dns_labelled(f, name, key, "other", t->overflow);
}

static void dns_families(const struct stats *s, FILE *f) {
        static const char answers[] = "appleflowd_dns_answers_total";
        const struct stats_dns *d = &s->daemon.dns;
        const struct {
                const char *result;
                uint64_t v;
        } rows[] = {
                { "apple", d->answers_apple },
                { "other", d->answers_other },
                { "without-address", d->answers - MIN(d->answers, d->answers_apple + d->answers_other) },
                { "not-answer", d->not_answers },
                { "malformed", d->malformed },
                { "skipped", d->skipped },
                { "lost", d->lost },
        };

        header(f, answers, "counter",
               "DNS answers read from the DNS NFLOG group, by what became of them (lost: a lower bound).");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                dns_labelled(f, answers, "result", rows[i].result, rows[i].v);
        dns_single(f, "appleflowd_dns_names", "gauge", "Addresses in the name table.", d->names);
        dns_single(f, "appleflowd_dns_names_capacity", "gauge", "Addresses the name table holds at most.",
                   d->capacity);
        dns_single(f, "appleflowd_dns_names_bytes", "gauge", "Memory of the name table, allocated whole.", d->bytes);
        dns_single(f, "appleflowd_dns_name_hits_total", "counter",
                   "Connections whose server address had an Apple name.", d->hits);
        dns_single(f, "appleflowd_dns_name_misses_total", "counter", "Connections whose server address had none.",
                   d->misses);
        dns_single(f, "appleflowd_dns_names_evicted_total", "counter",
                   "Names pushed out of the full table before their TTL ended.", d->evicted);
        dns_single(f, "appleflowd_dns_names_expired_total", "counter", "Names whose TTL ended.", d->expired);
        if (s->names) {
                dns_name_counts(f, "appleflowd_dns_service_connections_total", "service",
                                "Connections tagged by an Apple name, per the name's service.", &s->names->services);
                dns_name_counts(f, "appleflowd_dns_suffix_connections_total", "suffix",
                                "Connections tagged by an Apple name, per the domain suffix it fell under.",
                                &s->names->suffixes);
        }
}

int prometheus_format(const struct stats *s, uint64_t now_usec, uint64_t interval_usec, FILE *f) {
        const struct view v = { .stats = s, .now_usec = now_usec, .interval_usec = interval_usec };

        for (size_t k = 0; k < ELEMENTSOF(families); k++) {
                const struct family *fam = &families[k];

                header(f, fam->name, fam->type, fam->help);
                for (size_t i = 0; i < scope_size(s, fam->scope); i++) {
                        if (!written(&v, fam, i))
                                continue;
                        fputs(fam->name, f);
                        labels(f, s, fam->scope, i);
                        fprintf(f, " %" PRIu64 "\n", fam->value(&v, fam->scope, i));
                }
        }
        if (s->daemon.dns.enabled)
                dns_families(s, f);
        return ferror(f) ? -EIO : 0;
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
        r = prometheus_format(p->stats, clock_usec(CLOCK_REALTIME), p->interval_usec, f);
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
