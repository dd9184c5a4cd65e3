/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Periodic summary entries: every summary_interval, one journal entry per
 * catalogue entry that counted anything in the period, with the period's
 * counts, the totals and the rates (MESSAGE_ID_SUMMARY), so that a SIEM that
 * reads only the journal still gets the rates. Submitted through the queue
 * like every other entry.
 *
 * Fields besides MESSAGE_ID, MESSAGE, PRIORITY (6):
 *   EVENT_ACTION=summary, APPLE_SERVICE, APPLE_PRODUCT (once per product)
 *   and APPLE_PRODUCTS (the same joined by ';'),
 *   SUMMARY_PERIOD_SEC, SUMMARY_CONNECTIONS (those at or above the
 *   attribution confidence, stats.attribute_min), SUMMARY_NOT_ATTRIBUTED_CONNECTIONS
 *   (the rest), SUMMARY_MIN_CONFIDENCE, SUMMARY_BLOCKED_PACKETS,
 *   SUMMARY_BYTES, SUMMARY_PACKETS (in the period),
 *   SUMMARY_TOTAL_CONNECTIONS, SUMMARY_TOTAL_BLOCKED_PACKETS (since the
 *   first start), SUMMARY_CONNECTION_RATE_10S/_1M/_5M/_15M and
 *   SUMMARY_BLOCKED_RATE_10S/_1M/_5M/_15M (per second).
 */

#include <stdint.h>

#include <systemd/sd-event.h>

#include "entry.h"
#include "macro.h"
#include "queue.h"
#include "stats.h"

struct summary {
        struct stats *stats;
        struct queue *queue;
        struct entry *scratch; /* one entry, reused */
        sd_event_source *timer;
        uint64_t interval_usec;
        uint64_t last_usec; /* CLOCK_MONOTONIC of the last summary, 0: none yet */
};

int summary_new(struct summary **ret, struct stats *s, struct queue *q);
struct summary *summary_free(struct summary *sm);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct summary *, summary_free);

/* Every interval_usec on e's CLOCK_MONOTONIC; 0: never (returns 0). */
int summary_attach_event(struct summary *sm, sd_event *e, uint64_t interval_usec);

/* Submit the entries for the period ending now (CLOCK_MONOTONIC) and start
 * a new period. Returns the number of entries submitted. */
int summary_emit(struct summary *sm, uint64_t now_usec);

/* One catalogue entry's summary; period_sec for SUMMARY_PERIOD_SEC. */
int summary_format(struct entry *e, const struct stats *s, size_t i, uint64_t period_sec);
/* Whether entry i counted anything since the last summary. */
bool summary_active(const struct stats *s, size_t i);
