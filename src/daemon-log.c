/* SPDX-License-Identifier: MIT */
/*
 * The daemon's own entries and status: they go through the same queue as the
 * connections', so they reach the same sink in order; the start entry, the
 * STATUS= line, and the final figures at the stop.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "daemon-internal.h"
#include "local-addresses.h"
#include "message-id.h"
#include "nflog.h"
#include "queue.h"
#include "writer.h"

_printf_(4, 5) struct entry *daemon_entry(struct daemon *d, const char *message_id, int priority,
                                          const char *fmt, ...) {
        char message[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        if (entry_format_message(d->scratch, message_id, priority, "%s", message) < 0)
                return NULL;
        return d->scratch;
}

void daemon_submit(struct daemon *d, struct entry *e) {
        if (e)
                (void) queue_submit_entry(d->queue, e);
}

void daemon_notify_status(struct daemon *d, const char *state) {
        const struct stats_daemon *dd = &d->stats->daemon;
        uint64_t now = now_usec(), events, lost = 0;
        double rate = 0;

        stats_refresh(d->stats);
        events = dd->events_received[STATS_SOURCE_CONNTRACK] + dd->events_received[STATS_SOURCE_NFLOG];
        for (unsigned s = 0; s < _STATS_SOURCE_MAX; s++)
                lost += dd->events_lost[s];
        if (d->status_usec > 0 && now > d->status_usec)
                rate = (double) (events - d->status_events) * 1e6 / (double) (now - d->status_usec);
        d->status_events = events;
        d->status_usec = now;

        sd_notifyf(false, "%sSTATUS=%.0f events/s, %" PRIu64 " entries written, %" PRIu64 " dropped, "
                          "%" PRIu64 " kernel losses",
                   state ?: "", rate, dd->entries_written, dd->entries_dropped + dd->write_errors, lost);
}

/* "medium or high confidence", for the start entry. */
static const char *confidence_phrase(enum confidence c) {
        return c <= CONFIDENCE_LOW ? "any confidence" : c == CONFIDENCE_MEDIUM ? "medium or high confidence"
                                                                               : "high confidence only";
}

static const char *output_phrase(enum output_mode m) {
        return m == OUTPUT_JOURNAL ? "the journal" : m == OUTPUT_JSON ? "standard output as JSON"
                                                                      : "standard output (console)";
}

void daemon_log_started(struct daemon *d) {
        const struct config *c = d->config;
        char groups[CONFIG_NFLOG_GROUPS_MAX * 6 + 1] = "", inputs[64 + sizeof(groups)], notes[256] = "", dns[384] = "";
        struct local_addresses_stats la;
        struct entry *e;
        int refused = d->nflog ? nflog_input_get_stats(d->nflog)->conntrack_refused : 0;

        if (d->names)
                snprintf(dns, sizeof(dns), "Apple's names from the DNS answers of NFLOG group %d, domains %s "
                                           "(%zu suffixes)",
                         c->dns_nflog_group, domains_source(d->tagset.domains),
                         domains_count(d->tagset.domains));

        for (unsigned i = 0; i < c->n_nflog_groups; i++)
                snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), "%s%u",
                         i > 0 ? " " : "", c->nflog_groups[i]);
        snprintf(inputs, sizeof(inputs), "%s%s%s%s%s",
                 c->conntrack ? "conntrack " : "",
                 c->conntrack ? ((c->families & INPUT_FAMILY_IPV4) && (c->families & INPUT_FAMILY_IPV6) ? "ipv4+ipv6" : (c->families & INPUT_FAMILY_IPV4) ? "ipv4"
                                                                                                                                                          : "ipv6")
                              : "",
                 c->conntrack && c->n_nflog_groups ? ", " : "",
                 c->n_nflog_groups ? "NFLOG groups " : "", groups);
        local_addresses_get_stats(d->local, &la);
        snprintf(notes, sizeof(notes), "; %zu router addresses followed", la.addresses);
        /* A kernel without CONFIG_NETFILTER_NETLINK_GLUE_CT: how the kernel
         * is built, not a fault, so said in the start entry. */
        if (refused < 0)
                snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
                         "; NFLOG packets come without their connection (the kernel refuses "
                         "NFULNL_CFG_F_CONNTRACK: %s), which way each went is not known",
                         strerror(-refused));

        e = daemon_entry(d, MESSAGE_ID_STARTED_STR, 5,
                         "appleflowd " PACKAGE_VERSION " started: %s; catalogue %s (%zu entries, %zu products), "
                         "networks %s (%zu prefixes); %s%slogs connections of %s to %s%s",
                         inputs, d->tagset.catalog->source, catalog_listed_entries(d->tagset.catalog),
                         d->tagset.catalog->n_products, networks_source(d->tagset.networks),
                         networks_count(d->tagset.networks), dns, dns[0] ? "; " : "",
                         confidence_phrase(c->log_min_confidence),
                         output_phrase(writer_mode(d->writer)), notes);
        if (e) {
                (void) entry_add_field(e, "CATALOG_SOURCE", "%s", d->tagset.catalog->source);
                (void) entry_add_field(e, "CATALOG_ENTRIES", "%zu", catalog_listed_entries(d->tagset.catalog));
                (void) entry_add_field(e, "NETWORKS_SOURCE", "%s", networks_source(d->tagset.networks));
                (void) entry_add_field(e, "NETWORKS_PREFIXES", "%zu", networks_count(d->tagset.networks));
                (void) entry_add_field(e, "DOMAINS_SOURCE", "%s", domains_source(d->tagset.domains));
                (void) entry_add_field(e, "CONFIG_FILE", "%s", c->source ?: "none (defaults)");
        }
        daemon_submit(d, e);
}

/* The final figures: STATUS= for the service manager, and on stderr what
 * the journal could not be told. */
void daemon_log_stopped(struct daemon *d) {
        const struct stats_daemon *dd = &d->stats->daemon;
        struct daemon_losses lost[_STATS_SOURCE_MAX] = {};
        uint64_t events = 0, events_lost = 0, unreported_losses = 0;
        struct queue_stats q;

        stats_refresh(d->stats);
        daemon_read_losses(d, lost);
        queue_get_stats(d->queue, &q);
        for (unsigned s = 0; s < _STATS_SOURCE_MAX; s++) {
                events += dd->events_received[s];
                events_lost += lost[s].events;
                unreported_losses += lost[s].events - d->losses_reported[s].events;
        }
        sd_notifyf(false, "STATUS=Stopped: %" PRIu64 " events received, %" PRIu64 " lost in the kernel; "
                          "%" PRIu64 " entries written, %" PRIu64 " not written",
                   events, events_lost, dd->entries_written, dd->entries_dropped + dd->write_errors);
        if (q.writer.unreported > 0 || unreported_losses > 0)
                fprintf(stderr, "appleflowd: stopped with %" PRIu64 " entries not written and %" PRIu64 " events lost in the kernel that no journal entry reports\n",
                        q.writer.unreported, unreported_losses);
}
