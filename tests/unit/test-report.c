/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl report without a journal: the groups (bounded, sorted, sums
 * that cannot wrap), the values it parses (counts, times), the escaping of
 * hostile names, and the table, JSON and CSV compared with golden output.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "report.h"

#define SEC 1000000ull
/* 2026-12-05 10:20:30 UTC */
#define NOW (1796466030ull * SEC)

static void count(struct report *r, const char *key, const struct report_counts *add) {
        struct report_group *g;
        int err;

        g = report_group(r, key, strlen(key), &err);
        assert_int_equal(err, 0);
        if (g)
                report_counts_add(r, &g->counts, add);
        else {
                report_counts_add(r, &r->other, add);
                r->other_entries++;
        }
        report_counts_add(r, &r->total, add);
        r->entries++;
}

static const struct report_counts CONN = { .connections = 1 };
static const struct report_counts BLOCKED = { .blocked = 1 };

static void test_groups_sorted(void **state) {
        _cleanup_(report_freep) struct report *r = NULL;
        const struct report_group **v;
        size_t n;

        assert_int_equal(report_new(REPORT_BY_SERVICE, 100, &r), 0);
        count(r, "mdns", &BLOCKED);
        for (int i = 0; i < 3; i++)
                count(r, "apns", &CONN);
        count(r, "https", &CONN);
        count(r, "facetime-rtp", &CONN);
        count(r, "mdns", &CONN);
        assert_int_equal(r->n_groups, 4);

        /* busiest first; equal connections: blocked packets, then the name */
        assert_int_equal(report_sorted(r, 0, &v, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(v[0]->key, "apns");
        assert_string_equal(v[1]->key, "mdns");
        assert_string_equal(v[2]->key, "facetime-rtp");
        assert_string_equal(v[3]->key, "https");
        free(v);

        assert_int_equal(report_sorted(r, 2, &v, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[1]->key, "mdns");
        free(v);
}

static void test_groups_time_order(void **state) {
        _cleanup_(report_freep) struct report *r = NULL;
        const struct report_group **v;
        size_t n;

        assert_int_equal(report_new(REPORT_BY_HOUR, 100, &r), 0);
        count(r, "2026-12-05 09:00", &CONN);
        count(r, "2026-12-05 11:00", &CONN);
        count(r, "2026-12-05 11:00", &CONN);
        count(r, "2026-12-04 23:00", &CONN);
        count(r, "2026-12-05 10:00", &CONN);
        count(r, "2026-12-05 10:00", &CONN);
        count(r, "2026-12-05 10:00", &CONN);

        /* the two busiest hours, in time order */
        assert_int_equal(report_sorted(r, 2, &v, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0]->key, "2026-12-05 10:00");
        assert_string_equal(v[1]->key, "2026-12-05 11:00");
        free(v);
        assert_int_equal(report_sorted(r, 0, &v, &n), 0);
        assert_string_equal(v[0]->key, "2026-12-04 23:00");
        assert_string_equal(v[3]->key, "2026-12-05 11:00");
        free(v);
}

static void test_groups_bounded(void **state) {
        _cleanup_(report_freep) struct report *r = NULL;
        char key[16];

        assert_int_equal(report_new(REPORT_BY_CLIENT, 3, &r), 0);
        for (int i = 0; i < 1000; i++) {
                snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
                count(r, key, &CONN);
        }
        count(r, "10.0.0.1", &CONN); /* an old group still counts */
        assert_int_equal(r->n_groups, 3);
        assert_int_equal(r->other_entries, 997);
        assert_int_equal(r->other.connections, 997);
        assert_int_equal(r->total.connections, 1001);
        assert_int_equal(r->groups[1].counts.connections, 2);

        assert_int_equal(report_new(REPORT_BY_CLIENT, 0, &(struct report *) { NULL }), -EINVAL);
        assert_int_equal(report_new(REPORT_BY_CLIENT, REPORT_GROUPS_MAX + 1, &(struct report *) { NULL }), -EINVAL);
}

static void test_groups_many(void **state) {
        _cleanup_(report_freep) struct report *r = NULL;
        char key[32];

        /* the table grows and every key is found again */
        assert_int_equal(report_new(REPORT_BY_CLIENT, REPORT_GROUPS_MAX, &r), 0);
        for (int round = 0; round < 2; round++)
                for (int i = 0; i < 5000; i++) {
                        snprintf(key, sizeof(key), "fd00::%x", i);
                        count(r, key, &CONN);
                }
        assert_int_equal(r->n_groups, 5000);
        for (size_t i = 0; i < r->n_groups; i++)
                assert_int_equal(r->groups[i].counts.connections, 2);
        /* keys with NUL bytes and of length 0 are keys too */
        int err;
        assert_non_null(report_group(r, "a\0b", 3, &err));
        assert_ptr_not_equal(report_group(r, "a\0b", 3, &err), report_group(r, "a\0c", 3, &err));
        assert_non_null(report_group(r, "", 0, &err));
        assert_int_equal(r->n_groups, 5003);
}

static void test_merge(void **state) {
        _cleanup_(report_freep) struct report *a = NULL, *b = NULL;
        const struct report_counts end = { .ended = 1, .source_bytes = 10, .destination_bytes = 20 };

        assert_int_equal(report_new(REPORT_BY_SERVICE, 2, &a), 0);
        assert_int_equal(report_new(REPORT_BY_SERVICE, 2, &b), 0);
        /* Each reading thread's report hashes with its own seed: the merge
         * must still find a's group for b's "apns". */
        a->seed = 1;
        b->seed = 2;
        count(a, "apns", &CONN);
        count(a, "mdns", &CONN);
        a->first_usec = 50, a->last_usec = 60;
        count(b, "apns", &end);
        count(b, "https", &end); /* a third group: beyond a's limit */
        count(b, "https", &end);
        b->first_usec = 40, b->last_usec = 55;
        b->problems.foreign = 3;
        b->summaries.entries = 1;

        assert_int_equal(report_merge(a, b), 0);
        assert_int_equal(a->n_groups, 2);
        assert_int_equal(a->groups[0].counts.connections, 1);
        assert_int_equal(a->groups[0].counts.ended, 1);
        assert_int_equal(a->groups[0].counts.source_bytes, 10);
        assert_int_equal(a->other.ended, 2);
        assert_int_equal(a->other.destination_bytes, 40);
        assert_int_equal(a->other_entries, 1);
        assert_int_equal(a->total.connections, 2);
        assert_int_equal(a->total.ended, 3);
        assert_int_equal(a->entries, 5);
        assert_int_equal(a->first_usec, 40);
        assert_int_equal(a->last_usec, 60);
        assert_int_equal(a->problems.foreign, 3);
        assert_int_equal(a->summaries.entries, 1);
}

static void test_sums_saturate(void **state) {
        _cleanup_(report_freep) struct report *r = NULL;
        struct report_counts c = { .source_bytes = UINT64_MAX - 1 };
        const struct report_counts two = { .source_bytes = 2, .destination_bytes = 1 };

        assert_int_equal(report_new(REPORT_BY_SERVICE, 10, &r), 0);
        report_counts_add(r, &c, &two);
        assert_true(c.source_bytes == UINT64_MAX);
        assert_int_equal(r->problems.overflows, 1);
        assert_true(report_counts_bytes(&c) == UINT64_MAX);
        assert_true(report_incomplete(r));
}

static void test_parse_count(void **state) {
        uint64_t v = 7;

        assert_int_equal(report_parse_count("0", 1, &v), 0);
        assert_true(v == 0);
        assert_int_equal(report_parse_count("18446744073709551615", 20, &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(report_parse_count("18446744073709551616", 20, &v), -ERANGE);
        assert_int_equal(report_parse_count("99999999999999999999", 20, &v), -ERANGE);
        assert_int_equal(report_parse_count("", 0, &v), -EINVAL);
        assert_int_equal(report_parse_count("-1", 2, &v), -EINVAL);
        assert_int_equal(report_parse_count("+1", 2, &v), -EINVAL);
        assert_int_equal(report_parse_count("1 ", 2, &v), -EINVAL);
        assert_int_equal(report_parse_count("12\0003", 4, &v), -EINVAL);
        assert_int_equal(report_parse_count("000000000000000000001", 21, &v), -EINVAL);
}

static void test_by_names(void **state) {
        for (int i = 0; i < _REPORT_BY_MAX; i++)
                assert_int_equal(report_by_from_name(report_by_name(i)), i);
        assert_int_equal(report_by_from_name("services"), -EINVAL);
        assert_int_equal(report_by_from_name(""), -EINVAL);
        assert_string_equal(report_by_field(REPORT_BY_ROUTER), "_HOSTNAME");
        assert_null(report_by_field(REPORT_BY_DAY));
}

static uint64_t t(const char *s) {
        uint64_t v = 0;

        assert_int_equal(report_parse_time(s, NOW, &v), 0);
        return v / SEC;
}

static void test_parse_time(void **state) {
        uint64_t v;

        /* TZ=UTC (main): local time is UTC */
        assert_int_equal(t("now"), NOW / SEC);
        assert_int_equal(t("today"), 1796428800);
        assert_int_equal(t("yesterday"), 1796428800 - 86400);
        assert_int_equal(t("tomorrow"), 1796428800 + 86400);
        assert_int_equal(t("2026-12-01"), 1796083200);
        assert_int_equal(t("2026-12-01 10:00"), 1796083200 + 36000);
        assert_int_equal(t("2026-12-01 10:00:05"), 1796083200 + 36005);
        assert_int_equal(t("2026-12-01T10:00:05"), 1796083200 + 36005);
        assert_int_equal(t("2026-12-01 10:00 UTC"), 1796083200 + 36000);
        assert_int_equal(t("09:00"), 1796428800 + 9 * 3600);
        assert_int_equal(t("@1796083200"), 1796083200);
        assert_int_equal(t("-1h"), NOW / SEC - 3600);
        assert_int_equal(t("-1h30min"), NOW / SEC - 5400);
        assert_int_equal(t("-1h 30m"), NOW / SEC - 5400);
        assert_int_equal(t("+2d"), NOW / SEC + 2 * 86400);
        assert_int_equal(t("2 days ago"), NOW / SEC - 2 * 86400);
        assert_int_equal(t("1week ago"), NOW / SEC - 7 * 86400);
        assert_int_equal(t("-90"), NOW / SEC - 90);
        assert_int_equal(t("-1M"), NOW / SEC - 2629800);
        assert_int_equal(t("-1y"), NOW / SEC - 31557600);

        const char *bad[] = {
                "",
                "-",
                "-h",
                "-1x",
                "1h",
                "2026-12",
                "2026-02-31",
                "2026-12-01 25:00",
                "2026-12-01 10:60",
                "2026-12-01 10",
                "2026-12-01 10:00:61",
                "10",
                "@",
                "@-1",
                "@x",
                "ago",
                " ago",
                "-99999999999999999999h",
                "2026-12-01 10:00 CET",
                "2026-1-01",
                "yesterday 10:00",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (report_parse_time(bad[i], NOW, &v) >= 0)
                        fail_msg("'%s' parsed as %llu", bad[i], (unsigned long long) v);
        /* far in the past stops at the epoch */
        assert_int_equal(report_parse_time("-1000y", NOW, &v), 0);
        assert_true(v == 0);
}

static void test_time_key(void **state) {
        struct report_time_bucket b = {};
        const char *k;
        size_t len;

        k = report_time_key(&b, NOW, REPORT_BY_HOUR, &len);
        assert_string_equal(k, "2026-12-05 10:00");
        assert_int_equal(len, 16);
        assert_true(b.start == 1796464800ull * SEC && b.end == 1796468400ull * SEC);
        k = report_time_key(&b, 1796468400ull * SEC - 1, REPORT_BY_HOUR, &len);
        assert_string_equal(k, "2026-12-05 10:00");
        k = report_time_key(&b, 1796468400ull * SEC, REPORT_BY_HOUR, &len);
        assert_string_equal(k, "2026-12-05 11:00");
        b = (struct report_time_bucket) {};
        k = report_time_key(&b, NOW, REPORT_BY_DAY, &len);
        assert_string_equal(k, "2026-12-05");
        k = report_time_key(&b, 1796428800ull * SEC - 1, REPORT_BY_DAY, &len);
        assert_string_equal(k, "2026-12-04");
}

static void test_key_escape(void **state) {
        char buf[64];

        assert_string_equal(report_key_escape("apns", 4, buf, sizeof(buf)), "apns");
        assert_string_equal(report_key_escape("Bibliothèque", 13, buf, sizeof(buf)), "Bibliothèque");
        assert_string_equal(report_key_escape("a\nb\x1b", 4, buf, sizeof(buf)), "a\\x0ab\\x1b");
        assert_string_equal(report_key_escape("a\0b", 3, buf, sizeof(buf)), "a\\x00b");
        assert_string_equal(report_key_escape("\xff\xc3", 2, buf, sizeof(buf)), "\\xff\\xc3");
        /* overlong, surrogate, beyond U+10FFFF */
        assert_string_equal(report_key_escape("\xc0\xaf", 2, buf, sizeof(buf)), "\\xc0\\xaf");
        assert_string_equal(report_key_escape("\xed\xa0\x80", 3, buf, sizeof(buf)), "\\xed\\xa0\\x80");
        assert_string_equal(report_key_escape("\xf4\x90\x80\x80", 4, buf, sizeof(buf)), "\\xf4\\x90\\x80\\x80");
        assert_string_equal(report_key_escape("back\\slash", 10, buf, sizeof(buf)), "back\\\\slash");
        /* cut, never in the middle of an escape or a character */
        assert_string_equal(report_key_escape("\xff\xff\xff", 3, buf, 9), "\\xff\\xff");
        assert_string_equal(report_key_escape("aèè", 5, buf, 5), "aè");
}

/* The report every golden output below prints. */
static struct report *sample(enum report_by by) {
        struct report *r;
        const struct report_counts end = { .ended = 1, .source_bytes = 330, .destination_bytes = 316 };
        const struct report_counts lost = { .events_lost = 12 };

        assert_int_equal(report_new(by, 100, &r), 0);
        r->first_usec = 1796464800ull * SEC;
        r->last_usec = 1796466030ull * SEC;
        if (by == REPORT_BY_ROUTER) {
                count(r, "gw-paris", &CONN);
                count(r, "gw-paris", &end);
                count(r, "gw-lyon", &BLOCKED);
                count(r, "gw-lyon", &lost);
        } else {
                count(r, "apns", &CONN);
                count(r, "apns", &CONN);
                count(r, "apns", &end);
                count(r, "game-center", &BLOCKED);
                count(r, "we,ird \"name\"\n", &CONN);
        }
        r->summaries = (struct report_summaries) { .entries = 2, .connections = 4, .blocked = 1, .bytes = 646 };
        return r;
}

static char *print(const struct report *r, size_t top, enum report_format format) {
        const struct report_period p = { 1796464800ull * SEC, UINT64_MAX };
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        assert_int_equal(report_print(r, &p, top, format, f), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_golden_table(void **state) {
        _cleanup_(report_freep) struct report *r = sample(REPORT_BY_SERVICE);
        _cleanup_free_ char *out = print(r, 0, REPORT_FORMAT_TABLE);

        assert_string_equal(out,
                            "5 entries of appleflowd, 2026-12-05 10:00:00 to 2026-12-05 10:20:30\n"
                            "\n"
                            "SERVICE            CONNECTIONS  ENDED  BYTES  BLOCKED\n"
                            "apns                         2      1    646        0\n"
                            "we,ird \"name\"\\x0a            1      0      0        0\n"
                            "game-center                  0      0      0        1\n"
                            "total                        3      1    646        1\n"
                            "\n"
                            "The daemon's 2 summaries in the period count 4 connections, 1 blocked packets and 646 bytes\n"
                            "(every connection, also those not written to the journal).\n"
                            "\n"
                            "No losses reported in the period.\n");
}

static void test_golden_table_router(void **state) {
        _cleanup_(report_freep) struct report *r = sample(REPORT_BY_ROUTER);
        _cleanup_free_ char *out = print(r, 1, REPORT_FORMAT_TABLE);

        assert_string_equal(out,
                            "4 entries of appleflowd, 2026-12-05 10:00:00 to 2026-12-05 10:20:30\n"
                            "The 1 busiest of 2 groups:\n"
                            "\n"
                            "ROUTER    CONNECTIONS  ENDED  BYTES  BLOCKED  LOST\n"
                            "gw-paris            1      1    646        0     0\n"
                            "total               1      1    646        1    12\n"
                            "\n"
                            "The daemon's 2 summaries in the period count 4 connections, 1 blocked packets and 646 bytes\n"
                            "(every connection, also those not written to the journal).\n"
                            "\n"
                            "Incomplete: 12 events lost in the kernel, 0 entries not written, 0 connections refused (conntrack table full)\n"
                            "in the period; the figures above do not include them.\n");
}

static void test_golden_csv(void **state) {
        _cleanup_(report_freep) struct report *r = sample(REPORT_BY_SERVICE);
        _cleanup_free_ char *out = print(r, 0, REPORT_FORMAT_CSV);

        assert_string_equal(out,
                            "service,connections,ended,bytes,source_bytes,destination_bytes,blocked_packets\r\n"
                            "apns,2,1,646,330,316,0\r\n"
                            "\"we,ird \"\"name\"\"\\x0a\",1,0,0,0,0,0\r\n"
                            "game-center,0,0,0,0,0,1\r\n");
}

static void test_golden_json(void **state) {
        _cleanup_(report_freep) struct report *r = sample(REPORT_BY_ROUTER);
        _cleanup_free_ char *out = NULL;

        /* groups beyond the limit: the (other) row */
        r->groups_max = 1;
        count(r, "gw-nice", &CONN);
        out = print(r, 0, REPORT_FORMAT_JSON);
        assert_string_equal(out,
                            "{\n"
                            "  \"by\": \"router\",\n"
                            "  \"entries\": 5,\n"
                            "  \"since_usec\": 1796464800000000,\n"
                            "  \"until_usec\": null,\n"
                            "  \"first_usec\": 1796464800000000,\n"
                            "  \"last_usec\": 1796466030000000,\n"
                            "  \"groups\": [\n"
                            "    {\n"
                            "      \"connections\": 1,\n"
                            "      \"ended\": 1,\n"
                            "      \"bytes\": 646,\n"
                            "      \"source_bytes\": 330,\n"
                            "      \"destination_bytes\": 316,\n"
                            "      \"blocked_packets\": 0,\n"
                            "      \"events_lost\": 0,\n"
                            "      \"entries_not_written\": 0,\n"
                            "      \"connections_refused\": 0,\n"
                            "      \"router\": \"gw-paris\"\n"
                            "    },\n"
                            "    {\n"
                            "      \"connections\": 0,\n"
                            "      \"ended\": 0,\n"
                            "      \"bytes\": 0,\n"
                            "      \"source_bytes\": 0,\n"
                            "      \"destination_bytes\": 0,\n"
                            "      \"blocked_packets\": 1,\n"
                            "      \"events_lost\": 12,\n"
                            "      \"entries_not_written\": 0,\n"
                            "      \"connections_refused\": 0,\n"
                            "      \"router\": \"gw-lyon\"\n"
                            "    }\n"
                            "  ],\n"
                            "  \"other\": {\n"
                            "    \"connections\": 1,\n"
                            "    \"ended\": 0,\n"
                            "    \"bytes\": 0,\n"
                            "    \"source_bytes\": 0,\n"
                            "    \"destination_bytes\": 0,\n"
                            "    \"blocked_packets\": 0,\n"
                            "    \"events_lost\": 0,\n"
                            "    \"entries_not_written\": 0,\n"
                            "    \"connections_refused\": 0,\n"
                            "    \"entries\": 1\n"
                            "  },\n"
                            "  \"total\": {\n"
                            "    \"connections\": 2,\n"
                            "    \"ended\": 1,\n"
                            "    \"bytes\": 646,\n"
                            "    \"source_bytes\": 330,\n"
                            "    \"destination_bytes\": 316,\n"
                            "    \"blocked_packets\": 1,\n"
                            "    \"events_lost\": 12,\n"
                            "    \"entries_not_written\": 0,\n"
                            "    \"connections_refused\": 0\n"
                            "  },\n"
                            "  \"losses\": {\n"
                            "    \"events_lost\": 12,\n"
                            "    \"entries_not_written\": 0,\n"
                            "    \"connections_refused\": 0\n"
                            "  },\n"
                            "  \"summaries\": {\n"
                            "    \"entries\": 2,\n"
                            "    \"connections\": 4,\n"
                            "    \"blocked_packets\": 1,\n"
                            "    \"bytes\": 646\n"
                            "  },\n"
                            "  \"problems\": {\n"
                            "    \"bad_numbers\": 0,\n"
                            "    \"long_values\": 0,\n"
                            "    \"overflows\": 0,\n"
                            "    \"damaged_entries\": 0,\n"
                            "    \"foreign_entries\": 0,\n"
                            "    \"unreadable_files\": 0\n"
                            "  },\n"
                            "  \"complete\": false\n"
                            "}\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_groups_sorted),
                cmocka_unit_test(test_groups_time_order),
                cmocka_unit_test(test_groups_bounded),
                cmocka_unit_test(test_groups_many),
                cmocka_unit_test(test_merge),
                cmocka_unit_test(test_sums_saturate),
                cmocka_unit_test(test_parse_count),
                cmocka_unit_test(test_by_names),
                cmocka_unit_test(test_parse_time),
                cmocka_unit_test(test_time_key),
                cmocka_unit_test(test_key_escape),
                cmocka_unit_test(test_golden_table),
                cmocka_unit_test(test_golden_table_router),
                cmocka_unit_test(test_golden_csv),
                cmocka_unit_test(test_golden_json),
        };

        /* times in the golden output and the parser's local time: UTC */
        setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
