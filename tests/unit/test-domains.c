/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domains.h"

static const struct domain_rule *match(const struct domains *d, const char *name) {
        return domains_match(d, name, strlen(name));
}

static void assert_service(const struct domains *d, const char *name, const char *service) {
        const struct domain_rule *r = match(d, name);

        if (!service) {
                assert_null(r);
                return;
        }
        assert_non_null(r);
        assert_string_equal(r->service, service);
}

static void test_builtin(void **state) {
        struct domains *d = NULL;
        char err[512] = "";

        (void) state;
        assert_int_equal(domains_load_default(&d, err, sizeof(err)), 0);
        assert_true(domains_count(d) > 50);
        assert_string_equal(domains_source(d), "built-in");

        assert_service(d, "push.apple.com", "apns");
        assert_service(d, "1-courier.push.apple.com", "apns");
        assert_service(d, "gateway.icloud.com", "icloud");
        assert_service(d, "cvws.icloud-content.com", "icloud");
        assert_service(d, "mask.icloud.com", "private-relay");
        assert_service(d, "setup.icloud.com", "device-management");
        assert_service(d, "itunes.apple.com", "app-store");
        assert_service(d, "is1-ssl.mzstatic.com", "app-store");
        assert_service(d, "vpp.itunes.apple.com", "device-management");
        assert_service(d, "swcdn.apple.com", "software-update");
        assert_service(d, "mesu.apple.com", "software-update");
        assert_service(d, "gspe19.ls.apple.com", "maps");
        assert_service(d, "time.apple.com", "ntp");
        assert_service(d, "captive.apple.com", "captive-check");
        /* The catch-alls name only what no narrower row does. */
        assert_service(d, "www.apple.com", "apple");
        assert_service(d, "apple.com", "apple");
        assert_service(d, "edge-001.defra.ce.apple-dns.net", "apple");
        assert_true(domain_rule_is_catch_all(match(d, "x.aaplimg.com")));
        assert_false(domain_rule_is_catch_all(match(d, "push.apple.com")));
        /* Suffixes end at label boundaries. */
        assert_service(d, "notapple.com", NULL);
        assert_service(d, "apple.com.example.net", NULL);
        assert_service(d, "com", NULL);
        assert_service(d, "", NULL);
        assert_service(d, "www.example.org", NULL);

        /* Every row finds itself, and a name below it finds it too. */
        for (size_t i = 0; i < domains_count(d); i++) {
                const struct domain_rule *r = domains_rule(d, i);
                char below[300];

                assert_ptr_equal(match(d, r->suffix), r);
                snprintf(below, sizeof(below), "x-1.%s", r->suffix);
                assert_ptr_equal(match(d, below), r);
        }
        domains_free(d);
}

static void test_products(void **state) {
        static const char tsv[] = "# comment\n\nexample.com\tex\tOne; Two ;Three\tmine\r\n";
        struct domains *d = NULL;
        char err[512] = "";
        const struct domain_rule *r;

        (void) state;
        assert_int_equal(domains_load_buffer("t", tsv, sizeof(tsv) - 1, &d, err, sizeof(err)), 0);
        r = match(d, "a.example.com");
        assert_non_null(r);
        assert_int_equal(r->n_products, 3);
        assert_string_equal(r->products[1], "Two");
        assert_string_equal(r->source, "mine");
        assert_int_equal(r->line, 3);
        domains_free(d);
}

static void assert_error(const char *tsv, const char *want) {
        struct domains *d = (struct domains *) 0x1;
        char err[512] = "";

        assert_int_equal(domains_load_buffer("f.tsv", tsv, strlen(tsv), &d, err, sizeof(err)), -EINVAL);
        assert_ptr_equal(d, (struct domains *) 0x1);
        if (!strstr(err, want))
                fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_errors(void **state) {
        char line[2048];

        (void) state;
        assert_error("a.com\tx\t-\ts\na.com\ty\t-\ts\n", "f.tsv:2: duplicate suffix a.com (first on line 1)");
        assert_error("A.com\tx\t-\ts\n", "f.tsv:1: bad suffix 'A.com': upper case");
        assert_error("com\tx\t-\ts\n", "f.tsv:1: suffix 'com' is a top-level domain");
        assert_error("a..com\tx\t-\ts\n", "f.tsv:1: bad suffix");
        assert_error(".a.com\tx\t-\ts\n", "f.tsv:1: bad suffix");
        assert_error("a-.com\tx\t-\ts\n", "f.tsv:1: bad suffix");
        assert_error("-a.com\tx\t-\ts\n", "f.tsv:1: bad suffix");
        assert_error("a_b.com\tx\t-\ts\n", "f.tsv:1: bad suffix");
        assert_error("a.com\tx\t-\n", "f.tsv:1: 3 fields, want 4");
        assert_error("a.com\tx\t-\ts\tmore\n", "f.tsv:1: too many fields");
        assert_error("a.com\tX\t-\ts\n", "f.tsv:1: bad service 'X'");
        assert_error("a.com\t-\t-\ts\n", "f.tsv:1: bad service '-'");
        assert_error("a.com\tx\tA;;B\ts\n", "f.tsv:1: empty product name");
        assert_error("a.com\tx\tA;A\ts\n", "f.tsv:1: product 'A' named twice");
        assert_error("a.com\tx\t-\t\n", "f.tsv:1: empty source");
        assert_error("a.com\tx\t-\ts\x01\n", "f.tsv:1: control character 0x01");
        assert_error("a.com\tx\t-\t\xff\n", "f.tsv:1: not UTF-8");
        assert_error("# nothing\n", "f.tsv: no suffix: expected lines of a suffix, a service, products and a "
                                    "source, separated by tabs (docs/domains-format.md)");
        memset(line, 'a', sizeof(line) - 1);
        line[sizeof(line) - 1] = 0;
        assert_error(line, "f.tsv:1: line too long");
        snprintf(line, sizeof(line), "%.64s.com\tx\t-\ts\n",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_error(line, "a label longer than 63 bytes");
}

static void test_file(void **state) {
        struct domains *d = NULL;
        char err[512] = "";

        (void) state;
        assert_int_equal(domains_load_file("/nonexistent/domains.tsv", &d, err, sizeof(err)), -ENOENT);
        assert_string_equal(err, "/nonexistent/domains.tsv: No such file or directory");
}

static void test_normalize(void **state) {
        char out[DOMAINS_NAME_MAX], name[300];

        (void) state;
        assert_int_equal(domain_name_normalize("WWW.iCloud.COM.", 15, out), 14);
        assert_string_equal(out, "www.icloud.com");
        assert_int_equal(domain_name_normalize("_dns.x.com", 10, out), 10);
        assert_int_equal(domain_name_normalize("a..b", 4, out), -EINVAL);
        assert_int_equal(domain_name_normalize(".", 1, out), -EINVAL);
        assert_int_equal(domain_name_normalize("a b.com", 7, out), -EINVAL);
        memset(name, 'a', sizeof(name));
        for (size_t i = 60; i < sizeof(name); i += 61)
                name[i] = '.';
        assert_int_equal(domain_name_normalize(name, 253, out), 253);
        assert_int_equal(domain_name_normalize(name, 254, out), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_builtin),
                cmocka_unit_test(test_products),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_file),
                cmocka_unit_test(test_normalize),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
