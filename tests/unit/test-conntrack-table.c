/* SPDX-License-Identifier: MIT */
/*
 * The conntrack table's figures: the kernel's text parsed exactly, anything
 * else refused with its line, and the per-CPU 32-bit refusal counters
 * followed across reads (wrapping, CPUs coming and going). Files stand in
 * for /proc.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conntrack-table.h"
#include "macro.h"

/* As Linux 6.x writes it, two CPUs. */
#define HEADER "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop " \
               "early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
#define ROW(entries, drop) entries "  00000000 00000000 00000000 00000000 00000000 00000000 00000000 " \
                                   "00000000 00000007 " drop " 00000003 00000000  00000000 00000000 00000000 00000000\n"

static struct conntrack_table_sample sample;

static int parse(const char *text, char *err, size_t size) {
        return conntrack_table_parse(text, strlen(text), &sample, err, size);
}

static void test_parse_kernel_text(void **state) {
        char err[128] = "";

        assert_int_equal(parse(HEADER ROW("0003fffe", "000000ff") ROW("0003fffe", "ffffffff"), err, sizeof(err)), 0);
        assert_int_equal(sample.entries, 0x3fffe);
        assert_int_equal(sample.n_cpus, 2);
        assert_int_equal(sample.drop[0], 0xff);
        assert_int_equal(sample.drop[1], 0xffffffffu);

        /* Columns found by name, wherever they are; no newline at the end. */
        assert_int_equal(parse("drop x entries\n0000000a 0 00000002\n0000000b 1 00000002", err, sizeof(err)), 0);
        assert_int_equal(sample.entries, 2);
        assert_int_equal(sample.n_cpus, 2);
        assert_int_equal(sample.drop[0], 10);
        assert_int_equal(sample.drop[1], 11);
}

static void test_parse_refused(void **state) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "", "line 0: empty" },
                { HEADER, "no CPU rows" },
                { "entries found\n00000001 00000002\n", "line 1: no \"entries\" or \"drop\" column in the header" },
                { HEADER ROW("00000001", "00000002") "00000001 00000002\n", "line 3: 2 columns, the header has 17" },
                { HEADER ROW("00000001", "0000000g"), "line 2: column 11 is not a hexadecimal number" },
                { HEADER ROW("00000001", "100000000"), "line 2: \"drop\" is wider than 32 bits" },
                { HEADER ROW("00000001", "00000000000000001"), "line 2: column 11 is not a hexadecimal number" },
                { HEADER ROW("-0000001", "00000000"), "line 2: column 1 is not a hexadecimal number" },
        };
        char err[128];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                err[0] = 0;
                assert_int_equal(parse(cases[i].text, err, sizeof(err)), -EBADMSG);
                if (!strstr(err, cases[i].error))
                        fail_msg("case %zu: \"%s\", want \"%s\"", i, err, cases[i].error);
        }
}

static void test_parse_limits(void **state) {
        char err[128], *text;
        size_t size = CONNTRACK_TABLE_LINE_MAX + 64, n;

        /* A NUL in a line. */
        assert_int_equal(conntrack_table_parse("drop entries\n0\0 1\n", 18, &sample, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "line 2: a NUL byte"));

        /* A line longer than CONNTRACK_TABLE_LINE_MAX. */
        text = malloc(size);
        assert_non_null(text);
        memset(text, ' ', size);
        memcpy(text, "drop entries", 12);
        assert_int_equal(conntrack_table_parse(text, size, &sample, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "line 1: longer than"));
        free(text);

        /* More columns than CONNTRACK_TABLE_COLUMNS_MAX. */
        size = (CONNTRACK_TABLE_COLUMNS_MAX + 1) * 2 + 16;
        text = calloc(1, size);
        assert_non_null(text);
        n = (size_t) sprintf(text, "drop entries");
        for (unsigned i = 3; i <= CONNTRACK_TABLE_COLUMNS_MAX; i++)
                n += (size_t) sprintf(text + n, " x");
        assert_int_equal(conntrack_table_parse(text, n, &sample, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "no CPU rows")); /* 64 columns: still allowed */
        n += (size_t) sprintf(text + n, " y");
        assert_int_equal(conntrack_table_parse(text, n, &sample, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "more than"));
        free(text);

        /* More CPUs than CONNTRACK_TABLE_CPUS_MAX. */
        size = 16 + (CONNTRACK_TABLE_CPUS_MAX + 1) * 4;
        text = malloc(size);
        assert_non_null(text);
        n = (size_t) sprintf(text, "drop entries\n");
        for (unsigned i = 0; i < CONNTRACK_TABLE_CPUS_MAX; i++)
                n += (size_t) sprintf(text + n, "1 2\n");
        assert_int_equal(conntrack_table_parse(text, n, &sample, err, sizeof(err)), 0);
        assert_int_equal(sample.n_cpus, CONNTRACK_TABLE_CPUS_MAX);
        n += (size_t) sprintf(text + n, "1 2\n");
        assert_int_equal(conntrack_table_parse(text, n, &sample, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "more than 4096 CPUs"));
        free(text);
}

struct files {
        char stat[64], max[64];
};

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void make_files(struct files *f, const char *stat, const char *max) {
        int fd;

        strcpy(f->stat, "/tmp/test-conntrack-table-stat.XXXXXX");
        strcpy(f->max, "/tmp/test-conntrack-table-max.XXXXXX");
        assert_true((fd = mkstemp(f->stat)) >= 0);
        close(fd);
        assert_true((fd = mkstemp(f->max)) >= 0);
        close(fd);
        write_file(f->stat, stat);
        write_file(f->max, max);
}

static void remove_files(struct files *f) {
        unlink(f->stat);
        unlink(f->max);
}

/* Refusals counted from the open on, each CPU's counter widened across its
 * wrap; the file is read again each time, through the same descriptor. */
static void test_read_follows_counters(void **state) {
        struct conntrack_table *t = NULL;
        struct conntrack_table_stats st;
        struct files f;

        make_files(&f, HEADER ROW("00000010", "fffffff0") ROW("00000010", "00000005"), "262144\n");
        assert_int_equal(conntrack_table_open(&t, f.stat, f.max), 0);

        assert_int_equal(conntrack_table_read(t, &st), 0);
        assert_int_equal(st.entries, 16);
        assert_int_equal(st.max, 262144);
        assert_int_equal(st.refused, 0); /* what was refused before is not ours */

        /* CPU 0 wraps: 0xfffffff0 -> 0x10 is 0x20 more; CPU 1 refuses 3. */
        write_file(f.stat, HEADER ROW("00040000", "00000010") ROW("00040000", "00000008"));
        assert_int_equal(conntrack_table_read(t, &st), 0);
        assert_int_equal(st.entries, 0x40000);
        assert_int_equal(st.refused, 0x20 + 3);

        /* A third CPU comes online (from 0), then goes; its share stays. */
        write_file(f.stat, HEADER ROW("00040000", "00000010") ROW("00040000", "00000008")
                                   ROW("00040000", "00000004"));
        assert_int_equal(conntrack_table_read(t, &st), 0);
        assert_int_equal(st.refused, 0x23 + 4);
        write_file(f.stat, HEADER ROW("00000001", "00000011") ROW("00000001", "00000008"));
        assert_int_equal(conntrack_table_read(t, &st), 0);
        assert_int_equal(st.refused, 0x27 + 1);
        assert_int_equal(st.entries, 1);

        /* Not the kernel's text: refused, the figures stay. */
        write_file(f.stat, "garbage\n");
        assert_int_equal(conntrack_table_read(t, &st), -EBADMSG);
        write_file(f.stat, HEADER ROW("00000001", "00000012") ROW("00000001", "00000008"));
        assert_int_equal(conntrack_table_read(t, &st), 0);
        assert_int_equal(st.refused, 0x28 + 1);

        t = conntrack_table_free(t);
        remove_files(&f);
}

static void test_open(void **state) {
        struct conntrack_table *t = NULL;
        struct conntrack_table_stats st;
        struct files f;

        assert_int_equal(conntrack_table_open(&t, "/nonexistent/nf_conntrack", NULL), -ENOENT);
        assert_null(t);

        make_files(&f, "entries drop\n", "1\n");
        assert_int_equal(conntrack_table_open(&t, f.stat, f.max), -EBADMSG);
        assert_null(t);
        remove_files(&f);

        /* Without the limit's file: max 0. */
        make_files(&f, HEADER ROW("00000002", "00000000"), "");
        assert_int_equal(conntrack_table_open(&t, f.stat, "/nonexistent/nf_conntrack_max"), 0);
        assert_int_equal(conntrack_table_read(t, &st), 0);
        assert_int_equal(st.max, 0);
        assert_int_equal(st.entries, 2);
        t = conntrack_table_free(t);
        remove_files(&f);

        /* The real files, when this kernel tracks connections. */
        if (conntrack_table_open(&t, NULL, NULL) == 0) {
                assert_int_equal(conntrack_table_read(t, &st), 0);
                t = conntrack_table_free(t);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_kernel_text),
                cmocka_unit_test(test_parse_refused),
                cmocka_unit_test(test_parse_limits),
                cmocka_unit_test(test_read_follows_counters),
                cmocka_unit_test(test_open),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
