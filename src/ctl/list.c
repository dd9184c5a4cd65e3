/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl list: the catalogue, or the entries of some products
 * (canonical names or former names, any case) or services (entry ids).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "verbs.h"

#define LIST_FILTERS_MAX 64

struct list_filter {
        size_t products[LIST_FILTERS_MAX];
        size_t n_products;
        size_t services[LIST_FILTERS_MAX];
        size_t n_services;
};

/* An entry is listed when it has any of the products asked for (if any)
 * and is one of the services asked for (if any). */
static bool filter_match(const struct list_filter *f, const struct catalog *c, size_t i) {
        bool product = f->n_products == 0, service = f->n_services == 0;

        for (size_t k = 0; k < f->n_products && !product; k++)
                product = catalog_entry_has_product(&c->entries[i], f->products[k]);
        for (size_t k = 0; k < f->n_services && !service; k++)
                service = f->services[k] == i;
        return product && service;
}

static int print_text(const struct catalog *c, const struct list_filter *f, size_t *ret_n) {
        _cleanup_(table_freep) struct table *t =
                table_new("ID", "PORTS", "TRANSPORT", "SCOPE", "PRODUCTS", "PROTOCOL", NULL);
        size_t n = 0;

        if (!t)
                return -ENOMEM;
        /* On a narrow terminal the long text gives way; piped, lines are whole. */
        table_shrinkable(t, 1);
        table_shrinkable(t, 4);
        table_shrinkable(t, 5);
        for (size_t i = 0; i < c->n_entries; i++) {
                const struct catalog_entry *e = &c->entries[i];
                char ports[128], products[1024];
                int r;

                if (!ctl_entry_listed(c, i) || !filter_match(f, c, i))
                        continue;
                r = table_add_row(t, e->id, format_ports(e, ports, sizeof(ports)),
                                  format_transport(e),
                                  catalog_scope_to_string(e->scope),
                                  format_products(c, e, false, products, sizeof(products)),
                                  e->protocol);
                if (r < 0)
                        return r;
                n++;
        }
        if (n > 0)
                table_print(t, stdout);
        *ret_n = n;
        return 0;
}

static int print_json(const struct catalog *c, const struct list_filter *f, size_t *ret_n) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *entries = json_object_new_array();
        size_t n = 0;

        if (!o || json_add(o, "catalog", catalog_to_json(c)) < 0 ||
            json_add(o, "entries", entries) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_entries; i++) {
                if (!ctl_entry_listed(c, i) || !filter_match(f, c, i))
                        continue;
                if (json_append(entries, entry_to_json(c, i)) < 0)
                        return -ENOMEM;
                n++;
        }
        *ret_n = n;
        return json_print(o, stdout);
}

int verb_list(struct ctl *ctl, int argc, char **argv) {
        enum {
                ARG_PRODUCT = CTL_ARG_VERB,
                ARG_SERVICE,
                ARG_DOMAINS_LIST,
        };
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                { "product", required_argument, NULL, ARG_PRODUCT },
                { "service", required_argument, NULL, ARG_SERVICE },
                { "suffixes", no_argument, NULL, ARG_DOMAINS_LIST },
                {}
        };
        bool domains = false;
        const char *products[LIST_FILTERS_MAX], *services[LIST_FILTERS_MAX];
        size_t n_products = 0, n_services = 0, n;
        struct list_filter f = {};
        int c, r;

        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                switch (c) {
                case ARG_PRODUCT:
                        if (n_products >= LIST_FILTERS_MAX)
                                return ctl_usage_error(ctl, "too many --product options");
                        products[n_products++] = optarg;
                        break;
                case ARG_DOMAINS_LIST:
                        domains = true;
                        break;
                case ARG_SERVICE:
                        if (n_services >= LIST_FILTERS_MAX)
                                return ctl_usage_error(ctl, "too many --service options");
                        services[n_services++] = optarg;
                        break;
                default:
                        r = ctl_common_option(ctl, c, optarg);
                        if (r != CTL_CONTINUE)
                                return r;
                }
        }
        if (optind < argc)
                return ctl_usage_error(ctl, "unexpected argument '%s'", argv[optind]);
        if (domains)
                return domains_list(ctl);

        r = ctl_need_catalog(ctl);
        if (r != 0)
                return r;
        /* Names are resolved after parsing, so --catalog may come last. */
        for (size_t k = 0; k < n_products; k++) {
                r = ctl_find_product(ctl, products[k], &f.products[f.n_products++]);
                if (r != 0)
                        return r;
        }
        for (size_t k = 0; k < n_services; k++) {
                ssize_t i = catalog_find_entry(ctl->catalog, services[k]);

                if (i < 0 || !ctl_entry_listed(ctl->catalog, (size_t) i)) {
                        ctl_error("unknown service '%s' (see 'appleflowctl list')", services[k]);
                        return CTL_EXIT_USAGE;
                }
                f.services[f.n_services++] = (size_t) i;
        }

        r = ctl->json ? print_json(ctl->catalog, &f, &n) : print_text(ctl->catalog, &f, &n);
        if (r < 0)
                return ctl_error("failed to print the list: %s", strerror(-r));
        return n > 0 ? CTL_EXIT_OK : CTL_EXIT_NOMATCH;
}
