/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tagset.h"

int tagset_load(struct tagset *ret, const char *catalog_path, const char *networks_path,
                const char *domains_path, char *err, size_t errlen) {
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        _cleanup_(port_index_freep) struct port_index *idx = NULL;
        _cleanup_(networks_freep) struct networks *n = NULL;
        _cleanup_(domains_freep) struct domains *dom = NULL;
        int r;

        r = catalog_path ? catalog_load_file(catalog_path, &c, err, errlen)
                         : catalog_load_default(&c, err, errlen);
        if (r < 0)
                return r;
        r = port_index_build(c, &idx);
        if (r < 0) {
                snprintf(err, errlen, "%s: cannot build the port index: %s", c->source, strerror(-r));
                return r;
        }
        r = networks_path ? networks_load_file(networks_path, &n, err, errlen)
                          : networks_load_default(&n, err, errlen);
        if (r < 0)
                return r;

        r = domains_path ? domains_load_file(domains_path, &dom, err, errlen)
                         : domains_load_default(&dom, err, errlen);
        if (r < 0)
                return r;

        *ret = (struct tagset) { .catalog = c, .index = idx, .networks = n, .domains = dom };
        c = NULL;
        idx = NULL;
        n = NULL;
        dom = NULL;
        return 0;
}

void tagset_done(struct tagset *t) {
        t->index = port_index_free(t->index);
        t->catalog = catalog_free(t->catalog);
        t->networks = networks_free(t->networks);
        t->domains = domains_free(t->domains);
}
