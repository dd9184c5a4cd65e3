/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

enum {
        ARG_CATALOG = 0x100,
        ARG_NETWORKS,
        ARG_OUTPUT,
        ARG_NFLOG_GROUP,
        ARG_NO_CONNTRACK,
        ARG_DNS_NFLOG_GROUP,
        ARG_DOMAINS,
        ARG_LOG_MIN_CONFIDENCE,
        ARG_STATE_DIRECTORY,
        ARG_CONTROL_SOCKET,
        ARG_VERSION,
};

static const struct option long_options[] = {
        { "config", required_argument, NULL, 'c' },
        { "catalog", required_argument, NULL, ARG_CATALOG },
        { "networks", required_argument, NULL, ARG_NETWORKS },
        { "output", required_argument, NULL, ARG_OUTPUT },
        { "nflog-group", required_argument, NULL, ARG_NFLOG_GROUP },
        { "no-conntrack", no_argument, NULL, ARG_NO_CONNTRACK },
        { "dns-nflog-group", required_argument, NULL, ARG_DNS_NFLOG_GROUP },
        { "domains", required_argument, NULL, ARG_DOMAINS },
        { "log-min-confidence", required_argument, NULL, ARG_LOG_MIN_CONFIDENCE },
        { "state-directory", required_argument, NULL, ARG_STATE_DIRECTORY },
        { "control-socket", required_argument, NULL, ARG_CONTROL_SOCKET },
        { "check-config", no_argument, NULL, 'n' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "help", no_argument, NULL, 'h' },
        {}
};

void options_help(const char *program) {
        printf("%s [OPTIONS...]\n\n"
               "Tags connections with the Apple service they belong to and logs them.\n\n"
               "  -c --config=PATH             Configuration file (default %s)\n"
               "     --catalog=PATH            Catalogue of Apple's ports (default: built-in)\n"
               "     --networks=PATH           Apple's address space (default: built-in)\n"
               "     --output=MODE             auto, journal, console or json\n"
               "     --nflog-group=N           Read this NFLOG group (repeatable; replaces the file's)\n"
               "     --no-conntrack            Do not read conntrack events\n"
               "     --dns-nflog-group=N       Learn Apple's names from the DNS answers logged to group N\n"
               "     --domains=PATH            Apple's domain suffixes (default: built-in)\n"
               "     --log-min-confidence=C    low, medium or high\n"
               "     --state-directory=PATH    Where statistics are kept\n"
               "     --control-socket=PATH     Socket for appleflowctl\n"
               "  -n --check-config            Check what a start would: configuration, catalogue,\n"
               "                               networks, user, group and directories; then exit\n"
               "     --version                 Show the version\n"
               "  -h --help                    Show this help\n",
               program, CONFIG_DEFAULT_PATH);
}

int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen) {
        uint16_t group;
        int c;

        *o = (struct options) {
                .config_path = CONFIG_DEFAULT_PATH,
                .dns_nflog_group = -1,
        };

        /* getopt keeps its position in globals: start over on every call. */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":c:nh", long_options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        o->config_explicit = true;
                        break;
                case ARG_CATALOG:
                        o->catalog = optarg;
                        break;
                case ARG_NETWORKS:
                        o->networks = optarg;
                        break;
                case ARG_OUTPUT:
                        if (output_mode_from_string(optarg, &o->output) < 0) {
                                snprintf(err, errlen, "--output: invalid mode '%s' (auto, journal, console, json)",
                                         optarg);
                                return -EINVAL;
                        }
                        o->output_set = true;
                        break;
                case ARG_NFLOG_GROUP:
                        if (config_parse_nflog_group(optarg, &group) < 0) {
                                snprintf(err, errlen, "--nflog-group: invalid group '%s' (0-65535)", optarg);
                                return -EINVAL;
                        }
                        for (unsigned i = 0; i < o->n_nflog_groups; i++)
                                if (o->nflog_groups[i] == group) {
                                        snprintf(err, errlen, "--nflog-group: group %u given twice", group);
                                        return -EINVAL;
                                }
                        if (o->n_nflog_groups >= CONFIG_NFLOG_GROUPS_MAX) {
                                snprintf(err, errlen, "--nflog-group: at most %d groups", CONFIG_NFLOG_GROUPS_MAX);
                                return -EINVAL;
                        }
                        o->nflog_groups[o->n_nflog_groups++] = group;
                        break;
                case ARG_NO_CONNTRACK:
                        o->no_conntrack = true;
                        break;
                case ARG_DNS_NFLOG_GROUP:
                        if (config_parse_nflog_group(optarg, &group) < 0) {
                                snprintf(err, errlen, "--dns-nflog-group: invalid group '%s' (0-65535)", optarg);
                                return -EINVAL;
                        }
                        o->dns_nflog_group = group;
                        break;
                case ARG_DOMAINS:
                        o->domains = optarg;
                        break;
                case ARG_LOG_MIN_CONFIDENCE:
                        if (confidence_from_string(optarg, &o->log_min_confidence) < 0 ||
                            o->log_min_confidence == CONFIDENCE_NONE) {
                                snprintf(err, errlen, "--log-min-confidence: invalid confidence '%s' (low, medium, high)",
                                         optarg);
                                return -EINVAL;
                        }
                        o->confidence_set = true;
                        break;
                case ARG_STATE_DIRECTORY:
                        o->state_directory = optarg;
                        break;
                case ARG_CONTROL_SOCKET:
                        o->control_socket = optarg;
                        break;
                case 'n':
                        o->check_config = true;
                        break;
                case ARG_VERSION:
                        o->version = true;
                        break;
                case 'h':
                        o->help = true;
                        break;
                case ':':
                        snprintf(err, errlen, "option '%s' needs an argument", argv[optind - 1]);
                        return -EINVAL;
                default:
                        snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

int options_apply(const struct options *o, struct config *c) {
        int r;

        if (o->catalog && (r = config_set_string(&c->catalog, o->catalog)) < 0)
                return r;
        if (o->networks && (r = config_set_string(&c->networks, o->networks)) < 0)
                return r;
        if (o->domains && (r = config_set_string(&c->domains, o->domains)) < 0)
                return r;
        if (o->dns_nflog_group >= 0)
                c->dns_nflog_group = o->dns_nflog_group;
        if (o->state_directory && (r = config_set_string(&c->state_directory, o->state_directory)) < 0)
                return r;
        if (o->control_socket && (r = config_set_string(&c->control_socket, o->control_socket)) < 0)
                return r;
        /* What the command line set is not on a line of the file. */
        if (o->catalog)
                config_forget_key_line(c, "catalog");
        if (o->networks)
                config_forget_key_line(c, "networks");
        if (o->state_directory)
                config_forget_key_line(c, "state_directory");
        if (o->control_socket)
                config_forget_key_line(c, "control_socket");
        if (o->output_set)
                c->output = o->output;
        if (o->confidence_set)
                c->log_min_confidence = o->log_min_confidence;
        if (o->no_conntrack)
                c->conntrack = false;
        if (o->n_nflog_groups > 0) {
                memcpy(c->nflog_groups, o->nflog_groups, sizeof(o->nflog_groups));
                c->n_nflog_groups = o->n_nflog_groups;
        }
        return 0;
}

int config_load_all(const struct options *o, struct config **ret, char *err, size_t errlen) {
        _cleanup_(config_freep) struct config *c = NULL;
        int r;

        r = config_new(&c);
        if (r < 0) {
                snprintf(err, errlen, "out of memory");
                return r;
        }
        r = config_load_file(c, o->config_path, o->config_explicit, err, errlen);
        if (r < 0)
                return r;
        r = options_apply(o, c);
        if (r < 0) {
                snprintf(err, errlen, "out of memory");
                return r;
        }
        r = config_validate(c, err, errlen);
        if (r < 0)
                return r;
        *ret = c;
        c = NULL;
        return 0;
}
