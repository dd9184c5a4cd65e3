/* SPDX-License-Identifier: MIT */
/*
 * What the kernel did not deliver, said in the journal: events lost in the
 * receive buffers, connections refused by a full conntrack table, no
 * conntrack event at all, and kernel settings that cost the operator data.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "daemon-internal.h"
#include "conntrack.h"
#include "conntrack-table.h"
#include "message-id.h"
#include "nflog.h"
#include "queue.h"
#include "sysctl-check.h"

/* The running loss totals of each input, as the next report would give them. */
void daemon_read_losses(struct daemon *d, struct daemon_losses now[static _STATS_SOURCE_MAX]) {
        if (d->conntrack) {
                struct conntrack_stats cs;

                conntrack_input_get_stats(d->conntrack, &cs);
                now[STATS_SOURCE_CONNTRACK] = (struct daemon_losses) {
                        .events = cs.dropped,
                        .overruns = cs.enobufs,
                        .receive_buffer = cs.rcvbuf,
                        .at_least = !cs.dropped_exact,
                };
        }
        if (d->nflog) {
                const struct nflog_input_stats *ns = nflog_input_get_stats(d->nflog);

                /* A dropped NFLOG message held one packet or more. */
                now[STATS_SOURCE_NFLOG] = (struct daemon_losses) {
                        .events = MAX(ns->dropped, ns->enobufs),
                        .overruns = ns->enobufs,
                        .at_least = true,
                };
        }
}

void daemon_report_losses(struct daemon *d) {
        struct daemon_losses now[_STATS_SOURCE_MAX] = {};

        daemon_read_losses(d, now);
        for (unsigned s = 0; s < _STATS_SOURCE_MAX; s++) {
                struct daemon_losses *done = &d->losses_reported[s];
                struct entry_loss l = {
                        .source = stats_source_to_string(s),
                        .events = now[s].events - done->events,
                        .overruns = now[s].overruns - done->overruns,
                        .receive_buffer = now[s].receive_buffer,
                        .at_least = now[s].at_least,
                };

                if (l.events == 0 && l.overruns == 0)
                        continue;
                /* No room even in the reserve: the same totals go next time. */
                if (queue_submit_lost(d->queue, &l) == -EAGAIN)
                        continue;
                *done = now[s];
        }
        d->last_loss_report_usec = now_usec();
        queue_flush(d->queue);
}

void daemon_on_conntrack_loss(struct conntrack_input *in, void *userdata) {
        struct daemon *d = userdata;

        /* At once for the first loss, then at most once per tick. */
        if (now_usec() - d->last_loss_report_usec >= DAEMON_TICK_USEC)
                daemon_report_losses(d);
}

/* Connections the kernel refused because its table was full never reach
 * us as events: read its count, and say so at once, then at most every
 * DAEMON_TABLE_REPORT_USEC (or at a stop, `now`). The count goes into the
 * next report when this one finds no room. */
void daemon_watch_table(struct daemon *d, bool now) {
        uint64_t refused, t = now_usec();
        struct entry *e;

        if (!d->conntrack_table || conntrack_table_read(d->conntrack_table, &d->table) < 0)
                return;
        refused = d->table.refused - d->table_refused_reported;
        if (refused == 0 ||
            (!now && d->table_report_usec > 0 && t - d->table_report_usec < DAEMON_TABLE_REPORT_USEC))
                return;
        e = daemon_entry(d, MESSAGE_ID_TABLE_FULL_STR, 4,
                         "The conntrack table was full: the kernel refused %" PRIu64 " new connection%s "
                         "since the last report, which appleflowd cannot see or log (%" PRIu64 " of %" PRIu64
                         " entries now)",
                         refused, refused == 1 ? "" : "s", d->table.entries, d->table.max);
        if (!e || entry_add_field(e, "EVENT_ACTION", "connections-refused") < 0 ||
            entry_add_field(e, "CONNTRACK_REFUSED", "%" PRIu64, refused) < 0 ||
            entry_add_field(e, "CONNTRACK_ENTRIES", "%" PRIu64, d->table.entries) < 0 ||
            entry_add_field(e, "CONNTRACK_MAX", "%" PRIu64, d->table.max) < 0 ||
            queue_submit_entry(d->queue, e) < 0)
                return;
        d->table_refused_reported = d->table.refused;
        d->table_report_usec = t;
}

/* No conntrack event at all: say why, at start and after a quiet while. */
void daemon_watch_quiet(struct daemon *d, bool at_start) {
        struct conntrack_stats cs;
        char advice[512];
        int64_t entries = -1;
        struct entry *e;

        if (!d->conntrack)
                return;
        /* Later ticks use what daemon_watch_table() read. */
        if (d->conntrack_table && (!at_start || conntrack_table_read(d->conntrack_table, &d->table) >= 0))
                entries = (int64_t) d->table.entries;
        conntrack_input_get_stats(d->conntrack, &cs);
        if (!conntrack_quiet_check(&d->quiet, cs.events, entries, at_start, now_usec(), advice,
                                   sizeof(advice)))
                return;
        e = daemon_entry(d, MESSAGE_ID_KERNEL_SETTING_STR, 4, "%s", advice);
        if (e && entries >= 0)
                (void) entry_add_field(e, "CONNTRACK_ENTRIES", "%" PRId64, entries);
        daemon_submit(d, e);
}

void daemon_warn_kernel_settings(struct daemon *d) {
        struct sysctl_state st;
        char advice[512];

        sysctl_read(SYSCTL_NETFILTER_DIR, &st);
        for (unsigned i = 0; i < _SYSCTL_SETTING_MAX; i++) {
                struct entry *e;

                if (!sysctl_advice(i, st.value[i], advice, sizeof(advice)))
                        continue;
                e = daemon_entry(d, MESSAGE_ID_KERNEL_SETTING_STR, 4, "%s", advice);
                if (e)
                        (void) entry_add_field(e, "SYSCTL_NAME", "%s", sysctl_setting_name(i));
                daemon_submit(d, e);
        }
}
