/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "batch-io.h"
#include "caps.h"
#include "conntrack.h"
#include "control.h"
#include "daemon.h"
#include "dns-input.h"
#include "entry.h"
#include "flow-tag.h"
#include "local-addresses.h"
#include "exit-status.h"
#include "message-id.h"
#include "name-tag.h"
#include "nflog.h"
#include "nflog-holder.h"
#include "prometheus.h"
#include "queue.h"
#include "ring.h"
#include "state.h"
#include "summary.h"
#include "sysctl-check.h"
#include "writer.h"

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* The name table's clock: seconds, and cheap enough for every event. */
static uint64_t now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (uint64_t) ts.tv_sec;
}

/* The daemon's own entries go through the same queue as the connections',
 * so they reach the same sink in order. */
_printf_(4, 5)
static struct entry *daemon_entry(struct daemon *d, const char *message_id, int priority,
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

static void daemon_submit(struct daemon *d, struct entry *e) {
        if (e)
                (void) queue_submit_entry(d->queue, e);
}

/* ---- the per-event path ---- */

void daemon_handle_flow(const struct flow *f, void *userdata) {
        struct daemon *d = userdata;
        const struct config *c = d->config;
        struct tag_input in;
        struct tag tag;

        if (f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP)
                return;         /* the inputs pass TCP and UDP only */
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
        if (tag.confidence == CONFIDENCE_NONE)
                return;

        if (tag.confidence < c->log_min_confidence ||
            (f->action == FLOW_CONNECTION_END && !c->log_connection_end)) {
                d->stats->daemon.below_threshold++;
                return;
        }
        (void) queue_submit_flow(d->queue, f, &tag, d->tagset.catalog);
}

/* The running loss totals of each input, as the next report would give them. */
static void read_losses(struct daemon *d, struct daemon_losses now[static _STATS_SOURCE_MAX]) {
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

static void report_losses(struct daemon *d) {
        struct daemon_losses now[_STATS_SOURCE_MAX] = {};

        read_losses(d, now);
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

static void on_conntrack_loss(struct conntrack_input *in, void *userdata) {
        struct daemon *d = userdata;

        /* At once for the first loss, then at most once per tick. */
        if (now_usec() - d->last_loss_report_usec >= DAEMON_TICK_USEC)
                report_losses(d);
}

/* Called by d->conntrack_reader: at once when idle, every
 * BATCH_IO_INTERVAL_USEC while events keep coming. */
static int read_conntrack(void *userdata) {
        struct daemon *d = userdata;
        int r;

        r = conntrack_input_dispatch(d->conntrack);
        queue_flush(d->queue);
        if (r < 0) {
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STOPPING_STR, 3,
                                              "Reading conntrack events failed: %s", strerror(-r)));
                d->exit_code = 1;
                (void) sd_event_exit(d->event, 1);
        }
        return r;
}

static int on_nflog(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct daemon *d = userdata;
        int r;

        r = nflog_input_dispatch(d->nflog);
        queue_flush(d->queue);
        if (r < 0) {
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STOPPING_STR, 3,
                                              "Reading NFLOG packets failed: %s", strerror(-r)));
                d->exit_code = 1;
                return sd_event_exit(sd_event_source_get_event(s), 1);
        }
        return 0;
}

static void on_dns_answer(const struct dns_answer *a, void *userdata) {
        struct daemon *d = userdata;

        (void) name_table_add(d->names, d->tagset.domains, a, now_sec());
}

static int on_dns(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct daemon *d = userdata;
        int r;

        r = dns_input_dispatch(d->dns);
        if (r < 0) {
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STOPPING_STR, 3,
                                              "Reading DNS answers failed: %s", strerror(-r)));
                d->exit_code = 1;
                return sd_event_exit(sd_event_source_get_event(s), 1);
        }
        return 0;
}

/* ---- counters, status ---- */

static void refresh_dns(struct daemon *d, struct stats_dns *dd) {
        struct dns_input_stats ds;
        struct name_table_stats ns;

        if (!d->dns || !d->names)
                return;
        dns_input_get_stats(d->dns, &ds);
        name_table_get_stats(d->names, &ns);
        *dd = (struct stats_dns) {
                .enabled = true,
                .packets = ds.packets, .answers = ds.answers, .not_answers = ds.not_answers,
                .malformed = ds.malformed, .skipped = ds.skipped, .empty = ds.empty, .other = ds.other,
                .lost = ds.enobufs,
                .answers_apple = ns.answers_apple, .answers_other = ns.answers_other,
                .hits = ns.hits, .misses = ns.misses, .evicted = ns.evicted, .expired = ns.expired,
                .names = ns.entries, .capacity = ns.capacity, .bytes = ns.bytes,
        };
}

static void on_stats_refresh(struct stats *s, struct stats_daemon *dd, void *userdata) {
        struct daemon *d = userdata;
        struct daemon_losses lost[_STATS_SOURCE_MAX] = {};
        struct queue_stats q;

        read_losses(d, lost);
        dd->malformed = 0;
        if (d->conntrack) {
                struct conntrack_stats cs;

                conntrack_input_get_stats(d->conntrack, &cs);
                dd->events_received[STATS_SOURCE_CONNTRACK] = cs.events;
                dd->malformed += cs.malformed;
        }
        if (d->nflog) {
                const struct nflog_input_stats *ns = nflog_input_get_stats(d->nflog);

                dd->events_received[STATS_SOURCE_NFLOG] = ns->packets;
                dd->malformed += ns->malformed;
                dd->nflog_conntrack_unparsed = ns->ct_malformed;
        }
        if (d->local) {
                struct local_addresses_stats ls;

                local_addresses_get_stats(d->local, &ls);
                dd->router_addresses = ls.addresses;
                dd->router_addresses_overflow = ls.overflow;
                dd->router_addresses_resyncs = ls.resyncs;
                dd->router_addresses_malformed = ls.malformed;
        }
        for (unsigned src = 0; src < _STATS_SOURCE_MAX; src++)
                dd->events_lost[src] = lost[src].events;
        queue_get_stats(d->queue, &q);
        dd->entries_written = q.writer.written;
        /* Not written for want of room: ring full, unformattable, or still
         * queued when a stop timed out. */
        dd->entries_dropped = q.dropped + q.invalid + q.writer.discarded;
        dd->journal_errors = q.writer.errors;
        dd->conntrack_table_entries = d->table.entries;
        dd->conntrack_table_max = d->table.max;
        dd->conntrack_refused = d->table.refused;
        dd->conntrack_quiet_sec = d->conntrack ? conntrack_quiet_seconds(&d->quiet, now_usec()) : 0;
        refresh_dns(d, &dd->dns);
}

static void notify_status(struct daemon *d, const char *state) {
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
                   state ?: "", rate, dd->entries_written, dd->entries_dropped + dd->journal_errors, lost);
}

/* Connections the kernel refused because its table was full never reach
 * us as events: read its count, and say so at once, then at most every
 * DAEMON_TABLE_REPORT_USEC (or at a stop, `now`). The count goes into the
 * next report when this one finds no room. */
static void watch_table(struct daemon *d, bool now) {
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
                         " entries now)", refused, refused == 1 ? "" : "s", d->table.entries, d->table.max);
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
static void watch_quiet(struct daemon *d, bool at_start) {
        struct conntrack_stats cs;
        char advice[512];
        int64_t entries = -1;
        struct entry *e;

        if (!d->conntrack)
                return;
        /* Later ticks use what watch_table() read. */
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

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct daemon *d = userdata;

        report_losses(d);
        watch_table(d, false);
        watch_quiet(d, false);
        if (++d->ticks % DAEMON_STATUS_TICKS == 0)
                notify_status(d, NULL);
        (void) sd_event_source_set_time_relative(s, DAEMON_TICK_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* ---- the router's addresses and ports ---- */

/* The tagger's notion of a client port; a warning when it must guess.
 * After every tagset_tagger(), which knows nothing of it. */
static void read_ephemeral_range(struct daemon *d) {
        int r = sysctl_read_local_port_range(SYSCTL_LOCAL_PORT_RANGE_PATH, &d->ephemeral);

        d->tagger.local_ports = d->ephemeral;
        if (r < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                              "Cannot read %s: %s; client ports are taken to be %u-%u",
                                              SYSCTL_LOCAL_PORT_RANGE_PATH, strerror(-r),
                                              d->ephemeral.first, d->ephemeral.last));
}

/* Before the inputs, so that the first flow is judged against the whole
 * table. Without rtnetlink the configured networks still apply; the
 * router's own connections are then tagged like any, and the journal says so. */
static int open_local_addresses(struct daemon *d, char *err, size_t errlen) {
        int r;

        r = local_addresses_new(&d->local, &d->config->exclude);
        if (r < 0) {
                snprintf(err, errlen, "Cannot set up the table of the router's addresses: %s", strerror(-r));
                return r;
        }
        r = local_addresses_open(d->local);
        if (r >= 0)
                /* before the inputs' events: an address is known before its flows */
                r = local_addresses_attach_event(d->local, d->event, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                              "Cannot follow the router's addresses (rtnetlink): %s; "
                                              "the router's own connections are tagged like the LAN's",
                                              strerror(-r)));
        return 0;
}

/* ---- reload ---- */

static void reload_failed(struct daemon *d, const char *what, const char *error) {
        struct entry *e = daemon_entry(d, MESSAGE_ID_RELOAD_FAILED_STR, 3,
                                       "Reload refused, the old %s stays in force: %s", what, error);

        if (e)
                (void) entry_add_field(e, "RELOAD_ERROR", "%s", error);
        daemon_submit(d, e);
}

/* What a reload changes, keys and files: "catalogue /etc/x.tsv changed (142 →
 * 143 entries); log_min_confidence medium → high", or "" when nothing does. */
static void describe_reload(const struct daemon *d, const struct config *next, const struct tagset *set,
                            char *buf, size_t size) {
        const struct catalog *a = d->tagset.catalog, *b = set->catalog;
        size_t n = 0;
        char keys[512];

        buf[0] = '\0';
        if (strcmp(a->source, b->source) != 0)
                n += (size_t) snprintf(buf + n, size - n, "catalogue %s in place of %s (%zu → %zu entries)",
                                       b->source, a->source, catalog_listed_entries(a), catalog_listed_entries(b));
        else if (a->digest != b->digest)
                n += (size_t) snprintf(buf + n, size - n, "catalogue %s changed (%zu → %zu entries)", b->source,
                                       catalog_listed_entries(a), catalog_listed_entries(b));
        if (n < size && (networks_digest(d->tagset.networks) != networks_digest(set->networks) ||
                         strcmp(networks_source(d->tagset.networks), networks_source(set->networks)) != 0))
                n += (size_t) snprintf(buf + n, size - n, "%snetworks %s changed (%zu → %zu prefixes)",
                                       n > 0 ? "; " : "", networks_source(set->networks),
                                       networks_count(d->tagset.networks), networks_count(set->networks));
        if (n < size && (domains_digest(d->tagset.domains) != domains_digest(set->domains) ||
                         strcmp(domains_source(d->tagset.domains), domains_source(set->domains)) != 0))
                n += (size_t) snprintf(buf + n, size - n, "%sdomains %s changed (%zu → %zu suffixes)",
                                       n > 0 ? "; " : "", domains_source(set->domains),
                                       domains_count(d->tagset.domains), domains_count(set->domains));
        config_reload_changes(d->config, next, keys, sizeof(keys));
        if (n < size && keys[0])
                snprintf(buf + n, size - n, "%s%s", n > 0 ? "; " : "", keys);
}

static void daemon_reload(struct daemon *d) {
        _cleanup_(config_freep) struct config *next = NULL;
        struct tagset set = {}, old;
        char err[CONFIG_ERROR_MAX], restart[256], changes[1024];
        struct entry *e;
        int r;

        sd_notify(false, "RELOADING=1\nSTATUS=Reloading");

        r = config_load_all(d->options, &next, err, sizeof(err));
        if (r < 0) {
                reload_failed(d, "configuration", err);
                goto done;
        }
        r = tagset_load(&set, next->catalog, next->networks, next->domains, err, sizeof(err));
        if (r < 0) {
                reload_failed(d, "catalogue, networks and domains", err);
                goto done;
        }
        r = stats_reload(d->stats, set.catalog);
        if (r < 0) {
                tagset_done(&set);
                reload_failed(d, "catalogue", "out of memory");
                goto done;
        }

        describe_reload(d, next, &set, changes, sizeof(changes));

        /* Entries in the ring are preformatted: nothing else points into the
         * old catalogue, and this thread is the only one that tags. */
        old = d->tagset;
        d->tagset = set;
        d->tagger = tagset_tagger(&d->tagset);
        tagset_done(&old);

        config_restart_changes(d->config, next, restart, sizeof(restart));
        config_apply_reloadable(d->config, next);
        d->stats->attribute_min = d->config->attribute_min_confidence;
        local_addresses_set_exclusions(d->local, &d->config->exclude);
        read_ephemeral_range(d);
        if (d->conntrack)
                (void) conntrack_input_set_rcvbuf(d->conntrack, d->config->receive_buffer,
                                                  d->config->receive_buffer_max);

        e = daemon_entry(d, MESSAGE_ID_RELOADED_STR, 5, "Reloaded: %s%s%s%s",
                         changes[0] ? changes : "nothing changed",
                         restart[0] ? "; changes to " : "", restart, restart[0] ? " take effect at restart" : "");
        if (e) {
                (void) entry_add_field(e, "CATALOG_SOURCE", "%s", d->tagset.catalog->source);
                (void) entry_add_field(e, "NETWORKS_SOURCE", "%s", networks_source(d->tagset.networks));
                (void) entry_add_field(e, "DOMAINS_SOURCE", "%s", domains_source(d->tagset.domains));
        }
        daemon_submit(d, e);
done:
        queue_flush(d->queue);
        notify_status(d, "READY=1\n");
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct daemon *d = userdata;

        if (si->ssi_signo == SIGHUP) {
                daemon_reload(d);
                return 0;
        }
        sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STOPPING_STR, 5, "Stopping on %s",
                                      strsignal((int) si->ssi_signo)));
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* ---- start and stop ---- */

static void warn_kernel_settings(struct daemon *d) {
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

static int open_statistics_files(struct daemon *d, char *fatal, size_t fatal_size) {
        const struct config *c = d->config;
        char err[STATE_ERROR_MAX];
        int r;

        /* Statistics files are worth a warning, not a refusal to start. */
        r = state_new(&d->state, d->stats, c->state_directory);
        if (r < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                              "Statistics will not be kept across restarts: %s: %s",
                                              c->state_directory, strerror(-r)));
        else {
                uid_t uid = (uid_t) -1;
                gid_t gid = (gid_t) -1;

                /* The directory belongs to the user the daemon becomes
                 * (an unknown user= stops the start a moment later). */
                if (c->user && geteuid() == 0 && caps_lookup_user(c->user, &uid, &gid) < 0)
                        uid = (uid_t) -1, gid = (gid_t) -1;
                r = state_make_directory(d->state, uid, gid);
                if (r < 0)
                        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                                      "Statistics will not be saved: %s: %s",
                                                      c->state_directory, strerror(-r)));
                /* Two daemons on one directory would overwrite each other's totals. */
                r = state_lock(d->state, fatal, fatal_size);
                if (r == -EBUSY)
                        return r;
                if (r < 0)
                        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                                      "The state directory is not locked: %s", fatal));
                r = state_load(d->state, err, sizeof(err));
                if (r < 0 && r != -ENOENT)
                        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                                      "Saved statistics ignored, counting from zero: %s", err));
                stats_reset_marks(d->stats);
                r = state_attach_event(d->state, d->event, (uint64_t) c->save_interval * 1000000u);
                if (r < 0)
                        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                                      "Statistics will not be saved periodically: %s",
                                                      strerror(-r)));
        }

        r = summary_new(&d->summary, d->stats, d->queue);
        if (r >= 0)
                r = summary_attach_event(d->summary, d->event, (uint64_t) c->summary_interval * 1000000u);
        if (r < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                              "Summary entries will not be written: %s", strerror(-r)));

        if (c->prometheus_file) {
                r = prometheus_new(&d->prometheus, d->stats, c->prometheus_file);
                if (r >= 0)
                        r = prometheus_attach_event(d->prometheus, d->event,
                                                    (uint64_t) c->prometheus_interval * 1000000u);
                if (r < 0)
                        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                                      "Prometheus file %s will not be written: %s",
                                                      c->prometheus_file, strerror(-r)));
        }
        return 0;
}

/* A warning, not a refusal to start: root can still ask. */
static void open_control_to_group(struct daemon *d) {
        const char *group = d->config->control_group;
        char hint[160] = "";
        int r;

        r = control_set_group(d->control, group);
        if (r >= 0)
                return;
        if (r == -EPERM)
                snprintf(hint, sizeof(hint), " (the daemon's user must be a member: SupplementaryGroups=%s)",
                         group);
        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                      "%s stays open to root only: cannot give it to group %s: %s%s",
                                      d->config->control_socket, group,
                                      r == -ENOENT ? "no such group" : strerror(-r), hint));
}

/* The kernel says EPERM both for a group another socket has bound and for
 * missing privileges: its list of bound groups tells them apart. */
static int nflog_bind_error(const struct config *c, int r, char *err, size_t errlen) {
        char holder[256];

        if ((r == -EPERM || r == -EBUSY) &&
            nflog_group_holder("/proc", c->nflog_groups, c->n_nflog_groups, holder, sizeof(holder)) > 0) {
                snprintf(err, errlen, "Cannot bind the NFLOG groups: %s; stop it (ulogd2, another "
                         "appleflowd), or choose another group in nflog_groups= and the firewall's "
                         "'log group' rule", holder);
                return -EBUSY;
        }
        snprintf(err, errlen, "Cannot bind the NFLOG groups: %s%s", strerror(-r),
                 r == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
        return r;
}

static int open_inputs(struct daemon *d, char *err, size_t errlen) {
        const struct config *c = d->config;
        int r;

        if (c->conntrack) {
                r = conntrack_input_new(&d->conntrack, c->families, c->receive_buffer, c->receive_buffer_max,
                                        daemon_handle_flow, on_conntrack_loss, d);
                if (r < 0) {
                        snprintf(err, errlen, "Cannot subscribe to conntrack events: %s%s", strerror(-r),
                                 r == -EPERM ? " (needs root or CAP_NET_ADMIN; --no-conntrack turns it off)" : "");
                        return r;
                }
                r = batch_io_new(&d->conntrack_reader, d->event, conntrack_input_fd(d->conntrack),
                                 read_conntrack, d);
                if (r < 0) {
                        snprintf(err, errlen, "Cannot watch the conntrack socket: %s", strerror(-r));
                        return r;
                }
                /* Not fatal: only the count of refused connections is missing. */
                r = conntrack_table_open(&d->conntrack_table, NULL, NULL);
                if (r < 0)
                        daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                                      "Cannot read %s: %s; connections the kernel refuses "
                                                      "when its conntrack table is full are not counted",
                                                      CONNTRACK_TABLE_STAT_PATH, strerror(-r)));
        }
        if (c->n_nflog_groups > 0) {
                r = nflog_input_new(&d->nflog, c->nflog_groups, c->n_nflog_groups, c->receive_buffer,
                                    daemon_handle_flow, d);
                if (r < 0)
                        return nflog_bind_error(c, r, err, errlen);
                r = sd_event_add_io(d->event, &d->nflog_source, nflog_input_fd(d->nflog), EPOLLIN, on_nflog, d);
                if (r < 0) {
                        snprintf(err, errlen, "Cannot watch the NFLOG socket: %s", strerror(-r));
                        return r;
                }
        }
        if (d->names) {
                r = dns_input_new(&d->dns, (uint16_t) c->dns_nflog_group, c->receive_buffer, on_dns_answer, d);
                if (r < 0) {
                        snprintf(err, errlen, "Cannot bind the DNS NFLOG group %d: %s%s", c->dns_nflog_group,
                                 strerror(-r), r == -EPERM ? " (needs root or CAP_NET_ADMIN, or the group "
                                 "is taken by another program)" : "");
                        return r;
                }
                r = sd_event_add_io(d->event, &d->dns_source, dns_input_fd(d->dns), EPOLLIN, on_dns, d);
                /* Answers before connections: a client connects as soon as it has its answer. */
                if (r >= 0)
                        r = sd_event_source_set_priority(d->dns_source, SD_EVENT_PRIORITY_IMPORTANT);
                if (r < 0) {
                        snprintf(err, errlen, "Cannot watch the DNS NFLOG socket: %s", strerror(-r));
                        return r;
                }
        }
        return 0;
}

static int setup_event(struct daemon *d) {
        sigset_t mask;
        int r;

        r = sd_event_default(&d->event);
        if (r < 0)
                return r;
        /* sd-event reads signals from a signalfd: they must be blocked, and
         * the writer thread inherits the mask. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(d->event, &d->sigterm, SIGTERM, on_signal, d)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sigint, SIGINT, on_signal, d)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sighup, SIGHUP, on_signal, d)) < 0)
                return r;
        /* Pets the watchdog when systemd asks for it (WATCHDOG_USEC). */
        r = sd_event_set_watchdog(d->event, true);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(d->event, &d->tick, CLOCK_MONOTONIC, DAEMON_TICK_USEC,
                                       DAEMON_TICK_USEC / 10, on_tick, d);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(d->tick, SD_EVENT_ONESHOT);
}

/* "medium or high confidence", for the start entry. */
static const char *confidence_phrase(enum confidence c) {
        return c <= CONFIDENCE_LOW ? "any confidence" :
               c == CONFIDENCE_MEDIUM ? "medium or high confidence" : "high confidence only";
}

static const char *output_phrase(enum output_mode m) {
        return m == OUTPUT_JOURNAL ? "the journal" :
               m == OUTPUT_JSON ? "standard output as JSON" : "standard output (console)";
}

static void log_started(struct daemon *d) {
        const struct config *c = d->config;
        char groups[CONFIG_NFLOG_GROUPS_MAX * 6 + 1] = "", inputs[64 + sizeof(groups)], notes[256] = "", dns[384] = "";
        struct local_addresses_stats la;
        struct entry *e;
        int refused = d->nflog ? nflog_input_get_stats(d->nflog)->conntrack_refused : 0;

        if (d->names)
                snprintf(dns, sizeof(dns), "Apple's names from the DNS answers of NFLOG group %d, domains %s "
                         "(%zu suffixes)", c->dns_nflog_group, domains_source(d->tagset.domains),
                         domains_count(d->tagset.domains));

        for (unsigned i = 0; i < c->n_nflog_groups; i++)
                snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), "%s%u",
                         i > 0 ? " " : "", c->nflog_groups[i]);
        snprintf(inputs, sizeof(inputs), "%s%s%s%s%s",
                 c->conntrack ? "conntrack " : "",
                 c->conntrack ? ((c->families & INPUT_FAMILY_IPV4) && (c->families & INPUT_FAMILY_IPV6) ? "ipv4+ipv6" :
                                 (c->families & INPUT_FAMILY_IPV4) ? "ipv4" : "ipv6") : "",
                 c->conntrack && c->n_nflog_groups ? ", " : "",
                 c->n_nflog_groups ? "NFLOG groups " : "", groups);
        local_addresses_get_stats(d->local, &la);
        snprintf(notes, sizeof(notes), "; %zu router addresses followed", la.addresses);
        /* A kernel without CONFIG_NETFILTER_NETLINK_GLUE_CT: how the kernel
         * is built, not a fault, so said in the start entry. */
        if (refused < 0)
                snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
                         "; NFLOG packets come without their connection (the kernel refuses "
                         "NFULNL_CFG_F_CONNTRACK: %s), which way each went is not known", strerror(-refused));

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

int daemon_new(struct daemon **ret, const struct options *o, struct config *config,
               char *err, size_t errlen) {
        _cleanup_(daemon_freep) struct daemon *d = NULL;
        struct caps_result caps;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d) {
                config_free(config);
                snprintf(err, errlen, "Out of memory");
                return -ENOMEM;
        }
        d->options = o;
        d->config = config;

        r = tagset_load(&d->tagset, config->catalog, config->networks, config->domains, err, errlen);
        if (r < 0)
                return r;
        d->tagger = tagset_tagger(&d->tagset);

        d->scratch = malloc(sizeof(struct entry));
        if (!d->scratch) {
                snprintf(err, errlen, "Out of memory");
                return -ENOMEM;
        }
        if ((r = ring_new(&d->ring, config->queue_size)) < 0 ||
            (r = writer_new(&d->writer, d->ring, config->output, NULL, NULL)) < 0 ||
            (r = queue_new(&d->queue, d->ring, d->writer)) < 0) {
                snprintf(err, errlen, "Cannot set up the output: %s", strerror(-r));
                return r;
        }
        r = stats_new(&d->stats, d->tagset.catalog);
        if (r < 0) {
                snprintf(err, errlen, "Cannot set up the statistics: %s", strerror(-r));
                return r;
        }
        d->stats->attribute_min = config->attribute_min_confidence;
        stats_set_refresh(d->stats, on_stats_refresh, d);
        if (config->dns_nflog_group >= 0) {
                const struct name_table_config nc = {
                        .max_entries = config->dns_names_max,
                        .max_bytes = config->dns_names_max_bytes,
                        .ttl_min = config->dns_ttl_min,
                        .ttl_max = config->dns_ttl_max,
                };

                r = name_table_new(&d->names, &nc);
                if (r >= 0)
                        r = stats_enable_names(d->stats);
                if (r < 0) {
                        snprintf(err, errlen, "Cannot set up the DNS name table: %s", strerror(-r));
                        return r;
                }
        }

        r = setup_event(d);
        if (r < 0) {
                snprintf(err, errlen, "Cannot set up the event loop: %s", strerror(-r));
                return r;
        }
        read_ephemeral_range(d);
        r = open_local_addresses(d, err, errlen);
        if (r < 0)
                return r;
        r = open_inputs(d, err, errlen);
        if (r < 0)
                return r;
        r = stats_attach_event(d->stats, d->event);
        if (r < 0) {
                snprintf(err, errlen, "Cannot set up the statistics timer: %s", strerror(-r));
                return r;
        }
        r = open_statistics_files(d, err, errlen);
        if (r < 0)
                return r;
        /* Before privileges go: the socket's directory may be root's. */
        r = control_new(&d->control, d->event, d->stats, config->control_socket);
        if (r == -EADDRINUSE) {
                snprintf(err, errlen, "Cannot listen on %s: another appleflowd answers there",
                         config->control_socket);
                return r;
        }
        if (r < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                              "appleflowctl will not reach this daemon: %s: %s",
                                              config->control_socket, strerror(-r)));
        else if (config->control_group)
                open_control_to_group(d);

        /* Every socket and file is open: give up what is no longer needed,
         * before the writer thread starts (capabilities are per thread). */
        r = caps_drop(config->user, &caps);
        if (r < 0) {
                snprintf(err, errlen, "Cannot drop privileges%s%s: %s", config->user ? " to user " : "",
                         config->user ?: "", r == -ESRCH ? "no such user" : strerror(-r));
                return r;
        }
        r = writer_start(d->writer);
        if (r < 0) {
                snprintf(err, errlen, "Cannot start the writer thread: %s", strerror(-r));
                return r;
        }
        d->writer_running = true;

        log_started(d);
        if (d->conntrack) {
                warn_kernel_settings(d);
                conntrack_quiet_start(&d->quiet, now_usec());
                watch_quiet(d, true);
        }
        queue_flush(d->queue);

        *ret = d;
        d = NULL;
        return 0;
}

int daemon_exit_status(int r) {
        switch (r) {
        case -EPERM:
        case -EACCES:
                return EXIT_STATUS_NO_PERMISSION;
        case -EINVAL:           /* a catalogue or networks file that does not load */
        case -ENOENT:
        case -EISDIR:
        case -EFBIG:
        case -ESRCH:            /* user= names no user */
                return EXIT_STATUS_INVALID_DATA;
        default:
                return EXIT_STATUS_FAILURE;
        }
}

/* Stops the inputs so that nothing more comes, and handles what the kernel
 * had already queued: every event it sent is then handled or counted. */
static void stop_inputs(struct daemon *d) {
        d->conntrack_reader = batch_io_free(d->conntrack_reader);
        d->nflog_source = sd_event_source_disable_unref(d->nflog_source);
        d->dns_source = sd_event_source_disable_unref(d->dns_source);
        if (d->conntrack && conntrack_input_stop(d->conntrack) < 0)
                (void) conntrack_input_dispatch(d->conntrack);
        if (d->nflog)
                (void) nflog_input_dispatch(d->nflog);
        queue_flush(d->queue);
}

/* The final figures: STATUS= for the service manager, and on stderr what
 * the journal could not be told. */
static void log_stopped(struct daemon *d) {
        const struct stats_daemon *dd = &d->stats->daemon;
        struct daemon_losses lost[_STATS_SOURCE_MAX] = {};
        uint64_t events = 0, events_lost = 0, unreported_losses = 0;
        struct queue_stats q;

        stats_refresh(d->stats);
        read_losses(d, lost);
        queue_get_stats(d->queue, &q);
        for (unsigned s = 0; s < _STATS_SOURCE_MAX; s++) {
                events += dd->events_received[s];
                events_lost += lost[s].events;
                unreported_losses += lost[s].events - d->losses_reported[s].events;
        }
        sd_notifyf(false, "STATUS=Stopped: %" PRIu64 " events received, %" PRIu64 " lost in the kernel; "
                   "%" PRIu64 " entries written, %" PRIu64 " not written",
                   events, events_lost, dd->entries_written, dd->entries_dropped + dd->journal_errors);
        if (q.writer.unreported > 0 || unreported_losses > 0)
                fprintf(stderr, "appleflowd: stopped with %" PRIu64 " entries not written and %" PRIu64
                        " events lost in the kernel that no journal entry reports\n",
                        q.writer.unreported, unreported_losses);
}

int daemon_run(struct daemon *d) {
        char err[STATE_ERROR_MAX];
        int r;

        notify_status(d, "READY=1\n");
        r = sd_event_loop(d->event);

        /* Lose nothing at the stop: read what the kernel queued, count the
         * last losses, keep the counters, let the writer finish; then, from
         * this thread, the losses that waited for room and the report of
         * every entry not written. */
        stop_inputs(d);
        report_losses(d);
        watch_table(d, true);
        /* The last period's summary, so that the journal's sums match the totals. */
        if (d->summary && d->config->summary_interval > 0) {
                uint64_t now = 0;

                (void) sd_event_now(d->event, CLOCK_MONOTONIC, &now);
                (void) summary_emit(d->summary, now);
        }
        if (d->state && state_save(d->state, err, sizeof(err)) < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STOPPING_STR, 4,
                                              "Statistics not saved: %s", err));
        if (d->prometheus)
                (void) prometheus_write(d->prometheus, err, sizeof(err));
        queue_flush(d->queue);
        if (d->writer_running) {
                (void) writer_stop(d->writer, WRITER_STOP_TIMEOUT_USEC);
                d->writer_running = false;
        }
        report_losses(d);
        (void) writer_drain(d->writer);
        log_stopped(d);
        if (r < 0)
                return 1;
        return d->exit_code;
}

struct daemon *daemon_free(struct daemon *d) {
        if (!d)
                return NULL;
        d->summary = summary_free(d->summary);
        /* The writer first: it reads the ring until it stops. */
        d->writer = writer_free(d->writer);
        d->queue = queue_free(d->queue);
        d->ring = ring_free(d->ring);

        d->conntrack_reader = batch_io_free(d->conntrack_reader);
        d->nflog_source = sd_event_source_disable_unref(d->nflog_source);
        d->tick = sd_event_source_disable_unref(d->tick);
        d->sigterm = sd_event_source_disable_unref(d->sigterm);
        d->sigint = sd_event_source_disable_unref(d->sigint);
        d->sighup = sd_event_source_disable_unref(d->sighup);
        d->conntrack = conntrack_input_free(d->conntrack);
        d->conntrack_table = conntrack_table_free(d->conntrack_table);
        d->nflog = nflog_input_free(d->nflog);
        d->local = local_addresses_free(d->local);
        d->dns_source = sd_event_source_disable_unref(d->dns_source);
        d->dns = dns_input_free(d->dns);
        d->names = name_table_free(d->names);

        d->control = control_free(d->control);
        d->prometheus = prometheus_free(d->prometheus);
        d->state = state_free(d->state);
        d->stats = stats_free(d->stats);         /* points into the catalogue */
        tagset_done(&d->tagset);
        free(d->scratch);
        config_free(d->config);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}
