/* SPDX-License-Identifier: MIT */
/*
 * Tagging (DESIGN.md "Tagging", appleflowd(8) "Tagging"): decide which end is
 * the server, then look its port up; a port alone proves little, so the
 * confidence says how much it does.
 */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tagger.h"

static const char *const confidence_names[] = {
        [CONFIDENCE_NONE] = "none",
        [CONFIDENCE_LOW] = "low",
        [CONFIDENCE_MEDIUM] = "medium",
        [CONFIDENCE_HIGH] = "high",
};

static const char *const side_names[] = {
        [TAG_SIDE_NONE] = "none",
        [TAG_SIDE_SERVER] = "server",
        [TAG_SIDE_CLIENT] = "client",
};

bool tagger_entry_broad(const struct catalog_entry *e) {
        uint32_t span = 0;

        for (unsigned i = 0; i < e->n_ports && i < CATALOG_PORT_RANGES_MAX; i++)
                span += (uint32_t) e->ports[i].hi - e->ports[i].lo + 1;
        return span > TAGGER_BROAD_RANGE;
}

enum confidence tagger_entry_confidence(const struct catalog_entry *e) {
        if (e->scope != CATALOG_SCOPE_APPLE)
                return CONFIDENCE_LOW;
        /* Only the synthetic apple-other entry has no ports: it is used for Apple's addresses. */
        if (e->n_ports == 0)
                return CONFIDENCE_HIGH;
        return tagger_entry_broad(e) ? CONFIDENCE_LOW : CONFIDENCE_MEDIUM;
}

enum confidence tagger_match_confidence(const struct tag *tag, const struct catalog_entry *e) {
        if (tag->confidence == CONFIDENCE_NONE)
                return CONFIDENCE_NONE;
        return tag->apple_network ? CONFIDENCE_HIGH : tagger_entry_confidence(e);
}

static bool in_range(uint16_t port, uint16_t lo, uint16_t hi) {
        return lo <= port && port <= hi;
}

bool tagger_port_ephemeral(const struct tagger *t, uint16_t port) {
        return in_range(port, TAGGER_EPHEMERAL_LINUX_LO, TAGGER_EPHEMERAL_LINUX_HI) ||
               in_range(port, TAGGER_EPHEMERAL_IANA_LO, TAGGER_EPHEMERAL_IANA_HI) ||
               (t->local_ports.last > 0 && ephemeral_range_contains(&t->local_ports, port));
}

static bool is_apple(const struct tagger *t, const struct tag_input *in) {
        if (!t->networks)
                return false;
        return (in->src_addr && networks_match(t->networks, in->family, in->src_addr, NULL) >= 0) ||
               (in->dst_addr && networks_match(t->networks, in->family, in->dst_addr, NULL) >= 0);
}

/* Whether an entry of the set is not broad (sets are a few entries long). */
static bool has_specific(const struct tagger *t, struct match_set m) {
        for (unsigned i = 0; i < m.n; i++)
                if (!tagger_entry_broad(&t->catalog->entries[m.entries[i]]))
                        return true;
        return false;
}

void tagger_tag(const struct tagger *t, const struct tag_input *in, struct tag *ret) {
        uint16_t port = in->dnat_addr ? in->dnat_port : in->dst_port;
        struct match_set m = port_index_lookup(t->index, in->transport, port);
        enum tag_side side = TAG_SIDE_SERVER;
        enum confidence best = CONFIDENCE_NONE;
        size_t entry = t->catalog->apple_other;

        /* A service answering: the destination is a client's port, the source a
         * service's. Never under DNAT, where the server is known. */
        if (!in->dnat_addr && tagger_port_ephemeral(t, in->dst_port) &&
            !tagger_port_ephemeral(t, in->src_port)) {
                struct match_set s = port_index_lookup(t->index, in->transport, in->src_port);

                if (has_specific(t, s)) {
                        m = s;
                        port = in->src_port;
                        side = TAG_SIDE_CLIENT;
                }
        }

        /* The most confident entry, the narrowest among equals (the set's order). */
        for (unsigned i = 0; i < m.n; i++) {
                enum confidence c = tagger_entry_confidence(&t->catalog->entries[m.entries[i]]);
                if (c > best) {
                        best = c;
                        entry = m.entries[i];
                }
        }

        *ret = (struct tag) {
                .apple_network = is_apple(t, in),
                .side = m.n > 0 ? side : TAG_SIDE_NONE,
                .side_guessed = in->direction_guessed,
                .port = port,
                .matches = m,
                .entry = entry,
                .confidence = best,
        };

        if (ret->apple_network) {
                /* The address proves Apple; a broad range proves nothing more. */
                if (!has_specific(t, m))
                        *ret = (struct tag) {
                                .apple_network = true,
                                .side = TAG_SIDE_NONE,
                                .side_guessed = in->direction_guessed,
                                .port = in->dnat_addr ? in->dnat_port : in->dst_port,
                                .entry = t->catalog->apple_other,
                        };
                ret->confidence = CONFIDENCE_HIGH;
        }
}

const char *confidence_to_string(enum confidence c) {
        if ((unsigned) c >= ELEMENTSOF(confidence_names))
                return "none";
        return confidence_names[c];
}

int confidence_from_string(const char *s, enum confidence *ret) {
        if (!s)
                return -EINVAL;
        for (unsigned i = 0; i < ELEMENTSOF(confidence_names); i++)
                if (strcasecmp(s, confidence_names[i]) == 0) { /* keywords: any case */
                        *ret = (enum confidence) i;
                        return 0;
                }
        return -EINVAL;
}

const char *tag_side_to_string(enum tag_side s) {
        if ((unsigned) s >= ELEMENTSOF(side_names))
                return "none";
        return side_names[s];
}
