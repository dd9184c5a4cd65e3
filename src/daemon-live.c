/* SPDX-License-Identifier: MIT */
/*
 * Connections while they are open: every live_bytes_interval the kernel's
 * table is read, and each tagged connection counts the bytes that are new
 * since it was last counted (live-bytes.h); with each read, the namespace's
 * conntrack timeouts are read again for the durations of connection ends
 * (ct-duration.h).
 */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "conntrack-dump.h"
#include "conntrack.h"
#include "ct-duration.h"
#include "daemon.h"
#include "daemon-internal.h"
#include "flow-tag.h"
#include "live-bytes.h"
#include "local-addresses.h"
#include "message-id.h"
#include "name-tag.h"
#include "sysctl-check.h"

#define TIMEOUTS_REREAD_TICKS 60
#define LIVE_FINAL_READ_USEC (5 * 1000000ull)

void daemon_read_timeouts(struct daemon *d) {
        struct ct_timeouts t;

        if (!d->conntrack)
                return;
        (void) ct_timeouts_read(&t, SYSCTL_NETFILTER_DIR);
        conntrack_input_set_timeouts(d->conntrack, &t);
}

/* One connection of a read: its new bytes, where its tag says. */
static void on_open_connection(const struct flow *f, void *userdata) {
        struct daemon *d = userdata;
        struct tag_input in;
        struct tag tag;
        uint64_t bytes, packets;
        enum live_bytes_read r;

        if (f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP)
                return;
        /* Most of a large table is neither followed nor older than the
         * subscription: it costs a lookup, not a tagging. */
        r = live_bytes_read(d->live, f, &bytes, &packets);
        if (r == LIVE_BYTES_SKIP || (r == LIVE_BYTES_COUNT && bytes == 0 && packets == 0))
                return;
        if (d->local && local_addresses_excludes(d->local, f))
                return;
        flow_tag_input(f, &in);
        tagger_tag(&d->tagger, &in, &tag);
        if (d->names)
                name_tag_apply(d->names, d->tagset.domains, d->tagset.catalog, &in, now_sec(), &tag);
        if (tag.confidence == CONFIDENCE_NONE)
                return;
        if (r == LIVE_BYTES_OLDER)
                live_bytes_adopt(d->live, f);
        else
                stats_count_bytes(d->stats, &tag, bytes, packets);
}

static void on_read_done(struct conntrack_dump *dump, bool complete, uint64_t entries, void *userdata) {
        struct daemon *d = userdata;

        live_bytes_read_end(d->live, complete, entries);
}

static int on_dump_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct daemon *d = userdata;
        int r = conntrack_dump_dispatch(d->live_dump);

        if (r < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_KERNEL_SETTING_STR, 4,
                                              "Reading the conntrack table for the bytes of open connections "
                                              "failed: %s; they count at their end until the next read",
                                              strerror(-r)));
        return 0;
}

int daemon_live_open(struct daemon *d, uint64_t subscribed_ns, char *err, size_t errlen) {
        int r;

        r = live_bytes_new(&d->live, d->config->live_connections_max, subscribed_ns);
        if (r >= 0)
                r = conntrack_dump_new(&d->live_dump, d->config->families, on_open_connection, on_read_done, d);
        if (r >= 0)
                r = sd_event_add_io(d->event, &d->live_source, conntrack_dump_fd(d->live_dump), EPOLLIN,
                                    on_dump_readable, d);
        if (r < 0) {
                snprintf(err, errlen, "Cannot set up the reads of open connections: %s", strerror(-r));
                return r;
        }
        return 0;
}

/* Every tick: a read every live_bytes_interval seconds (0: none; a reload
 * changes it), unless the last one is still running. */
void daemon_live_tick(struct daemon *d) {
        uint32_t interval = d->config->live_bytes_interval;

        d->live_ticks++;
        if (d->live_ticks % TIMEOUTS_REREAD_TICKS == 0)
                daemon_read_timeouts(d);
        if (!d->live || interval == 0 || d->live_ticks % interval != 0)
                return;
        if (conntrack_dump_running(d->live_dump)) {
                d->live_reads_skipped++;
                return;
        }
        live_bytes_read_begin(d->live);
        if (conntrack_dump_start(d->live_dump) < 0)
                live_bytes_read_end(d->live, false, 0);
}

/* A read to its end, blocking, bounded in time: at a clean stop. */
void daemon_live_final_read(struct daemon *d) {
        uint64_t deadline = now_usec() + LIVE_FINAL_READ_USEC;

        if (!d->live || d->config->live_bytes_interval == 0)
                return;
        if (!conntrack_dump_running(d->live_dump)) {
                live_bytes_read_begin(d->live);
                if (conntrack_dump_start(d->live_dump) < 0) {
                        live_bytes_read_end(d->live, false, 0);
                        return;
                }
        }
        while (conntrack_dump_running(d->live_dump) && now_usec() < deadline) {
                struct pollfd p = { .fd = conntrack_dump_fd(d->live_dump), .events = POLLIN };

                if (poll(&p, 1, 100) < 0 && errno != EINTR)
                        break;
                if (conntrack_dump_dispatch(d->live_dump) < 0)
                        break;
        }
}

void daemon_live_close(struct daemon *d) {
        d->live_source = sd_event_source_disable_unref(d->live_source);
        d->live_dump = conntrack_dump_free(d->live_dump);
        d->live = live_bytes_free(d->live);
}
