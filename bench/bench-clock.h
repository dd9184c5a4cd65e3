/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The benchmarks' clock: monotonic nanoseconds, finer than the project's
 * microseconds (src/basic/time-util.h) because one lookup takes a few.
 */

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}
