/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Exponentially weighted event rates, like the load average: at every tick
 * of T seconds
 *
 *     rate = rate * e^(-T/W) + (events in the tick / T) * (1 - e^(-T/W))
 *
 * for a window W. A constant rate converges to itself; a burst decays as
 * e^(-t/W). Every window ticks every second (the load average ticks every
 * 5 s; a second keeps every rate as fresh as the 10 s one).
 */

#include <stdint.h>

enum rate_window {
        RATE_WINDOW_10S,
        RATE_WINDOW_1M,
        RATE_WINDOW_5M,
        RATE_WINDOW_15M,
        _RATE_WINDOW_MAX,
};

#define RATE_TICK_USEC (1000000ull)

const char *rate_window_to_string(enum rate_window w); /* "10s", "1m", "5m", "15m" */
uint64_t rate_window_usec(enum rate_window w);
uint64_t rate_tick_usec(enum rate_window w);
/* e^(-T/W) for one tick of the window. */
double rate_decay(enum rate_window w);

/* Advance rate (events per second) by n_ticks ticks during which `events`
 * events happened, taken as spread evenly over them. n_ticks == 1 is the
 * formula above; n_ticks == 0 returns rate unchanged. */
double rate_advance(double rate, enum rate_window w, uint64_t n_ticks, uint64_t events);

/* x^n by squaring, so that the daemon needs no libm. */
double rate_pow(double x, uint64_t n);
