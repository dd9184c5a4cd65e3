/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What every kernel input (conntrack, NFLOG) hands to the daemon: one filled
 * struct flow per event, on the reading thread. The flow is only valid during
 * the call; the handler copies what it keeps.
 */

#include "flow.h"

/* Which address families an input listens to: a mask. */
enum input_family {
        INPUT_FAMILY_IPV4 = 1u << 0,
        INPUT_FAMILY_IPV6 = 1u << 1,
};

typedef void (*flow_handler_t)(const struct flow *f, void *userdata);
