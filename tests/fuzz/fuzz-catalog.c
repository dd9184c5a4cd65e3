/* SPDX-License-Identifier: MIT */
/* libFuzzer target: catalog_load_buffer() on arbitrary bytes; on success the
 * port index is built and checked against a linear scan at every range edge,
 * and a few connections are tagged. On failure the error must name the line. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "catalog.h"
#include "port-index.h"
#include "tagger.h"

static unsigned count_covering(const struct catalog *c, unsigned transport, unsigned port) {
        unsigned n = 0;

        for (size_t i = 0; i < c->n_entries; i++)
                if (c->entries[i].transports & transport)
                        for (unsigned k = 0; k < c->entries[i].n_ports; k++)
                                if (c->entries[i].ports[k].lo <= port && port <= c->entries[i].ports[k].hi)
                                        n++;
        return n;
}

static void check_port(const struct catalog *c, const struct port_index *idx, unsigned transport, unsigned port) {
        struct match_set m;

        if (port > 65535)
                return;
        m = port_index_lookup(idx, transport, (uint16_t) port);
        if (m.n != count_covering(c, transport, port))
                abort();
        for (unsigned i = 0; i < m.n; i++)
                if (m.entries[i] >= c->n_entries)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct catalog *c = NULL;
        struct port_index *idx = NULL;
        char err[CATALOG_ERROR_MAX] = "";
        char *copy;
        int r;

        copy = fuzz_copy(data, size);
        if (!copy)
                return 0;

        r = catalog_load_buffer("fuzz", copy, size, &c, err, sizeof(err));
        if (r < 0) {
                if (c || strncmp(err, "fuzz:", 5) != 0)
                        abort();
                free(copy);
                return 0;
        }
        if (c->apple_other != c->n_entries - 1 || strcmp(c->entries[c->apple_other].id, CATALOG_APPLE_OTHER_ID))
                abort();

        if (port_index_build(c, &idx) == 0) {
                static const uint8_t apple[4] = { 17, 0, 0, 1 }, other[4] = { 192, 0, 2, 1 };
                struct tagger t = { .catalog = c, .index = idx };
                struct tag tag;

                for (size_t i = 0; i < c->n_entries; i++)
                        for (unsigned k = 0; k < c->entries[i].n_ports; k++) {
                                const struct port_range *p = &c->entries[i].ports[k];
                                check_port(c, idx, TRANSPORT_TCP, p->lo);
                                check_port(c, idx, TRANSPORT_UDP, p->lo);
                                check_port(c, idx, TRANSPORT_TCP, (unsigned) p->hi + 1);
                                check_port(c, idx, TRANSPORT_UDP, (unsigned) p->hi + 1);
                                if (p->lo > 0)
                                        check_port(c, idx, TRANSPORT_UDP, (unsigned) p->lo - 1);
                        }
                check_port(c, idx, TRANSPORT_TCP, 0);
                check_port(c, idx, TRANSPORT_UDP, 65535);

                tagger_tag(&t, &(struct tag_input) { .family = AF_INET, .transport = TRANSPORT_TCP,
                                                     .src_addr = other, .dst_addr = apple,
                                                     .src_port = 50000, .dst_port = 443 }, &tag);
                if (tag.entry >= c->n_entries || (tag.confidence != CONFIDENCE_NONE && tag.matches.n == 0))
                        abort();
                port_index_free(idx);
        }
        catalog_free(c);
        free(copy);
        return 0;
}
