/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A stand-in for journald in the unit tests: a datagram socket bound in a
 * temporary directory, read without blocking.
 */

#include <stddef.h>

struct fake_journald {
        char dir[64], path[96];
        int fd; /* -1 until bound */
};

/* Picks the path; nothing listens there yet. */
void fake_journald_init(struct fake_journald *j);
void fake_journald_bind(struct fake_journald *j);
/* Closes the socket, leaving the file: a journald that died. */
void fake_journald_close(struct fake_journald *j);
/* The next datagram into buf (NUL-terminated); its length, or -1 when none waits. */
long fake_journald_recv(struct fake_journald *j, char *buf, size_t size);
/* The next datagram's field of that name ("NAME=value" lines): value, or
 * NULL when no datagram waits ("" when it has no such field). */
char *fake_journald_recv_field(struct fake_journald *j, const char *name, char *value, size_t size);
void fake_journald_done(struct fake_journald *j);
