/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The command line. Options are kept apart from the configuration so that a
 * reload can read the file again and put the same options on top.
 */

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct options {
        const char *config_path; /* CONFIG_DEFAULT_PATH unless --config */
        bool config_explicit;    /* --config given: the file must exist */

        const char *catalog, *networks, *domains, *state_directory, *control_socket;
        int32_t dns_nflog_group; /* -1: not given */
        bool output_set;
        enum output_mode output;
        bool confidence_set;
        enum confidence log_min_confidence;
        uint16_t nflog_groups[CONFIG_NFLOG_GROUPS_MAX];
        unsigned n_nflog_groups;
        bool no_conntrack;

        bool check_config;
        bool version;
        bool help;
};

/* Returns 0 on success (then check help/version/check_config), or -EINVAL
 * with err filled. argv is not modified; the strings point into it. */
int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen);

/* Puts the command line on top of a configuration read from the file. */
int options_apply(const struct options *o, struct config *c);

void options_help(const char *program);

/* The whole sequence: defaults, the file, the options, validation. Used at
 * start, by --check-config, and by each reload. */
int config_load_all(const struct options *o, struct config **ret, char *err, size_t errlen);
