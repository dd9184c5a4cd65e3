/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Reads the kernel's conntrack table: every TCP and UDP connection open now,
 * with its counters (net.netfilter.nf_conntrack_acct=1), each handed to the
 * handler as a FLOW_CONNECTION_OPEN flow. A dump of its own netlink socket,
 * subscribed to nothing, read a batch at a time from the event loop: the
 * kernel fills the next part as the last is read, so a large table never
 * holds up the events. The dump is marked incomplete when the kernel says
 * the table changed under it in a way that may skip entries (NLM_F_DUMP_INTR)
 * or answers with an error.
 */

#include <stdbool.h>
#include <stdint.h>

#include "input.h"
#include "macro.h"

struct conntrack_dump;

/* Called once a dump ends: complete, and the entries it listed. */
typedef void (*conntrack_dump_done_t)(struct conntrack_dump *d, bool complete, uint64_t entries,
                                      void *userdata);

int conntrack_dump_new(struct conntrack_dump **ret, unsigned families, flow_handler_t handler,
                       conntrack_dump_done_t done, void *userdata);
struct conntrack_dump *conntrack_dump_free(struct conntrack_dump *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct conntrack_dump *, conntrack_dump_free);

/* Non-blocking; poll it for EPOLLIN while a dump runs. */
int conntrack_dump_fd(const struct conntrack_dump *d);

/* Asks for the table; -EBUSY while a dump runs. */
int conntrack_dump_start(struct conntrack_dump *d);
bool conntrack_dump_running(const struct conntrack_dump *d);

/* Reads what is there, up to a batch limit. Returns the entries handled, or
 * a negative errno (the dump then ends incomplete). */
int conntrack_dump_dispatch(struct conntrack_dump *d);

/* Parses one datagram of a dump reply: the handler is called per entry,
 * done once at its end. Exposed for the unit tests and the fuzzer. */
void conntrack_dump_feed(struct conntrack_dump *d, const void *buf, size_t len);
