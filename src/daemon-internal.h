/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the daemon's files share, for them alone: the clocks, the daemon's own
 * entries, its health reports and the reload. daemon.c wires them up.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "daemon.h"
#include "macro.h"
#include "time-util.h"

static inline uint64_t now_usec(void) {
        return clock_usec(CLOCK_MONOTONIC);
}

/* The name table's clock: seconds, and cheap enough for every event. */
static inline uint64_t now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (uint64_t) ts.tv_sec;
}

/* daemon-log.c: an entry of the daemon's own, formatted in d->scratch (NULL
 * when it does not fit), and its submission (NULL is ignored). */
_printf_(4, 5) struct entry *daemon_entry(struct daemon *d, const char *message_id, int priority, const char *fmt, ...);
void daemon_submit(struct daemon *d, struct entry *e);
void daemon_notify_status(struct daemon *d, const char *state);
void daemon_log_started(struct daemon *d);
void daemon_log_stopped(struct daemon *d);

/* daemon-health.c */
void daemon_read_losses(struct daemon *d, struct daemon_losses now[static _STATS_SOURCE_MAX]);
void daemon_report_losses(struct daemon *d);
void daemon_on_conntrack_loss(struct conntrack_input *in, void *userdata);
void daemon_watch_table(struct daemon *d, bool now);
void daemon_watch_quiet(struct daemon *d, bool at_start);
void daemon_warn_kernel_settings(struct daemon *d);

/* daemon-live.c: the bytes of open connections, the conntrack timeouts */
int daemon_live_open(struct daemon *d, uint64_t subscribed_ns, char *err, size_t errlen);
void daemon_live_tick(struct daemon *d);
void daemon_live_final_read(struct daemon *d);
void daemon_live_close(struct daemon *d);
void daemon_read_timeouts(struct daemon *d);

/* daemon-reload.c */
void daemon_read_ephemeral_range(struct daemon *d);
void daemon_reload(struct daemon *d);
