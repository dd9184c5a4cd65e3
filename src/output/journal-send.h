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
#define JOURNAL_SEND_BUFFER (8 * 1024 * 1024) /* as systemd's own clients */
/* An entry's fields hold at most ENTRY_BUF_SIZE bytes with their NULs; in
 * the datagram a NUL becomes "\n", and a value with a newline costs 8 more
 * bytes (its length; "\n" takes the place of "="). */
#define JOURNAL_DATAGRAM_MAX (ENTRY_BUF_SIZE + ENTRY_FIELDS_MAX * 8)

struct journal_socket {
        int fd;
        struct sockaddr_un addr;
        socklen_t addr_len;
        /* The entry is laid out here and sent as one piece: the kernel
         * copies one segment faster than the two per field an iovec array
         * would need (2.8 against 4.1 us per 700-byte datagram). */
        char datagram[JOURNAL_DATAGRAM_MAX];
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
