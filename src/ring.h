/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A bounded single-producer single-consumer ring of entries. The netlink
 * reader is the only producer, the writer thread the only consumer; neither
 * ever waits for the other. Slots are allocated once, at creation; an entry is
 * formatted in place in its slot (reserve → format → commit) and written from
 * it (peek → write → release), so nothing is copied or allocated per event.
 */

#include <stddef.h>

#include "entry.h"
#include "macro.h"

#define RING_CAPACITY_MAX (1u << 20)

struct ring;

/* capacity is rounded up to a power of two, at least 2. -EINVAL above
 * RING_CAPACITY_MAX, -ENOMEM. */
int ring_new(struct ring **ret, size_t capacity);
struct ring *ring_free(struct ring *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ring *, ring_free);

size_t ring_capacity(const struct ring *r);

/* Producer side. ring_reserve returns the next free slot, or NULL when the
 * ring is full; the slot becomes visible to the consumer with ring_commit.
 * Reserving again before committing returns the same slot. */
struct entry *ring_reserve(struct ring *r);
/* Like ring_reserve, but NULL unless keep more slots stay free after this
 * one: bulk entries leave room for the few that must get through. */
struct entry *ring_reserve_keep(struct ring *r, size_t keep);
void ring_commit(struct ring *r);
/* Free slots as the producer sees them (may grow concurrently, never shrink). */
size_t ring_space(struct ring *r);

/* Consumer side. ring_peek returns the oldest committed entry or NULL when
 * empty; ring_release hands its slot back to the producer. */
struct entry *ring_peek(struct ring *r);
void ring_release(struct ring *r);

/* Entries the producer could not put in (counted by it with ring_count_drop),
 * so that the consumer can report them. Safe from either side. */
void ring_count_drop(struct ring *r);
uint64_t ring_drops(struct ring *r);

/* Entries committed and not yet released; approximate while both sides run. */
size_t ring_count(struct ring *r);
