/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Decides which catalogue entries a connection belongs to and how sure that
 * is. Pure function of its inputs; used by the daemon per event and by
 * appleflowctl lookup.
 */

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "domains.h"
#include "networks.h"
#include "port-index.h"

/* Entries of scope apple spanning more ports than this count as broad: low. */
#define TAGGER_BROAD_RANGE 128

enum confidence {
        CONFIDENCE_NONE = 0,
        CONFIDENCE_LOW,
        CONFIDENCE_MEDIUM,
        CONFIDENCE_HIGH,
};

struct tag_input {
        int family;                     /* AF_INET, AF_INET6 */
        unsigned transport;             /* TRANSPORT_TCP or TRANSPORT_UDP */
        const void *src_addr, *dst_addr;/* original direction, network order */
        uint16_t src_port, dst_port;    /* host order */
};

struct tag {
        enum confidence confidence;     /* NONE: nothing matched */
        bool apple_network;             /* either address is in Apple's networks */
        bool by_source_port;            /* matched on the source port (a LAN service answering) */
        uint16_t port;                  /* the port that matched */
        struct match_set matches;       /* all entries for that port; may be empty for apple-other */
        size_t entry;                   /* primary entry: the first of matches with the highest
                                         * tagger_entry_confidence(), or catalog.apple_other when
                                         * matches is empty (also for CONFIDENCE_NONE) */
        /* Set by name_tag_apply() (name-tag.h) when the server's address was
         * answered for an Apple name; NULL otherwise. domain points into the
         * name table: valid until it learns the next answer. */
        const char *domain;
        const struct domain_rule *name_rule;
        bool by_name;                   /* the service is name_rule's, not entry's */
};

struct tagger {
        const struct catalog *catalog;
        const struct port_index *index;
        const struct networks *networks;  /* may be NULL */
};

/* Destination port first, then source port (only when the destination port
 * matches nothing). Confidence: high when either address is Apple's, else the
 * highest tagger_entry_confidence() among the matches. An Apple address on an
 * unlisted port gives catalog.apple_other, high; nothing at all gives NONE. */
void tagger_tag(const struct tagger *t, const struct tag_input *in, struct tag *ret);

/* medium: scope apple and at most TAGGER_BROAD_RANGE ports in all its ranges;
 * low: scope shared or broader; high: the port-less synthetic apple-other. */
enum confidence tagger_entry_confidence(const struct catalog_entry *e);
const char *confidence_to_string(enum confidence c);       /* "none", "low", "medium", "high" */
int confidence_from_string(const char *s, enum confidence *ret);
