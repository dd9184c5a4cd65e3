/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * How many messages the kernel could not queue on a socket because its
 * receive buffer was full. ENOBUFS only says that some were lost; the
 * socket's drop counter (SO_MEMINFO, Linux 4.12) counts every one. For a
 * ctnetlink socket each message is one event, so the count is exact; an
 * NFLOG message may carry several packets, so there it is a lower bound.
 *
 * The kernel's counter is 32 bits wide: it is followed from one read to the
 * next and widened, which is exact as long as fewer than 2^32 messages are
 * dropped between two reads (reads happen at least once a second).
 */

#include <stdbool.h>
#include <stdint.h>

struct socket_drops {
        uint32_t raw;   /* the kernel's counter at the last read */
        uint64_t total; /* dropped since socket_drops_init() */
        bool supported; /* false: the kernel has no SO_MEMINFO */
};

/* Reads the counter's starting point. -ENOPROTOOPT (or another errno) when
 * the kernel does not count: .supported stays false and .total 0. */
int socket_drops_init(struct socket_drops *d, int fd);
/* Brings .total up to date; a no-op when unsupported. */
int socket_drops_update(struct socket_drops *d, int fd);
