/* SPDX-License-Identifier: MIT */

/* appleflowctl products: each product, its former names and its entries. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "verbs.h"

static size_t count_entries(const struct catalog *c, size_t product) {
        size_t n = 0;

        for (size_t i = 0; i < c->n_entries; i++)
                if (ctl_entry_listed(c, i) && catalog_entry_has_product(&c->entries[i], product))
                        n++;
        return n;
}

static int print_text(const struct catalog *c) {
        _cleanup_(table_freep) struct table *t =
                table_new("PRODUCT", "ENTRIES", "ALSO KNOWN AS", NULL);

        if (!t)
                return -ENOMEM;
        table_align_right(t, 1);
        for (size_t p = 0; p < c->n_products; p++) {
                const struct catalog_product *pr = &c->products[p];
                char aliases[CATALOG_PRODUCT_ALIASES_MAX * (CATALOG_PRODUCT_NAME_MAX + 2)] = "";
                char count[32];
                size_t len = 0;
                int r;

                for (unsigned a = 0; a < pr->n_aliases; a++) {
                        int k = snprintf(aliases + len, sizeof(aliases) - len, "%s%s",
                                         a > 0 ? ", " : "", pr->aliases[a]);
                        if (k < 0 || (size_t) k >= sizeof(aliases) - len)
                                break;
                        len += (size_t) k;
                }
                snprintf(count, sizeof(count), "%zu", count_entries(c, p));
                r = table_add_row(t, pr->name, count, aliases);
                if (r < 0)
                        return r;
        }
        table_print(t, stdout);
        return 0;
}

static int print_json(const struct catalog *c) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *products = json_object_new_array();

        if (!o || json_add_string(o, "catalog", c->source) < 0 ||
            json_add(o, "products", products) < 0)
                return -ENOMEM;
        for (size_t p = 0; p < c->n_products; p++) {
                struct json_object *j = product_to_json(&c->products[p]);

                if (json_append(products, j) < 0 ||
                    json_add_int(j, "entries", (int64_t) count_entries(c, p)) < 0)
                        return -ENOMEM;
        }
        return json_print(o, stdout);
}

int verb_products(struct ctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                r = ctl_common_option(ctl, c, optarg);
                if (r != CTL_CONTINUE)
                        return r;
        }
        if (optind < argc)
                return ctl_usage_error(ctl, "unexpected argument '%s'", argv[optind]);

        r = ctl_need_catalog(ctl);
        if (r != 0)
                return r;
        r = ctl->json ? print_json(ctl->catalog) : print_text(ctl->catalog);
        if (r < 0)
                return ctl_error("failed to print the products: %s", strerror(-r));
        return CTL_EXIT_OK;
}
