/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Decides which catalogue entries a connection belongs to and how sure that
 * is. Pure function of its inputs; used by the daemon per event and by
 * appleflowctl lookup, so that both give the same answer.
 *
 * The server side first (appleflowd(8), "Tagging"): the original direction's
 * destination is the server (under DNAT the real server behind it, whose
 * port is the reply tuple's source port), except when the destination port
 * is ephemeral and the source port is a specific listed service port that is
 * not ephemeral itself: then the source is a service answering. A client's
 * ephemeral port never makes a tag; broad ranges tag the server side only,
 * at low confidence.
 */

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "domains.h"
#include "ephemeral-range.h"
#include "networks.h"
#include "port-index.h"

/* Entries spanning more ports than this in all their ranges are broad: low. */
#define TAGGER_BROAD_RANGE 128

/* Where clients take their source ports from, whatever the namespace says:
 * Linux's default and IANA's dynamic range (iOS, macOS, Windows). */
#define TAGGER_EPHEMERAL_LINUX_LO 32768
#define TAGGER_EPHEMERAL_LINUX_HI 60999
#define TAGGER_EPHEMERAL_IANA_LO 49152
#define TAGGER_EPHEMERAL_IANA_HI 65535

enum confidence {
        CONFIDENCE_NONE = 0,
        CONFIDENCE_LOW,
        CONFIDENCE_MEDIUM,
        CONFIDENCE_HIGH,
        _CONFIDENCE_MAX,
};

/* Which end of the connection, as it was opened, the matched port is on. */
enum tag_side {
        TAG_SIDE_NONE,   /* no port matched: Apple's address alone, or nothing */
        TAG_SIDE_SERVER, /* the end connected to (under DNAT the real server) */
        TAG_SIDE_CLIENT, /* the end that opened it: a service answering */
        _TAG_SIDE_MAX,
};

struct tag_input {
        int family;                      /* AF_INET, AF_INET6 */
        unsigned transport;              /* TRANSPORT_TCP or TRANSPORT_UDP */
        const void *src_addr, *dst_addr; /* original direction, network order */
        uint16_t src_port, dst_port;     /* host order */
        const void *dnat_addr;           /* the reply tuple's source when DNAT changed the
                                         * destination (the real server); NULL: no DNAT */
        uint16_t dnat_port;
        bool direction_guessed; /* a packet without conntrack state: src/dst may be
                                         * either direction, the rule alone decides */
};

struct tag {
        enum confidence confidence; /* NONE: nothing matched */
        bool apple_network;         /* either address is in Apple's networks */
        enum tag_side side;         /* NONE for apple-other and for nothing */
        bool side_guessed;          /* from tag_input.direction_guessed */
        uint16_t port;              /* the server's port, looked up; it matched when
                                         * side is not NONE */
        struct match_set matches;   /* all entries for that port; empty for apple-other */
        size_t entry;               /* primary entry: the first of matches with the highest
                                         * tagger_entry_confidence(), or catalog.apple_other when
                                         * matches is empty (also for CONFIDENCE_NONE) */
        /* Set by name_tag_apply() (name-tag.h) when the server's address was
         * answered for an Apple name; NULL otherwise. domain points into the
         * name table: valid until it learns the next answer. */
        const char *domain;
        const struct domain_rule *name_rule;
        bool by_name; /* the service is name_rule's, not entry's */
};

struct tagger {
        const struct catalog *catalog;
        const struct port_index *index;
        const struct networks *networks;    /* may be NULL */
        struct ephemeral_range local_ports; /* the namespace's ip_local_port_range; 0-0: none */
};

void tagger_tag(const struct tagger *t, const struct tag_input *in, struct tag *ret);

/* Whether a client may have picked port as its source port. */
bool tagger_port_ephemeral(const struct tagger *t, uint16_t port);
/* More than TAGGER_BROAD_RANGE ports in all its ranges. */
bool tagger_entry_broad(const struct catalog_entry *e);
/* medium: scope apple and not broad; low: scope shared, or broad; high: the
 * port-less synthetic apple-other. */
enum confidence tagger_entry_confidence(const struct catalog_entry *e);
/* The confidence one of tag's matches lends its products: high on Apple's
 * networks, else the entry's own. */
enum confidence tagger_match_confidence(const struct tag *tag, const struct catalog_entry *e);

const char *confidence_to_string(enum confidence c); /* "none", "low", "medium", "high" */
int confidence_from_string(const char *s, enum confidence *ret);
const char *tag_side_to_string(enum tag_side s); /* "none", "server", "client" */
