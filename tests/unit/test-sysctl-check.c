/* SPDX-License-Identifier: MIT */
/*
 * Reading the namespace's ephemeral port range: files written here, good and
 * bad, everywhere; then, as root in a private network namespace, the
 * kernel's own file after setting it, checked against the source port the
 * kernel then really picks.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel-netns.h"
#include "macro.h"
#include "sysctl-check.h"

static char path[] = "/tmp/test-sysctl-check-XXXXXX";

static int make_file(void **state) {
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        close(fd);
        return 0;
}

static int remove_file(void **state) {
        (void) unlink(path);
        return 0;
}

static int read_text(const char *text, struct ephemeral_range *r) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        return sysctl_read_local_port_range(path, r);
}

static void test_range_good(void **state) {
        struct ephemeral_range r;

        /* as the kernel writes it: a tab between, a newline after */
        assert_int_equal(read_text("32768\t60999\n", &r), 0);
        assert_int_equal(r.first, 32768);
        assert_int_equal(r.last, 60999);
        assert_true(r.from_kernel);
        assert_true(ephemeral_range_contains(&r, 32768));
        assert_true(ephemeral_range_contains(&r, 60999));
        assert_false(ephemeral_range_contains(&r, 61000));
        assert_false(ephemeral_range_contains(&r, 32767));

        assert_int_equal(read_text("49152 65535", &r), 0);
        assert_int_equal(r.first, 49152);
        assert_int_equal(r.last, 65535);
        assert_int_equal(read_text("1024\t1024\n", &r), 0);
        assert_int_equal(r.first, 1024);
        assert_int_equal(r.last, 1024);
}

static void test_range_bad(void **state) {
        static const char *const bad[] = {
                "",
                "\n",
                "32768\n",
                "60999\t32768\n",
                "0\t100\n",
                "1024\t65536\n",
                "1024\t99999999999999999999\n",
                "-1\t100\n",
                "1024\t2048 x\n",
                "1024\t2048\t3000\n",
                "abc\tdef\n",
                " 1024\t2048\n",
                "1024\t+2048\n",
        };
        struct ephemeral_range r;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                memset(&r, 0x5a, sizeof(r));
                assert_int_equal(read_text(bad[i], &r), -EINVAL);
                /* the default, and it says so */
                assert_int_equal(r.first, EPHEMERAL_RANGE_DEFAULT_FIRST);
                assert_int_equal(r.last, EPHEMERAL_RANGE_DEFAULT_LAST);
                assert_false(r.from_kernel);
        }
        assert_int_equal(sysctl_read_local_port_range("/nonexistent/ip_local_port_range", &r), -ENOENT);
        assert_false(r.from_kernel);
}

/* The port the kernel picks for a socket bound to port 0. */
static uint16_t kernel_pick(void) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
        close(fd);
        return ntohs(a.sin_port);
}

/* Sets the namespace's range, reads it back, and checks 20 of the kernel's
 * picks against what was read. */
static void set_and_check(const char *text, uint16_t first, uint16_t last) {
        struct ephemeral_range r;
        FILE *f = fopen(SYSCTL_LOCAL_PORT_RANGE_PATH, "we");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(sysctl_read_local_port_range(SYSCTL_LOCAL_PORT_RANGE_PATH, &r), 0);
        assert_int_equal(r.first, first);
        assert_int_equal(r.last, last);
        for (int i = 0; i < 20; i++)
                assert_true(ephemeral_range_contains(&r, kernel_pick()));
}

static void test_range_kernel(void **state) {
        struct ephemeral_range r;

        assert_int_equal(sysctl_read_local_port_range(SYSCTL_LOCAL_PORT_RANGE_PATH, &r), 0);
        assert_true(r.from_kernel);
        assert_true(r.first <= r.last);

        /* as an iPhone picks its ports; then so narrow that a reader off by
         * one would disagree with the kernel */
        set_and_check("49152 65535\n", 49152, 65535);
        set_and_check("40000 40009\n", 40000, 40009);
}

int main(void) {
        const struct CMUnitTest files[] = {
                cmocka_unit_test(test_range_good),
                cmocka_unit_test(test_range_bad),
        };
        const struct CMUnitTest kernel[] = {
                cmocka_unit_test(test_range_kernel),
        };
        const char *skip;
        int r;

        r = cmocka_run_group_tests(files, make_file, remove_file);
        skip = kernel_netns_enter("");
        if (skip) {
                printf("test-sysctl-check: kernel tests skipped: %s\n", skip);
                return r != 0 ? r : 77;
        }
        return r + cmocka_run_group_tests(kernel, NULL, NULL);
}
