/* SPDX-License-Identifier: MIT */
/* Wires things up: options, configuration, the daemon. */

#include <signal.h>
#include <stdio.h>

#include "daemon.h"
#include "options.h"

static int check_config(const struct options *o) {
        _cleanup_(config_freep) struct config *c = NULL;
        struct tagset set = {};
        char err[CONFIG_ERROR_MAX];

        if (config_load_all(o, &c, err, sizeof(err)) < 0 ||
            tagset_load(&set, c->catalog, c->networks, c->domains, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        printf("%s: OK; catalogue %s: %zu entries, %zu products; networks %s: %zu prefixes; "
               "domains %s: %zu suffixes\n",
               c->source ?: "defaults (no configuration file)", set.catalog->source, set.catalog->n_entries,
               set.catalog->n_products, networks_source(set.networks), networks_count(set.networks),
               domains_source(set.domains), domains_count(set.domains));
        tagset_done(&set);
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_(daemon_freep) struct daemon *d = NULL;
        struct options o;
        struct config *c = NULL;
        char err[CONFIG_ERROR_MAX];

        if (options_parse(&o, argc, argv, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s: %s (see --help)\n", argv[0], err);
                return 2;
        }
        if (o.help) {
                options_help(argv[0]);
                return 0;
        }
        if (o.version) {
                puts("appleflowd " PACKAGE_VERSION);
                return 0;
        }
        if (o.check_config)
                return check_config(&o);

        /* A console reader that goes away must not kill the daemon. */
        signal(SIGPIPE, SIG_IGN);

        if (config_load_all(&o, &c, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        if (daemon_new(&d, &o, c, err, sizeof(err)) < 0) {
                fprintf(stderr, "appleflowd: %s\n", err);
                return 1;
        }
        return daemon_run(d);
}
