/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <stddef.h>

#include "rate.h"

/* e^(-T/W) for T = 1 s: e^(-1/10), e^(-1/60), e^(-1/300), e^(-1/900).
 * Literal constants keep the daemon free of libm; test-rate checks them
 * against exp(). */
static const double decay_table[_RATE_WINDOW_MAX] = {
        [RATE_WINDOW_10S] = 0.9048374180359595,
        [RATE_WINDOW_1M] = 0.9834714538216175,
        [RATE_WINDOW_5M] = 0.9966722160545233,
        [RATE_WINDOW_15M] = 0.9988895059442793,
};

static const char *const window_names[_RATE_WINDOW_MAX] = {
        [RATE_WINDOW_10S] = "10s",
        [RATE_WINDOW_1M] = "1m",
        [RATE_WINDOW_5M] = "5m",
        [RATE_WINDOW_15M] = "15m",
};

static const uint64_t window_usec[_RATE_WINDOW_MAX] = {
        [RATE_WINDOW_10S] = 10 * 1000000ull,
        [RATE_WINDOW_1M] = 60 * 1000000ull,
        [RATE_WINDOW_5M] = 300 * 1000000ull,
        [RATE_WINDOW_15M] = 900 * 1000000ull,
};

const char *rate_window_to_string(enum rate_window w) {
        return (unsigned) w < _RATE_WINDOW_MAX ? window_names[w] : NULL;
}

uint64_t rate_window_usec(enum rate_window w) {
        assert((unsigned) w < _RATE_WINDOW_MAX);
        return window_usec[w];
}

uint64_t rate_tick_usec(enum rate_window w) {
        return RATE_TICK_USEC;
}

double rate_decay(enum rate_window w) {
        assert((unsigned) w < _RATE_WINDOW_MAX);
        return decay_table[w];
}

double rate_pow(double x, uint64_t n) {
        double r = 1.0;

        while (n > 0) {
                if (n & 1)
                        r *= x;
                x *= x;
                n >>= 1;
        }
        return r;
}

double rate_advance(double rate, enum rate_window w, uint64_t n_ticks, uint64_t events) {
        double tick_sec, d;

        if (n_ticks == 0)
                return rate;

        /* n ticks of e = events/n each: the recurrence sums to
         * rate * d^n + e/T * (1 - d^n). */
        tick_sec = (double) rate_tick_usec(w) / 1e6;
        d = rate_pow(rate_decay(w), n_ticks);
        return rate * d + (double) events / ((double) n_ticks * tick_sec) * (1.0 - d);
}
