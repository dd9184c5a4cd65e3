/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl check [FILE] [--catalog FILE] [--networks FILE] [--domains FILE]:
 * runs the loaders the daemon uses on a catalogue, a list of networks and a
 * list of Apple's domains, so that an operator can test an edit before a
 * reload. FILE is a catalogue, the same as --catalog FILE; --networks and
 * --domains mean what they mean for every verb.
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
        size_t entries, products, prefixes, suffixes;
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

static void check_domains(struct checked *c) {
        _cleanup_(domains_freep) struct domains *d = NULL;
        int r;

        r = domains_load_file(c->path, &d, c->error, sizeof(c->error));
        if (r < 0 && !c->error[0])
                snprintf(c->error, sizeof(c->error), "%s: %s", c->path, strerror(-r));
        c->valid = r >= 0;
        if (c->valid)
                c->suffixes = domains_count(d);
}

enum checked_kind { CHECKED_CATALOG,
                    CHECKED_NETWORKS,
                    CHECKED_DOMAINS };

/* "FILE: 8 entries, 3 products" on stdout, or the loader's "FILE:LINE: reason" on stderr. */
static void print_text(const struct checked *c, enum checked_kind kind) {
        if (!c->valid)
                fprintf(stderr, "%s\n", c->error);
        else if (kind == CHECKED_DOMAINS)
                printf("%s: %zu %s\n", c->path, c->suffixes, plural(c->suffixes, "suffix", "suffixes"));
        else if (kind == CHECKED_NETWORKS)
                printf("%s: %zu %s\n", c->path, c->prefixes, plural(c->prefixes, "prefix", "prefixes"));
        else
                printf("%s: %zu %s, %zu %s\n", c->path, c->entries, plural(c->entries, "entry", "entries"),
                       c->products, plural(c->products, "product", "products"));
}

static int add_json(struct json_object *o, const char *key, const struct checked *c, enum checked_kind kind) {
        struct json_object *j = json_object_new_object();

        if (json_add(o, key, j) < 0 || json_add_string(j, "file", c->path) < 0 ||
            json_add_bool(j, "valid", c->valid) < 0)
                return -ENOMEM;
        if (!c->valid)
                return json_add_string(j, "error", c->error);
        if (kind == CHECKED_DOMAINS)
                return json_add_int(j, "suffixes", (int64_t) c->suffixes);
        if (kind == CHECKED_NETWORKS)
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
        struct checked catalog = {}, networks = {}, domains = {};
        int c, r;

        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                r = ctl_common_option(ctl, c, optarg);
                if (r != CTL_CONTINUE)
                        return r;
        }
        if (argc - optind > 1)
                return ctl_usage_error(ctl, "unexpected argument '%s': check takes one catalogue FILE "
                                            "(and --networks FILE, --domains FILE)",
                                       argv[optind + 1]);
        if (argc - optind == 1 && ctl->catalog_path)
                return ctl_usage_error(ctl, "two catalogues: FILE '%s' and --catalog '%s'", argv[optind],
                                       ctl->catalog_path);
        catalog.path = argc - optind == 1 ? argv[optind] : ctl->catalog_path;
        networks.path = ctl->networks_path;
        domains.path = ctl->domains_path;
        if (!catalog.path && !networks.path && !domains.path)
                return ctl_usage_error(ctl, "nothing to check: give a catalogue FILE, --networks FILE, "
                                            "--domains FILE, or several");

        if (catalog.path)
                check_catalog(&catalog);
        if (networks.path)
                check_networks(&networks);
        if (domains.path)
                check_domains(&domains);

        if (ctl->json) {
                _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

                if (!o || json_add_bool(o, "valid", (!catalog.path || catalog.valid) && (!networks.path || networks.valid) && (!domains.path || domains.valid)) < 0 ||
                    (catalog.path && add_json(o, "catalog", &catalog, CHECKED_CATALOG) < 0) ||
                    (networks.path && add_json(o, "networks", &networks, CHECKED_NETWORKS) < 0) ||
                    (domains.path && add_json(o, "domains", &domains, CHECKED_DOMAINS) < 0) ||
                    json_print(o, stdout) < 0)
                        return ctl_error("failed to print JSON");
        }
        /* Errors go to stderr also with --json, for the operator reading them. */
        if (catalog.path && (!ctl->json || !catalog.valid))
                print_text(&catalog, CHECKED_CATALOG);
        if (networks.path && (!ctl->json || !networks.valid))
                print_text(&networks, CHECKED_NETWORKS);
        if (domains.path && (!ctl->json || !domains.valid))
                print_text(&domains, CHECKED_DOMAINS);
        if ((catalog.path && !catalog.valid) || (networks.path && !networks.valid) ||
            (domains.path && !domains.valid))
                return CTL_EXIT_DATA;
        return CTL_EXIT_OK;
}
