/* SPDX-License-Identifier: MIT */

/* appleflowctl products: each product, its former names and its entries. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "output.h"
#include "verbs.h"

static size_t count_entries(const struct catalog *c, size_t product) {
        size_t n = 0;

        for (size_t i = 0; i < c->n_entries; i++)
                if (ctl_entry_listed(c, i) && catalog_entry_has_product(&c->entries[i], product))
                        n++;
        return n;
}

static const struct catalog *sort_catalog; /* for qsort's comparison */

static int compare_name(const void *a, const void *b) {
        const struct catalog_product *p = sort_catalog->products;

        return strcasecmp(p[*(const size_t *) a].name, p[*(const size_t *) b].name);
}

/* The products' indices, sorted by name: a person looks a name up. */
static size_t *sorted_products(const struct catalog *c) {
        size_t *order = calloc(MAX(c->n_products, (size_t) 1), sizeof(size_t));

        if (!order)
                return NULL;
        for (size_t p = 0; p < c->n_products; p++)
                order[p] = p;
        sort_catalog = c;
        qsort(order, c->n_products, sizeof(size_t), compare_name);
        return order;
}

static int print_text(const struct catalog *c) {
        _cleanup_(table_freep) struct table *t =
                table_new("PRODUCT", "ENTRIES", "ALSO KNOWN AS", NULL);
        _cleanup_free_ size_t *order = sorted_products(c);

        if (!t || !order)
                return -ENOMEM;
        table_align_right(t, 1);
        for (size_t i = 0; i < c->n_products; i++) {
                size_t p = order[i];
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
        _cleanup_free_ size_t *order = sorted_products(c);

        if (!o || !order || json_add(o, "catalog", catalog_to_json(c)) < 0 ||
            json_add(o, "products", products) < 0)
                return -ENOMEM;
        for (size_t k = 0; k < c->n_products; k++) {
                size_t p = order[k];
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
