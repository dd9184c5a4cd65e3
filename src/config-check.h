/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What --check-config checks beyond the syntax: the configuration against
 * this system, as a start would find it. Each problem is one line
 * "FILE: key VALUE: reason; fix". Some things only a start can find out
 * (CONFIG_CHECK_START_ONLY): they are said, not checked.
 */

#include <stddef.h>

#include "config.h"

#define CONFIG_CHECK_START_ONLY                                                              \
        "subscribing to conntrack events and binding the NFLOG groups (privileges, a group " \
        "already in use), the control socket (another daemon), the lock on the state directory"

/* Appends every problem found to out (lines, NUL-terminated, truncated to
 * size) and returns how many there were. */
unsigned config_check_system(const struct config *c, char *out, size_t size);
