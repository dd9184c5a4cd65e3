/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What every kernel input (conntrack, NFLOG) hands to the daemon: one filled
 * struct flow per event, on the reading thread. The flow is only valid during
 * the call; the handler copies what it keeps.
 */

#include "flow.h"

typedef void (*flow_handler_t)(const struct flow *f, void *userdata);
