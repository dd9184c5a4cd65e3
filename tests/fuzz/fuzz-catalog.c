/* SPDX-License-Identifier: MIT */
/* libFuzzer target: catalog_load_buffer() on arbitrary bytes; on success the
 * port index is built and checked against a count of the ranges at every range edge,
 * and a few connections are tagged. On failure the error must name the line. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "catalog.h"
#include "port-index.h"
#include "tagger.h"

/* The answer the index must give, worked out another way: the ranges of a
 * transport that cover a port are those starting at or below it less those
 * ending below it, both counted by binary search in the sorted range ends.
 * (A linear scan per port made this target quadratic in the catalogue.) */
struct oracle {
        uint32_t *lo, *hi;
        size_t n;
};

static int compare_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return (x > y) - (x < y);
}

/* How many of the sorted v[0..n) are below x. */
static size_t count_below(const uint32_t *v, size_t n, uint32_t x) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (v[mid] < x)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static void oracle_free(struct oracle *o) {
        free(o->lo);
        free(o->hi);
}

static int oracle_init(struct oracle *o, const struct catalog *c, unsigned transport) {
        size_t max = 1;

        for (size_t i = 0; i < c->n_entries; i++)
                max += c->entries[i].n_ports;
        *o = (struct oracle) { .lo = malloc(max * sizeof(uint32_t)), .hi = malloc(max * sizeof(uint32_t)) };
        if (!o->lo || !o->hi) {
                oracle_free(o);
                return -ENOMEM;
        }
        for (size_t i = 0; i < c->n_entries; i++)
                if (c->entries[i].transports & transport)
                        for (unsigned k = 0; k < c->entries[i].n_ports; k++) {
                                o->lo[o->n] = c->entries[i].ports[k].lo;
                                o->hi[o->n++] = c->entries[i].ports[k].hi;
                        }
        qsort(o->lo, o->n, sizeof(uint32_t), compare_u32);
        qsort(o->hi, o->n, sizeof(uint32_t), compare_u32);
        return 0;
}

static void check_port(const struct catalog *c, const struct port_index *idx, const struct oracle *o,
                       unsigned transport, unsigned port) {
        struct match_set m;

        if (port > 65535)
                return;
        m = port_index_lookup(idx, transport, (uint16_t) port);
        fuzz_assert(m.n == count_below(o->lo, o->n, port + 1) - count_below(o->hi, o->n, port));
        for (unsigned i = 0; i < m.n; i++)
                fuzz_assert(m.entries[i] < c->n_entries);
}

static void check_index(const struct catalog *c, const struct port_index *idx) {
        struct oracle tcp, udp;

        if (oracle_init(&tcp, c, TRANSPORT_TCP) < 0)
                return;
        if (oracle_init(&udp, c, TRANSPORT_UDP) < 0) {
                oracle_free(&tcp);
                return;
        }
        for (size_t i = 0; i < c->n_entries; i++)
                for (unsigned k = 0; k < c->entries[i].n_ports; k++) {
                        const struct port_range *p = &c->entries[i].ports[k];

                        check_port(c, idx, &tcp, TRANSPORT_TCP, p->lo);
                        check_port(c, idx, &udp, TRANSPORT_UDP, p->lo);
                        check_port(c, idx, &tcp, TRANSPORT_TCP, (unsigned) p->hi + 1);
                        check_port(c, idx, &udp, TRANSPORT_UDP, (unsigned) p->hi + 1);
                        if (p->lo > 0)
                                check_port(c, idx, &udp, TRANSPORT_UDP, (unsigned) p->lo - 1);
                }
        check_port(c, idx, &tcp, TRANSPORT_TCP, 0);
        check_port(c, idx, &udp, TRANSPORT_UDP, 65535);
        oracle_free(&tcp);
        oracle_free(&udp);
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

                check_index(c, idx);
                tagger_tag(&t, &(struct tag_input) { .family = AF_INET, .transport = TRANSPORT_TCP, .src_addr = other, .dst_addr = apple, .src_port = 50000, .dst_port = 443 }, &tag);
                if (tag.entry >= c->n_entries || (tag.confidence != CONFIDENCE_NONE && tag.matches.n == 0))
                        abort();
                port_index_free(idx);
        }
        catalog_free(c);
        free(copy);
        return 0;
}
