/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config-check.h"
#include "config.h"
#include "options.h"

static char err[CONFIG_ERROR_MAX];

static struct config *load(const char *text, int expect) {
        struct config *c = NULL;

        assert_int_equal(config_new(&c), 0);
        err[0] = '\0';
        assert_int_equal(config_load_string(c, "t.conf", text, strlen(text), err, sizeof(err)), expect);
        return c;
}

static void expect_error(const char *text, const char *message) {
        struct config *c = load(text, -EINVAL);

        assert_string_equal(err, message);
        config_free(c);
}

static void test_defaults(void **state) {
        struct config *c = load("", 0);

        assert_true(c->conntrack);
        assert_int_equal(c->families, INPUT_FAMILY_IPV4 | INPUT_FAMILY_IPV6);
        assert_int_equal(c->n_nflog_groups, 0);
        assert_int_equal(c->receive_buffer, 4 * 1024 * 1024);
        assert_int_equal(c->receive_buffer_max, 64 * 1024 * 1024);
        assert_null(c->catalog);
        assert_null(c->networks);
        assert_int_equal(c->log_min_confidence, CONFIDENCE_MEDIUM);
        assert_true(c->log_connection_end);
        assert_true(c->exclude.router);
        assert_int_equal(c->exclude.n_networks, 0);
        assert_int_equal(c->exclude.n_interfaces, 0);
        assert_int_equal(c->output, OUTPUT_AUTO);
        assert_int_equal(c->queue_size, 16 * 1024 * 1024);
        assert_string_equal(c->state_directory, "/var/lib/appleflowd");
        assert_string_equal(c->control_socket, "/run/appleflowd/control");
        assert_null(c->control_group);
        assert_null(c->prometheus_file);
        assert_int_equal(c->prometheus_interval, 15);
        assert_int_equal(c->summary_interval, 300);
        assert_int_equal(c->save_interval, 300);
        assert_null(c->user);
        assert_int_equal(config_validate(c, err, sizeof(err)), 0);
        config_free(c);
}

static void test_every_key(void **state) {
        struct config *c = load(
                "; a comment\n"
                "# another\n"
                "[input]\n"
                "conntrack = no\n"
                "families = ipv6\n"
                "nflog_groups = 2  5\t7\n"
                "receive_buffer = 512K\n"
                "receive_buffer_max = 1G\n"
                "\n"
                "[tagging]\n"
                "catalog = /etc/appleflowd/ports.tsv\n"
                "networks = /etc/appleflowd/networks.txt\n"
                "log_min_confidence = low\n"
                "log_connection_end = false\n"
                "exclude_router = no\n"
                "exclude_networks = 10.9.0.0/24\tfd09::/48 192.0.2.7\n"
                "exclude_interfaces = mgmt0 wg0\n"
                "[output]\n"
                "mode = json\n"
                "queue_size = 512K\n"
                "[stats]\n"
                "state_directory = /tmp/state\n"
                "control_socket = /tmp/control\n"
                "control_group = adm\n"
                "prometheus_file = /tmp/appleflowd.prom\n"
                "prometheus_interval = 1min\n"
                "summary_interval = 0\n"
                "save_interval = 1h\n"
                "[daemon]\n"
                "user = nobody\n",
                0);

        assert_false(c->conntrack);
        assert_int_equal(c->families, INPUT_FAMILY_IPV6);
        assert_int_equal(c->n_nflog_groups, 3);
        assert_int_equal(c->nflog_groups[0], 2);
        assert_int_equal(c->nflog_groups[1], 5);
        assert_int_equal(c->nflog_groups[2], 7);
        assert_int_equal(c->receive_buffer, 512 * 1024);
        assert_int_equal(c->receive_buffer_max, 1024 * 1024 * 1024);
        assert_string_equal(c->catalog, "/etc/appleflowd/ports.tsv");
        assert_string_equal(c->networks, "/etc/appleflowd/networks.txt");
        assert_int_equal(c->log_min_confidence, CONFIDENCE_LOW);
        assert_false(c->log_connection_end);
        assert_false(c->exclude.router);
        assert_int_equal(c->exclude.n_networks, 3);
        assert_int_equal(c->exclude.networks[0].family, AF_INET);
        assert_int_equal(c->exclude.networks[0].len, 24);
        assert_int_equal(c->exclude.networks[1].family, AF_INET6);
        assert_int_equal(c->exclude.networks[1].len, 48);
        assert_int_equal(c->exclude.networks[2].len, 32);
        assert_int_equal(c->exclude.n_interfaces, 2);
        assert_string_equal(c->exclude.interfaces[0], "mgmt0");
        assert_string_equal(c->exclude.interfaces[1], "wg0");
        assert_int_equal(c->output, OUTPUT_JSON);
        assert_int_equal(c->queue_size, 512 * 1024);
        assert_string_equal(c->state_directory, "/tmp/state");
        assert_string_equal(c->control_socket, "/tmp/control");
        assert_string_equal(c->control_group, "adm");
        assert_string_equal(c->prometheus_file, "/tmp/appleflowd.prom");
        assert_int_equal(c->prometheus_interval, 60);
        assert_int_equal(c->summary_interval, 0);
        assert_int_equal(c->save_interval, 3600);
        assert_string_equal(c->user, "nobody");
        assert_int_equal(config_validate(c, err, sizeof(err)), 0);
        config_free(c);
}

static void test_empty_value_means_builtin(void **state) {
        struct config *c = load("[tagging]\ncatalog = /x\ncatalog =\n", 0);

        assert_null(c->catalog);
        config_free(c);
}

static void test_errors(void **state) {
        struct config *c;

        expect_error("[input]\nconntrack = yes\n[bogus]\n", "t.conf:3: unknown section [bogus]");
        expect_error("[bogus]\nkey = 1\n", "t.conf:1: unknown section [bogus]");
        expect_error("[input]\nconntrak = yes\n", "t.conf:2: unknown key 'conntrak' in section [input]");
        expect_error("[tagging]\nconntrack = yes\n", "t.conf:2: unknown key 'conntrack' in section [tagging]");
        expect_error("conntrack = yes\n", "t.conf:1: key 'conntrack' outside of any section");
        expect_error("[input]\nconntrack = maybe\n", "t.conf:2: invalid boolean 'maybe' for conntrack (yes, no)");
        expect_error("[tagging]\nlog_connection_end =\n",
                     "t.conf:2: invalid boolean '' for log_connection_end (yes, no)");
        expect_error("[input]\nreceive_buffer = 4X\n",
                     "t.conf:2: invalid size '4X' for receive_buffer (a number with K, M or G)");
        expect_error("[input]\nreceive_buffer = -4M\n",
                     "t.conf:2: invalid size '-4M' for receive_buffer (a number with K, M or G)");
        expect_error("[input]\nreceive_buffer = 4MB\n",
                     "t.conf:2: invalid size '4MB' for receive_buffer (a number with K, M or G)");
        expect_error("[input]\nreceive_buffer = 1K\n", "t.conf:2: receive_buffer '1K' out of range (64K-1024M)");
        expect_error("[input]\nreceive_buffer_max = 2G\n",
                     "t.conf:2: receive_buffer_max '2G' out of range (64K-1024M)");
        expect_error("[input]\nreceive_buffer = 99999999999999999999\n",
                     "t.conf:2: invalid size '99999999999999999999' for receive_buffer (a number with K, M or G)");
        expect_error("[input]\nnflog_groups = 2 70000\n", "t.conf:2: invalid NFLOG group '70000' (0-65535)");
        expect_error("[input]\nnflog_groups = 0x2\n", "t.conf:2: invalid NFLOG group '0x2' (0-65535)");
        expect_error("[input]\nnflog_groups = 2 3 2\n", "t.conf:2: NFLOG group 2 listed twice");
        expect_error("[input]\nfamilies = ipv4 ipx\n", "t.conf:2: invalid families 'ipv4 ipx' (ipv4, ipv6 or both)");
        expect_error("[input]\nfamilies =\n", "t.conf:2: invalid families '' (ipv4, ipv6 or both)");
        expect_error("[tagging]\nlog_min_confidence = sure\n",
                     "t.conf:2: invalid confidence 'sure' for log_min_confidence (low, medium, high)");
        expect_error("[tagging]\nlog_min_confidence = none\n",
                     "t.conf:2: invalid confidence 'none' for log_min_confidence (low, medium, high)");
        expect_error("[tagging]\nexclude_networks = 10.9.0.1/24\n",
                     "t.conf:2: invalid network '10.9.0.1/24' for exclude_networks "
                     "(an address with a prefix length, host bits clear: 10.9.0.0/24, fd09::/48)");
        expect_error("[tagging]\nexclude_networks = 10.0.0.0/8 lan\n",
                     "t.conf:2: invalid network 'lan' for exclude_networks "
                     "(an address with a prefix length, host bits clear: 10.9.0.0/24, fd09::/48)");
        expect_error("[tagging]\n\nexclude_networks = fd00::/129\n",
                     "t.conf:3: invalid network 'fd00::/129' for exclude_networks "
                     "(an address with a prefix length, host bits clear: 10.9.0.0/24, fd09::/48)");
        expect_error("[tagging]\nexclude_interfaces = eth0 eth0\n", "t.conf:2: interface eth0 listed twice");
        expect_error("[tagging]\nexclude_interfaces = eth0:1\n",
                     "t.conf:2: invalid interface name 'eth0:1' for exclude_interfaces");
        expect_error("[tagging]\nexclude_interfaces = a-name-of-16-byte\n",
                     "t.conf:2: invalid interface name 'a-name-of-16-byte' for exclude_interfaces");
        expect_error("[tagging]\nexclude_router = sometimes\n",
                     "t.conf:2: invalid boolean 'sometimes' for exclude_router (yes, no)");
        /* Keywords take any case, as booleans do. */
        c = load("[tagging]\nlog_min_confidence = High\nlog_connection_end = No\n"
                 "[input]\nfamilies = IPv4\n[output]\nmode = Journal\n",
                 0);
        assert_int_equal(c->log_min_confidence, CONFIDENCE_HIGH);
        assert_false(c->log_connection_end);
        assert_int_equal(c->families, INPUT_FAMILY_IPV4);
        assert_int_equal(c->output, OUTPUT_JOURNAL);
        config_free(c);
        expect_error("[output]\nmode = syslog\n",
                     "t.conf:2: invalid output mode 'syslog' (auto, journal, console, json)");
        /* A size in bytes, from the smallest to the largest ring the daemon
         * can build; a larger value must not pass the check and then fail at
         * start. */
        expect_error("[output]\nqueue_size = 16384\n", "t.conf:2: queue_size '16384' out of range (256K-1024M)");
        expect_error("[output]\nqueue_size = 262143\n", "t.conf:2: queue_size '262143' out of range (256K-1024M)");
        c = load("[output]\nqueue_size = 256K\n", 0);
        assert_int_equal(c->queue_size, 256 * 1024);
        config_free(c);
        c = load("[output]\nqueue_size = 1G\n", 0);
        assert_int_equal(c->queue_size, RING_SIZE_MAX);
        config_free(c);
        expect_error("[output]\nqueue_size = 1073741825\n",
                     "t.conf:2: queue_size '1073741825' out of range (256K-1024M)");
        expect_error("[output]\nqueue_size = 2G\n", "t.conf:2: queue_size '2G' out of range (256K-1024M)");
        expect_error("[output]\nqueue_size = 16 MB\n",
                     "t.conf:2: invalid size '16 MB' for queue_size (a number with K, M or G)");
        expect_error("[stats]\nsummary_interval = 5 min\n", "t.conf:2: invalid duration '5 min' for summary_interval");
        expect_error("[stats]\nprometheus_interval = 0\n", "t.conf:2: prometheus_interval '0' out of range (1-604800)");
        expect_error("[input]\nthis line has no equals sign\n",
                     "t.conf:2: syntax error (expected [section] or key = value)");
        expect_error("[input\nconntrack = yes\n", "t.conf:1: syntax error (expected [section] or key = value)");
}

static void test_too_many_groups(void **state) {
        char text[512] = "[input]\n\n\nnflog_groups =";

        for (int i = 0; i < CONFIG_NFLOG_GROUPS_MAX; i++)
                snprintf(text + strlen(text), sizeof(text) - strlen(text), " %d", i);
        struct config *c = load(text, 0);
        assert_int_equal(c->n_nflog_groups, CONFIG_NFLOG_GROUPS_MAX);
        config_free(c);

        strcat(text, " 100\n");
        expect_error(text, "t.conf:4: too many NFLOG groups (at most 32)");
}

/* The exclusions change at a reload, without a restart. */
static void test_reload_exclusions(void **state) {
        struct config *c = load("", 0);
        struct config *next = load("[tagging]\nexclude_router = no\nexclude_networks = 10.9.0.0/24\n", 0);
        char buf[256];

        config_restart_changes(c, next, buf, sizeof(buf));
        assert_string_equal(buf, "");
        config_apply_reloadable(c, next);
        assert_false(c->exclude.router);
        assert_int_equal(c->exclude.n_networks, 1);
        config_free(next);
        config_free(c);
}

static void test_first_error_wins(void **state) {
        expect_error("[input]\nconntrack = maybe\nfoo = 1\n[x]\n",
                     "t.conf:2: invalid boolean 'maybe' for conntrack (yes, no)");
}

static void test_hostile_text(void **state) {
        char text[600];

        /* A line longer than inih's buffer must not be split into two. */
        memset(text, 'a', sizeof(text));
        memcpy(text, "[tagging]\ncatalog = /", 21);
        memcpy(text + sizeof(text) - 12, "\nfoo = 1\n\0", 10);
        expect_error(text, "t.conf:2: line longer than 198 bytes");

        /* The limit is exact: 198 bytes and a newline pass the reader (and
         * fail only as an unknown key), 199 do not. */
        char edge[300];
        for (size_t len = 198; len <= 199; len++) {
                int k = snprintf(edge, sizeof(edge), "[input]\n");

                memset(edge + k, 'k', len);
                strcpy(edge + k + len, "\n");
                expect_error(edge, len == 198 ? "t.conf:2: syntax error (expected [section] or key = value)"
                                              : "t.conf:2: line longer than 198 bytes");
        }

        const char nul[] = "[input]\nconntrack = yes\0no\n";
        struct config *c = NULL;
        assert_int_equal(config_new(&c), 0);
        assert_int_equal(config_load_string(c, "t.conf", nul, sizeof(nul) - 1, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "t.conf:2: NUL byte in line");
        config_free(c);
}

/* inih reads an indented line as more of the previous key's value: a list
 * kept only its last line, an indented key became a value, and a value could
 * keep an inline comment that the same text on a key line loses. Indented
 * lines are read like any other. */
static void test_indented_lines(void **state) {
        struct config *c;

        c = load("[input]\nconntrack = no\n  nflog_groups = 1 2\n\t families = ipv6\n", 0);
        assert_false(c->conntrack);
        assert_int_equal(c->n_nflog_groups, 2);
        assert_int_equal(c->families, INPUT_FAMILY_IPV6);
        config_free(c);

        c = load("  [daemon]\n  user = nobody ;comment\n", 0);
        assert_string_equal(c->user, "nobody");
        config_free(c);

        expect_error("[input]\nnflog_groups = 1 2\n  3 4\n",
                     "t.conf:3: syntax error (expected [section] or key = value)");
        expect_error("[daemon]\nuser =\n   nobody ;comment\n",
                     "t.conf:3: syntax error (expected [section] or key = value)");
}

static void test_validate(void **state) {
        struct config *c = load("[input]\nreceive_buffer = 128M\nreceive_buffer_max = 64M\n", 0);

        assert_int_equal(config_validate(c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "configuration: receive_buffer (134217728) is larger than receive_buffer_max (67108864)");
        config_free(c);

        c = load("[input]\nconntrack = no\n", 0);
        assert_int_equal(config_validate(c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "configuration: no input: conntrack is off and no nflog_groups are set");
        config_free(c);

        c = load("[stats]\nstate_directory = var/lib\n", 0);
        assert_int_equal(config_validate(c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "configuration: state_directory must be an absolute path");
        config_free(c);
}

static void test_dns_names(void **state) {
        struct config *c, *d;
        char restart[256];

        (void) state;
        c = load("", 0);
        assert_int_equal(c->dns_nflog_group, -1);
        assert_null(c->domains);
        assert_int_equal(c->dns_names_max, 50000);
        assert_int_equal(c->dns_names_max_bytes, 16u * 1024 * 1024);
        assert_int_equal(c->dns_ttl_min, 60);
        assert_int_equal(c->dns_ttl_max, 3600);
        config_free(c);

        c = load("[input]\ndns_nflog_group = 3\n[tagging]\ndomains = /etc/d.tsv\ndns_names_max = 1000\n"
                 "dns_names_max_bytes = 1M\ndns_ttl_min = 0\ndns_ttl_max = 2h\n",
                 0);
        assert_int_equal(c->dns_nflog_group, 3);
        assert_string_equal(c->domains, "/etc/d.tsv");
        assert_int_equal(c->dns_names_max, 1000);
        assert_int_equal(c->dns_names_max_bytes, 1024 * 1024);
        assert_int_equal(c->dns_ttl_min, 0);
        assert_int_equal(c->dns_ttl_max, 7200);
        assert_int_equal(config_validate(c, err, sizeof(err)), 0);

        /* The group and the sizes need a restart; the list reloads. */
        d = load("[input]\ndns_nflog_group =\n[tagging]\ndomains = /etc/e.tsv\n", 0);
        assert_int_equal(d->dns_nflog_group, -1);
        config_restart_changes(c, d, restart, sizeof(restart));
        assert_string_equal(restart, "dns_nflog_group, dns_names_max, dns_names_max_bytes, dns_ttl_min, dns_ttl_max");
        config_apply_reloadable(c, d);
        assert_string_equal(c->domains, "/etc/e.tsv");
        assert_int_equal(c->dns_nflog_group, 3);
        config_free(d);
        config_free(c);

        expect_error("[input]\ndns_nflog_group = 70000\n",
                     "t.conf:2: invalid NFLOG group '70000' for dns_nflog_group (0-65535, or empty for none)");
        expect_error("[input]\ndns_nflog_group = 2 3\n",
                     "t.conf:2: invalid NFLOG group '2 3' for dns_nflog_group (0-65535, or empty for none)");
        expect_error("[tagging]\ndns_names_max = 0\n", "t.conf:2: dns_names_max '0' out of range (1-10000000)");
        expect_error("[tagging]\ndns_names_max = 1e6\n", "t.conf:2: invalid number '1e6' for dns_names_max");
        expect_error("[tagging]\ndns_names_max = 99999999999\n",
                     "t.conf:2: invalid number '99999999999' for dns_names_max");
        expect_error("[tagging]\ndns_names_max_bytes = 1K\n",
                     "t.conf:2: dns_names_max_bytes '1K' out of range (64K-1024M)");
        expect_error("[tagging]\ndns_ttl_max = 0\n", "t.conf:2: dns_ttl_max '0' out of range (1-604800)");

        c = load("[tagging]\ndns_ttl_min = 2h\ndns_ttl_max = 1h\n", 0);
        assert_int_equal(config_validate(c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "configuration: dns_ttl_min (7200) is larger than dns_ttl_max (3600)");
        config_free(c);
        c = load("[input]\nnflog_groups = 2 3\ndns_nflog_group = 3\n", 0);
        assert_int_equal(config_validate(c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "configuration: NFLOG group 3 is both in nflog_groups and dns_nflog_group");
        config_free(c);
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_files(void **state) {
        char dir[] = "/tmp/test-config-XXXXXX", path[64], missing[64];
        struct config *c = NULL;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/a.conf", dir);
        snprintf(missing, sizeof(missing), "%s/missing.conf", dir);

        assert_int_equal(config_new(&c), 0);
        assert_int_equal(config_load_file(c, missing, false, err, sizeof(err)), 0);
        assert_null(c->source);
        assert_int_equal(config_load_file(c, missing, true, err, sizeof(err)), -ENOENT);
        assert_int_equal(strncmp(err, missing, strlen(missing)), 0);
        assert_string_equal(err + strlen(missing), ": No such file or directory");

        write_file(path, "[output]\nmode = console\n\n[input]\nfamilies = ipv5\n");
        assert_int_equal(config_load_file(c, path, true, err, sizeof(err)), -EINVAL);
        assert_int_equal(strncmp(err, path, strlen(path)), 0);
        assert_string_equal(err + strlen(path), ":5: invalid families 'ipv5' (ipv4, ipv6 or both)");
        config_free(c);

        unlink(path);
        rmdir(dir);
}

static int parse(struct options *o, const char *const *args) {
        char *argv[32];
        int argc = 0;

        argv[argc++] = (char *) "appleflowd";
        for (; *args; args++)
                argv[argc++] = (char *) *args;
        argv[argc] = NULL;
        err[0] = '\0';
        return options_parse(o, argc, argv, err, sizeof(err));
}

static void test_dns_options(void **state) {
        struct options o;
        struct config *c = NULL;

        (void) state;
        assert_int_equal(parse(&o, (const char *[]) { "--config", "/nonexistent/a.conf", NULL }), 0);
        assert_int_equal(o.dns_nflog_group, -1);
        assert_int_equal(parse(&o, (const char *[]) { "--dns-nflog-group", "5", "--domains=/cli/domains.tsv",
                                                      NULL }),
                         0);
        o.config_path = "/nonexistent/a.conf";
        assert_int_equal(config_load_all(&o, &c, err, sizeof(err)), 0);
        assert_int_equal(c->dns_nflog_group, 5);
        assert_string_equal(c->domains, "/cli/domains.tsv");
        config_free(c);
        assert_int_equal(parse(&o, (const char *[]) { "--dns-nflog-group", "x", NULL }), -EINVAL);
        assert_string_equal(err, "--dns-nflog-group: invalid group 'x' (0-65535)");
}

static void test_options(void **state) {
        char dir[] = "/tmp/test-config-XXXXXX", path[64];
        struct options o;
        struct config *c = NULL;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/a.conf", dir);
        write_file(path,
                   "[input]\nnflog_groups = 1 2\n"
                   "[tagging]\ncatalog = /file/catalog\nlog_min_confidence = high\n"
                   "[output]\nmode = journal\n");

        /* No options: the file's values. */
        assert_int_equal(parse(&o, (const char *[]) { "--config", path, NULL }), 0);
        assert_true(o.config_explicit);
        assert_int_equal(config_load_all(&o, &c, err, sizeof(err)), 0);
        assert_string_equal(c->source, path);
        assert_int_equal(c->n_nflog_groups, 2);
        assert_string_equal(c->catalog, "/file/catalog");
        assert_int_equal(c->output, OUTPUT_JOURNAL);
        assert_true(c->conntrack);
        c = config_free(c);

        /* Options override the file, and the groups replace the file's. */
        assert_int_equal(parse(&o, (const char *[]) {
                                           "--config", path, "--catalog=/cli/catalog", "--networks", "/cli/networks",
                                           "--output", "json", "--nflog-group", "7", "--nflog-group=9", "--no-conntrack",
                                           "--log-min-confidence", "low", "--state-directory", "/cli/state",
                                           "--control-socket", "/cli/control", NULL }),
                         0);
        assert_int_equal(config_load_all(&o, &c, err, sizeof(err)), 0);
        assert_string_equal(c->catalog, "/cli/catalog");
        assert_string_equal(c->networks, "/cli/networks");
        assert_int_equal(c->output, OUTPUT_JSON);
        assert_int_equal(c->n_nflog_groups, 2);
        assert_int_equal(c->nflog_groups[0], 7);
        assert_int_equal(c->nflog_groups[1], 9);
        assert_false(c->conntrack);
        assert_int_equal(c->log_min_confidence, CONFIDENCE_LOW);
        assert_string_equal(c->state_directory, "/cli/state");
        assert_string_equal(c->control_socket, "/cli/control");
        c = config_free(c);

        /* The default file may be missing; an explicit one may not. */
        assert_int_equal(parse(&o, (const char *[]) { "-n", NULL }), 0);
        assert_true(o.check_config);
        assert_false(o.config_explicit);
        assert_string_equal(o.config_path, CONFIG_DEFAULT_PATH);
        assert_int_equal(parse(&o, (const char *[]) { "--config", "/nonexistent/appleflowd.conf", NULL }), 0);
        assert_int_equal(config_load_all(&o, &c, err, sizeof(err)), -ENOENT);
        assert_string_equal(err, "/nonexistent/appleflowd.conf: No such file or directory");

        /* Validation runs after the options: --no-conntrack alone leaves no input. */
        assert_int_equal(parse(&o, (const char *[]) { "--config", path, "--no-conntrack", NULL }), 0);
        assert_int_equal(config_load_all(&o, &c, err, sizeof(err)), 0);
        c = config_free(c);
        unlink(path);
        write_file(path, "[input]\nconntrack = yes\n");
        assert_int_equal(config_load_all(&o, &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(strstr(err, ": no input"), ": no input: conntrack is off and no nflog_groups are set");

        unlink(path);
        rmdir(dir);
}

static void test_option_errors(void **state) {
        struct options o;

        assert_int_equal(parse(&o, (const char *[]) { "--output", "syslog", NULL }), -EINVAL);
        assert_string_equal(err, "--output: invalid mode 'syslog' (auto, journal, console, json)");
        assert_int_equal(parse(&o, (const char *[]) { "--nflog-group", "65536", NULL }), -EINVAL);
        assert_string_equal(err, "--nflog-group: invalid group '65536' (0-65535)");
        assert_int_equal(parse(&o, (const char *[]) { "--nflog-group=3", "--nflog-group=3", NULL }), -EINVAL);
        assert_string_equal(err, "--nflog-group: group 3 given twice");
        assert_int_equal(parse(&o, (const char *[]) { "--log-min-confidence=none", NULL }), -EINVAL);
        assert_string_equal(err, "--log-min-confidence: invalid confidence 'none' (low, medium, high)");
        assert_int_equal(parse(&o, (const char *[]) { "--bogus", NULL }), -EINVAL);
        assert_string_equal(err, "unknown option '--bogus'");
        assert_int_equal(parse(&o, (const char *[]) { "--config", NULL }), -EINVAL);
        assert_string_equal(err, "option '--config' needs an argument");
        assert_int_equal(parse(&o, (const char *[]) { "extra", NULL }), -EINVAL);
        assert_string_equal(err, "unexpected argument 'extra'");
        assert_int_equal(parse(&o, (const char *[]) { "--version", "--help", NULL }), 0);
        assert_true(o.version);
        assert_true(o.help);
}

static void test_value_parsers(void **state) {
        uint32_t v;
        bool b;

        assert_int_equal(config_parse_size("64K", 0, UINT32_MAX, &v), 0);
        assert_int_equal(v, 65536);
        assert_int_equal(config_parse_size("3g", 0, UINT32_MAX, &v), 0);
        assert_int_equal(v, 3u * 1024 * 1024 * 1024);
        assert_int_equal(config_parse_size("4G", 0, UINT32_MAX, &v), -ERANGE);
        assert_int_equal(config_parse_size("", 0, UINT32_MAX, &v), -EINVAL);
        assert_int_equal(config_parse_size(" 1", 0, UINT32_MAX, &v), -EINVAL);
        assert_int_equal(config_parse_seconds("2h", UINT32_MAX, &v), 0);
        assert_int_equal(v, 7200);
        assert_int_equal(config_parse_seconds("30s", UINT32_MAX, &v), 0);
        assert_int_equal(v, 30);
        assert_int_equal(config_parse_bool("TRUE", &b), 0);
        assert_true(b);
        assert_int_equal(config_parse_bool("0", &b), 0);
        assert_false(b);
        assert_int_equal(config_parse_bool("2", &b), -EINVAL);
}

/* What a start would refuse or degrade on, found by --check-config, each
 * with the line of the key. */
static void test_check_system(void **state) {
        char out[4096], dir[] = "/tmp/test-config-XXXXXX", text[1024];
        struct config *c;

        assert_non_null(mkdtemp(dir));
        snprintf(text, sizeof(text),
                 "[daemon]\nuser = no-such-user-x\n"
                 "[stats]\ncontrol_group = no-such-group-x\n"
                 "prometheus_file = %s/missing/appleflowd.prom\n"
                 "state_directory = %s/missing/state\n"
                 "control_socket = %s/run/control\n",
                 dir, dir, dir);
        c = load(text, 0);
        assert_int_equal(config_set_string(&c->source, "t.conf"), 0);
        assert_int_equal(config_check_system(c, out, sizeof(out)), 4);
        assert_non_null(strstr(out, "t.conf:2: user no-such-user-x: no such user; "));
        assert_non_null(strstr(out, "t.conf:4: control_group no-such-group-x: no such group; "));
        assert_non_null(strstr(out, "t.conf:5: prometheus_file "));
        assert_non_null(strstr(out, "/missing: No such file or directory; create it"));
        assert_non_null(strstr(out, "t.conf:6: state_directory "));
        /* The socket's directory is created, one level: not a problem. */
        assert_null(strstr(out, "control_socket"));
        config_free(c);

        /* All there: nothing to say. */
        snprintf(text, sizeof(text), "[daemon]\nuser = root\n[stats]\ncontrol_group = root\n"
                                     "prometheus_file = %s/appleflowd.prom\nstate_directory = %s/state\n",
                 dir, dir);
        c = load(text, 0);
        assert_int_equal(config_check_system(c, out, sizeof(out)), 0);
        assert_string_equal(out, "");
        config_free(c);
        assert_int_equal(rmdir(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_empty_value_means_builtin),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_too_many_groups),
                cmocka_unit_test(test_reload_exclusions),
                cmocka_unit_test(test_first_error_wins),
                cmocka_unit_test(test_hostile_text),
                cmocka_unit_test(test_indented_lines),
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_files),
                cmocka_unit_test(test_options),
                cmocka_unit_test(test_option_errors),
                cmocka_unit_test(test_value_parsers),
                cmocka_unit_test(test_check_system),
                cmocka_unit_test(test_dns_names),
                cmocka_unit_test(test_dns_options),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
