/* SPDX-License-Identifier: MIT */

#include <string.h>

#include "name-tag.h"
#include "text-util.h"

/* The server is the destination unless the port tagger found the service
 * on the source port (a LAN server answering). */
/* The server's address as the tagger decided it: the source when the
 * source side is the service, else the real server under DNAT, else the
 * original destination (also when nothing matched). */
static const void *server_addr(const struct tag_input *in, const struct tag *tag) {
        if (tag->side == TAG_SIDE_CLIENT)
                return in->src_addr;
        return in->dnat_addr ?: in->dst_addr;
}

void name_tag_apply(struct name_table *table, const struct domains *d, const struct catalog *c,
                    const struct tag_input *in, uint64_t now, struct tag *tag) {
        const struct domain_rule *rule;
        const char *name;
        const void *addr;

        if (!table || !d)
                return;
        addr = server_addr(in, tag);
        if (!addr)
                return;
        name = name_table_lookup(table, in->family, addr, now);
        if (!name)
                return;
        /* A reloaded list may no longer cover a name learnt before. */
        rule = domains_match(d, name, strlen(name));
        if (!rule)
                return;

        tag->domain = name;
        tag->name_rule = rule;
        if (tag->confidence != CONFIDENCE_NONE &&
            tagger_entry_confidence(&c->entries[tag->entry]) == CONFIDENCE_MEDIUM) {
                tag->confidence = CONFIDENCE_HIGH; /* a specific Apple port names it */
                return;
        }
        tag->confidence = CONFIDENCE_HIGH;
        for (unsigned i = 0; i < tag->matches.n; i++)
                if (streq(c->entries[tag->matches.entries[i]].id, rule->service)) {
                        tag->entry = tag->matches.entries[i];
                        return;
                }
        tag->by_name = !domain_rule_is_catch_all(rule);
}
