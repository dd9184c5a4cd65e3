/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

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

static void header(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(FILE *f, const char *name, const char *label, const char *value,
                   const char *label2, const char *value2) {
        fputs(name, f);
        if (label) {
                fprintf(f, "{%s=\"", label);
                prometheus_escape(f, value);
                fputc('"', f);
                if (label2) {
                        fprintf(f, ",%s=\"", label2);
                        prometheus_escape(f, value2);
                        fputc('"', f);
                }
                fputc('}', f);
        }
        fputc(' ', f);
}

/* One counter family over the entries or the products. */
enum field { FIELD_CONNECTIONS, FIELD_BLOCKED, FIELD_BYTES, FIELD_PACKETS };

static uint64_t field_of(const struct stats_item *i, enum field fl) {
        switch (fl) {
        case FIELD_CONNECTIONS:
                return i->total.connections;
        case FIELD_BLOCKED:
                return i->total.blocked;
        case FIELD_BYTES:
                return i->total.bytes;
        case FIELD_PACKETS:
                return i->total.packets;
        }
        return 0;
}

struct family {
        const char *name;
        const char *help;
        enum field field;
};

static const struct family service_counters[] = {
        { "appleflowd_connections_total", "Tagged connections (conntrack NEW) per catalogue entry.", FIELD_CONNECTIONS },
        { "appleflowd_blocked_packets_total", "Tagged packets logged through NFLOG per catalogue entry.", FIELD_BLOCKED },
        { "appleflowd_bytes_total", "Bytes of ended tagged connections, both directions, per catalogue entry.", FIELD_BYTES },
        { "appleflowd_packets_total", "Packets of ended tagged connections, both directions, per catalogue entry.", FIELD_PACKETS },
};

static const struct family product_counters[] = {
        { "appleflowd_product_connections_total", "Tagged connections per Apple product.", FIELD_CONNECTIONS },
        { "appleflowd_product_blocked_packets_total", "Tagged packets logged through NFLOG per Apple product.", FIELD_BLOCKED },
        { "appleflowd_product_bytes_total", "Bytes of ended tagged connections per Apple product.", FIELD_BYTES },
        { "appleflowd_product_packets_total", "Packets of ended tagged connections per Apple product.", FIELD_PACKETS },
};

static const char *item_name(const struct stats *s, bool product, size_t i) {
        return product ? s->catalog->products[i].name : s->catalog->entries[i].id;
}

static void items(FILE *f, const struct stats *s, bool product) {
        const struct family *fam = product ? product_counters : service_counters;
        const struct stats_item *it = product ? s->products : s->entries;
        size_t n = product ? s->n_products : s->n_entries;
        const char *label = product ? "product" : "service";
        const char *prefix = product ? "appleflowd_product_" : "appleflowd_";
        char name[64];

        for (size_t k = 0; k < ELEMENTSOF(service_counters); k++) {
                header(f, fam[k].name, "counter", fam[k].help);
                for (size_t i = 0; i < n; i++) {
                        sample(f, fam[k].name, label, item_name(s, product, i), NULL, NULL);
                        fprintf(f, "%" PRIu64 "\n", field_of(&it[i], fam[k].field));
                }
        }

        for (enum stats_rated r = 0; r < _STATS_RATED_MAX; r++) {
                snprintf(name, sizeof(name), "%s%s", prefix,
                         r == STATS_RATED_CONNECTIONS ? "connection_rate" : "blocked_packet_rate");
                header(f, name, "gauge",
                       r == STATS_RATED_CONNECTIONS
                       ? "Tagged connections per second, exponentially weighted over the window."
                       : "Tagged NFLOG packets per second, exponentially weighted over the window.");
                for (size_t i = 0; i < n; i++)
                        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++) {
                                sample(f, name, label, item_name(s, product, i),
                                       "window", rate_window_to_string(w));
                                fprintf(f, "%.6f\n", it[i].rate[r][w]);
                        }
        }
}

/* One unlabelled sample; type "counter" or "gauge". */
static void single(FILE *f, const char *type, const char *name, const char *help, uint64_t v) {
        header(f, name, type, help);
        fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void per_source(FILE *f, const char *name, const char *help, const uint64_t *v) {
        header(f, name, "counter", help);
        for (enum stats_source src = 0; src < _STATS_SOURCE_MAX; src++) {
                sample(f, name, "source", stats_source_to_string(src), NULL, NULL);
                fprintf(f, "%" PRIu64 "\n", v[src]);
        }
}

static void name_counts(FILE *f, const char *name, const char *label, const char *help,
                        const struct name_stats_table *t) {
        header(f, name, "counter", help);
        for (size_t i = 0; i < t->n; i++) {
                sample(f, name, label, t->rows[i].key, NULL, NULL);
                fprintf(f, "%" PRIu64 "\n", t->rows[i].connections);
        }
        if (t->overflow > 0) {
                sample(f, name, label, "other", NULL, NULL);
                fprintf(f, "%" PRIu64 "\n", t->overflow);
        }
}

static void dns_answers(FILE *f, const struct stats_dns *d) {
        static const char name[] = "appleflowd_dns_answers_total";
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

        header(f, name, "counter",
               "DNS answers read from the DNS NFLOG group, by what became of them (lost: a lower bound).");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                sample(f, name, "result", rows[i].result, NULL, NULL);
                fprintf(f, "%" PRIu64 "\n", rows[i].v);
        }
}

static void dns_metrics(FILE *f, const struct stats *s) {
        const struct stats_dns *d = &s->daemon.dns;

        dns_answers(f, d);
        single(f, "gauge", "appleflowd_dns_names", "Addresses in the name table.", d->names);
        single(f, "gauge", "appleflowd_dns_names_capacity", "Addresses the name table holds at most.", d->capacity);
        single(f, "gauge", "appleflowd_dns_names_bytes", "Memory of the name table, allocated whole.", d->bytes);
        single(f, "counter", "appleflowd_dns_name_hits_total", "Connections whose server address had an Apple name.",
               d->hits);
        single(f, "counter", "appleflowd_dns_name_misses_total", "Connections whose server address had none.",
               d->misses);
        single(f, "counter", "appleflowd_dns_names_evicted_total",
               "Names pushed out of the full table before their TTL ended.", d->evicted);
        single(f, "counter", "appleflowd_dns_names_expired_total", "Names whose TTL ended.", d->expired);
        if (s->names) {
                name_counts(f, "appleflowd_dns_service_connections_total", "service",
                            "Connections tagged by an Apple name, per the name's service.", &s->names->services);
                name_counts(f, "appleflowd_dns_suffix_connections_total", "suffix",
                            "Connections tagged by an Apple name, per the domain suffix it fell under.",
                            &s->names->suffixes);
        }
}

int prometheus_format(const struct stats *s, FILE *f) {
        const struct stats_daemon *d = &s->daemon;

        items(f, s, false);
        items(f, s, true);

        per_source(f, "appleflowd_events_received_total", "Events received from the kernel.",
                   d->events_received);
        per_source(f, "appleflowd_events_lost_total",
                   "Events the kernel dropped because the receive buffer was full (exact for conntrack, a lower bound for nflog).",
                   d->events_lost);
        single(f, "counter", "appleflowd_malformed_packets_total", "Messages and packets that did not parse.",
               d->malformed);
        single(f, "counter", "appleflowd_entries_written_total", "Journal entries written.", d->entries_written);
        single(f, "counter", "appleflowd_entries_dropped_total",
               "Journal entries dropped because the writer queue was full.", d->entries_dropped);
        single(f, "counter", "appleflowd_journal_errors_total", "Journal writes that failed.", d->journal_errors);
        single(f, "counter", "appleflowd_below_threshold_total",
               "Tagged events counted but not logged (below the logging confidence).",
               d->below_threshold);
        single(f, "counter", "appleflowd_unmatched_connections_total", "Connections no catalogue entry matched.",
               s->unmatched_connections);
        single(f, "counter", "appleflowd_unmatched_packets_total", "NFLOG packets no catalogue entry matched.",
               s->unmatched_packets);

        single(f, "counter", "appleflowd_conntrack_refused_total",
               "New connections the kernel refused because its conntrack table was full: never seen, never logged.",
               d->conntrack_refused);
        single(f, "gauge", "appleflowd_conntrack_entries", "Connections in the kernel's conntrack table.",
               d->conntrack_table_entries);
        single(f, "gauge", "appleflowd_conntrack_max",
               "The conntrack table's limit (nf_conntrack_max); 0: none, or unknown.", d->conntrack_table_max);

        if (d->dns.enabled)
                dns_metrics(f, s);

        single(f, "gauge", "appleflowd_start_time_seconds", "When the daemon started, in seconds since the epoch.",
               s->started_realtime_usec / 1000000);

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
        r = prometheus_format(p->stats, f);
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
