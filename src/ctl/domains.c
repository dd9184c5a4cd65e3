/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl and Apple's domain list: "lookup NAME" says which suffix and
 * service a name falls under, "list --domains" prints the list.
 */

#include <stdio.h>
#include <string.h>

#include "output.h"
#include "verbs.h"

/* A name has a letter and no ':' or '/': not a port, not an address. */
bool domains_query_is_name(const char *arg) {
        bool letter = false;

        for (const char *p = arg; *p; p++) {
                if (*p == ':' || *p == '/')
                        return false;
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
                        letter = true;
        }
        return letter;
}

static struct json_object *rule_to_json(const struct domain_rule *r) {
        struct json_object *o = json_object_new_object(), *products = json_object_new_array();

        if (!o || !products || json_add_string(o, "suffix", r->suffix) < 0 ||
            json_add_string(o, "service", r->service) < 0 || json_add_string(o, "source", r->source) < 0) {
                json_object_put(o);
                json_object_put(products);
                return NULL;
        }
        for (unsigned i = 0; i < r->n_products; i++)
                if (json_append(products, json_object_new_string(r->products[i])) < 0) {
                        json_object_put(o);
                        json_object_put(products);
                        return NULL;
                }
        if (json_add(o, "products", products) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static void print_products(const struct domain_rule *r) {
        for (unsigned i = 0; i < r->n_products; i++)
                printf("%s%s", i ? ", " : "", r->products[i]);
        if (r->n_products == 0)
                fputs("-", stdout);
}

int domains_lookup(struct ctl *ctl, const char *arg) {
        char name[DOMAINS_NAME_MAX];
        const struct domain_rule *r;
        int len, k;

        len = domain_name_normalize(arg, strlen(arg), name);
        if (len < 0)
                return ctl_usage_error(ctl, "'%s' is not a host name", arg);
        k = ctl_need_domains(ctl);
        if (k != 0)
                return k;
        r = domains_match(ctl->domains, name, (size_t) len);

        if (ctl->json) {
                _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

                if (!o || json_add_string(o, "name", name) < 0 ||
                    (r ? json_add(o, "match", rule_to_json(r)) : json_object_object_add(o, "match", NULL)) < 0 ||
                    json_print(o, stdout) < 0)
                        return ctl_error("failed to print JSON");
        } else if (r) {
                printf("%s: %s%s, under %s (", name, r->service,
                       domain_rule_is_catch_all(r) ? " (Apple's, service unknown)" : "", r->suffix);
                print_products(r);
                printf("; source %s)\n", r->source);
        } else
                printf("%s: not an Apple name\n", name);
        return r ? CTL_EXIT_OK : CTL_EXIT_NOMATCH;
}

int domains_list(struct ctl *ctl) {
        _cleanup_(json_object_putp) struct json_object *a = NULL;
        int k = ctl_need_domains(ctl);

        if (k != 0)
                return k;
        if (ctl->json) {
                a = json_object_new_array();
                if (!a)
                        return ctl_error("out of memory");
                for (size_t i = 0; i < domains_count(ctl->domains); i++)
                        if (json_append(a, rule_to_json(domains_rule(ctl->domains, i))) < 0)
                                return ctl_error("out of memory");
                return json_print(a, stdout) < 0 ? ctl_error("failed to print JSON") : CTL_EXIT_OK;
        }
        printf("%-36s %-24s %-30s %s\n", "SUFFIX", "SERVICE", "PRODUCTS", "SOURCE");
        for (size_t i = 0; i < domains_count(ctl->domains); i++) {
                const struct domain_rule *r = domains_rule(ctl->domains, i);
                char products[DOMAINS_PRODUCTS_MAX * (DOMAINS_PRODUCT_MAX + 2)] = "-";

                for (unsigned p = 0; p < r->n_products; p++) {
                        if (p == 0)
                                products[0] = 0;
                        else
                                strcat(products, ", ");
                        strcat(products, r->products[p]);
                }
                printf("%-36s %-24s %-30s %s\n", r->suffix, r->service, products, r->source);
        }
        return CTL_EXIT_OK;
}
