/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl report: what appleflowd's journal entries add up to over a
 * period (connections, bytes, blocked packets, and the losses that make the
 * figures incomplete), for one router's journal or a collector's, grouped
 * and sorted busiest first. The options are parsed here; report-read.c
 * reads, report-groups.c counts, report-output.c prints.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "text-util.h"
#include "time-util.h"
#include "verbs.h"

enum {
        ARG_DIRECTORY = CTL_ARG_VERB,
        ARG_FILE,
        ARG_SINCE,
        ARG_UNTIL,
        ARG_ROUTER,
        ARG_SERVICE,
        ARG_PRODUCT,
        ARG_CLIENT,
        ARG_BLOCKED,
        ARG_BY,
        ARG_TOP,
        ARG_CSV,
};

struct report_args {
        struct report_source source;
        struct report_filter filter;
        enum report_by by;
        size_t top;
        bool csv;
};

static void report_args_done(struct report_args *a) {
        free(a->source.files);
        free(a->filter.routers);
        free(a->filter.services);
        free(a->filter.products);
        free(a->filter.clients);
}

/* Appends s to a NULL-terminated list of at most max items (argc bounds it). */
static int list_add(char ***list, size_t *n, size_t max, char *s) {
        if (!*list) {
                *list = calloc(max + 1, sizeof(char *));
                if (!*list)
                        return -ENOMEM;
        }
        (*list)[(*n)++] = s;
        return 0;
}

static int parse_args(struct ctl *ctl, int argc, char **argv, struct report_args *a) {
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                { "directory", required_argument, NULL, ARG_DIRECTORY },
                { "file", required_argument, NULL, ARG_FILE },
                { "since", required_argument, NULL, ARG_SINCE },
                { "until", required_argument, NULL, ARG_UNTIL },
                { "router", required_argument, NULL, ARG_ROUTER },
                { "service", required_argument, NULL, ARG_SERVICE },
                { "product", required_argument, NULL, ARG_PRODUCT },
                { "client", required_argument, NULL, ARG_CLIENT },
                { "blocked", no_argument, NULL, ARG_BLOCKED },
                { "by", required_argument, NULL, ARG_BY },
                { "top", required_argument, NULL, ARG_TOP },
                { "csv", no_argument, NULL, ARG_CSV },
                {}
        };
        struct report_filter *f = &a->filter;
        uint64_t now = clock_usec(CLOCK_REALTIME), top;
        size_t max = (size_t) argc;
        int c, r;

        f->period = (struct report_period) { 0, UINT64_MAX };
        a->by = REPORT_BY_SERVICE;
        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case ARG_DIRECTORY:
                        if (a->source.directory)
                                return ctl_usage_error(ctl, "--directory given twice");
                        a->source.directory = optarg;
                        break;
                case ARG_FILE:
                        r = list_add(&a->source.files, &a->source.n_files, max, optarg);
                        break;
                case ARG_SINCE:
                case ARG_UNTIL:
                        if (report_parse_time(optarg, now, c == ARG_SINCE ? &f->period.since_usec : &f->period.until_usec) < 0)
                                return ctl_usage_error(ctl, "%s: not a time ('2026-12-01 10:00', "
                                                            "'yesterday', '-1h', '2 days ago')",
                                                       optarg);
                        break;
                case ARG_ROUTER:
                        r = list_add(&f->routers, &f->n_routers, max, optarg);
                        break;
                case ARG_SERVICE:
                        r = list_add(&f->services, &f->n_services, max, optarg);
                        break;
                case ARG_PRODUCT:
                        r = list_add(&f->products, &f->n_products, max, optarg);
                        break;
                case ARG_CLIENT:
                        r = list_add(&f->clients, &f->n_clients, max, optarg);
                        break;
                case ARG_BLOCKED:
                        f->blocked = true;
                        break;
                case ARG_BY:
                        r = report_by_from_name(optarg);
                        if (r < 0)
                                return ctl_usage_error(ctl, "--by %s: one of router, service, product, "
                                                            "client, hour, day",
                                                       optarg);
                        a->by = (enum report_by) r;
                        r = 0;
                        break;
                case ARG_TOP:
                        if (report_parse_count(optarg, strlen(optarg), &top) < 0 || top == 0 ||
                            top > REPORT_GROUPS_MAX)
                                return ctl_usage_error(ctl, "--top %s: a number from 1 to %u", optarg,
                                                       REPORT_GROUPS_MAX);
                        a->top = (size_t) top;
                        break;
                case ARG_CSV:
                        a->csv = true;
                        break;
                default:
                        r = ctl_common_option(ctl, c, optarg);
                        if (r != CTL_CONTINUE)
                                return r;
                        r = 0;
                }
                if (r < 0)
                        return ctl_error("out of memory");
        }
        if (optind < argc)
                return ctl_usage_error(ctl, "unexpected argument '%s'", argv[optind]);
        if (a->source.directory && a->source.n_files > 0)
                return ctl_usage_error(ctl, "--directory and --file exclude each other");
        if (ctl->json && a->csv)
                return ctl_usage_error(ctl, "--json and --csv exclude each other");
        if (f->period.since_usec > f->period.until_usec)
                return ctl_usage_error(ctl, "--since is after --until");
        return CTL_CONTINUE;
}

int verb_report(struct ctl *ctl, int argc, char **argv) {
        _cleanup_(report_freep) struct report *rep = NULL;
        struct report_args a = {};
        int r;

        r = parse_args(ctl, argc, argv, &a);
        if (r != CTL_CONTINUE)
                goto done;
        r = report_new(a.by, REPORT_GROUPS_MAX, &rep);
        if (r < 0) {
                r = ctl_error("out of memory");
                goto done;
        }
        if (report_read(rep, &a.source, &a.filter) < 0) {
                r = CTL_EXIT_FAILURE;
                goto done;
        }
        r = report_print(rep, &a.filter.period, a.top,
                         ctl->json ? REPORT_FORMAT_JSON : a.csv ? REPORT_FORMAT_CSV
                                                                : REPORT_FORMAT_TABLE,
                         stdout);
        if (r < 0) {
                r = ctl_error("cannot print the report: %s", strerror(-r));
                goto done;
        }
        r = rep->entries > 0 ? CTL_EXIT_OK : CTL_EXIT_NOMATCH;
done:
        report_args_done(&a);
        return r;
}
