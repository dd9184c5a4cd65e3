/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-journald.h"
#include "journal-send.h"
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
        .entries = entries,
        .n_entries = 1,
        .products = products,
        .n_products = 3,
};

static const struct tag tag = { .confidence = CONFIDENCE_HIGH, .apple_network = true, .port = 16385, .entry = 0 };

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

/* A ring with room for n entries of the largest size. */
#define ROOM(n) ((n) *RING_RECORD_SIZE(ENTRY_SIZE_MAX))

/* A queue writing to out (taken over), or to journal in OUTPUT_JOURNAL. */
static void setup_out(struct fixture *x, FILE *out, size_t size, enum output_mode mode, const char *journal) {
        x->out = out;
        assert_non_null(x->out);
        assert_int_equal(ring_new(&x->ring, size), 0);
        assert_int_equal(writer_new(&x->writer, x->ring, mode, x->out, journal), 0);
        assert_int_equal(queue_new(&x->queue, x->ring, x->writer), 0);
}

static void setup_journal(struct fixture *x, size_t size, enum output_mode mode, const char *journal) {
        setup_out(x, tmpfile(), size, mode, journal);
}

static void setup(struct fixture *x, size_t size, enum output_mode mode) {
        setup_journal(x, size, mode, NULL);
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

static void assert_writer(struct fixture *x, uint64_t written, uint64_t errors, uint64_t reports,
                          uint64_t unreported) {
        struct queue_stats st;

        queue_get_stats(x->queue, &st);
        assert_int_equal(st.writer.written, written);
        assert_int_equal(st.writer.errors, errors);
        assert_int_equal(st.writer.reports, reports);
        assert_int_equal(st.writer.unreported, unreported);
}

static void submit_flows(struct fixture *x, uint16_t first, unsigned n, int expect) {
        for (unsigned i = 0; i < n; i++) {
                struct flow f = make_flow((uint16_t) (first + i));

                assert_int_equal(queue_submit_flow(x->queue, &f, &tag, &catalog), expect);
        }
}

/* What an entry takes in the ring. */
static size_t record_size(const struct entry *e) {
        return RING_RECORD_SIZE(entry_size(e));
}

static size_t flow_record_size(uint16_t src_port) {
        _cleanup_free_ struct entry *e = malloc(sizeof(*e));
        struct flow f = make_flow(src_port);

        assert_non_null(e);
        assert_int_equal(entry_format_flow(e, &f, &tag, &catalog), 0);
        return record_size(e);
}

static size_t loss_record_size(const struct entry_loss *l) {
        _cleanup_free_ struct entry *e = malloc(sizeof(*e));

        assert_non_null(e);
        assert_int_equal(entry_format_lost(e, l), 0);
        return record_size(e);
}

/* The smallest ring in which exactly n connections fit, down to the
 * reserve (a quarter of a small ring), while entries are formatted in
 * reservations of the largest size. */
static size_t ring_size_for_flows(unsigned n, size_t flow) {
        size_t largest = RING_RECORD_SIZE(ENTRY_SIZE_MAX);

        for (size_t size = largest; size < ROOM(64); size += RING_ALIGN) {
                size_t reserve = MIN((size_t) QUEUE_RESERVE_MAX, size / 4);

                if (size - (n - 1) * flow >= largest + reserve && size - n * flow < largest + reserve)
                        return size;
        }
        fail();
        return 0;
}

/* A stalled writer: connections fill the ring down to the reserve and are
 * then dropped and counted; the daemon's own entries still get in, a loss
 * report waits rather than being dropped, and once the writer catches up it
 * reports the exact number not written, in an entry of its own. */
static void test_drops_reported(void **state) {
        struct fixture x;
        struct queue_stats st;
        _cleanup_free_ struct entry *msg = malloc(sizeof(*msg));
        struct entry_loss loss = { .source = "conntrack", .events = 7, .overruns = 1 };
        size_t flow = flow_record_size(1000), size = ring_size_for_flows(6, flow), free_bytes;
        unsigned fill = 0;
        char *lines[256];
        size_t n;
        json_object *o;

        /* Same length for every port used below: 4 digits. */
        assert_int_equal(flow_record_size(2000), flow);
        assert_int_equal(flow_record_size(3000), flow);
        assert_non_null(msg);
        assert_int_equal(entry_format_message(msg, MESSAGE_ID_RELOADED_STR, 5, "reloaded"), 0);

        setup(&x, size, OUTPUT_JSON);
        assert_int_equal(queue_reserve(x.queue), size / 4);
        submit_flows(&x, 1000, 6, 0);
        submit_flows(&x, 2000, 4, -ENOBUFS);
        assert_int_equal(ring_space(x.ring), size - 6 * flow);
        assert_int_equal(queue_submit_entry(x.queue, msg), 0);
        assert_int_equal(queue_submit_lost(x.queue, &loss), 0);
        free_bytes = size - 6 * flow - record_size(msg) - loss_record_size(&loss);
        assert_int_equal(ring_space(x.ring), free_bytes);
        /* The daemon's own entries fill the ring to the last bytes … */
        while (free_bytes >= record_size(msg)) {
                assert_int_equal(queue_submit_entry(x.queue, msg), 0);
                free_bytes -= record_size(msg);
                fill++;
        }
        assert_true(fill > 0);
        assert_int_equal(ring_space(x.ring), free_bytes);
        /* … then the next report waits, uncounted as a drop, and the next
         * entry of the daemon's own is dropped and counted. */
        assert_int_equal(queue_submit_lost(x.queue, &loss), -EAGAIN);
        assert_int_equal(queue_submit_entry(x.queue, msg), -ENOBUFS);
        queue_flush(x.queue);

        queue_get_stats(x.queue, &st);
        assert_int_equal(st.submitted, 6 + 4 + 1 + 1 + fill + 1);
        assert_int_equal(st.queued, 8 + fill);
        assert_int_equal(st.dropped, 5);
        assert_int_equal(st.deferred, 1);
        assert_int_equal(st.dropped_kind[ENTRY_CONNECTION_NEW], 4);
        assert_int_equal(st.dropped_kind[ENTRY_MESSAGE], 1);
        assert_int_equal(ring_drops(x.ring), 5);
        assert_int_equal(st.writer.written, 0);

        /* The writer catches up: everything queued, then the report. */
        assert_int_equal(writer_drain(x.writer), 8 + fill);
        /* Nothing new: no second report. */
        assert_int_equal(writer_drain(x.writer), 0);
        assert_int_equal(ring_space(x.ring), size);
        submit_flows(&x, 3000, 1, 0);
        assert_int_equal(writer_drain(x.writer), 1);

        assert_writer(&x, 9 + fill, 0, 1, 0);
        queue_get_stats(x.queue, &st);
        /* Nothing lost silently: every submitted entry is queued or counted,
         * every queued one written. */
        assert_int_equal(st.submitted, st.queued + st.dropped);
        assert_int_equal(st.writer.written, st.queued);

        n = read_lines(x.out, lines, ELEMENTSOF(lines));
        assert_int_equal(n, 10 + fill);
        for (size_t i = 0; i < n; i++) {
                size_t report = 8 + fill;
                const char *want = i < 6 || i == report + 1 ? MESSAGE_ID_CONNECTION_STR : i == 7 ? MESSAGE_ID_EVENTS_LOST_STR
                                                                                  : i == report  ? MESSAGE_ID_NOT_WRITTEN_STR
                                                                                                 : MESSAGE_ID_RELOADED_STR;

                o = json_tokener_parse(lines[i]);
                assert_non_null(o);
                assert_string_equal(json_str(o, "MESSAGE_ID"), want);
                if (i == report) {
                        assert_string_equal(json_str(o, "ENTRIES_DROPPED"), "5");
                        assert_string_equal(json_str(o, "PRIORITY"), "4");
                        assert_string_equal(json_str(o, "MESSAGE"),
                                            "5 entries not written: 5 because the queue to the journal was full");
                }
                if (i == 7)
                        assert_string_equal(json_str(o, "EVENTS_LOST"), "7");
                json_object_put(o);
        }
        free_lines(lines, n);
        teardown(&x);
}

/* The reserve never takes the whole ring, however small: a quarter of it
 * at most, QUEUE_RESERVE_MAX in a large one. Below that the bulk stops,
 * the daemon's own entries still get in. */
static void test_reserve_size(void **state) {
        _cleanup_free_ struct entry *msg = malloc(sizeof(*msg));
        struct fixture x;
        unsigned n = 0;
        int r;

        assert_non_null(msg);
        assert_int_equal(entry_format_message(msg, MESSAGE_ID_RELOADED_STR, 5, "reloaded"), 0);
        setup(&x, ROOM(2), OUTPUT_JSON);
        assert_int_equal(queue_reserve(x.queue), ROOM(2) / 4);
        for (;;) {
                struct flow f = make_flow((uint16_t) (1000 + n));

                r = queue_submit_flow(x.queue, &f, &tag, &catalog);
                if (r < 0)
                        break;
                n++;
        }
        assert_int_equal(r, -ENOBUFS);
        assert_true(n > 1);
        assert_true(ring_space(x.ring) >= queue_reserve(x.queue));
        assert_int_equal(queue_submit_entry(x.queue, msg), 0);
        assert_int_equal(writer_drain(x.writer), n + 1);
        teardown(&x);

        /* Smaller than the largest entry: connections cannot get in, and
         * are counted. */
        setup(&x, 4096, OUTPUT_JSON);
        submit_flows(&x, 1, 2, -ENOBUFS);
        assert_int_equal(ring_drops(x.ring), 2);
        teardown(&x);

        setup(&x, 4 * QUEUE_RESERVE_MAX, OUTPUT_JSON);
        assert_int_equal(queue_reserve(x.queue), QUEUE_RESERVE_MAX);
        teardown(&x);
        setup(&x, 16 * 1024 * 1024, OUTPUT_JSON);
        assert_int_equal(queue_reserve(x.queue), QUEUE_RESERVE_MAX);
        teardown(&x);
}

/* journald not there (no socket: sd_journal_sendv() would report success):
 * every entry is refused and counted, and once journald is back the first
 * batch is followed by one report with the exact number. */
static void test_journal_refused(void **state) {
        struct fake_journald j;
        struct fixture x;
        char v[256];

        fake_journald_init(&j);
        setup_journal(&x, ROOM(16), OUTPUT_JOURNAL, j.path);
        submit_flows(&x, 1000, 3, 0);
        assert_int_equal(writer_drain(x.writer), 3);
        assert_writer(&x, 0, 3, 0, 3);

        /* A socket nobody reads from any more: refused as well. */
        fake_journald_bind(&j);
        fake_journald_close(&j);
        submit_flows(&x, 2000, 1, 0);
        assert_int_equal(writer_drain(x.writer), 1);
        assert_writer(&x, 0, 4, 0, 4);
        unlink(j.path);

        fake_journald_bind(&j);
        submit_flows(&x, 3000, 1, 0);
        assert_int_equal(writer_drain(x.writer), 1);
        assert_string_equal(fake_journald_recv_field(&j, "SOURCE_PORT", v, sizeof(v)), "3000");
        assert_string_equal(fake_journald_recv_field(&j, "ENTRIES_DROPPED", v, sizeof(v)), "4");
        assert_null(fake_journald_recv_field(&j, "MESSAGE", v, sizeof(v)));
        assert_writer(&x, 1, 4, 1, 0);

        teardown(&x);
        fake_journald_done(&j);
}

static unsigned max_dgram_qlen(void) {
        FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "re");
        unsigned v = 512;

        if (f) {
                assert_int_equal(fscanf(f, "%u", &v), 1);
                fclose(f);
        }
        return v;
}

/* A journald that stops reading: the writer waits on it, the stop times
 * out, and what was still queued is reported as such in the last words
 * once journald reads again. */
static void test_stop_timeout_reported(void **state) {
        struct fake_journald j;
        struct fixture x;
        struct queue_stats st;
        unsigned n = max_dgram_qlen() + 50, got = 0;
        char v[256];

        fake_journald_init(&j);
        fake_journald_bind(&j);
        setup_journal(&x, ROOM(n + 64), OUTPUT_JOURNAL, j.path);
        assert_int_equal(writer_start(x.writer), 0);
        submit_flows(&x, 1, n, 0);
        queue_flush(x.queue);
        /* journald's queue holds max_dgram_qlen + 1 datagrams: the writer
         * blocks before the end, whatever the timing. */
        assert_int_equal(writer_stop(x.writer, 200000), -ETIMEDOUT);
        queue_get_stats(x.queue, &st);
        assert_true(st.writer.discarded > 0);
        assert_int_equal(st.writer.written + st.writer.discarded, n);
        assert_int_equal(st.writer.unreported, st.writer.discarded);

        while (fake_journald_recv_field(&j, "SOURCE_PORT", v, sizeof(v)))
                got++;
        assert_int_equal(got, st.writer.written);
        assert_int_equal(writer_drain(x.writer), 0);
        assert_non_null(fake_journald_recv_field(&j, "ENTRIES_DROPPED", v, sizeof(v)));
        assert_int_equal(strtoull(v, NULL, 10), st.writer.discarded);
        queue_get_stats(x.queue, &st);
        assert_int_equal(st.writer.reports, 1);
        assert_int_equal(st.writer.unreported, 0);

        teardown(&x);
        fake_journald_done(&j);
}

/* Console or JSON output into a pipe nobody reads: the writer thread blocks
 * in write() for good. A stop that times out interrupts it, every entry is
 * either written, refused or discarded, and nothing afterwards writes (or
 * blocks) again: the counts stay unreported, for the daemon's stderr. */
static void test_stop_timeout_stdio_stuck(void **state) {
        struct fixture x;
        struct queue_stats st;
        unsigned n = 400; /* about 250 KiB of JSON: more than a pipe holds */
        int p[2];

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        setup_out(&x, fdopen(p[1], "w"), ROOM(n + 64), OUTPUT_JSON, NULL);
        assert_int_equal(writer_start(x.writer), 0);
        submit_flows(&x, 1, n, 0);
        queue_flush(x.queue);

        assert_int_equal(writer_stop(x.writer, 200000), -ETIMEDOUT);
        queue_get_stats(x.queue, &st);
        assert_true(st.writer.discarded > 0);
        assert_int_equal(st.writer.written + st.writer.errors + st.writer.discarded, n);
        assert_int_equal(st.writer.unreported, st.writer.errors + st.writer.discarded);

        /* The last words would block: entries submitted now are discarded. */
        submit_flows(&x, 1000, 3, 0);
        assert_int_equal(writer_drain(x.writer), 0);
        queue_get_stats(x.queue, &st);
        assert_int_equal(st.writer.written + st.writer.errors + st.writer.discarded, n + 3);
        assert_int_equal(st.writer.unreported, st.writer.errors + st.writer.discarded);
        assert_int_equal(st.writer.reports, 0);

        /* Then the rest of the buffer fails (EPIPE) at fclose(), not blocks. */
        signal(SIGPIPE, SIG_IGN);
        close(p[0]);
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

        setup(&x, ROOM(4), OUTPUT_JSON);
        assert_int_equal(queue_submit_flow(x.queue, &f, &tag, &catalog), 0);
        assert_int_equal(entry_format_message(&e, MESSAGE_ID_RELOAD_FAILED_STR, 3,
                                              "bad \"file\"\\ line\n\ttab \x01 \xff end \xc3\xa9"),
                         0);
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
        assert_string_equal(json_str(o, "APPLE_PRODUCTS"), "FaceTime;Game Center;Messages;iChat");
        /* Exactly the entry's distinct field names plus the timestamp. */
        assert_int_equal(json_object_object_length(o), 1 + 17);
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

        setup(&x, ROOM(4), OUTPUT_CONSOLE);
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
        uint64_t lines_out = 0, reported = 0;
        char buf[8192];

        setup(&x, ROOM(16), OUTPUT_JSON);
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
        /* The last drops may come after the thread's last report. */
        writer_drain(x.writer);

        queue_get_stats(x.queue, &st);
        assert_int_equal(st.submitted, 20000);
        assert_int_equal(st.submitted, st.queued + st.dropped);
        assert_int_equal(st.writer.written, st.queued);
        assert_int_equal(st.writer.discarded, 0);
        assert_int_equal(st.writer.unreported, 0);

        /* The reports add up to the drops exactly. */
        rewind(x.out);
        while (fgets(buf, sizeof(buf), x.out)) {
                const char *p = strstr(buf, "\"ENTRIES_DROPPED\":\"");

                lines_out += strchr(buf, '\n') != NULL;
                if (p)
                        reported += strtoull(p + strlen("\"ENTRIES_DROPPED\":\""), NULL, 10);
        }
        assert_int_equal(lines_out, st.writer.written + st.writer.reports);
        assert_int_equal(reported, st.dropped);
        (void) lines;
        print_message("20000 submitted: %llu written, %llu dropped, %llu reports\n",
                      (unsigned long long) st.writer.written, (unsigned long long) st.dropped,
                      (unsigned long long) st.writer.reports);
        teardown(&x);
}

static void test_output_mode(void **state) {
        enum output_mode m;

        assert_int_equal(output_mode_from_string("json", &m), 0);
        assert_int_equal(m, OUTPUT_JSON);
        assert_int_equal(output_mode_from_string("auto", &m), 0);
        assert_int_equal(m, OUTPUT_AUTO);
        assert_int_equal(output_mode_from_string("Journal", &m), 0); /* any case */
        assert_int_equal(m, OUTPUT_JOURNAL);
        assert_int_equal(output_mode_from_string("syslog", &m), -EINVAL);
        assert_string_equal(output_mode_to_string(OUTPUT_CONSOLE), "console");
        assert_int_equal(output_mode_resolve(OUTPUT_AUTO),
                         access(JOURNAL_SOCKET_PATH, F_OK) == 0 ? OUTPUT_JOURNAL : OUTPUT_CONSOLE);
        assert_int_equal(output_mode_resolve(OUTPUT_JSON), OUTPUT_JSON);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drops_reported),
                cmocka_unit_test(test_reserve_size),
                cmocka_unit_test(test_journal_refused),
                cmocka_unit_test(test_stop_timeout_reported),
                cmocka_unit_test(test_stop_timeout_stdio_stuck),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_console),
                cmocka_unit_test(test_thread),
                cmocka_unit_test(test_output_mode),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
