/* SPDX-License-Identifier: MIT */
/*
 * Every connection of tests/tagging-corpus.txt through the tagger, with the
 * shipped catalogue and networks, once for every source port its client
 * may pick: the tag must not depend on which.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "corpus.h"
#include "tagger.h"

static const char *corpus_path;

struct fixture {
        struct catalog *catalog;
        struct port_index *index;
        struct networks *networks;
        struct tagger tagger;
        struct corpus corpus;
};

static int setup(void **state) {
        static struct fixture f;
        char err[CATALOG_ERROR_MAX];

        if (catalog_load_default(&f.catalog, err, sizeof(err)) < 0 ||
            networks_load_default(&f.networks, err, sizeof(err)) < 0 ||
            port_index_build(f.catalog, &f.index) < 0)
                return -1;
        /* The lab router's namespace keeps Linux's default range. */
        f.tagger = (struct tagger) { .catalog = f.catalog, .index = f.index, .networks = f.networks, .local_ports = EPHEMERAL_RANGE_DEFAULT };
        *state = &f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        catalog_free(f->catalog);
        port_index_free(f->index);
        networks_free(f->networks);
        return 0;
}

static bool is_router(const struct corpus *c, const struct corpus_endpoint *e) {
        for (unsigned i = 0; i < c->n_router; i++)
                if (c->router[i].family == e->family &&
                    memcmp(c->router[i].addr, e->addr, e->family == AF_INET ? 4 : 16) == 0)
                        return true;
        return false;
}

static void check_row(const struct fixture *f, const struct corpus_row *r, unsigned *n_checked) {
        const struct catalog *c = f->catalog;

        if (strcmp(r->service, "excluded") == 0) {
                /* The exclusion is the router's business (test-daemon-flow);
                 * here: the row says what makes it the router's. */
                if (!r->has_dnat && !is_router(&f->corpus, &r->src) && !is_router(&f->corpus, &r->dst))
                        fail_msg("line %u: excluded, but neither end is the router's", r->line);
                return;
        }
        for (uint32_t sport = r->src.port; sport <= r->src.port_last; sport++) {
                struct tag t;
                const char *got;

                tagger_tag(&f->tagger, &(struct tag_input) { .family = r->src.family, .transport = r->transport, .src_addr = r->src.addr, .dst_addr = r->dst.addr, .src_port = (uint16_t) sport, .dst_port = r->dst.port, .dnat_addr = r->has_dnat ? r->dnat.addr : NULL, .dnat_port = r->dnat.port }, &t);
                got = t.confidence == CONFIDENCE_NONE ? "unmatched" : c->entries[t.entry].id;
                if (strcmp(got, r->service) != 0)
                        fail_msg("line %u (%s), source port %u: %s, expected %s", r->line, r->why,
                                 sport, got, r->service);
                if (t.confidence == CONFIDENCE_NONE) {
                        assert_int_equal(t.side, TAG_SIDE_NONE);
                        continue;
                }
                if (strcmp(tag_side_to_string(t.side), r->side) != 0 ||
                    strcmp(confidence_to_string(t.confidence), r->confidence) != 0)
                        fail_msg("line %u (%s), source port %u: side %s confidence %s, expected %s %s",
                                 r->line, r->why, sport, tag_side_to_string(t.side),
                                 confidence_to_string(t.confidence), r->side, r->confidence);
                /* The matched port is the server's, never the client's ephemeral one. */
                if (t.side == TAG_SIDE_SERVER)
                        assert_int_equal(t.port, r->has_dnat ? r->dnat.port : r->dst.port);
                else if (t.side == TAG_SIDE_CLIENT)
                        assert_false(tagger_port_ephemeral(&f->tagger, t.port));
                (*n_checked)++;
        }
}

static void test_corpus(void **state) {
        struct fixture *f = *state;
        unsigned n_checked = 0;

        corpus_load(corpus_path, &f->corpus);
        for (unsigned i = 0; i < f->corpus.n_rows; i++)
                check_row(f, &f->corpus.rows[i], &n_checked);
        printf("# %u rows, %u connections tagged\n", f->corpus.n_rows, n_checked);
        assert_true(n_checked > 40);
}

/* The case that started it: no source port of an iPhone or of Linux turns an
 * unlisted port into a tag, for either transport. */
static void test_no_client_port_tags(void **state) {
        struct fixture *f = *state;
        static const uint8_t lan[4] = { 192, 168, 77, 2 }, other[4] = { 203, 0, 113, 10 };

        for (unsigned transport = TRANSPORT_TCP; transport <= TRANSPORT_UDP; transport <<= 1)
                for (uint32_t sport = TAGGER_EPHEMERAL_LINUX_LO; sport <= 65535; sport++) {
                        struct tag t;

                        tagger_tag(&f->tagger, &(struct tag_input) { .family = AF_INET, .transport = transport, .src_addr = lan, .dst_addr = other, .src_port = (uint16_t) sport, .dst_port = 4 }, &t);
                        if (t.confidence != CONFIDENCE_NONE)
                                fail_msg("source port %u/%s tagged %s", sport,
                                         transport == TRANSPORT_TCP ? "tcp" : "udp",
                                         f->catalog->entries[t.entry].id);
                }
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_corpus),
                cmocka_unit_test(test_no_client_port_tags),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s tests/tagging-corpus.txt\n", argv[0]);
                return 2;
        }
        corpus_path = argv[1];
        return cmocka_run_group_tests(tests, setup, teardown);
}
