/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The conntrack input: a ctnetlink socket subscribed to NEW and DESTROY
 * events, filtered in the kernel to TCP and UDP of the configured families.
 * Each event becomes one struct flow handed to the handler. Messages are read
 * in batches into one fixed set of buffers and parsed in place with libmnl;
 * nothing is allocated per event.
 *
 * The kernel drops events when the socket's receive buffer is full and
 * reports it as ENOBUFS: each report is counted, the buffer is doubled up to
 * the configured maximum, and the loss handler is told. The socket's drop
 * counter gives the exact number of events lost. NETLINK_NO_ENOBUFS is never
 * set: losses are never silent.
 */

#include <stdbool.h>
#include <stdint.h>

#include "input.h"
#include "macro.h"

struct nlmsghdr;
struct conntrack_input;

struct conntrack_stats {
        uint64_t events;    /* flows handed to the handler */
        uint64_t malformed; /* messages that did not parse */
        uint64_t ignored;   /* other families or transports (kernel filter missed) */
        uint64_t enobufs;   /* overruns: ENOBUFS, or the drop counter rising */
        uint64_t dropped;   /* events the kernel dropped (socket-drops.h) */
        bool dropped_exact; /* false: the kernel does not count, dropped = enobufs */
        uint32_t rcvbuf;    /* receive buffer requested now, bytes */
        uint32_t rcvbuf_max;
        bool rcvbuf_forced; /* SO_RCVBUFFORCE worked (CAP_NET_ADMIN) */
};

/* Called after each overrun, once the buffer has been grown; the number of
 * events lost is in conntrack_input_get_stats(). */
typedef void (*conntrack_loss_handler_t)(struct conntrack_input *in, void *userdata);

/* families: INPUT_FAMILY_* mask. Opens, subscribes and filters; -EPERM
 * without CAP_NET_ADMIN. */
int conntrack_input_new(struct conntrack_input **ret, unsigned families, uint32_t rcvbuf,
                        uint32_t rcvbuf_max, flow_handler_t handler,
                        conntrack_loss_handler_t loss, void *userdata);
struct conntrack_input *conntrack_input_free(struct conntrack_input *in);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct conntrack_input *, conntrack_input_free);

/* Non-blocking; poll it for EPOLLIN. */
int conntrack_input_fd(const struct conntrack_input *in);

/* Reads until EAGAIN or a batch limit (so one busy socket does not starve
 * the event loop's other sources). Returns the number of flows handled, or
 * a negative errno on a socket error other than ENOBUFS. */
int conntrack_input_dispatch(struct conntrack_input *in);

/* Also reads the kernel's drop counter: a system call, not for every event. */
void conntrack_input_get_stats(struct conntrack_input *in, struct conntrack_stats *ret);

/* Once a tick: an overrun the drop counter shows before the reader meets
 * its ENOBUFS (or that raises none, the queue never emptied) is counted and
 * the buffer grown now, as ENOBUFS would. */
void conntrack_input_check_drops(struct conntrack_input *in);

/* For a clean stop: leaves the event groups, so that nothing more comes, and
 * hands every event still queued on the socket to the handler. Afterwards
 * every event the kernel sent to this input is either handled or counted as
 * dropped. Returns the number of flows handled, or a negative errno. */
int conntrack_input_stop(struct conntrack_input *in);

/* The namespace's conntrack timeouts (ct-duration.h), from which connection
 * ends get their duration; none is derived until they are set. */
struct ct_timeouts;
void conntrack_input_set_timeouts(struct conntrack_input *in, const struct ct_timeouts *t);

/* Grows the receive buffer, e.g. after a reload raised the maximum. */
int conntrack_input_set_rcvbuf(struct conntrack_input *in, uint32_t rcvbuf, uint32_t rcvbuf_max);

enum conntrack_parse_result {
        CONNTRACK_PARSE_OK = 0,
        CONNTRACK_PARSE_MALFORMED = -1, /* truncated or contradictory */
        CONNTRACK_PARSE_IGNORED = -2,   /* not a NEW/DESTROY event, or another family/transport */
};

/* Parses one ctnetlink message into *f (cleared first). len is the bytes
 * available from nlh; every length is checked against it. Exposed for the
 * unit tests and the fuzzer. */
int conntrack_parse_message(const struct nlmsghdr *nlh, size_t len, unsigned families, struct flow *f);
