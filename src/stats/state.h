/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The statistics' totals across restarts: <state_directory>/stats.state,
 * written atomically (temporary file, fsync, rename) on stop and every few
 * minutes, read at start. Only totals are kept, keyed by entry id and
 * product name, so a file survives catalogue changes; rates start from zero.
 *
 * Format, integers little-endian:
 *   8 bytes  magic "AFDSTATS"
 *   u32      version (2)
 *   u32      number of entry records, at most CATALOG_ENTRIES_MAX
 *   u32      number of product records, at most CATALOG_PRODUCTS_MAX
 *   records  u8 key length (1..47), key (no NUL), u64 connections, blocked,
 *            bytes, packets, ended, unanswered, and connections by
 *            confidence low, medium, high; the entries, then the products
 *   u32      CRC-32 (IEEE) of every byte before it
 * Version 1 (records end after packets; written before ended, unanswered
 * and the counts by confidence were kept) is still read, the counters it
 * lacks starting from zero, so that an upgrade keeps the totals. Anything
 * else (short, long, foreign, another version, bad checksum, bad key) is
 * refused as a whole and the statistics are left untouched.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "macro.h"
#include "stats.h"

#define STATE_FILE_NAME "stats.state"
#define STATE_LOCK_NAME "lock"
#define STATE_MAGIC "AFDSTATS"
#define STATE_VERSION 2u
#define STATE_VERSION_1 1u
#define STATE_KEY_MAX 47u
#define STATE_COUNTERS 9u   /* u64s a record holds */
#define STATE_COUNTERS_1 4u /* in version 1 */
#define STATE_RECORD_MAX (1 + STATE_KEY_MAX + STATE_COUNTERS * 8)
#define STATE_FILE_MAX (20 + (CATALOG_ENTRIES_MAX + CATALOG_PRODUCTS_MAX) * STATE_RECORD_MAX + 4)
#define STATE_ERROR_MAX 512

struct state {
        struct stats *stats;
        char *path;
        char *directory;
        sd_event_source *timer;
        uint64_t interval_usec;
        int last_error; /* of the periodic save, to log changes only */
        int lock_fd;    /* holds the lock on the directory; -1: not locked */
};

/* The state of s in directory (created when missing, mode 0750). */
int state_new(struct state **ret, struct stats *s, const char *directory);
struct state *state_free(struct state *st);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct state *, state_free);

/* At start, before privileges go: create the directory when missing (mode
 * 0750), owned by uid and gid (-1: as it comes), so that the user the daemon
 * becomes can save into it. An existing directory is left as it is. */
int state_make_directory(struct state *st, uid_t uid, gid_t gid);

/* At start, once the directory exists: take the lock on it (STATE_LOCK_NAME,
 * flock, with the holder's pid in it), so that two daemons never share one
 * state directory. -EBUSY when another process holds it: err then says
 * which ("pid 1234 (appleflowd)"); other errors as "path: reason". */
int state_lock(struct state *st, char *err, size_t errlen);

/* At start, before counting: apply the saved totals to the statistics.
 * -ENOENT when there is no file (a first start); any other error is written
 * to err as "path: reason" for the daemon to log, and the statistics stay at
 * zero. Returns the number of records applied otherwise. */
int state_load(struct state *st, char *err, size_t errlen);
/* On stop (and from the timer). */
int state_save(struct state *st, char *err, size_t errlen);
/* Save every interval_usec on e's CLOCK_MONOTONIC; 0: only at stop. */
int state_attach_event(struct state *st, sd_event *e, uint64_t interval_usec);

/* The parts, for tests and the fuzzer. */
int state_format(const struct stats *s, char **ret, size_t *ret_len);
int state_parse(struct stats *s, const char *name, const void *buf, size_t len,
                char *err, size_t errlen);
uint32_t state_crc32(const void *buf, size_t len);

/* Write buf to path atomically: a temporary file in the same directory,
 * renamed over path. durable: fsync the file before the rename and the
 * directory after it, so that the new contents survive a crash; without,
 * a crash may leave the old file or an empty one, never a partial one
 * visible to readers, and the event loop never waits for the disk. */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, bool durable);
