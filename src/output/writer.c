/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "journal-send.h"
#include "writer.h"

struct writer {
        struct ring *ring;
        enum output_mode mode;
        FILE *out;
        struct journal_socket journal;
        int efd;

        pthread_t thread;
        bool running;
        bool last_words;       /* the thread is gone: one try per entry, bounded */
        atomic_bool out_stuck; /* console/JSON: a stop timed out, nobody reads the output */
        atomic_bool stop;      /* write what is left, then exit */
        atomic_bool abort;     /* the stop timed out: write nothing more */

        /* Not written since the last report; the consumer's side only. */
        uint64_t drops_reported; /* ring_drops() covered by reports */
        uint64_t refused, at_stop;
        struct entry report; /* the "not written" report, formatted here */

        _Atomic uint64_t written, errors, discarded, reports, unreported;
};

static const char *const output_mode_names[_OUTPUT_MODE_MAX] = {
        [OUTPUT_AUTO] = "auto",
        [OUTPUT_JOURNAL] = "journal",
        [OUTPUT_CONSOLE] = "console",
        [OUTPUT_JSON] = "json",
};

int output_mode_from_string(const char *s, enum output_mode *ret) {
        for (unsigned i = 0; i < _OUTPUT_MODE_MAX; i++)
                if (strcasecmp(s, output_mode_names[i]) == 0) { /* keywords: any case */
                        *ret = (enum output_mode) i;
                        return 0;
                }
        return -EINVAL;
}

const char *output_mode_to_string(enum output_mode m) {
        return (unsigned) m < _OUTPUT_MODE_MAX ? output_mode_names[m] : NULL;
}

enum output_mode output_mode_resolve(enum output_mode m) {
        if (m != OUTPUT_AUTO)
                return m;
        return access(JOURNAL_SOCKET_PATH, F_OK) == 0 ? OUTPUT_JOURNAL : OUTPUT_CONSOLE;
}

int writer_new(struct writer **ret, struct ring *ring, enum output_mode mode, FILE *out,
               const char *journal_socket) {
        _cleanup_(writer_freep) struct writer *w = NULL;
        int r;

        if ((unsigned) mode >= _OUTPUT_MODE_MAX)
                return -EINVAL;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->journal.fd = -1;
        w->efd = eventfd(0, EFD_CLOEXEC);
        if (w->efd < 0)
                return -errno;
        w->ring = ring;
        w->mode = output_mode_resolve(mode);
        w->out = out ?: stdout;
        atomic_init(&w->stop, false);
        atomic_init(&w->abort, false);
        atomic_init(&w->out_stuck, false);
        atomic_init(&w->written, 0);
        atomic_init(&w->errors, 0);
        atomic_init(&w->discarded, 0);
        atomic_init(&w->reports, 0);
        atomic_init(&w->unreported, 0);
        /* Drops from before the writer existed are the ring's, not ours to report. */
        w->drops_reported = ring_drops(ring);
        if (w->mode == OUTPUT_JOURNAL) {
                r = journal_socket_open(&w->journal, journal_socket ?: JOURNAL_SOCKET_PATH);
                if (r < 0)
                        return r;
        }
        *ret = w;
        w = NULL;
        return 0;
}

struct writer *writer_free(struct writer *w) {
        if (!w)
                return NULL;
        (void) writer_stop(w, WRITER_STOP_TIMEOUT_USEC);
        journal_socket_close(&w->journal);
        closep(&w->efd);
        free(w);
        return NULL;
}

enum output_mode writer_mode(const struct writer *w) {
        return w->mode;
}

/* ---- console and JSON ---- */

static const char *priority_name(unsigned p) {
        static const char *const names[8] = {
                "emerg",
                "alert",
                "crit",
                "err",
                "warning",
                "notice",
                "info",
                "debug",
        };
        return p < 8 ? names[p] : "info";
}

static void put_u64(FILE *f, uint64_t v) {
        char tmp[20];
        size_t i = sizeof(tmp);

        do {
                tmp[--i] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        fwrite_unlocked(tmp + i, 1, sizeof(tmp) - i, f);
}

/* One line stays one line. */
static void put_line_safe(FILE *f, const char *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) p[i];
                putc_unlocked(c < 0x20 || c == 0x7f ? ' ' : (char) c, f);
        }
}

static void write_console(struct writer *w, const struct entry *e) {
        FILE *f = w->out;
        struct tm tm;
        time_t t = (time_t) (e->realtime_usec / 1000000u);
        char stamp[32];
        const char *msg = entry_get(e, "MESSAGE");
        bool flow = e->kind <= ENTRY_PACKET_LOGGED, open = false;

        if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                strcpy(stamp, "-");
        fprintf(f, "%s.%03uZ %s: ", stamp, (unsigned) (e->realtime_usec / 1000u % 1000u),
                priority_name(e->priority));
        if (msg)
                put_line_safe(f, msg, strlen(msg));

        /* Flows say everything in MESSAGE but the service and the confidence;
         * the daemon's own entries show all their extra fields. */
        for (unsigned i = 0; i < e->n_fields; i++) {
                const char *p = entry_field_str(e, i);
                size_t n = entry_field_name_len(e, i);
                bool show;

#define IS(name) (n == sizeof(name) - 1 && memcmp(p, name, n) == 0)
                if (flow)
                        show = IS("APPLE_SERVICE") || IS("APPLE_CONFIDENCE");
                else
                        show = !IS("MESSAGE_ID") && !IS("MESSAGE") && !IS("PRIORITY") &&
                               !IS("SYSLOG_IDENTIFIER") && !IS("EVENT_ACTION");
#undef IS
                if (!show)
                        continue;
                fputs(open ? " " : " [", f);
                open = true;
                put_line_safe(f, p, entry_field_len(e, i));
        }
        fputs(open ? "]\n" : "\n", f);
}

/* Length of the valid UTF-8 sequence at p, 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n) {
        unsigned char c = p[0], lo = 0x80, hi = 0xbf;
        size_t len;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (n < len || p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if (p[i] < 0x80 || p[i] > 0xbf)
                        return 0;
        return len;
}

/* A JSON string: quotes, backslashes and control characters escaped,
 * invalid UTF-8 replaced by U+FFFD. */
static void put_json_string(FILE *f, const char *s, size_t n) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *) s;

        putc_unlocked('"', f);
        for (size_t i = 0; i < n;) {
                unsigned char c = p[i];
                size_t len;

                /* Most of an entry is printable ASCII: write runs of it at once. */
                for (len = 0; i + len < n; len++) {
                        c = p[i + len];
                        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
                                break;
                }
                if (len > 0) {
                        fwrite_unlocked(p + i, 1, len, f);
                        i += len;
                        continue;
                }

                if (c == '"' || c == '\\') {
                        putc_unlocked('\\', f);
                        putc_unlocked((char) c, f);
                        i++;
                } else if (c == '\n') {
                        fputs("\\n", f);
                        i++;
                } else if (c == '\t') {
                        fputs("\\t", f);
                        i++;
                } else if (c < 0x20 || c == 0x7f) {
                        fputs("\\u00", f);
                        putc_unlocked(hex[c >> 4], f);
                        putc_unlocked(hex[c & 15], f);
                        i++;
                } else if ((len = utf8_len(p + i, n - i)) == 0) {
                        fputs("\\ufffd", f);
                        i++;
                } else {
                        fwrite_unlocked(p + i, 1, len, f);
                        i += len;
                }
        }
        putc_unlocked('"', f);
}

static bool same_name(const struct entry *e, const uint16_t *name_len, unsigned i, unsigned j) {
        return name_len[i] == name_len[j] &&
               memcmp(entry_field_str(e, i), entry_field_str(e, j), name_len[i]) == 0;
}

/* The field names as keys, values as strings (like journalctl -o json);
 * a name that occurs more than once becomes an array, in entry order. Each
 * name's length is found once: an entry repeats few names (APPLE_PRODUCT). */
static void write_json(struct writer *w, const struct entry *e) {
        uint16_t name_len[ENTRY_FIELDS_MAX];
        bool done[ENTRY_FIELDS_MAX] = {};
        FILE *f = w->out;

        for (unsigned i = 0; i < e->n_fields; i++)
                name_len[i] = (uint16_t) entry_field_name_len(e, i);

        fputs("{\"__REALTIME_TIMESTAMP\":\"", f);
        put_u64(f, e->realtime_usec);
        putc_unlocked('"', f);

        for (unsigned i = 0; i < e->n_fields; i++) {
                size_t n = name_len[i];
                bool repeated = false;

                if (done[i])
                        continue;
                for (unsigned j = i + 1; j < e->n_fields && !repeated; j++)
                        repeated = same_name(e, name_len, i, j);

                putc_unlocked(',', f);
                put_json_string(f, entry_field_str(e, i), n);
                putc_unlocked(':', f);
                if (repeated)
                        putc_unlocked('[', f);
                for (unsigned j = i; j < e->n_fields; j++) {
                        if (j != i && (done[j] || !same_name(e, name_len, i, j)))
                                continue;
                        if (j != i)
                                putc_unlocked(',', f);
                        put_json_string(f, entry_field_str(e, j) + n + 1, entry_field_len(e, j) - n - 1);
                        done[j] = true;
                        if (!repeated)
                                break;
                }
                if (repeated)
                        putc_unlocked(']', f);
        }
        fputs("}\n", f);
}

/* ---- writing ---- */

/* A write to a pipe or terminal that nobody reads blocks for good. When a
 * stop times out, the writer thread gets this signal; its handler does
 * nothing and, without SA_RESTART, the write fails with EINTR, so that the
 * thread sees the abort and ends. SIGRTMIN is none that glibc or the
 * daemon uses. */
#define WRITER_INTERRUPT_SIGNAL SIGRTMIN

static void interrupt_write(int sig) {
}

static int interrupt_install(void) {
        struct sigaction sa = { .sa_handler = interrupt_write };

        sigemptyset(&sa.sa_mask);
        return sigaction(WRITER_INTERRUPT_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

/* pthread_timedjoin_np() with a timeout rather than a deadline. */
static int join_within(pthread_t thread, uint64_t usec) {
        struct timespec deadline;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t) (usec / 1000000u);
        deadline.tv_nsec += (long) (usec % 1000000u) * 1000;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        return pthread_timedjoin_np(thread, NULL, &deadline);
}

static bool aborted(struct writer *w) {
        return atomic_load_explicit(&w->abort, memory_order_relaxed);
}

/* While journald's queue is full the send waits; its timeout lets the
 * thread look up every WRITER_SEND_POLL_USEC whether a stop timed out
 * (-ECANCELED then), rather than being cancelled in the middle. */
static int write_journal(struct writer *w, const struct entry *e) {
        int r;

        while ((r = journal_socket_send(&w->journal, e)) == -EAGAIN && !w->last_words)
                if (aborted(w))
                        return -ECANCELED;
        return r;
}

static void write_stdio(struct writer *w, const struct entry *e) {
        if (w->mode == OUTPUT_JSON)
                write_json(w, e);
        else
                write_console(w, e);
}

/* What is not written and not yet reported. */
static uint64_t unwritten(struct writer *w, struct entry_unwritten *u) {
        *u = (struct entry_unwritten) {
                .queue_full = ring_drops(w->ring) - w->drops_reported,
                .refused = w->refused,
                .at_stop = w->at_stop,
        };
        return u->queue_full + u->refused + u->at_stop;
}

static void publish_unreported(struct writer *w) {
        struct entry_unwritten u;

        atomic_store_explicit(&w->unreported, unwritten(w, &u), memory_order_relaxed);
}

/* One "N entries not written" entry for everything not written since the
 * last one: ring drops, refusals, entries left at a stop. It is not in the
 * ring, so it is never dropped; when the sink refuses it, the same figures
 * are reported the next time. */
static void report_unwritten(struct writer *w) {
        struct entry_unwritten u;
        int r;

        /* With the output stuck the counts stay unreported: the daemon
         * prints them on stderr as it exits. */
        if (atomic_load_explicit(&w->out_stuck, memory_order_relaxed) ||
            unwritten(w, &u) == 0 || entry_format_not_written(&w->report, &u) < 0)
                return;
        if (w->mode == OUTPUT_JOURNAL)
                r = write_journal(w, &w->report);
        else {
                flockfile(w->out);
                write_stdio(w, &w->report);
                funlockfile(w->out);
                r = fflush(w->out) == EOF || ferror(w->out) ? -EIO : 0;
                clearerr(w->out);
        }
        if (r < 0)
                return;
        w->drops_reported += u.queue_full;
        w->refused -= u.refused;
        w->at_stop -= u.at_stop;
        atomic_fetch_add_explicit(&w->reports, 1, memory_order_relaxed);
}

/* Everything still queued, given up at a stop: counted, to be reported. */
static void discard_queued(struct writer *w) {
        uint64_t n = 0;

        for (; ring_peek(w->ring, NULL); n++)
                ring_release(w->ring);
        w->at_stop += n;
        atomic_fetch_add_explicit(&w->discarded, n, memory_order_relaxed);
}

/* Console and JSON go through stdio and are flushed once per batch; a failed
 * flush counts the whole batch as refused. */
static size_t drain_stdio(struct writer *w) {
        size_t n = 0;
        struct entry *e;

        if (atomic_load_explicit(&w->out_stuck, memory_order_relaxed)) {
                /* Nobody reads: writing would block the caller for good. */
                discard_queued(w);
                return 0;
        }
        flockfile(w->out);
        while (!aborted(w) && (e = ring_peek(w->ring, NULL))) {
                write_stdio(w, e);
                ring_release(w->ring);
                n++;
        }
        funlockfile(w->out);

        if (n == 0)
                return 0;
        if (fflush(w->out) == EOF || ferror(w->out)) {
                clearerr(w->out);
                w->refused += n;
                atomic_fetch_add_explicit(&w->errors, n, memory_order_relaxed);
        } else
                atomic_fetch_add_explicit(&w->written, n, memory_order_relaxed);
        return n;
}

static size_t drain_journal(struct writer *w) {
        size_t n = 0;
        struct entry *e;

        while (!aborted(w) && (e = ring_peek(w->ring, NULL))) {
                int r = write_journal(w, e);

                if (r == -ECANCELED)
                        break; /* stays in the ring: counted by writer_stop */
                if (r < 0) {
                        w->refused++;
                        atomic_fetch_add_explicit(&w->errors, 1, memory_order_relaxed);
                } else
                        atomic_fetch_add_explicit(&w->written, 1, memory_order_relaxed);
                ring_release(w->ring);
                n++;
        }
        return n;
}

/* Writes what waits, then reports what could not be written. */
static size_t drain(struct writer *w) {
        size_t n = w->mode == OUTPUT_JOURNAL ? drain_journal(w) : drain_stdio(w);

        report_unwritten(w);
        publish_unreported(w);
        return n;
}

size_t writer_drain(struct writer *w) {
        if (w->running)
                return 0;
        return drain(w);
}

static void *writer_thread(void *userdata) {
        struct writer *w = userdata;
        sigset_t interrupt;

        sigemptyset(&interrupt);
        sigaddset(&interrupt, WRITER_INTERRUPT_SIGNAL);
        (void) pthread_sigmask(SIG_UNBLOCK, &interrupt, NULL);

        for (;;) {
                bool stopping = atomic_load_explicit(&w->stop, memory_order_acquire);
                uint64_t v;

                drain(w);
                if (stopping)
                        break;
                /* Wakes are coalesced by the eventfd counter; EINTR just loops. */
                (void) read(w->efd, &v, sizeof(v));
        }
        return NULL;
}

int writer_start(struct writer *w) {
        int r;

        if (w->running)
                return -EBUSY;
        atomic_store(&w->stop, false);
        atomic_store(&w->abort, false);
        w->last_words = false;
        if (w->mode == OUTPUT_JOURNAL)
                (void) journal_socket_set_timeout(&w->journal, WRITER_SEND_POLL_USEC);
        else {
                r = interrupt_install();
                if (r < 0)
                        return r;
        }
        r = pthread_create(&w->thread, NULL, writer_thread, w);
        if (r != 0)
                return -r;
        /* Seen in top -H, perf and /proc/PID/task/TID/comm. */
        (void) pthread_setname_np(w->thread, "writer");
        w->running = true;
        return 0;
}

void writer_wake(struct writer *w) {
        uint64_t one = 1;

        (void) write(w->efd, &one, sizeof(one));
}

int writer_stop(struct writer *w, uint64_t timeout_usec) {
        uint64_t discarded;
        int r;

        if (!w->running)
                return 0;
        /* The thread too may discard, once the output is stuck. */
        discarded = atomic_load(&w->discarded);

        atomic_store_explicit(&w->stop, true, memory_order_release);
        writer_wake(w);

        r = join_within(w->thread, timeout_usec);
        if (r == ETIMEDOUT) {
                atomic_store(&w->abort, true);
                if (w->mode == OUTPUT_JOURNAL)
                        /* The thread gives up within WRITER_SEND_POLL_USEC,
                         * also in a send that journald does not take. */
                        pthread_join(w->thread, NULL);
                else {
                        /* Again until it ends: a signal may come just
                         * before the write it was meant to interrupt. */
                        atomic_store(&w->out_stuck, true);
                        do
                                (void) pthread_kill(w->thread, WRITER_INTERRUPT_SIGNAL);
                        while (join_within(w->thread, WRITER_SEND_POLL_USEC) == ETIMEDOUT);
                }
        }
        w->running = false;
        atomic_store(&w->abort, false);
        /* From now on only writer_drain() writes, on the caller's thread,
         * which must not hang on a journald that does not read. */
        w->last_words = true;
        if (w->mode == OUTPUT_JOURNAL)
                (void) journal_socket_set_timeout(&w->journal, WRITER_LAST_WORDS_TIMEOUT_USEC);

        if (r == ETIMEDOUT)
                discard_queued(w);
        publish_unreported(w);
        return atomic_load(&w->discarded) > discarded ? -ETIMEDOUT : 0;
}

void writer_get_stats(const struct writer *w, struct writer_stats *ret) {
        *ret = (struct writer_stats) {
                .written = atomic_load_explicit(&w->written, memory_order_relaxed),
                .errors = atomic_load_explicit(&w->errors, memory_order_relaxed),
                .discarded = atomic_load_explicit(&w->discarded, memory_order_relaxed),
                .reports = atomic_load_explicit(&w->reports, memory_order_relaxed),
                .unreported = atomic_load_explicit(&w->unreported, memory_order_relaxed),
        };
}
