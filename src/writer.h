/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The writer thread: the ring's only consumer. It sleeps on an eventfd until
 * the reader wakes it (once per netlink batch), then writes every waiting
 * entry to the sink: journald (sd_journal_sendv, which may block while
 * journald is slow; only this thread waits), a console line, or a JSON
 * object per line. Entries it cannot write are counted and reported in a
 * "N entries not written" entry as soon as a write succeeds again.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"
#include "ring.h"

enum output_mode {
        OUTPUT_AUTO,                    /* journal when journald's socket exists, else console */
        OUTPUT_JOURNAL,
        OUTPUT_CONSOLE,
        OUTPUT_JSON,
        _OUTPUT_MODE_MAX,
};

#define WRITER_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define WRITER_STOP_TIMEOUT_USEC (5 * 1000000ull)

int output_mode_from_string(const char *s, enum output_mode *ret);     /* -EINVAL */
const char *output_mode_to_string(enum output_mode m);
/* OUTPUT_AUTO → OUTPUT_JOURNAL or OUTPUT_CONSOLE; others unchanged. */
enum output_mode output_mode_resolve(enum output_mode m);

struct writer_stats {
        uint64_t written;               /* entries the sink accepted */
        uint64_t errors;                /* entries the sink refused (lost, reported later) */
        uint64_t discarded;             /* left in the ring when a stop timed out */
};

struct writer;

/* The writer consumes ring, which must outlive it. out is the stream for the
 * console and JSON sinks (NULL: stdout); it is flushed, never closed.
 * OUTPUT_AUTO is resolved here. */
int writer_new(struct writer **ret, struct ring *ring, enum output_mode mode, FILE *out);
/* Stops the thread if it runs (writer_stop with the default timeout). */
struct writer *writer_free(struct writer *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct writer *, writer_free);

enum output_mode writer_mode(const struct writer *w);

int writer_start(struct writer *w);
/* From the producer: entries are waiting. Cheap; call once per batch. */
void writer_wake(struct writer *w);
/* Lets the thread write what is left, then joins it. After timeout_usec the
 * rest is discarded and counted (stats.discarded), and a write blocked in
 * journald is cancelled. The producer must have stopped submitting. Returns
 * -ETIMEDOUT when entries had to be discarded. */
int writer_stop(struct writer *w, uint64_t timeout_usec);

/* Writes every waiting entry from the calling thread; only while the thread
 * is not running (tests, and the last words after writer_stop). Returns the
 * number of entries taken from the ring. */
size_t writer_drain(struct writer *w);

/* Safe from any thread. */
void writer_get_stats(const struct writer *w, struct writer_stats *ret);
