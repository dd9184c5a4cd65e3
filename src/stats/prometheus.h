/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The statistics in the node_exporter textfile format (text exposition
 * format 0.0.4), written atomically to a configured file every few seconds.
 * Counters only, named as Prometheus's naming guide says: PromQL's rate()
 * makes the rates. Every catalogue entry (label service) and every product
 * (label product) is written, zero or not: the set is bounded by the
 * catalogue, and a series that appears at its first event hides that event
 * from rate() and increase(). No label carries an address. The families are
 * one table in prometheus.c; docs/prometheus.md says why each exists.
 */

#include <stdint.h>
#include <stdio.h>

#include <systemd/sd-event.h>

#include "macro.h"
#include "stats.h"

#define PROMETHEUS_ERROR_MAX 512

struct prometheus {
        struct stats *stats;
        char *path;
        sd_event_source *timer;
        uint64_t interval_usec;
        int last_error; /* to log changes only */
};

int prometheus_new(struct prometheus **ret, struct stats *s, const char *path);
struct prometheus *prometheus_free(struct prometheus *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct prometheus *, prometheus_free);

/* Write now (refreshing the daemon's counters first). */
int prometheus_write(struct prometheus *p, char *err, size_t errlen);
/* Write at once, then every interval_usec on e's CLOCK_MONOTONIC. */
int prometheus_attach_event(struct prometheus *p, sd_event *e, uint64_t interval_usec);

/* The file's contents, as written at now_usec (CLOCK_REALTIME) by a writer
 * that writes every interval_usec (0: not on a timer). */
int prometheus_format(const struct stats *s, uint64_t now_usec, uint64_t interval_usec, FILE *f);
/* value with \, " and newline escaped, as a label value needs. */
void prometheus_escape(FILE *f, const char *value);
