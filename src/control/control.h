/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The control socket (default /run/appleflowd/control) that appleflowctl
 * asks for statistics: a Unix stream socket, mode 0660 with the configured
 * group, else 0600 (the daemon's user and root). One request line per connection, one reply,
 * then the daemon closes it (control-protocol.h). Limits: CONTROL_CLIENTS_MAX
 * connections at once (more are told so and closed), CONTROL_REQUEST_MAX
 * bytes per request, and a deadline per connection for sending the request
 * and reading the reply; replies are written without blocking.
 */

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "control-protocol.h"
#include "macro.h"
#include "stats.h"

#define CONTROL_SOCKET_DEFAULT "/run/appleflowd/control"
#define CONTROL_CLIENTS_MAX 16
#define CONTROL_TIMEOUT_USEC (5 * 1000000ull)
#define CONTROL_REPLY_MAX (8u * 1024 * 1024)

struct control_client;

struct control {
        sd_event *event;
        struct stats *stats;
        char *path;
        int fd;
        sd_event_source *io;
        struct control_client *clients[CONTROL_CLIENTS_MAX];
        unsigned n_clients;
        uint64_t timeout_usec;
        /* For appleflowctl and tests: what happened to connections. */
        uint64_t n_served, n_refused, n_timed_out, n_bad_requests;
};

/* Listen on path, mode 0600 (the daemon's user and root). Replaces a stale
 * socket left by a previous run; -EADDRINUSE when a daemon answers on it,
 * -EEXIST when something other than a socket is there. */
int control_new(struct control **ret, sd_event *e, struct stats *s, const char *path);
/* Open the socket to the members of group: that group, mode 0660. -ENOENT:
 * no such group; -EPERM: the daemon may not give its files to that group
 * (it is not root and not a member); -EIO: the file system ignored it. On
 * failure the socket stays at 0600. */
int control_set_group(struct control *c, const char *group);
/* Closes every connection and removes the socket. */
struct control *control_free(struct control *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct control *, control_free);

/* For tests: a shorter deadline. */
void control_set_timeout(struct control *c, uint64_t usec);
