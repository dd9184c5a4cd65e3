/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An input that is read in batches under load. Idle, the socket wakes the
 * reader as a plain sd-event io source would. Once a read finds events, the
 * socket stops waking it, and it reads again BATCH_IO_INTERVAL_USEC later,
 * and again, until a read finds nothing; then the socket wakes it again.
 * A read that leaves events behind (a burst larger than one read takes) is
 * followed by the next at once, after whatever else waits in the loop.
 *
 * Under load that is one wake-up per interval instead of one every few
 * events: each wake-up (epoll, a context switch, a recvmmsg that finds two or
 * three messages) cost about as much CPU as parsing, tagging and counting the
 * events it read (docs/performance.md). The kernel holds the interval's
 * events meanwhile: at 100k events/s, 1 ms is about 100 KiB of the 4 MiB
 * receive buffer. Entries reach the journal at most that much later.
 */

#include <systemd/sd-event.h>

#include "macro.h"

#define BATCH_IO_INTERVAL_USEC 1000u

/* Reads what is there: returns the number of events read (0: none), or a
 * negative errno, after which the input is not read again. */
typedef int (*batch_io_read_t)(void *userdata);

struct batch_io;

int batch_io_new(struct batch_io **ret, sd_event *event, int fd, batch_io_read_t read, void *userdata);
struct batch_io *batch_io_free(struct batch_io *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct batch_io *, batch_io_free);
