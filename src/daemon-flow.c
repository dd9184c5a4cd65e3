/* SPDX-License-Identifier: MIT */
/*
 * The per-event path: every flow an input hands over is counted as seen,
 * left out when it is the router's own, tagged (ports, then Apple's names),
 * counted, and queued for the journal when it is confident enough.
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
#include "name-tag.h"
#include "queue.h"
#include "flow-tag.h"
#include "live-bytes.h"

/* What of a connection's bytes the reads while it was open did not count. */
static void count_end_bytes(struct daemon *d, const struct flow *f, const struct tag *tag) {
        uint64_t bytes = f->orig_bytes + f->reply_bytes, packets = f->orig_packets + f->reply_packets;

        if (d->live)
                live_bytes_end(d->live, f, &bytes, &packets);
        stats_count_bytes(d->stats, tag, bytes, packets);
}

void daemon_handle_flow(const struct flow *f, void *userdata) {
        struct daemon *d = userdata;
        const struct config *c = d->config;
        struct tag_input in;
        struct tag tag;

        if (f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP)
                return; /* the inputs pass TCP and UDP only */
        stats_count_seen(d->stats, f);
        /* The router's own traffic, or a configured exclusion: counted only. */
        if (d->local && local_addresses_excludes(d->local, f)) {
                stats_count_excluded(d->stats, f);
                return;
        }
        flow_tag_input(f, &in);
        tagger_tag(&d->tagger, &in, &tag);
        if (d->names)
                name_tag_apply(d->names, d->tagset.domains, d->tagset.catalog, &in, now_sec(), &tag);
        stats_count_flow(d->stats, f, &tag);
        if (f->action == FLOW_CONNECTION_NEW && d->live && tag.confidence != CONFIDENCE_NONE)
                live_bytes_open(d->live, f);
        else if (f->action == FLOW_CONNECTION_END && f->has_counters)
                count_end_bytes(d, f, &tag);
        if (tag.confidence == CONFIDENCE_NONE)
                return;

        if (tag.confidence < c->log_min_confidence ||
            (f->action == FLOW_CONNECTION_END && !c->log_connection_end)) {
                d->stats->daemon.below_threshold++;
                return;
        }
        (void) queue_submit_flow(d->queue, f, &tag, d->tagset.catalog);
}
