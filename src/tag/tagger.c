/* SPDX-License-Identifier: MIT */
/*
 * Tagging (DESIGN.md "Tagging"): the server side's port first, then the
 * other; a port alone proves little, so the confidence says how much it does.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tagger.h"

static const char *const confidence_names[] = {
        [CONFIDENCE_NONE] = "none",
        [CONFIDENCE_LOW] = "low",
        [CONFIDENCE_MEDIUM] = "medium",
        [CONFIDENCE_HIGH] = "high",
};

enum confidence tagger_entry_confidence(const struct catalog_entry *e) {
        uint32_t span = 0;

        if (e->scope != CATALOG_SCOPE_APPLE)
                return CONFIDENCE_LOW;
        /* Only the synthetic apple-other entry has no ports: it is used for Apple's addresses. */
        if (e->n_ports == 0)
                return CONFIDENCE_HIGH;
        for (unsigned i = 0; i < e->n_ports; i++)
                span += (uint32_t) e->ports[i].hi - e->ports[i].lo + 1;
        return span <= TAGGER_BROAD_RANGE ? CONFIDENCE_MEDIUM : CONFIDENCE_LOW;
}

static bool is_apple(const struct tagger *t, const struct tag_input *in) {
        if (!t->networks)
                return false;
        return (in->src_addr && networks_match(t->networks, in->family, in->src_addr, NULL) >= 0) ||
               (in->dst_addr && networks_match(t->networks, in->family, in->dst_addr, NULL) >= 0);
}

void tagger_tag(const struct tagger *t, const struct tag_input *in, struct tag *ret) {
        struct match_set m = port_index_lookup(t->index, in->transport, in->dst_port);
        enum confidence best = CONFIDENCE_NONE;

        *ret = (struct tag) {
                .apple_network = is_apple(t, in),
                .port = in->dst_port,
                .entry = t->catalog->apple_other,
        };

        if (m.n == 0 && in->src_port != in->dst_port) {
                struct match_set s = port_index_lookup(t->index, in->transport, in->src_port);
                if (s.n > 0) {
                        m = s;
                        ret->by_source_port = true;
                        ret->port = in->src_port;
                }
        }
        ret->matches = m;

        /* The most confident entry, the narrowest among equals (the set's order). */
        for (unsigned i = 0; i < m.n; i++) {
                enum confidence c = tagger_entry_confidence(&t->catalog->entries[m.entries[i]]);
                if (c > best) {
                        best = c;
                        ret->entry = m.entries[i];
                }
        }

        if (ret->apple_network)
                ret->confidence = CONFIDENCE_HIGH;      /* apple-other when no entry matched */
        else
                ret->confidence = best;
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
                if (strcmp(s, confidence_names[i]) == 0) {
                        *ret = (enum confidence) i;
                        return 0;
                }
        return -EINVAL;
}
