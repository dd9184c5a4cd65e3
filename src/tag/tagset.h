/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What tagging needs, loaded together: the catalogue, its port index,
 * Apple's networks and Apple's domain suffixes. A reload loads a new set beside the one in force and
 * swaps it in only when every part loaded; a bad file leaves the old set.
 */

#include <stddef.h>

#include "catalog.h"
#include "domains.h"
#include "networks.h"
#include "port-index.h"
#include "tagger.h"

struct tagset {
        struct catalog *catalog;
        struct port_index *index;
        struct networks *networks;
        struct domains *domains;
};

/* NULL paths load the built-in data. Errors read "file:line: reason". */
int tagset_load(struct tagset *ret, const char *catalog_path, const char *networks_path,
                const char *domains_path, char *err, size_t errlen);
void tagset_done(struct tagset *t);

static inline struct tagger tagset_tagger(const struct tagset *t) {
        return (struct tagger) { .catalog = t->catalog, .index = t->index, .networks = t->networks };
}
