/* SPDX-License-Identifier: MIT */

/* Who holds an NFLOG group, from a /proc tree laid out as the kernel's. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "nflog-holder.h"

static char root[] = "/tmp/test-nflog-holder-XXXXXX";

static void write_file(const char *rel, const char *text) {
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void make_dir(const char *rel) {
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        assert_int_equal(mkdir(path, 0755), 0);
}

static void test_holder(void **state) {
        const uint16_t mine[] = { 5, 2 }, free_groups[] = { 7 };
        char buf[256], path[256];

        assert_non_null(mkdtemp(root));
        make_dir("net");
        make_dir("net/netfilter");
        /* group portid qlen copy_mode copy_range flush_timeout refcnt */
        write_file("net/netfilter/nfnetlink_log", "    2   4242     0 2 65535    100  1\n"
                                                  "    9   5555     0 2 65535    100  1\n");
        write_file("net/netlink",
                   "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
                   "0000000031036b3c 0   4242       00000000 0        0        0     2        0        111\n"
                   "00000000ab61f34a 12  4242       00000000 0        0        0     2        0        777\n"
                   "00000000ab61f34b 12  5555       00000000 0        0        0     2        0        888\n");
        make_dir("4242");
        make_dir("4242/fd");
        write_file("4242/comm", "ulogd\n");
        snprintf(path, sizeof(path), "%s/4242/fd/3", root);
        assert_int_equal(symlink("socket:[777]", path), 0);

        assert_int_equal(nflog_group_holder(root, mine, 2, buf, sizeof(buf)), 1);
        assert_string_equal(buf, "group 2 is in use by netlink port 4242, pid 4242 (ulogd)");
        assert_int_equal(nflog_group_holder(root, free_groups, 1, buf, sizeof(buf)), 0);

        /* A holder in no process this one can see. */
        const uint16_t other[] = { 9 };
        assert_int_equal(nflog_group_holder(root, other, 1, buf, sizeof(buf)), 1);
        assert_string_equal(buf, "group 9 is in use by netlink port 5555 (a process this one cannot see)");

        /* No NFLOG in the kernel: the list is missing. */
        assert_int_equal(nflog_group_holder("/nonexistent", mine, 2, buf, sizeof(buf)), -ENOENT);

        snprintf(path, sizeof(path), "rm -rf '%s'", root);
        assert_int_equal(system(path), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_holder),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
