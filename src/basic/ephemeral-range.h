/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The ports a kernel picks client (ephemeral) source ports from, as the
 * namespace the daemon runs in has them: net.ipv4.ip_local_port_range (it
 * applies to IPv6 too). The daemon reads it (sysctl-check.h) and hands it to
 * the tagger, which never reads files itself: appleflowctl uses it as well.
 */

#include <stdbool.h>
#include <stdint.h>

/* Linux's default, and what the daemon assumes when the file cannot be read. */
#define EPHEMERAL_RANGE_DEFAULT_FIRST 32768
#define EPHEMERAL_RANGE_DEFAULT_LAST 60999

struct ephemeral_range {
        uint16_t first, last; /* inclusive, first <= last */
        bool from_kernel;     /* false: the default above */
};

#define EPHEMERAL_RANGE_DEFAULT \
        ((struct ephemeral_range) { EPHEMERAL_RANGE_DEFAULT_FIRST, EPHEMERAL_RANGE_DEFAULT_LAST, false })

static inline bool ephemeral_range_contains(const struct ephemeral_range *r, uint16_t port) {
        return port >= r->first && port <= r->last;
}
