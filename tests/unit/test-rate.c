/* SPDX-License-Identifier: MIT */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rate.h"

static double tick_sec(enum rate_window w) {
        return (double) rate_tick_usec(w) / 1e6;
}

static double window_sec(enum rate_window w) {
        return (double) rate_window_usec(w) / 1e6;
}

static void assert_close(double got, double want) {
        double tol = 1e-9 * fmax(1.0, fabs(want));

        if (fabs(got - want) > tol)
                fail_msg("got %.15g, want %.15g", got, want);
}

static void test_names_and_windows(void **state) {
        assert_string_equal(rate_window_to_string(RATE_WINDOW_10S), "10s");
        assert_string_equal(rate_window_to_string(RATE_WINDOW_1M), "1m");
        assert_string_equal(rate_window_to_string(RATE_WINDOW_5M), "5m");
        assert_string_equal(rate_window_to_string(RATE_WINDOW_15M), "15m");
        assert_null(rate_window_to_string(_RATE_WINDOW_MAX));
        assert_int_equal(rate_window_usec(RATE_WINDOW_1M), 60000000);
        assert_int_equal(rate_window_usec(RATE_WINDOW_15M), 900000000);
        assert_int_equal(rate_tick_usec(RATE_WINDOW_10S), 1000000);
        assert_int_equal(rate_tick_usec(RATE_WINDOW_5M), 1000000);
}

static void test_decay_is_exp(void **state) {
        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                assert_close(rate_decay(w), exp(-tick_sec(w) / window_sec(w)));
}

static void test_pow(void **state) {
        assert_close(rate_pow(0.5, 0), 1.0);
        assert_close(rate_pow(0.5, 1), 0.5);
        assert_close(rate_pow(0.9, 37), pow(0.9, 37));
        assert_close(rate_pow(rate_decay(RATE_WINDOW_15M), 1000), pow(rate_decay(RATE_WINDOW_15M), 1000));
        assert_close(rate_pow(0.99, UINT64_MAX), 0.0);
}

/* From zero, a constant λ gives λ(1 - e^(-t/W)) after t seconds, and
 * converges to λ. */
static void test_constant_rate(void **state) {
        const uint64_t lambda = 40; /* events per second */

        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++) {
                double r = 0, T = tick_sec(w), W = window_sec(w);
                uint64_t per_tick = lambda * (uint64_t) T;
                unsigned k;

                for (k = 1; k <= 60; k++) {
                        r = rate_advance(r, w, 1, per_tick);
                        assert_close(r, lambda * (1 - exp(-k * T / W)));
                }
                /* After 40 windows the difference is e^-40 of λ. */
                for (; k * T < 40 * W; k++)
                        r = rate_advance(r, w, 1, per_tick);
                assert_close(r, lambda);
        }
}

/* A burst of N events in one tick, then silence: N/T (1 - e^(-T/W)) decaying
 * as e^(-t/W). */
static void test_burst_decays(void **state) {
        const uint64_t burst = 1000;

        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++) {
                double T = tick_sec(w), W = window_sec(w);
                double r0 = burst / T * (1 - exp(-T / W));
                double r = rate_advance(0, w, 1, burst);

                assert_close(r, r0);
                for (unsigned k = 1; k <= 200; k++) {
                        r = rate_advance(r, w, 1, 0);
                        assert_close(r, r0 * exp(-k * T / W));
                }
        }
}

/* n missed ticks at once equal n single ticks, whether quiet or with the
 * events spread evenly. */
static void test_catch_up(void **state) {
        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++) {
                double one = 123.0, many = 123.0;

                for (unsigned k = 0; k < 17; k++)
                        one = rate_advance(one, w, 1, 0);
                many = rate_advance(many, w, 17, 0);
                assert_close(many, one);

                one = many = 7.5;
                for (unsigned k = 0; k < 12; k++)
                        one = rate_advance(one, w, 1, 30);
                many = rate_advance(many, w, 12, 12 * 30);
                assert_close(many, one);

                assert_close(rate_advance(3.25, w, 0, 1000), 3.25);
        }
}

/* The three load-average windows differ as the closed form says: after one
 * minute of λ, the 1 m rate is λ(1-1/e), the 5 m λ(1-e^-1/5), the 15 m
 * λ(1-e^-1/15). */
static void test_windows_after_one_minute(void **state) {
        const uint64_t lambda = 3;
        double r[_RATE_WINDOW_MAX] = {};

        for (unsigned k = 0; k < 60; k++)
                for (enum rate_window w = RATE_WINDOW_1M; w < _RATE_WINDOW_MAX; w++)
                        r[w] = rate_advance(r[w], w, 1, lambda);
        assert_close(r[RATE_WINDOW_1M], lambda * (1 - exp(-1.0)));
        assert_close(r[RATE_WINDOW_5M], lambda * (1 - exp(-1.0 / 5)));
        assert_close(r[RATE_WINDOW_15M], lambda * (1 - exp(-1.0 / 15)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names_and_windows),
                cmocka_unit_test(test_decay_is_exp),
                cmocka_unit_test(test_pow),
                cmocka_unit_test(test_constant_rate),
                cmocka_unit_test(test_burst_decays),
                cmocka_unit_test(test_catch_up),
                cmocka_unit_test(test_windows_after_one_minute),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
