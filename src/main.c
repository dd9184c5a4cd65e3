/* SPDX-License-Identifier: MIT */
/* Wires things up: options, configuration, the daemon. */

#include <signal.h>
#include <stdio.h>

#include "config-check.h"
#include "daemon.h"
#include "exit-status.h"
#include "options.h"

/* Everything a start would find wrong, as far as it can be known without
 * starting; what only a start can find out is said. */
static int check_config(const struct options *o) {
        _cleanup_(config_freep) struct config *c = NULL;
        struct tagset set = {};
        char err[CONFIG_ERROR_MAX], problems[4096];
        size_t entries;

        if (config_load_all(o, &c, err, sizeof(err)) < 0 ||
            tagset_load(&set, c->catalog, c->networks, c->domains, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s\n", err);
                return EXIT_STATUS_INVALID_DATA;
        }
        entries = catalog_listed_entries(set.catalog);
        if (config_check_system(c, problems, sizeof(problems)) > 0) {
                fputs(problems, stderr);
                tagset_done(&set);
                return EXIT_STATUS_INVALID_DATA;
        }
        printf("%s: OK; catalogue %s: %zu %s, %zu %s; networks %s: %zu %s; domains %s: %zu %s\n"
               "Checked only at start: %s.\n",
               c->source ?: "defaults (no configuration file)", set.catalog->source,
               entries, entries == 1 ? "entry" : "entries", set.catalog->n_products,
               set.catalog->n_products == 1 ? "product" : "products", networks_source(set.networks),
               networks_count(set.networks), networks_count(set.networks) == 1 ? "prefix" : "prefixes",
               domains_source(set.domains), domains_count(set.domains),
               domains_count(set.domains) == 1 ? "suffix" : "suffixes", CONFIG_CHECK_START_ONLY);
        tagset_done(&set);
        return EXIT_STATUS_OK;
}

int main(int argc, char **argv) {
        _cleanup_(daemon_freep) struct daemon *d = NULL;
        struct options o;
        struct config *c = NULL;
        char err[CONFIG_ERROR_MAX];
        int r;

        if (options_parse(&o, argc, argv, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s: %s (see --help)\n", argv[0], err);
                return EXIT_STATUS_USAGE;
        }
        if (o.help) {
                options_help(argv[0]);
                return EXIT_STATUS_OK;
        }
        if (o.version) {
                puts("appleflowd " PACKAGE_VERSION);
                return EXIT_STATUS_OK;
        }
        if (o.check_config)
                return check_config(&o);

        /* A console reader that goes away must not kill the daemon. */
        signal(SIGPIPE, SIG_IGN);

        if (config_load_all(&o, &c, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s\n", err);
                return EXIT_STATUS_INVALID_DATA;
        }
        r = daemon_new(&d, &o, c, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "appleflowd: %s\n", err);
                return daemon_exit_status(r);
        }
        return daemon_run(d);
}
