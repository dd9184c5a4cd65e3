/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "prometheus.h"

struct fixture {
        struct catalog catalog;
        struct catalog_entry entries[2];
        struct catalog_product products[1];
        struct stats *stats;
};

static void fixture_init(struct fixture *x) {
        memset(x, 0, sizeof(*x));
        strcpy(x->entries[0].id, "apns");
        x->entries[0].ports[0] = (struct port_range) { 5223, 5223 };
        x->entries[0].n_ports = 1; /* Apple's own port: medium, or high on Apple's networks */
        x->entries[0].products[0] = 0;
        x->entries[0].n_products = 1;
        strcpy(x->entries[1].id, "apple-other"); /* no port: high only */
        /* A name that needs escaping, as a replaced catalogue could hold. */
        strcpy(x->products[0].name, "Face\"Time\\");
        x->catalog.entries = x->entries;
        x->catalog.n_entries = 2;
        x->catalog.products = x->products;
        x->catalog.n_products = 1;
        x->catalog.apple_other = 1;
        assert_int_equal(stats_new(&x->stats, &x->catalog), 0);

        /* apns: no low one, which it cannot have, and is left out. */
        x->stats->entries[0].total = (struct stats_counters) { 12, 3, 4096, 40, 9, 2, { 0, 4, 6 } };
        /* Rates are PromQL's business: none of them appears in the file. */
        x->stats->entries[0].rate[STATS_RATED_CONNECTIONS][RATE_WINDOW_1M] = 0.25;
        /* A low one its entries cannot give: written all the same, never lost. */
        x->stats->products[0].total = (struct stats_counters) { 7, 0, 18446744073709551615ull, 1, 5, 1, { 5, 3, 4 } };
        x->stats->daemon = (struct stats_daemon) {
                .events_received = { 100, 20 },
                .events_lost = { 1, 0 },
                .malformed = 2,
                .entries_written = 90,
                .entries_dropped = 5,
                .write_errors = 1,
                .below_threshold = 4,
                .conntrack_table_entries = 2000,
                .conntrack_table_max = 262144,
                .conntrack_refused = 12,
        };
        x->stats->unmatched_connections = 6;
        x->stats->unmatched_packets = 7;
        x->stats->unmatched_by[0][0] = 4;
        x->stats->unmatched_by[1][0] = 2;
        x->stats->excluded_connections = 3;
        x->stats->excluded_packets = 1;
        x->stats->connections = (struct stats_account) { .seen = 21, .tagged = 12, .unmatched = 6, .excluded = 3 };
        x->stats->started_realtime_usec = 1764000000123456ull;
}

static const char golden[] =
        "# HELP appleflowd_build_info The daemon's version, as a label; always 1.\n"
        "# TYPE appleflowd_build_info gauge\n"
        "appleflowd_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"
        "# HELP appleflowd_start_time_seconds When the daemon started, in seconds since the epoch.\n"
        "# TYPE appleflowd_start_time_seconds gauge\n"
        "appleflowd_start_time_seconds 1764000000\n"
        "# HELP appleflowd_textfile_write_time_seconds When the daemon wrote this file, in seconds since the epoch: an old value means a stale file.\n"
        "# TYPE appleflowd_textfile_write_time_seconds gauge\n"
        "appleflowd_textfile_write_time_seconds 1764000123\n"
        "# HELP appleflowd_textfile_interval_seconds How often the daemon rewrites this file (prometheus_interval).\n"
        "# TYPE appleflowd_textfile_interval_seconds gauge\n"
        "appleflowd_textfile_interval_seconds 15\n"
        "# HELP appleflowd_catalog_entries Entries in the catalogue in force.\n"
        "# TYPE appleflowd_catalog_entries gauge\n"
        "appleflowd_catalog_entries 2\n"
        "# HELP appleflowd_catalog_products Products in the catalogue in force.\n"
        "# TYPE appleflowd_catalog_products gauge\n"
        "appleflowd_catalog_products 1\n"
        "# HELP appleflowd_connections_total Tagged connections (conntrack NEW) per catalogue entry.\n"
        "# TYPE appleflowd_connections_total counter\n"
        "appleflowd_connections_total{service=\"apns\"} 12\n"
        "appleflowd_connections_total{service=\"apple-other\"} 0\n"
        "# HELP appleflowd_blocked_packets_total Tagged packets logged through NFLOG per catalogue entry.\n"
        "# TYPE appleflowd_blocked_packets_total counter\n"
        "appleflowd_blocked_packets_total{service=\"apns\"} 3\n"
        "appleflowd_blocked_packets_total{service=\"apple-other\"} 0\n"
        "# HELP appleflowd_connection_bytes_total Bytes of tagged connections, both directions, per catalogue entry, as they flow.\n"
        "# TYPE appleflowd_connection_bytes_total counter\n"
        "appleflowd_connection_bytes_total{service=\"apns\"} 4096\n"
        "appleflowd_connection_bytes_total{service=\"apple-other\"} 0\n"
        "# HELP appleflowd_connection_packets_total Packets of tagged connections, both directions, per catalogue entry, as they flow.\n"
        "# TYPE appleflowd_connection_packets_total counter\n"
        "appleflowd_connection_packets_total{service=\"apns\"} 40\n"
        "appleflowd_connection_packets_total{service=\"apple-other\"} 0\n"
        "# HELP appleflowd_connections_ended_total Tagged connections that ended (conntrack DESTROY) per catalogue entry.\n"
        "# TYPE appleflowd_connections_ended_total counter\n"
        "appleflowd_connections_ended_total{service=\"apns\"} 9\n"
        "appleflowd_connections_ended_total{service=\"apple-other\"} 0\n"
        "# HELP appleflowd_connections_unanswered_total Of those, connections the other side never answered, per catalogue entry.\n"
        "# TYPE appleflowd_connections_unanswered_total counter\n"
        "appleflowd_connections_unanswered_total{service=\"apns\"} 2\n"
        "appleflowd_connections_unanswered_total{service=\"apple-other\"} 0\n"
        "# HELP appleflowd_product_connections_total Tagged connections per Apple product.\n"
        "# TYPE appleflowd_product_connections_total counter\n"
        "appleflowd_product_connections_total{product=\"Face\\\"Time\\\\\"} 7\n"
        "# HELP appleflowd_product_blocked_packets_total Tagged packets logged through NFLOG per Apple product.\n"
        "# TYPE appleflowd_product_blocked_packets_total counter\n"
        "appleflowd_product_blocked_packets_total{product=\"Face\\\"Time\\\\\"} 0\n"
        "# HELP appleflowd_product_connection_bytes_total Bytes of tagged connections, both directions, per Apple product, as they flow.\n"
        "# TYPE appleflowd_product_connection_bytes_total counter\n"
        "appleflowd_product_connection_bytes_total{product=\"Face\\\"Time\\\\\"} 18446744073709551615\n"
        "# HELP appleflowd_product_connection_packets_total Packets of tagged connections, both directions, per Apple product, as they flow.\n"
        "# TYPE appleflowd_product_connection_packets_total counter\n"
        "appleflowd_product_connection_packets_total{product=\"Face\\\"Time\\\\\"} 1\n"
        "# HELP appleflowd_product_connections_ended_total Tagged connections that ended per Apple product.\n"
        "# TYPE appleflowd_product_connections_ended_total counter\n"
        "appleflowd_product_connections_ended_total{product=\"Face\\\"Time\\\\\"} 5\n"
        "# HELP appleflowd_product_connections_unanswered_total Of those, connections the other side never answered, per Apple product.\n"
        "# TYPE appleflowd_product_connections_unanswered_total counter\n"
        "appleflowd_product_connections_unanswered_total{product=\"Face\\\"Time\\\\\"} 1\n"
        "# HELP appleflowd_connections_by_confidence_total Tagged connections per catalogue entry by confidence.\n"
        "# TYPE appleflowd_connections_by_confidence_total counter\n"
        "appleflowd_connections_by_confidence_total{service=\"apns\",confidence=\"medium\"} 4\n"
        "appleflowd_connections_by_confidence_total{service=\"apns\",confidence=\"high\"} 6\n"
        "appleflowd_connections_by_confidence_total{service=\"apple-other\",confidence=\"high\"} 0\n"
        "# HELP appleflowd_product_connections_by_confidence_total Connections per Apple product by the confidence of the match, attributed or not.\n"
        "# TYPE appleflowd_product_connections_by_confidence_total counter\n"
        "appleflowd_product_connections_by_confidence_total{product=\"Face\\\"Time\\\\\",confidence=\"low\"} 5\n"
        "appleflowd_product_connections_by_confidence_total{product=\"Face\\\"Time\\\\\",confidence=\"medium\"} 3\n"
        "appleflowd_product_connections_by_confidence_total{product=\"Face\\\"Time\\\\\",confidence=\"high\"} 4\n"
        "# HELP appleflowd_connections_seen_total Connections seen since start: tagged + unmatched + excluded.\n"
        "# TYPE appleflowd_connections_seen_total counter\n"
        "appleflowd_connections_seen_total 21\n"
        "# HELP appleflowd_connections_tagged_total Connections tagged since start, at any confidence.\n"
        "# TYPE appleflowd_connections_tagged_total counter\n"
        "appleflowd_connections_tagged_total 12\n"
        "# HELP appleflowd_unmatched_connections_total Connections no catalogue entry matched.\n"
        "# TYPE appleflowd_unmatched_connections_total counter\n"
        "appleflowd_unmatched_connections_total 6\n"
        "# HELP appleflowd_unmatched_connections_by_transport_total Connections no catalogue entry matched, by transport and whether an address is in Apple's networks.\n"
        "# TYPE appleflowd_unmatched_connections_by_transport_total counter\n"
        "appleflowd_unmatched_connections_by_transport_total{transport=\"tcp\",apple_network=\"0\"} 4\n"
        "appleflowd_unmatched_connections_by_transport_total{transport=\"tcp\",apple_network=\"1\"} 0\n"
        "appleflowd_unmatched_connections_by_transport_total{transport=\"udp\",apple_network=\"0\"} 2\n"
        "appleflowd_unmatched_connections_by_transport_total{transport=\"udp\",apple_network=\"1\"} 0\n"
        "# HELP appleflowd_excluded_connections_total Connections of the router's own traffic, left out of tagging.\n"
        "# TYPE appleflowd_excluded_connections_total counter\n"
        "appleflowd_excluded_connections_total 3\n"
        "# HELP appleflowd_unmatched_packets_total NFLOG packets no catalogue entry matched.\n"
        "# TYPE appleflowd_unmatched_packets_total counter\n"
        "appleflowd_unmatched_packets_total 7\n"
        "# HELP appleflowd_excluded_packets_total NFLOG packets of the router's own traffic, left out of tagging.\n"
        "# TYPE appleflowd_excluded_packets_total counter\n"
        "appleflowd_excluded_packets_total 1\n"
        "# HELP appleflowd_below_threshold_events_total Tagged events counted but not logged (below the logging confidence).\n"
        "# TYPE appleflowd_below_threshold_events_total counter\n"
        "appleflowd_below_threshold_events_total 4\n"
        "# HELP appleflowd_events_received_total Events received from the kernel.\n"
        "# TYPE appleflowd_events_received_total counter\n"
        "appleflowd_events_received_total{source=\"conntrack\"} 100\n"
        "appleflowd_events_received_total{source=\"nflog\"} 20\n"
        "# HELP appleflowd_events_lost_total Events the kernel dropped because the receive buffer was full (exact for conntrack, a lower bound for nflog).\n"
        "# TYPE appleflowd_events_lost_total counter\n"
        "appleflowd_events_lost_total{source=\"conntrack\"} 1\n"
        "appleflowd_events_lost_total{source=\"nflog\"} 0\n"
        "# HELP appleflowd_malformed_packets_total Messages and packets that did not parse.\n"
        "# TYPE appleflowd_malformed_packets_total counter\n"
        "appleflowd_malformed_packets_total 2\n"
        "# HELP appleflowd_entries_written_total Entries written to the output (journald, the console or JSON: mode=).\n"
        "# TYPE appleflowd_entries_written_total counter\n"
        "appleflowd_entries_written_total 90\n"
        "# HELP appleflowd_entries_dropped_total Entries dropped because the writer queue was full.\n"
        "# TYPE appleflowd_entries_dropped_total counter\n"
        "appleflowd_entries_dropped_total 5\n"
        "# HELP appleflowd_entry_write_errors_total Entries the output refused (journald away, a full pipe): not written.\n"
        "# TYPE appleflowd_entry_write_errors_total counter\n"
        "appleflowd_entry_write_errors_total 1\n"
        "# HELP appleflowd_live_connections Open tagged connections whose bytes are read as they flow (live_bytes_interval).\n"
        "# TYPE appleflowd_live_connections gauge\n"
        "appleflowd_live_connections 0\n"
        "# HELP appleflowd_live_connections_untracked_total Tagged connections not followed while open (live_connections_max reached): their bytes count at their end.\n"
        "# TYPE appleflowd_live_connections_untracked_total counter\n"
        "appleflowd_live_connections_untracked_total 0\n"
        "# HELP appleflowd_conntrack_entries Connections in the kernel's conntrack table.\n"
        "# TYPE appleflowd_conntrack_entries gauge\n"
        "appleflowd_conntrack_entries 2000\n"
        "# HELP appleflowd_conntrack_entries_limit The conntrack table's limit (nf_conntrack_max); 0: none, or unknown.\n"
        "# TYPE appleflowd_conntrack_entries_limit gauge\n"
        "appleflowd_conntrack_entries_limit 262144\n"
        "# HELP appleflowd_conntrack_refused_total New connections the kernel refused because its conntrack table was full: never seen, never logged.\n"
        "# TYPE appleflowd_conntrack_refused_total counter\n"
        "appleflowd_conntrack_refused_total 12\n";

static void test_golden(void **state) {
        struct fixture x;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;

        fixture_init(&x);
        f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(prometheus_format(x.stats, 1764000123999999ull, 15000000, f), 0);
        assert_int_equal(fclose(f), 0);
        if (strcmp(buf, golden) != 0) {
                fprintf(stderr, "--- got:\n%s", buf);
                fail_msg("output differs from the golden text");
        }
        stats_free(x.stats);
}

static void test_escape(void **state) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        prometheus_escape(f, "a\\b\"c\nd");
        fclose(f);
        assert_string_equal(buf, "a\\\\b\\\"c\\nd");
}

static unsigned refreshed;

static void refresh(struct stats *s, struct stats_daemon *d, void *userdata) {
        refreshed++;
        d->entries_written = 91;
}

/* The file on disk: mode, content refreshed, and a real parser accepts it. */
static void test_file_and_promtool(void **state) {
        struct fixture x;
        _cleanup_(prometheus_freep) struct prometheus *p = NULL;
        char dir[] = "/tmp/test-prometheus-XXXXXX", path[64], cmd[256], err[PROMETHEUS_ERROR_MAX];
        char line[512];
        struct stat st;
        bool found = false, found_time = false;
        long long written = 0;
        time_t before, after;
        FILE *f;
        int r;

        fixture_init(&x);
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/appleflowd.prom", dir);
        stats_set_refresh(x.stats, refresh, NULL);
        assert_int_equal(prometheus_new(&p, x.stats, path), 0);
        before = time(NULL);
        assert_int_equal(prometheus_write(p, err, sizeof(err)), 0);
        after = time(NULL);
        assert_int_equal(refreshed, 1);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);

        f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                if (strcmp(line, "appleflowd_entries_written_total 91\n") == 0)
                        found = true;
                if (sscanf(line, "appleflowd_textfile_write_time_seconds %lld", &written) == 1)
                        found_time = true;
        }
        fclose(f);
        assert_true(found);
        /* The time of writing is the wall clock's, so that Prometheus's time() can age it. */
        assert_true(found_time);
        assert_in_range(written, before, after);

        /* Written again over the old one; no temporary file left behind. */
        assert_int_equal(prometheus_write(p, err, sizeof(err)), 0);
        snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
        assert_int_equal(system(cmd), 0);

        if (system("command -v promtool >/dev/null 2>&1") != 0) {
                fprintf(stderr, "promtool not found: skipping the check with a real parser\n");
        } else {
                snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
                r = system(cmd);
                if (r != 0)
                        fail_msg("promtool check metrics failed (%d) on %s", r, path);
        }

        /* A directory that does not exist: an error naming the path. */
        prometheus_free(p);
        snprintf(path, sizeof(path), "%s/missing/appleflowd.prom", dir);
        assert_int_equal(prometheus_new(&p, x.stats, path), 0);
        assert_true(prometheus_write(p, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, path));

        snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
        assert_int_equal(system(cmd), 0);
        stats_free(x.stats);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_golden),
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_file_and_promtool),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
