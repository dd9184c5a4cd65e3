/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <sched.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "message-id.h"
#include "queue.h"

static struct catalog_product products[] = {
        { .name = "FaceTime" },
        { .name = "Game Center" },
        { .name = "Messages", .aliases = { "iChat" }, .n_aliases = 1 },
};

static struct catalog_entry entries[] = {
        {
                .id = "facetime-rtp",
                .ports = { { 16384, 16387 } },
                .n_ports = 1,
                .transports = TRANSPORT_UDP,
                .protocol = "Real-Time Transport Protocol (RTP)",
                .products = { 0, 1, 2 },
                .n_products = 3,
        },
};

static const struct catalog catalog = {
        .entries = entries, .n_entries = 1, .products = products, .n_products = 3,
};

static const struct tag tag = { .confidence = CONFIDENCE_HIGH, .apple_network = true,
                                 .port = 16385, .entry = 0 };

static struct flow make_flow(uint16_t src_port) {
        struct flow f = {
                .action = FLOW_CONNECTION_NEW,
                .family = AF_INET,
                .l4proto = IPPROTO_UDP,
                .src_port = src_port,
                .dst_port = 16385,
        };

        inet_pton(AF_INET, "192.168.1.20", &f.src);
        inet_pton(AF_INET, "17.1.2.3", &f.dst);
        return f;
}

struct fixture {
        FILE *out;
        struct ring *ring;
        struct writer *writer;
        struct queue *queue;
};

static void setup(struct fixture *x, size_t capacity, enum output_mode mode) {
        x->out = tmpfile();
        assert_non_null(x->out);
        assert_int_equal(ring_new(&x->ring, capacity), 0);
        assert_int_equal(writer_new(&x->writer, x->ring, mode, x->out), 0);
        assert_int_equal(queue_new(&x->queue, x->ring, x->writer), 0);
}

static void teardown(struct fixture *x) {
        queue_free(x->queue);
        writer_free(x->writer);
        ring_free(x->ring);
        fclose(x->out);
}

/* Reads the output back: the lines, each without its newline. */
static size_t read_lines(FILE *f, char **lines, size_t max) {
        char *line = NULL;
        size_t size = 0, n = 0;
        ssize_t len;

        rewind(f);
        while ((len = getline(&line, &size, f)) > 0) {
                assert_true(n < max);
                assert_int_equal(line[len - 1], '\n');
                line[len - 1] = '\0';
                lines[n++] = strdup(line);
        }
        free(line);
        return n;
}

static void free_lines(char **lines, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(lines[i]);
}

static const char *json_str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        assert_true(json_object_is_type(v, json_type_string));
        return json_object_get_string(v);
}

/* A stalled writer: the ring fills, every further entry is dropped and
 * counted, and the first entry after the backlog reports the exact number. */
static void test_drops_reported(void **state) {
        struct fixture x;
        struct queue_stats st;
        struct flow f;
        struct entry *e;
        char *lines[32];
        size_t n;
        json_object *o;

        setup(&x, 8, OUTPUT_JSON);
        for (uint16_t i = 0; i < 8; i++) {
                f = make_flow(1000 + i);
                assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        }
        for (uint16_t i = 0; i < 5; i++) {
                f = make_flow(2000 + i);
                assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), -ENOBUFS);
        }
        assert_int_equal(queue_submit_lost(x.queue, "conntrack", 1), -ENOBUFS);
        queue_flush(x.queue);          /* no room: the report waits */

        queue_get_stats(x.queue, &st);
        assert_int_equal(st.submitted, 14);
        assert_int_equal(st.queued, 8);
        assert_int_equal(st.dropped, 6);
        assert_int_equal(st.pending_drops, 6);
        assert_int_equal(st.drop_reports, 0);
        assert_int_equal(st.submitted_kind[ENTRY_CONNECTION_NEW], 13);
        assert_int_equal(st.dropped_kind[ENTRY_CONNECTION_NEW], 5);
        assert_int_equal(st.dropped_kind[ENTRY_EVENTS_LOST], 1);
        assert_int_equal(st.writer.written, 0);

        /* The writer catches up: the report goes in first, then the entry. */
        assert_int_equal(writer_drain(x.writer), 8);
        for (uint16_t i = 0; i < 7; i++) {
                f = make_flow(3000 + i);
                assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        }
        queue_get_stats(x.queue, &st);
        assert_int_equal(st.drop_reports, 1);
        assert_int_equal(st.pending_drops, 0);
        f = make_flow(4000);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), -ENOBUFS);

        /* One slot free is not enough for a report and an entry: dropped too.
         * (The test consumes the report itself, so it is not written.) */
        e = ring_peek(x.ring);
        assert_non_null(e);
        assert_string_equal(entry_get(e, "ENTRIES_DROPPED"), "6");
        ring_release(x.ring);
        f = make_flow(4001);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), -ENOBUFS);
        queue_flush(x.queue);
        assert_int_equal(ring_space(x.ring), 1);
        queue_get_stats(x.queue, &st);
        assert_int_equal(st.pending_drops, 2);

        assert_int_equal(writer_drain(x.writer), 7);
        f = make_flow(5000);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        assert_int_equal(writer_drain(x.writer), 2);

        queue_get_stats(x.queue, &st);
        assert_int_equal(st.submitted, 14 + 7 + 2 + 1);
        assert_int_equal(st.dropped, 8);
        assert_int_equal(st.queued, 8 + 7 + 1);
        assert_int_equal(st.drop_reports, 2);
        assert_int_equal(st.pending_drops, 0);
        assert_int_equal(st.writer.written, 8 + 7 + 2);
        assert_int_equal(st.writer.errors, 0);
        /* Nothing lost silently: every submitted entry is queued or counted,
         * every queued one written (but the report the test took). */
        assert_int_equal(st.submitted, st.queued + st.dropped);
        assert_int_equal(st.writer.written, st.queued + st.drop_reports - 1);

        n = read_lines(x.out, lines, ELEMENTSOF(lines));
        assert_int_equal(n, 17);
        for (size_t i = 0; i < n; i++) {
                o = json_tokener_parse(lines[i]);
                assert_non_null(o);
                if (i == 15) {
                        assert_string_equal(json_str(o, "MESSAGE_ID"), MESSAGE_ID_NOT_WRITTEN_STR);
                        assert_string_equal(json_str(o, "ENTRIES_DROPPED"), "2");
                        assert_string_equal(json_str(o, "PRIORITY"), "4");
                } else {
                        assert_string_equal(json_str(o, "MESSAGE_ID"), MESSAGE_ID_CONNECTION_STR);
                        assert_null(json_str(o, "ENTRIES_DROPPED"));
                }
                json_object_put(o);
        }
        /* Source ports: 1000…1007, 3000…3006, report, 5000. */
        o = json_tokener_parse(lines[8]);
        assert_string_equal(json_str(o, "SOURCE_PORT"), "3000");
        json_object_put(o);
        o = json_tokener_parse(lines[16]);
        assert_string_equal(json_str(o, "SOURCE_PORT"), "5000");
        json_object_put(o);
        free_lines(lines, n);
        teardown(&x);
}

/* queue_flush queues a waiting report even when no entry follows. */
static void test_flush_reports(void **state) {
        struct fixture x;
        struct queue_stats st;
        struct flow f = make_flow(1);
        char *lines[8];
        size_t n;
        json_object *o;

        setup(&x, 2, OUTPUT_JSON);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), -ENOBUFS);
        assert_int_equal(writer_drain(x.writer), 2);
        queue_flush(x.queue);
        assert_int_equal(writer_drain(x.writer), 1);
        queue_get_stats(x.queue, &st);
        assert_int_equal(st.pending_drops, 0);
        n = read_lines(x.out, lines, ELEMENTSOF(lines));
        assert_int_equal(n, 3);
        o = json_tokener_parse(lines[2]);
        assert_non_null(o);
        assert_string_equal(json_str(o, "ENTRIES_DROPPED"), "1");
        json_object_put(o);
        free_lines(lines, n);
        teardown(&x);
}

/* The JSON sink: the entry's field names, values as strings, repeated
 * fields as arrays in entry order, strings escaped. */
static void test_json(void **state) {
        struct fixture x;
        struct flow f = make_flow(60321);
        struct entry e;
        char *lines[4];
        size_t n;
        json_object *o, *a;
        const char *products_expected[] = { "FaceTime", "Game Center", "Messages", "iChat" };

        setup(&x, 4, OUTPUT_JSON);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        assert_int_equal(entry_format_message(&e, MESSAGE_ID_RELOAD_FAILED_STR, 3,
                                              "bad \"file\"\\ line\n\ttab \x01 \xff end \xc3\xa9"), 0);
        assert_int_equal(queue_submit_entry(x.queue, &e), 0);
        assert_int_equal(writer_drain(x.writer), 2);

        n = read_lines(x.out, lines, ELEMENTSOF(lines));
        assert_int_equal(n, 2);

        o = json_tokener_parse(lines[0]);
        assert_non_null(o);
        assert_true(json_object_is_type(o, json_type_object));
        assert_string_equal(json_str(o, "MESSAGE"),
                            "FaceTime, Game Center, Messages (RTP 16384-16387/udp): "
                            "192.168.1.20:60321 -> 17.1.2.3:16385");
        assert_string_equal(json_str(o, "APPLE_SERVICE"), "facetime-rtp");
        assert_string_equal(json_str(o, "SOURCE_PORT"), "60321");
        assert_string_equal(json_str(o, "SYSLOG_IDENTIFIER"), "appleflowd");
        assert_non_null(json_str(o, "__REALTIME_TIMESTAMP"));
        assert_true(json_object_object_get_ex(o, "APPLE_PRODUCT", &a));
        assert_true(json_object_is_type(a, json_type_array));
        assert_int_equal(json_object_array_length(a), ELEMENTSOF(products_expected));
        for (size_t i = 0; i < ELEMENTSOF(products_expected); i++)
                assert_string_equal(json_object_get_string(json_object_array_get_idx(a, i)),
                                    products_expected[i]);
        /* Exactly the entry's distinct field names plus the timestamp. */
        assert_int_equal(json_object_object_length(o), 1 + 15);
        json_object_put(o);

        o = json_tokener_parse(lines[1]);
        assert_non_null(o);
        assert_string_equal(json_str(o, "MESSAGE"),
                            "bad \"file\"\\ line\n\ttab \x01 \xef\xbf\xbd end \xc3\xa9");
        assert_string_equal(json_str(o, "PRIORITY"), "3");
        json_object_put(o);
        free_lines(lines, n);
        teardown(&x);
}

static void test_console(void **state) {
        struct fixture x;
        struct flow f = make_flow(60321);
        struct entry e;
        char *lines[4];
        size_t n;
        const char *p;

        setup(&x, 4, OUTPUT_CONSOLE);
        assert_int_equal(writer_mode(x.writer), OUTPUT_CONSOLE);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        assert_int_equal(entry_format_message(&e, MESSAGE_ID_STARTED_STR, 5, "started\nnow"), 0);
        assert_int_equal(entry_add_field(&e, "CATALOG_ENTRIES", "%u", 120u), 0);
        e.realtime_usec = 1764052200123456ull;
        assert_int_equal(queue_submit_entry(x.queue, &e), 0);
        assert_int_equal(writer_drain(x.writer), 2);

        n = read_lines(x.out, lines, ELEMENTSOF(lines));
        assert_int_equal(n, 2);
        p = strchr(lines[0], ' ');
        assert_non_null(p);
        assert_int_equal(p - lines[0], strlen("2026-11-25T06:30:00.123Z"));
        assert_string_equal(p + 1, "info: FaceTime, Game Center, Messages (RTP 16384-16387/udp): "
                                   "192.168.1.20:60321 -> 17.1.2.3:16385 "
                                   "[APPLE_SERVICE=facetime-rtp APPLE_CONFIDENCE=high]");
        assert_string_equal(lines[1], "2025-11-25T06:30:00.123Z notice: started now "
                                      "[CATALOG_ENTRIES=120]");
        free_lines(lines, n);
        teardown(&x);
}

/* The thread: everything submitted before writer_stop is written. */
static void test_thread(void **state) {
        struct fixture x;
        struct queue_stats st;
        char *lines[1];
        uint64_t lines_out = 0;
        char buf[4096];

        setup(&x, 16, OUTPUT_JSON);
        assert_int_equal(writer_start(x.writer), 0);
        assert_int_equal(writer_start(x.writer), -EBUSY);
        for (unsigned i = 0; i < 20000; i++) {
                struct flow f = make_flow((uint16_t) i);

                /* Give the writer a chance on a single CPU. */
                if (queue_submit_flow(x.queue, &f, &tag, &catalog) == -ENOBUFS)
                        sched_yield();
                if (i % 10 == 9)
                        queue_flush(x.queue);
        }
        queue_flush(x.queue);
        assert_int_equal(writer_stop(x.writer, WRITER_STOP_TIMEOUT_USEC * 10), 0);
        /* Whatever drop report was still waiting goes out last. */
        queue_flush(x.queue);
        writer_drain(x.writer);

        queue_get_stats(x.queue, &st);
        assert_int_equal(st.submitted, 20000);
        assert_int_equal(st.submitted, st.queued + st.dropped);
        assert_int_equal(st.pending_drops, 0);
        assert_int_equal(st.writer.written, st.queued + st.drop_reports);
        assert_int_equal(st.writer.discarded, 0);

        rewind(x.out);
        while (fgets(buf, sizeof(buf), x.out))
                lines_out += strchr(buf, '\n') != NULL;
        assert_int_equal(lines_out, st.writer.written);
        (void) lines;
        print_message("20000 submitted: %llu written, %llu dropped, %llu reports\n",
                      (unsigned long long) st.writer.written, (unsigned long long) st.dropped,
                      (unsigned long long) st.drop_reports);
        teardown(&x);
}

static void test_output_mode(void **state) {
        enum output_mode m;

        assert_int_equal(output_mode_from_string("json", &m), 0);
        assert_int_equal(m, OUTPUT_JSON);
        assert_int_equal(output_mode_from_string("auto", &m), 0);
        assert_int_equal(m, OUTPUT_AUTO);
        assert_int_equal(output_mode_from_string("Journal", &m), -EINVAL);
        assert_string_equal(output_mode_to_string(OUTPUT_CONSOLE), "console");
        assert_int_equal(output_mode_resolve(OUTPUT_AUTO),
                         access(WRITER_JOURNAL_SOCKET, F_OK) == 0 ? OUTPUT_JOURNAL : OUTPUT_CONSOLE);
        assert_int_equal(output_mode_resolve(OUTPUT_JSON), OUTPUT_JSON);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drops_reported),
                cmocka_unit_test(test_flush_reports),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_console),
                cmocka_unit_test(test_thread),
                cmocka_unit_test(test_output_mode),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
