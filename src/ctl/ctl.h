/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What every appleflowctl verb shares: the global options, the catalogue,
 * index and networks (loaded on first use), exit codes and error messages.
 */

#include <getopt.h>
#include <stdbool.h>

#include "catalog.h"
#include "exit-status.h"
#include "domains.h"
#include "macro.h"
#include "networks.h"
#include "port-index.h"

#define CTL_EXIT_OK EXIT_STATUS_OK
#define CTL_EXIT_NOMATCH EXIT_STATUS_NO_MATCH
#define CTL_EXIT_FAILURE EXIT_STATUS_FAILURE
#define CTL_EXIT_USAGE EXIT_STATUS_USAGE
#define CTL_EXIT_DATA EXIT_STATUS_INVALID_DATA

struct ctl;

struct verb {
        const char *name;
        int (*run)(struct ctl *ctl, int argc, char **argv); /* argv[0] is the verb */
        const char *synopsis;                               /* arguments after the verb, for usage lines */
        const char *summary;                                /* one line for --help */
        const char *options;                                /* the verb's own options, one per line, or NULL */
};

struct ctl {
        const char *catalog_path;  /* NULL: the built-in catalogue */
        const char *networks_path; /* NULL: the built-in networks */
        const char *domains_path;  /* NULL: the built-in domain list */
        bool json;
        const struct verb *verb; /* the verb running, for its usage line */

        struct catalog *catalog;
        struct port_index *index;
        struct networks *networks;
        struct domains *domains;
};

/* Long options every verb accepts besides its own. Verbs number their own
 * options from CTL_ARG_VERB upwards so they never collide with these. */
enum {
        CTL_ARG_CATALOG = 0x100,
        CTL_ARG_NETWORKS,
        CTL_ARG_JSON,
        CTL_ARG_DOMAINS,
        CTL_ARG_VERSION,
        CTL_ARG_VERB = 0x200,
};

#define CTL_OPTION_HELP \
        { "help", no_argument, NULL, 'h' }
#define CTL_OPTION_CATALOG \
        { "catalog", required_argument, NULL, CTL_ARG_CATALOG }
#define CTL_OPTION_NETWORKS \
        { "networks", required_argument, NULL, CTL_ARG_NETWORKS }
#define CTL_OPTION_JSON \
        { "json", no_argument, NULL, CTL_ARG_JSON }
#define CTL_OPTION_DOMAINS \
        { "domains", required_argument, NULL, CTL_ARG_DOMAINS }
#define CTL_OPTIONS_COMMON CTL_OPTION_HELP, CTL_OPTION_CATALOG, CTL_OPTION_NETWORKS, CTL_OPTION_JSON, \
                           CTL_OPTION_DOMAINS
#define CTL_SHORT_OPTIONS "h"

#define CTL_CONTINUE (-1)

/* Handles a common option (or a getopt error, c == '?') inside a verb's
 * getopt_long loop. Returns CTL_CONTINUE to go on parsing, otherwise the
 * exit code the verb should return at once (help printed: 0; bad option: CTL_EXIT_USAGE). */
int ctl_common_option(struct ctl *ctl, int c, const char *arg);

/* Prints "appleflowctl: MESSAGE" to stderr; returns CTL_EXIT_FAILURE. */
int ctl_error(const char *fmt, ...) _printf_(1, 2);
/* Like ctl_error, followed by a hint to the verb's --help; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const struct ctl *ctl, const char *fmt, ...) _printf_(2, 3);
void ctl_verb_help(const struct ctl *ctl, FILE *f);

/* Load on first use; errors (file:line: reason) are printed. Return 0 or CTL_EXIT_DATA. */
int ctl_need_catalog(struct ctl *ctl);
int ctl_need_index(struct ctl *ctl);
int ctl_need_networks(struct ctl *ctl);
int ctl_need_domains(struct ctl *ctl);

void ctl_done(struct ctl *ctl);

/* Catalogue entries a user sees: everything but the synthetic apple-other. */
static inline bool ctl_entry_listed(const struct catalog *c, size_t i) {
        return i != c->apple_other;
}
size_t ctl_count_entries(const struct catalog *c);
/* Resolves a product name or alias; prints "unknown product" and returns
 * CTL_EXIT_USAGE when there is none. */
int ctl_find_product(const struct ctl *ctl, const char *name, size_t *ret);
