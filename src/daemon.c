/* SPDX-License-Identifier: MIT */
/*
 * The wiring: builds every stage from the configuration, opens the inputs
 * with the per-event path (daemon-flow.c) as their handler, and runs the
 * sd-event loop: signals, the tick, the watchdog and sd_notify. What the
 * daemon reports of itself is in daemon-log.c and daemon-health.c, the
 * reload in daemon-reload.c.
 */

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
#include "daemon-internal.h"
#include "dns-input.h"
#include "entry.h"
#include "local-addresses.h"
#include "exit-status.h"
#include "live-bytes.h"
#include "message-id.h"
#include "nflog.h"
#include "name-tag.h"
#include "nflog-holder.h"
#include "prometheus.h"
#include "queue.h"
#include "ring.h"
#include "state.h"
#include "summary.h"
#include "sysctl-check.h"
#include "writer.h"

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
                .packets = ds.packets,
                .answers = ds.answers,
                .not_answers = ds.not_answers,
                .malformed = ds.malformed,
                .skipped = ds.skipped,
                .empty = ds.empty,
                .other = ds.other,
                .lost = ds.enobufs,
                .answers_apple = ns.answers_apple,
                .answers_other = ns.answers_other,
                .hits = ns.hits,
                .misses = ns.misses,
                .evicted = ns.evicted,
                .expired = ns.expired,
                .names = ns.entries,
                .capacity = ns.capacity,
                .bytes = ns.bytes,
        };
}

static void on_stats_refresh(struct stats *s, struct stats_daemon *dd, void *userdata) {
        struct daemon *d = userdata;
        struct daemon_losses lost[_STATS_SOURCE_MAX] = {};
        struct queue_stats q;

        daemon_read_losses(d, lost);
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
        dd->write_errors = q.writer.errors;
        dd->conntrack_table_entries = d->table.entries;
        dd->conntrack_table_max = d->table.max;
        dd->conntrack_refused = d->table.refused;
        dd->conntrack_quiet_sec = d->conntrack ? conntrack_quiet_seconds(&d->quiet, now_usec()) : 0;
        if (d->live)
                live_bytes_get_stats(d->live, &dd->live);
        dd->live_interval_sec = d->live ? d->config->live_bytes_interval : 0;
        dd->live_reads_skipped = d->live_reads_skipped;
        refresh_dns(d, &dd->dns);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct daemon *d = userdata;

        if (d->conntrack)
                conntrack_input_check_drops(d->conntrack);
        daemon_report_losses(d);
        daemon_live_tick(d);
        daemon_watch_table(d, false);
        daemon_watch_quiet(d, false);
        if (++d->ticks % DAEMON_STATUS_TICKS == 0)
                daemon_notify_status(d, NULL);
        (void) sd_event_source_set_time_relative(s, DAEMON_TICK_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* ---- the router's addresses and ports ---- */

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
                                      "'log group' rule",
                         holder);
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
                /* Before subscribing: a connection older than this had no NEW for us. */
                uint64_t subscribed_ns = clock_usec(CLOCK_REALTIME) * 1000;

                r = conntrack_input_new(&d->conntrack, c->families, c->receive_buffer, c->receive_buffer_max,
                                        daemon_handle_flow, daemon_on_conntrack_loss, d);
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
                daemon_read_timeouts(d);
                r = daemon_live_open(d, subscribed_ns, err, errlen);
                if (r < 0)
                        return r;
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
                                                             "is taken by another program)"
                                                           : "");
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
        daemon_read_ephemeral_range(d);
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

        daemon_log_started(d);
        if (d->conntrack) {
                daemon_warn_kernel_settings(d);
                conntrack_quiet_start(&d->quiet, now_usec());
                daemon_watch_quiet(d, true);
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
        case -EINVAL: /* a catalogue or networks file that does not load */
        case -ENOENT:
        case -EISDIR:
        case -EFBIG:
        case -ESRCH: /* user= names no user */
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
        /* After the last connection ends: the bytes open ones moved since the
         * last read, so that the state file keeps them. */
        daemon_live_final_read(d);
        queue_flush(d->queue);
}

int daemon_run(struct daemon *d) {
        char err[STATE_ERROR_MAX];
        int r;

        daemon_notify_status(d, "READY=1\n");
        r = sd_event_loop(d->event);

        /* Lose nothing at the stop: read what the kernel queued, count the
         * last losses, keep the counters, let the writer finish; then, from
         * this thread, the losses that waited for room and the report of
         * every entry not written. */
        stop_inputs(d);
        daemon_report_losses(d);
        daemon_watch_table(d, true);
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
        daemon_report_losses(d);
        (void) writer_drain(d->writer);
        daemon_log_stopped(d);
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
        daemon_live_close(d);
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
        d->stats = stats_free(d->stats); /* points into the catalogue */
        tagset_done(&d->tagset);
        free(d->scratch);
        config_free(d->config);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}
