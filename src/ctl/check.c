/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl check FILE [--networks|--domains]: runs the loader the daemon
 * uses on a catalogue (networks, domain list) file, so an operator can test an
 * edit before a reload.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "verbs.h"

static int report(const struct ctl *ctl, const char *path, const char *what, size_t n,
                  const char *what2, size_t n2) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;

        if (!ctl->json) {
                printf("%s: %zu %s", path, n, what);
                if (what2)
                        printf(", %zu %s", n2, what2);
                putchar('\n');
                return CTL_EXIT_OK;
        }
        o = json_object_new_object();
        if (!o || json_add_string(o, "file", path) < 0 || json_add_bool(o, "valid", true) < 0 ||
            json_add_int(o, what, (int64_t) n) < 0 ||
            (what2 && json_add_int(o, what2, (int64_t) n2) < 0) ||
            json_print(o, stdout) < 0)
                return ctl_error("failed to print JSON");
        return CTL_EXIT_OK;
}

static int report_error(const struct ctl *ctl, const char *path, int r, const char *err) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        char buf[CATALOG_ERROR_MAX + 64];

        if (!err[0]) {
                snprintf(buf, sizeof(buf), "%s: %s", path, strerror(-r));
                err = buf;
        }
        /* The loader's "file:line: reason", unchanged, on stderr. */
        fprintf(stderr, "%s\n", err);
        if (ctl->json) {
                o = json_object_new_object();
                if (!o || json_add_string(o, "file", path) < 0 ||
                    json_add_bool(o, "valid", false) < 0 || json_add_string(o, "error", err) < 0 ||
                    json_print(o, stdout) < 0)
                        ctl_error("failed to print JSON");
        }
        return CTL_EXIT_ERROR;
}

int verb_check(struct ctl *ctl, int argc, char **argv) {
        enum {
                ARG_NETWORKS_FILE = CTL_ARG_VERB,
                ARG_DOMAINS_FILE,
        };
        /* Here --networks says what FILE is; it takes no argument. */
        static const struct option options[] = {
                CTL_OPTION_HELP,
                CTL_OPTION_JSON,
                { "networks", no_argument, NULL, ARG_NETWORKS_FILE },
                { "domains", no_argument, NULL, ARG_DOMAINS_FILE },
                {}
        };
        char err[CATALOG_ERROR_MAX] = "";
        bool networks = false, domains = false;
        const char *path;
        int c, r;

        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                if (c == ARG_NETWORKS_FILE) {
                        networks = true;
                        continue;
                }
                if (c == ARG_DOMAINS_FILE) {
                        domains = true;
                        continue;
                }
                r = ctl_common_option(ctl, c, optarg);
                if (r != CTL_CONTINUE)
                        return r;
        }
        if (argc - optind != 1)
                return ctl_usage_error(ctl, "check needs exactly one FILE");
        path = argv[optind];

        if (networks && domains)
                return ctl_usage_error(ctl, "--networks and --domains exclude each other");
        if (domains) {
                _cleanup_(domains_freep) struct domains *d = NULL;

                r = domains_load_file(path, &d, err, sizeof(err));
                if (r < 0)
                        return report_error(ctl, path, r, err);
                return report(ctl, path, "suffixes", domains_count(d), NULL, 0);
        }
        if (networks) {
                _cleanup_(networks_freep) struct networks *n = NULL;

                r = networks_load_file(path, &n, err, sizeof(err));
                if (r < 0)
                        return report_error(ctl, path, r, err);
                return report(ctl, path, "prefixes", networks_count(n), NULL, 0);
        } else {
                _cleanup_(catalog_freep) struct catalog *cat = NULL;
                _cleanup_(port_index_freep) struct port_index *idx = NULL;

                r = catalog_load_file(path, &cat, err, sizeof(err));
                if (r < 0)
                        return report_error(ctl, path, r, err);
                /* The daemon indexes it too; that must not fail either. */
                r = port_index_build(cat, &idx);
                if (r < 0) {
                        snprintf(err, sizeof(err), "%s: cannot index the catalogue: %s",
                                 path, strerror(-r));
                        return report_error(ctl, path, r, err);
                }
                return report(ctl, path, "entries", ctl_count_entries(cat),
                              "products", cat->n_products);
        }
}
