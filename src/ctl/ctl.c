/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

_printf_(1, 0) static void vreport(const char *fmt, va_list ap) {
        int saved = errno; /* for %m */

        fputs("appleflowctl: ", stderr);
        errno = saved;
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

static void print_try_help(const struct ctl *ctl) {
        if (ctl->verb)
                fprintf(stderr, "Try 'appleflowctl %s --help'.\n", ctl->verb->name);
        else
                fputs("Try 'appleflowctl --help'.\n", stderr);
}

int ctl_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vreport(fmt, ap);
        va_end(ap);
        return CTL_EXIT_FAILURE;
}

int ctl_usage_error(const struct ctl *ctl, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vreport(fmt, ap);
        va_end(ap);
        print_try_help(ctl);
        return CTL_EXIT_USAGE;
}

void ctl_verb_help(const struct ctl *ctl, FILE *f) {
        const struct verb *v = ctl->verb;

        fprintf(f, "usage: appleflowctl [OPTIONS] %s %s\n\n%s\n", v->name, v->synopsis, v->summary);
        if (v->options)
                fprintf(f, "\nOptions:\n%s", v->options);
        fputs("\nCommon options:\n"
              "  --catalog PATH     use this catalogue instead of the built-in one\n"
              "  --networks PATH    use this list of Apple's networks instead of the built-in one\n"
              "  --domains PATH     use this list of Apple's domains instead of the built-in one\n"
              "  --json             print JSON instead of text\n"
              "  -h, --help         show this help\n",
              f);
}

int ctl_common_option(struct ctl *ctl, int c, const char *arg) {
        switch (c) {
        case 'h':
                ctl_verb_help(ctl, stdout);
                return CTL_EXIT_OK;
        case CTL_ARG_CATALOG:
                ctl->catalog_path = arg;
                return CTL_CONTINUE;
        case CTL_ARG_NETWORKS:
                ctl->networks_path = arg;
                return CTL_CONTINUE;
        case CTL_ARG_JSON:
                ctl->json = true;
                return CTL_CONTINUE;
        case CTL_ARG_DOMAINS:
                ctl->domains_path = arg;
                return CTL_CONTINUE;
        case '?':
                /* getopt_long has printed what was wrong */
                print_try_help(ctl);
                return CTL_EXIT_USAGE;
        default:
                return ctl_error("unhandled option %d", c);
        }
}

/* Loader messages already read "file:line: reason"; print them as they are,
 * so that editors and scripts can jump to the line. */
static int report_load_error(const char *path, int r, const char *err) {
        if (err[0])
                fprintf(stderr, "%s\n", err);
        else
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
        return CTL_EXIT_DATA;
}

int ctl_need_catalog(struct ctl *ctl) {
        char err[CATALOG_ERROR_MAX] = "";
        int r;

        if (ctl->catalog)
                return 0;
        if (ctl->catalog_path)
                r = catalog_load_file(ctl->catalog_path, &ctl->catalog, err, sizeof(err));
        else
                r = catalog_load_default(&ctl->catalog, err, sizeof(err));
        if (r < 0)
                return report_load_error(ctl->catalog_path ?: "built-in catalogue", r, err);
        return 0;
}

int ctl_need_index(struct ctl *ctl) {
        int r;

        if (ctl->index)
                return 0;
        r = ctl_need_catalog(ctl);
        if (r != 0)
                return r;
        r = port_index_build(ctl->catalog, &ctl->index);
        if (r < 0)
                return ctl_error("failed to build the port index: %s", strerror(-r));
        return 0;
}

int ctl_need_networks(struct ctl *ctl) {
        char err[CATALOG_ERROR_MAX] = "";
        int r;

        if (ctl->networks)
                return 0;
        if (ctl->networks_path)
                r = networks_load_file(ctl->networks_path, &ctl->networks, err, sizeof(err));
        else
                r = networks_load_default(&ctl->networks, err, sizeof(err));
        if (r < 0)
                return report_load_error(ctl->networks_path ?: "built-in networks", r, err);
        return 0;
}

int ctl_need_domains(struct ctl *ctl) {
        char err[CATALOG_ERROR_MAX] = "";
        int r;

        if (ctl->domains)
                return 0;
        if (ctl->domains_path)
                r = domains_load_file(ctl->domains_path, &ctl->domains, err, sizeof(err));
        else
                r = domains_load_default(&ctl->domains, err, sizeof(err));
        if (r < 0)
                return report_load_error(ctl->domains_path ?: "built-in domain list", r, err);
        return 0;
}

void ctl_done(struct ctl *ctl) {
        ctl->domains = domains_free(ctl->domains);
        ctl->index = port_index_free(ctl->index);
        ctl->catalog = catalog_free(ctl->catalog);
        ctl->networks = networks_free(ctl->networks);
}

size_t ctl_count_entries(const struct catalog *c) {
        size_t n = 0;

        for (size_t i = 0; i < c->n_entries; i++)
                if (ctl_entry_listed(c, i))
                        n++;
        return n;
}

int ctl_find_product(const struct ctl *ctl, const char *name, size_t *ret) {
        ssize_t p = catalog_find_product(ctl->catalog, name);

        if (p < 0) {
                ctl_error("unknown product '%s' (see 'appleflowctl products')", name);
                return CTL_EXIT_USAGE;
        }
        *ret = (size_t) p;
        return 0;
}
