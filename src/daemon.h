/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The daemon: one sd-event loop on one thread reads the netlink sockets,
 * tags each flow, counts it and queues its entry; a writer thread behind a
 * bounded ring writes the entries. Signals: SIGTERM/SIGINT stop cleanly,
 * SIGHUP reloads configuration, catalogue, networks and domains. The loop pets the
 * systemd watchdog and keeps a STATUS= line fresh.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "conntrack-quiet.h"
#include "conntrack-table.h"
#include "ephemeral-range.h"
#include "macro.h"
#include "options.h"
#include "stats.h"
#include "tagset.h"

/* Kernel settings that cost the operator data (sysctl-check.h). */
#define MESSAGE_ID_KERNEL_SETTING_STR "6c6b5eed43664e37a36252deaa1c83e4"

#define DAEMON_TICK_USEC (1000000ull) /* losses reported, queue flushed */
#define DAEMON_STATUS_TICKS 5         /* STATUS= refreshed every 5 ticks */
/* A full conntrack table is reported at once, then at most this often. */
#define DAEMON_TABLE_REPORT_USEC (10 * DAEMON_TICK_USEC)

struct conntrack_input;
struct batch_io;
struct nflog_input;
struct dns_input;
struct name_table;
struct ring;
struct writer;
struct queue;
struct state;
struct prometheus;
struct summary;
struct control;
struct entry;
struct local_addresses;
struct live_bytes;
struct conntrack_dump;

/* Events an input lost in the kernel, as running totals. */
struct daemon_losses {
        uint64_t events;
        uint64_t overruns;
        uint64_t receive_buffer;
        bool at_least;
};

struct daemon {
        const struct options *options; /* the command line, put on top of each reload */
        struct config *config;         /* in force */
        struct tagset tagset;
        struct tagger tagger;

        sd_event *event;
        sd_event_source *sigterm, *sigint, *sighup, *tick;

        struct conntrack_input *conntrack;
        struct batch_io *conntrack_reader;
        struct live_bytes *live;          /* open connections followed; NULL without conntrack */
        struct conntrack_dump *live_dump; /* reads of the kernel's table */
        sd_event_source *live_source;
        uint64_t live_ticks, live_reads_skipped;
        struct conntrack_table *conntrack_table; /* NULL: not watched */
        struct conntrack_table_stats table;      /* at the last tick */
        uint64_t table_refused_reported;         /* in the journal's entries */
        uint64_t table_report_usec;              /* the last report; 0: none yet */
        struct conntrack_quiet quiet;            /* no event for a while: why */
        struct nflog_input *nflog;
        sd_event_source *nflog_source;
        struct local_addresses *local;    /* the router's addresses; never NULL once built */
        struct ephemeral_range ephemeral; /* the namespace's, read at start and reload */
        struct dns_input *dns;            /* DNS answers: NULL unless dns_nflog_group */
        sd_event_source *dns_source;
        struct name_table *names; /* address -> Apple name, with dns */

        struct ring *ring;
        struct writer *writer;
        struct queue *queue;
        struct entry *scratch; /* the daemon's own entries are built here */

        struct stats *stats;
        struct state *state;
        struct prometheus *prometheus;
        struct summary *summary;
        struct control *control;

        struct daemon_losses losses_reported[_STATS_SOURCE_MAX]; /* in the journal's entries */
        uint64_t last_loss_report_usec;
        unsigned ticks;
        uint64_t status_events, status_usec;
        bool writer_running;
        int exit_code;
};

/* Builds everything from a validated configuration (taken over) and the
 * options it came from: loads the catalogue, opens the sockets, drops
 * privileges, starts the writer. Errors are written to err. */
int daemon_new(struct daemon **ret, const struct options *o, struct config *config,
               char *err, size_t errlen);
/* The exit status (exit-status.h) for daemon_new()'s error r. */
int daemon_exit_status(int r);
/* Runs until SIGTERM/SIGINT; returns the exit status. */
int daemon_run(struct daemon *d);
struct daemon *daemon_free(struct daemon *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct daemon *, daemon_free);

/* The per-event path: leave out the router's own traffic, tag, count, queue
 * what reaches the logging threshold. Exposed for tests and benchmarks. */
void daemon_handle_flow(const struct flow *f, void *userdata);
