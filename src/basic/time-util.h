/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The time, in the microseconds every figure and timer of the project uses.
 */

#include <stdint.h>
#include <time.h>

/* Microseconds on clock (CLOCK_MONOTONIC, CLOCK_REALTIME, …); 0 when it
 * cannot be read. */
static inline uint64_t clock_usec(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}
