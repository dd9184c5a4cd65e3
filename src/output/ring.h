/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A bounded single-producer single-consumer ring of bytes holding records of
 * variable size. The netlink reader is the only producer, the writer thread
 * the only consumer; neither ever waits for the other. The buffer is
 * allocated once, at creation; a record is written in place (reserve the most
 * it may need, contiguous → write → commit what it used) and read in place
 * (peek → use → release), so nothing is copied or allocated per record, and
 * memory follows what records really use.
 *
 * A record starts at a multiple of RING_ALIGN and never wraps: when the space
 * left before the end of the buffer is too small for a reservation, the
 * commit pads the rest and puts the record at the start. The consumer never
 * sees the padding.
 */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define RING_ALIGN 8u
#define RING_SIZE_MIN (4u * RING_ALIGN)
#define RING_SIZE_MAX (1024u * 1024 * 1024)

/* What a record of len bytes takes in the ring, with its header. */
#define RING_RECORD_SIZE(len) (RING_ALIGN + (((size_t) (len) + RING_ALIGN - 1) & ~((size_t) RING_ALIGN - 1)))

struct ring;

/* size in bytes, rounded down to a multiple of RING_ALIGN. -EINVAL below
 * RING_SIZE_MIN or above RING_SIZE_MAX, -ENOMEM. */
int ring_new(struct ring **ret, size_t size);
struct ring *ring_free(struct ring *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ring *, ring_free);

size_t ring_size(const struct ring *r);

/* Producer side. ring_reserve returns max contiguous bytes (aligned to
 * RING_ALIGN) for the next record, or NULL when they are not free; the
 * record becomes visible to the consumer with ring_commit(len), len <= max,
 * and takes RING_RECORD_SIZE(len) bytes. Reserving again before committing
 * replaces the reservation (same place unless the new one must wrap). */
void *ring_reserve(struct ring *r, size_t max);
/* Like ring_reserve, but NULL unless keep more bytes stay free after this
 * reservation (and its padding): bulk records leave room for the few that
 * must get through. */
void *ring_reserve_keep(struct ring *r, size_t max, size_t keep);
void ring_commit(struct ring *r, size_t len);
/* Free bytes as the producer sees them (may grow concurrently, never
 * shrink); a reservation of max needs RING_RECORD_SIZE(max) of them, and
 * more when it has to wrap. */
size_t ring_space(struct ring *r);

/* Consumer side. ring_peek returns the oldest committed record and its
 * length (as committed), or NULL when empty; ring_release hands its bytes
 * back to the producer. */
void *ring_peek(struct ring *r, size_t *ret_len);
void ring_release(struct ring *r);

/* Records the producer could not put in (counted by it with ring_count_drop),
 * so that the consumer can report them. Safe from either side. */
void ring_count_drop(struct ring *r);
uint64_t ring_drops(struct ring *r);
