/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "message-id.h"
#include "summary.h"

static struct stats_counters period(const struct stats_item *it) {
        struct stats_counters p = {
                .connections = it->total.connections - it->summary_mark.connections,
                .blocked = it->total.blocked - it->summary_mark.blocked,
                .bytes = it->total.bytes - it->summary_mark.bytes,
                .packets = it->total.packets - it->summary_mark.packets,
        };

        for (size_t k = 0; k < _STATS_CONFIDENCE_MAX; k++)
                p.confidence[k] = it->total.confidence[k] - it->summary_mark.confidence[k];
        return p;
}

bool summary_active(const struct stats *s, size_t i) {
        struct stats_counters p;

        if (i >= s->n_entries)
                return false;
        p = period(&s->entries[i]);
        return p.connections || p.blocked || p.bytes || p.packets;
}

static const char *const window_field[_STATS_RATED_MAX][_RATE_WINDOW_MAX] = {
        [STATS_RATED_CONNECTIONS] = {
                "SUMMARY_CONNECTION_RATE_10S",
                "SUMMARY_CONNECTION_RATE_1M",
                "SUMMARY_CONNECTION_RATE_5M",
                "SUMMARY_CONNECTION_RATE_15M",
        },
        [STATS_RATED_BLOCKED] = {
                "SUMMARY_BLOCKED_RATE_10S",
                "SUMMARY_BLOCKED_RATE_1M",
                "SUMMARY_BLOCKED_RATE_5M",
                "SUMMARY_BLOCKED_RATE_15M",
        },
};

int summary_format(struct entry *e, const struct stats *s, size_t i, uint64_t period_sec) {
        const struct catalog_entry *ce;
        const struct stats_item *it;
        struct stats_counters p;
        uint64_t attributed, not_attributed;
        char apart[96] = "";
        unsigned products;
        int r;

        if (i >= s->n_entries)
                return -EINVAL;
        ce = &s->catalog->entries[i];
        it = &s->entries[i];
        p = period(it);
        attributed = stats_confidence_at_least(&p, s->attribute_min);
        not_attributed = stats_confidence_below(&p, s->attribute_min);

        if (not_attributed > 0)
                snprintf(apart, sizeof(apart), " (and %" PRIu64 " not attributed, below %s confidence)",
                         not_attributed, confidence_to_string(s->attribute_min));
        r = entry_format_message(e, MESSAGE_ID_SUMMARY_STR, 6,
                                 "%s: %" PRIu64 " connections%s, %" PRIu64 " blocked packets in %" PRIu64
                                 " s; %.2f connections/s over 1 min, %.2f over 5 min, %.2f over 15 min",
                                 ce->id, attributed, apart, p.blocked, period_sec,
                                 it->rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_1M],
                                 it->rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_5M],
                                 it->rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_15M]);
        if (r < 0)
                return r;

#define ADD(name, ...)                                     \
        do {                                               \
                r = entry_add_field(e, name, __VA_ARGS__); \
                if (r < 0)                                 \
                        return r;                          \
        } while (0)
        ADD("EVENT_ACTION", "summary");
        ADD("APPLE_SERVICE", "%s", ce->id);
        products = e->n_fields;
        for (unsigned j = 0; j < ce->n_products && j < CATALOG_ENTRY_PRODUCTS_MAX; j++)
                if (ce->products[j] < s->n_products)
                        ADD("APPLE_PRODUCT", "%s", s->catalog->products[ce->products[j]].name);
        r = entry_add_joined(e, "APPLE_PRODUCTS", products);
        if (r < 0)
                return r;
        ADD("SUMMARY_PERIOD_SEC", "%" PRIu64, period_sec);
        ADD("SUMMARY_CONNECTIONS", "%" PRIu64, attributed);
        ADD("SUMMARY_NOT_ATTRIBUTED_CONNECTIONS", "%" PRIu64, not_attributed);
        ADD("SUMMARY_MIN_CONFIDENCE", "%s", confidence_to_string(s->attribute_min));
        ADD("SUMMARY_BLOCKED_PACKETS", "%" PRIu64, p.blocked);
        ADD("SUMMARY_BYTES", "%" PRIu64, p.bytes);
        ADD("SUMMARY_PACKETS", "%" PRIu64, p.packets);
        ADD("SUMMARY_TOTAL_CONNECTIONS", "%" PRIu64, it->total.connections);
        ADD("SUMMARY_TOTAL_BLOCKED_PACKETS", "%" PRIu64, it->total.blocked);
        for (enum stats_rated k = 0; k < _STATS_RATED_MAX; k++)
                for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                        ADD(window_field[k][w], "%.3f", it->rate[k][w]);
#undef ADD
        return 0;
}

int summary_new(struct summary **ret, struct stats *s, struct queue *q) {
        _cleanup_(summary_freep) struct summary *sm = NULL;

        if (!ret || !s || !q)
                return -EINVAL;
        sm = calloc(1, sizeof(*sm));
        if (!sm)
                return -ENOMEM;
        sm->scratch = calloc(1, sizeof(*sm->scratch));
        if (!sm->scratch)
                return -ENOMEM;
        sm->stats = s;
        sm->queue = q;
        *ret = sm;
        sm = NULL;
        return 0;
}

struct summary *summary_free(struct summary *sm) {
        if (!sm)
                return NULL;
        sd_event_source_disable_unref(sm->timer);
        free(sm->scratch);
        free(sm);
        return NULL;
}

int summary_emit(struct summary *sm, uint64_t now) {
        struct stats *s = sm->stats;
        uint64_t period_sec;
        int n = 0;

        if (sm->last_usec > 0 && now > sm->last_usec)
                period_sec = (now - sm->last_usec + 500000) / 1000000;
        else
                period_sec = sm->interval_usec / 1000000;

        for (size_t i = 0; i < s->n_entries; i++) {
                if (!summary_active(s, i))
                        continue;
                /* A full queue counts the drop itself; nothing else to do. */
                if (summary_format(sm->scratch, s, i, period_sec) >= 0 &&
                    queue_submit_entry(sm->queue, sm->scratch) >= 0)
                        n++;
        }
        for (size_t i = 0; i < s->n_entries; i++)
                s->entries[i].summary_mark = s->entries[i].total;
        for (size_t i = 0; i < s->n_products; i++)
                s->products[i].summary_mark = s->products[i].total;
        sm->last_usec = now;
        queue_flush(sm->queue);
        return n;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        struct summary *sm = userdata;
        int r;

        (void) summary_emit(sm, usec);
        r = sd_event_source_set_time(source, usec + sm->interval_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

int summary_attach_event(struct summary *sm, sd_event *e, uint64_t interval_usec) {
        uint64_t now;
        int r;

        if (interval_usec == 0)
                return 0;
        if (sm->timer)
                return -EBUSY;
        r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        sm->interval_usec = interval_usec;
        sm->last_usec = now;
        r = sd_event_add_time(e, &sm->timer, CLOCK_MONOTONIC, now + interval_usec, 1000000,
                              on_timer, sm);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(sm->timer, "stats-summary");
        return 0;
}
