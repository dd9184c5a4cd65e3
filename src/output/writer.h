/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The writer thread: the ring's only consumer. It sleeps on an eventfd until
 * the reader wakes it (once per netlink batch), then writes every waiting
 * entry to the sink: journald (journal-send.h; a send blocks while journald's
 * queue is full, and only this thread waits), a console line, or a JSON
 * object per line.
 *
 * Whatever is not written is reported by the writer itself, after each batch,
 * in one "N entries not written" entry that is never in the ring: entries the
 * producer could not put in the ring (ring_drops()), entries the sink
 * refused, entries left when a stop timed out. When the report itself cannot
 * be written, the same figures are reported the next time.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"
#include "ring.h"

enum output_mode {
        OUTPUT_AUTO, /* journal when journald's socket exists, else console */
        OUTPUT_JOURNAL,
        OUTPUT_CONSOLE,
        OUTPUT_JSON,
        _OUTPUT_MODE_MAX,
};

#define WRITER_STOP_TIMEOUT_USEC (5 * 1000000ull)
/* How often a send waiting on journald looks up whether a stop timed out. */
#define WRITER_SEND_POLL_USEC (100000ull)
/* After the thread stopped, writer_drain() waits no longer than this per
 * entry for a journald that does not read. */
#define WRITER_LAST_WORDS_TIMEOUT_USEC (1000000ull)

int output_mode_from_string(const char *s, enum output_mode *ret); /* -EINVAL */
const char *output_mode_to_string(enum output_mode m);
/* OUTPUT_AUTO → OUTPUT_JOURNAL or OUTPUT_CONSOLE; others unchanged. */
enum output_mode output_mode_resolve(enum output_mode m);

struct writer_stats {
        uint64_t written;    /* entries the sink accepted */
        uint64_t errors;     /* entries the sink refused (lost, reported later) */
        uint64_t discarded;  /* left in the ring when a stop timed out */
        uint64_t reports;    /* "not written" entries written */
        uint64_t unreported; /* not written and not yet in a report */
};

struct writer;

/* The writer consumes ring, which must outlive it. out is the stream for the
 * console and JSON sinks (NULL: stdout); it is flushed, never closed.
 * journal_socket is journald's socket (NULL: JOURNAL_SOCKET_PATH).
 * OUTPUT_AUTO is resolved here. */
int writer_new(struct writer **ret, struct ring *ring, enum output_mode mode, FILE *out,
               const char *journal_socket);
/* Stops the thread if it runs (writer_stop with the default timeout). */
struct writer *writer_free(struct writer *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct writer *, writer_free);

enum output_mode writer_mode(const struct writer *w);

int writer_start(struct writer *w);
/* From the producer: entries are waiting. Cheap; call once per batch. */
void writer_wake(struct writer *w);
/* Lets the thread write what is left, then joins it. After timeout_usec the
 * rest is discarded and counted (stats.discarded, reported as not written),
 * also the entry a send waiting on journald was trying to write (given up
 * within WRITER_SEND_POLL_USEC). The producer must have
 * stopped submitting. Returns -ETIMEDOUT when entries had to be discarded. */
int writer_stop(struct writer *w, uint64_t timeout_usec);

/* Writes every waiting entry from the calling thread, then the report of
 * what was not written; only while the thread is not running (tests, and the
 * last words after writer_stop, each send then bounded by
 * WRITER_LAST_WORDS_TIMEOUT_USEC). Returns the number of entries taken from
 * the ring. */
size_t writer_drain(struct writer *w);

/* Safe from any thread. */
void writer_get_stats(const struct writer *w, struct writer_stats *ret);
