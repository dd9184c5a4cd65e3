/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The statistics in the node_exporter textfile format (text exposition
 * format 0.0.4), written atomically to a configured file every few seconds:
 * counters per catalogue entry (label service) and per product (label
 * product), rate gauges per window, and the daemon's own counters. Every
 * entry of the catalogue is written, zero or not, so that series do not
 * appear out of nowhere; no label carries an address.
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
        int last_error;                 /* to log changes only */
};

int prometheus_new(struct prometheus **ret, struct stats *s, const char *path);
struct prometheus *prometheus_free(struct prometheus *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct prometheus *, prometheus_free);

/* Write now (refreshing the daemon's counters first). */
int prometheus_write(struct prometheus *p, char *err, size_t errlen);
/* Write at once, then every interval_usec on e's CLOCK_MONOTONIC. */
int prometheus_attach_event(struct prometheus *p, sd_event *e, uint64_t interval_usec);

/* The file's contents. */
int prometheus_format(const struct stats *s, FILE *f);
/* value with \, " and newline escaped, as a label value needs. */
void prometheus_escape(FILE *f, const char *value);
