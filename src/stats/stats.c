/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <string.h>
#include <time.h>

#include "stats.h"
#include "time-util.h"

int stats_new(struct stats **ret, const struct catalog *c) {
        _cleanup_(stats_freep) struct stats *s = NULL;

        if (!ret || !c)
                return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;

        s->catalog = c;
        s->n_entries = c->n_entries;
        s->n_products = c->n_products;
        /* calloc(0) may return NULL; one spare element keeps the pointers valid. */
        s->entries = calloc(s->n_entries + 1, sizeof(*s->entries));
        s->products = calloc(s->n_products + 1, sizeof(*s->products));
        if (!s->entries || !s->products)
                return -ENOMEM;

        s->attribute_min = CONFIDENCE_MEDIUM;
        s->started_usec = clock_usec(CLOCK_MONOTONIC);
        s->started_realtime_usec = clock_usec(CLOCK_REALTIME);

        *ret = s;
        s = NULL;
        return 0;
}

struct stats *stats_free(struct stats *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->timer);
        free(s->entries);
        free(s->products);
        name_stats_free(s->names);
        free(s);
        return NULL;
}

int stats_reload(struct stats *s, const struct catalog *c) {
        _cleanup_free_ struct stats_item *entries = NULL, *products = NULL;
        ssize_t k;

        entries = calloc(c->n_entries + 1, sizeof(*entries));
        products = calloc(c->n_products + 1, sizeof(*products));
        if (!entries || !products)
                return -ENOMEM;

        /* O(n·m) over catalogues of a few hundred entries, once per reload. */
        for (size_t i = 0; i < c->n_entries; i++) {
                k = catalog_find_entry(s->catalog, c->entries[i].id);
                if (k >= 0 && (size_t) k < s->n_entries)
                        entries[i] = s->entries[k];
                entries[i].stamp = 0;
        }
        for (size_t i = 0; i < c->n_products; i++) {
                k = catalog_find_product(s->catalog, c->products[i].name);
                if (k >= 0 && (size_t) k < s->n_products)
                        products[i] = s->products[k];
                products[i].stamp = 0;
        }

        free(s->entries);
        free(s->products);
        s->entries = entries;
        s->products = products;
        entries = products = NULL;
        s->n_entries = c->n_entries;
        s->n_products = c->n_products;
        s->catalog = c;
        s->stamp = 0;
        return 0;
}

/* What one event adds to an item. */
struct delta {
        bool connection; /* a NEW: counts by confidence too */
        uint64_t blocked, bytes, packets, ended, unanswered;
};

static void item_add(struct stats_item *i, const struct delta *d) {
        i->total.connections += d->connection;
        i->total.blocked += d->blocked;
        i->total.bytes += d->bytes;
        i->total.packets += d->packets;
        i->total.ended += d->ended;
        i->total.unanswered += d->unanswered;
}

static void item_add_confidence(struct stats_item *i, const struct delta *d, enum confidence c) {
        if (d->connection && c >= CONFIDENCE_LOW && c < _CONFIDENCE_MAX)
                i->total.confidence[STATS_CONFIDENCE_INDEX(c)]++;
}

/* The products of entry not yet counted for this event, with confidence c. */
static void count_products(struct stats *s, const struct delta *d, size_t entry, enum confidence c) {
        const struct catalog_entry *e = &s->catalog->entries[entry];

        for (unsigned j = 0; j < e->n_products && j < CATALOG_ENTRY_PRODUCTS_MAX; j++) {
                struct stats_item *p;

                if (e->products[j] >= s->n_products)
                        continue;
                p = &s->products[e->products[j]];
                if (p->stamp == s->stamp)
                        continue; /* already counted for this event */
                p->stamp = s->stamp;
                item_add_confidence(p, d, c);
                if (c >= s->attribute_min)
                        item_add(p, d);
        }
}

/* The account an event belongs to; connection ends are in neither. */
static struct stats_account *account_of(struct stats *s, const struct flow *f) {
        if (f->action == FLOW_CONNECTION_NEW)
                return &s->connections;
        if (f->action == FLOW_PACKET_LOGGED)
                return &s->packets;
        return NULL;
}

void stats_count_seen(struct stats *s, const struct flow *f) {
        struct stats_account *a = account_of(s, f);

        if (a)
                a->seen++;
}

/* Confidence NONE, from stats_count_flow(). */
static void stats_count_unmatched(struct stats *s, const struct flow *f, const struct tag *t) {
        struct stats_account *a = account_of(s, f);

        if (a)
                a->unmatched++;
        if (f->action == FLOW_CONNECTION_NEW) {
                s->unmatched_connections++;
                s->unmatched_by[f->l4proto == IPPROTO_UDP][t && t->apple_network]++;
        } else if (f->action == FLOW_PACKET_LOGGED)
                s->unmatched_packets++;
}

void stats_count_excluded(struct stats *s, const struct flow *f) {
        struct stats_account *a = account_of(s, f);

        if (a)
                a->excluded++;
        if (f->action == FLOW_CONNECTION_NEW)
                s->excluded_connections++;
        else if (f->action == FLOW_PACKET_LOGGED)
                s->excluded_packets++;
}

int stats_enable_names(struct stats *s) {
        return s->names ? 0 : name_stats_new(&s->names);
}

/* Adds d to the tag's entry and, unless the tag is a name's, to the products
 * its matches name, each once, with the best confidence among them. */
static void count_tagged(struct stats *s, const struct tag *t, const struct delta *d) {
        s->stamp++;
        item_add(&s->entries[t->entry], d);
        item_add_confidence(&s->entries[t->entry], d, t->confidence);
        if (t->name_rule && d->connection)
                name_stats_count(s->names, t->name_rule);
        /* Tagged by an Apple name: its service and suffix count, not the port's products. */
        if (t->by_name)
                return;
        /* The most confident match first, so a product named by several
         * entries counts with the best of them. */
        for (enum confidence c = CONFIDENCE_HIGH; c >= CONFIDENCE_LOW; c--) {
                if (t->confidence == c)
                        count_products(s, d, t->entry, c);
                for (unsigned m = 0; m < t->matches.n; m++) {
                        size_t e = t->matches.entries[m];

                        if (e < s->n_entries && tagger_match_confidence(t, &s->catalog->entries[e]) == c)
                                count_products(s, d, e, c);
                }
        }
}

void stats_count_flow(struct stats *s, const struct flow *f, const struct tag *t) {
        struct stats_account *a;
        struct delta d = {};

        if (t->confidence == CONFIDENCE_NONE || t->entry >= s->n_entries) {
                stats_count_unmatched(s, f, t);
                return;
        }

        a = account_of(s, f);
        if (a)
                a->tagged++;
        switch (f->action) {
        case FLOW_CONNECTION_NEW:
                d.connection = true;
                break;
        case FLOW_CONNECTION_END:
                d.ended = 1;
                d.unanswered = !flow_answered(f);
                break;
        case FLOW_PACKET_LOGGED:
                d.blocked = 1;
                break;
        case FLOW_CONNECTION_OPEN:
                return; /* bytes only, through stats_count_bytes() */
        }
        count_tagged(s, t, &d);
}

void stats_count_bytes(struct stats *s, const struct tag *t, uint64_t bytes, uint64_t packets) {
        const struct delta d = { .bytes = bytes, .packets = packets };

        if (t->confidence == CONFIDENCE_NONE || t->entry >= s->n_entries || (bytes == 0 && packets == 0))
                return;
        count_tagged(s, t, &d);
}

uint64_t stats_confidence_at_least(const struct stats_counters *c, enum confidence min) {
        uint64_t n = 0;

        for (enum confidence k = MAX(min, CONFIDENCE_LOW); k < _CONFIDENCE_MAX; k++)
                n += c->confidence[STATS_CONFIDENCE_INDEX(k)];
        return n;
}

uint64_t stats_confidence_below(const struct stats_counters *c, enum confidence min) {
        uint64_t n = 0;

        for (enum confidence k = CONFIDENCE_LOW; k < min && k < _CONFIDENCE_MAX; k++)
                n += c->confidence[STATS_CONFIDENCE_INDEX(k)];
        return n;
}

static const uint64_t *rated_total(const struct stats_item *i, enum stats_rated r) {
        return r == STATS_RATED_CONNECTIONS ? &i->total.connections : &i->total.blocked;
}

static void item_tick(struct stats_item *i, uint64_t n_ticks) {
        for (enum stats_rated r = 0; r < _STATS_RATED_MAX; r++) {
                uint64_t total = *rated_total(i, r);

                for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                        i->rate[r][w] = rate_advance(i->rate[r][w], w, n_ticks, total - i->mark[r]);
                i->mark[r] = total;
        }
}

void stats_tick(struct stats *s, uint64_t now) {
        uint64_t n_ticks;

        if (s->tick_usec == 0) {
                s->tick_usec = now;
                return;
        }
        if (now <= s->tick_usec)
                return;
        n_ticks = (now - s->tick_usec) / RATE_TICK_USEC;
        if (n_ticks == 0)
                return;
        s->tick_usec += n_ticks * RATE_TICK_USEC;

        for (size_t i = 0; i < s->n_entries; i++)
                item_tick(&s->entries[i], n_ticks);
        for (size_t i = 0; i < s->n_products; i++)
                item_tick(&s->products[i], n_ticks);
}

static void item_reset_marks(struct stats_item *i) {
        for (enum stats_rated r = 0; r < _STATS_RATED_MAX; r++)
                i->mark[r] = *rated_total(i, r);
        i->summary_mark = i->total;
}

void stats_reset_marks(struct stats *s) {
        for (size_t i = 0; i < s->n_entries; i++)
                item_reset_marks(&s->entries[i]);
        for (size_t i = 0; i < s->n_products; i++)
                item_reset_marks(&s->products[i]);
}

void stats_set_refresh(struct stats *s, stats_refresh_t cb, void *userdata) {
        s->refresh = cb;
        s->refresh_userdata = userdata;
}

void stats_refresh(struct stats *s) {
        if (s->refresh)
                s->refresh(s, &s->daemon, s->refresh_userdata);
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        struct stats *s = userdata;
        int r;

        stats_refresh(s);
        stats_tick(s, usec);

        /* Next tick on the next whole second after the previous target, so
         * that a late wakeup does not drift the schedule. */
        r = sd_event_source_set_time(source, usec + RATE_TICK_USEC);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

int stats_attach_event(struct stats *s, sd_event *e) {
        uint64_t now;
        int r;

        if (s->timer)
                return -EBUSY;

        r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        stats_tick(s, now);

        r = sd_event_add_time(e, &s->timer, CLOCK_MONOTONIC, now + RATE_TICK_USEC,
                              100000 /* accuracy: 100 ms */, on_timer, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->timer, "stats-tick");
        return 0;
}

const char *stats_source_to_string(enum stats_source src) {
        static const char *const names[_STATS_SOURCE_MAX] = {
                [STATS_SOURCE_CONNTRACK] = "conntrack",
                [STATS_SOURCE_NFLOG] = "nflog",
        };
        return (unsigned) src < _STATS_SOURCE_MAX ? names[src] : NULL;
}

const char *stats_rated_to_string(enum stats_rated r) {
        static const char *const names[_STATS_RATED_MAX] = {
                [STATS_RATED_CONNECTIONS] = "connections",
                [STATS_RATED_BLOCKED] = "blocked",
        };
        return (unsigned) r < _STATS_RATED_MAX ? names[r] : NULL;
}

bool stats_item_active(const struct stats_item *i) {
        if (i->total.connections || i->total.blocked || i->total.bytes || i->total.packets)
                return true;
        for (size_t k = 0; k < _STATS_CONFIDENCE_MAX; k++)
                if (i->total.confidence[k])
                        return true;
        for (enum stats_rated r = 0; r < _STATS_RATED_MAX; r++)
                for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                        if (i->rate[r][w] > 0)
                                return true;
        return false;
}
