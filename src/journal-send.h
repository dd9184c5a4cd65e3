/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * journald's native protocol on a socket of our own, instead of
 * sd_journal_sendv(): that one reports success when journald's socket does
 * not exist (ENOENT: programs must run without journald), so entries sent
 * while journald is not there, or in the moment a restarting journald binds
 * its socket anew, would vanish uncounted. Here every failure is returned
 * and counted by the caller.
 *
 * One datagram per entry: "NAME=value\n" per field, or, when the value holds
 * a newline, "NAME\n", its length as 64-bit little endian, the value and
 * "\n". An entry is at most a few kilobytes, far below what a datagram can
 * carry, so sd_journal_sendv()'s memfd fallback for huge entries is not
 * needed. Like sd_journal_sendv() the send blocks while journald's queue is
 * full; a send timeout bounds that where waiting is not wanted.
 */

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "entry.h"

#define JOURNAL_SOCKET_PATH "/run/systemd/journal/socket"
#define JOURNAL_SEND_BUFFER (8 * 1024 * 1024)          /* as systemd's own clients */

struct journal_socket {
        int fd;
        struct sockaddr_un addr;
        socklen_t addr_len;
};

/* path: journald's socket (JOURNAL_SOCKET_PATH; tests give another).
 * -ENAMETOOLONG, or the socket's errno. */
int journal_socket_open(struct journal_socket *j, const char *path);
void journal_socket_close(struct journal_socket *j);

/* 0: wait as long as journald takes (the default). */
int journal_socket_set_timeout(struct journal_socket *j, uint64_t usec);

/* 0 when journald has the entry in its queue, else a negative errno:
 * -ENOENT or -ECONNREFUSED (no journald), -EAGAIN (timed out), -EMSGSIZE. */
int journal_socket_send(struct journal_socket *j, const struct entry *e);
