/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl check [FILE] [--catalog FILE] [--networks FILE]: runs the
 * loaders the daemon uses on a catalogue and a list of networks, so that an
 * operator can test an edit before a reload. FILE is a catalogue, the same
 * as --catalog FILE; --networks means what it means for every verb.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "verbs.h"

struct checked {
        const char *path;
        bool valid;
        char error[CATALOG_ERROR_MAX];
        size_t entries, products, prefixes;
};

static void check_catalog(struct checked *c) {
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        int r;

        r = catalog_load_file(c->path, &cat, c->error, sizeof(c->error));
        if (r >= 0) {
                /* The daemon indexes it too; that must not fail either. */
                r = port_index_build(cat, &idx);
                if (r < 0)
                        snprintf(c->error, sizeof(c->error), "%s: cannot index the catalogue: %s",
                                 c->path, strerror(-r));
        }
        if (r < 0 && !c->error[0])
                snprintf(c->error, sizeof(c->error), "%s: %s", c->path, strerror(-r));
        c->valid = r >= 0;
        if (c->valid) {
                c->entries = catalog_listed_entries(cat);
                c->products = cat->n_products;
        }
}

static void check_networks(struct checked *c) {
        _cleanup_(networks_freep) struct networks *n = NULL;
        int r;

        r = networks_load_file(c->path, &n, c->error, sizeof(c->error));
        if (r < 0 && !c->error[0])
                snprintf(c->error, sizeof(c->error), "%s: %s", c->path, strerror(-r));
        c->valid = r >= 0;
        if (c->valid)
                c->prefixes = networks_count(n);
}

/* "FILE: 8 entries, 3 products" on stdout, or the loader's "FILE:LINE: reason" on stderr. */
static void print_text(const struct checked *c, bool networks) {
        if (!c->valid)
                fprintf(stderr, "%s\n", c->error);
        else if (networks)
                printf("%s: %zu %s\n", c->path, c->prefixes, plural(c->prefixes, "prefix", "prefixes"));
        else
                printf("%s: %zu %s, %zu %s\n", c->path, c->entries, plural(c->entries, "entry", "entries"),
                       c->products, plural(c->products, "product", "products"));
}

static int add_json(struct json_object *o, const char *key, const struct checked *c, bool networks) {
        struct json_object *j = json_object_new_object();

        if (json_add(o, key, j) < 0 || json_add_string(j, "file", c->path) < 0 ||
            json_add_bool(j, "valid", c->valid) < 0)
                return -ENOMEM;
        if (!c->valid)
                return json_add_string(j, "error", c->error);
        if (networks)
                return json_add_int(j, "prefixes", (int64_t) c->prefixes);
        if (json_add_int(j, "entries", (int64_t) c->entries) < 0)
                return -ENOMEM;
        return json_add_int(j, "products", (int64_t) c->products);
}

int verb_check(struct ctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                {}
        };
        struct checked catalog = {}, networks = {};
        int c, r;

        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                r = ctl_common_option(ctl, c, optarg);
                if (r != CTL_CONTINUE)
                        return r;
        }
        if (argc - optind > 1)
                return ctl_usage_error(ctl, "unexpected argument '%s': check takes one catalogue FILE "
                                       "(and --networks FILE)", argv[optind + 1]);
        if (argc - optind == 1 && ctl->catalog_path)
                return ctl_usage_error(ctl, "two catalogues: FILE '%s' and --catalog '%s'", argv[optind],
                                       ctl->catalog_path);
        catalog.path = argc - optind == 1 ? argv[optind] : ctl->catalog_path;
        networks.path = ctl->networks_path;
        if (!catalog.path && !networks.path)
                return ctl_usage_error(ctl, "nothing to check: give a catalogue FILE, --networks FILE, "
                                       "or both");

        if (catalog.path)
                check_catalog(&catalog);
        if (networks.path)
                check_networks(&networks);

        if (ctl->json) {
                _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

                if (!o || json_add_bool(o, "valid", (!catalog.path || catalog.valid) &&
                                                    (!networks.path || networks.valid)) < 0 ||
                    (catalog.path && add_json(o, "catalog", &catalog, false) < 0) ||
                    (networks.path && add_json(o, "networks", &networks, true) < 0) ||
                    json_print(o, stdout) < 0)
                        return ctl_error("failed to print JSON");
        }
        /* Errors go to stderr also with --json, for the operator reading them. */
        if (catalog.path && (!ctl->json || !catalog.valid))
                print_text(&catalog, false);
        if (networks.path && (!ctl->json || !networks.valid))
                print_text(&networks, true);
        if ((catalog.path && !catalog.valid) || (networks.path && !networks.valid))
                return CTL_EXIT_DATA;
        return CTL_EXIT_OK;
}
