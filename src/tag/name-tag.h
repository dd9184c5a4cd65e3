/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The name rule, applied after the port lookup (tagger_tag()): a connection
 * whose server address was answered for an Apple name is tagged high, with
 * the name. The name's service wins over a broad or low-confidence port
 * match, never over a specific Apple port (medium: APNs on 5223 stays APNs);
 * where the name's service is one of the port's catalogue entries (ntp on
 * 123/udp) that entry names it; a catch-all name (apple.com) keeps the
 * port's entry.
 */

#include <stdint.h>

#include "domains.h"
#include "name-table.h"
#include "tagger.h"

/* now: seconds, the clock of name_table_add(). Does nothing without a table. */
void name_tag_apply(struct name_table *table, const struct domains *d, const struct catalog *c,
                    const struct tag_input *in, uint64_t now, struct tag *tag);
