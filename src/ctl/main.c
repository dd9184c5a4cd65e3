/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl: ask the catalogue of Apple's ports (lookup, list, products),
 * turn it into firewall rules (rules), validate data files (check). Parses
 * the global options and hands the rest to the verb.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "verbs.h"

/* One line per verb. */
static const struct verb verbs[] = {
        { "lookup", verb_lookup,
          "PORT[/tcp|udp] | ADDRESS:PORT[/tcp|udp] | SOURCE DESTINATION[/tcp|udp] | NAME",
          "Show every catalogue entry for a port, and for an address whether it is Apple's;\n"
          "given a connection, its tag and why; given a host name, its Apple service.",
          "  --dnat ADDRESS:PORT       the destination was forwarded there (a port forward)\n"
          "  --local-port-range F-L    the router's net.ipv4.ip_local_port_range\n"
          "                            (default 32768-60999)\n" },
        { "list", verb_list, "[--product NAME]... [--service ID]... | --suffixes",
          "List the catalogue, or the entries of some products or services, or Apple's domains.",
          "  --product NAME     entries of this product (name or former name; repeatable)\n"
          "  --service ID       the entry with this id (repeatable)\n"
          "  --suffixes         Apple's domain suffixes and their services instead\n" },
        { "products", verb_products, "",
          "List the products, by name, with their former names and number of entries.",
          NULL },
        { "rules", verb_rules,
          "--product NAME... [--apple-only] [--apple-networks] [--format nft|iptables] [--table NAME] "
          "[--chain NAME]",
          "Print firewall rules that accept exactly the ports Apple lists for these products.",
          "  --product NAME     a product whose ports to accept (repeatable, at least one)\n"
          "  --apple-only       only entries of Apple's own scope, not ports that other\n"
          "                     services use too (53, 80, 443: scope shared)\n"
          "  --apple-networks   accept only to Apple's networks (--networks), not to any\n"
          "                     destination\n"
          "  --format FORMAT    nft (default): a file for 'nft -f';\n"
          "                     iptables: iptables and ip6tables commands\n"
          "  --table NAME       nft: 'FAMILY NAME' (default 'inet appleflow');\n"
          "                     iptables: the table (default filter)\n"
          "  --chain NAME       the chain the rules go to (default apple_allow); it is\n"
          "                     flushed when the rules load, so give it a chain of its own\n" },
        { "check", verb_check, "[FILE] [--networks FILE] [--domains FILE]",
          "Validate a catalogue FILE (or --catalog FILE), a list of networks (--networks FILE) "
          "and a list of Apple's domains (--domains FILE) as the daemon would.",
          NULL },
        { "stats", verb_stats, "[--watch] [--product NAME] [--service ID] [--all] [--socket PATH]",
          "Show the running daemon's per-service counts and rates, busiest first.",
          "  --watch            refresh every second: on a terminal the screen is redrawn,\n"
          "                     elsewhere plain frames follow each other; with --json one\n"
          "                     line of JSON a second, with its time\n"
          "  --product NAME     only the entries of this product\n"
          "  --service ID       only this entry\n"
          "  --all              also the entries with nothing counted\n"
          "  --socket PATH      the daemon's control socket (default /run/appleflowd/control)\n" },
        { "report", verb_report,
          "[--since TIME] [--until TIME] [--by GROUP] [--top N] [--directory DIR | --file FILE...] [FILTERS] [--csv]",
          "Add up the journal's connections, bytes and blocked packets over a period, busiest first.",
          "  --since TIME       from TIME: '2026-12-01 10:00', 'today', 'yesterday', '-1h',\n"
          "                     '2 days ago', '@SECONDS' (journalctl's syntax; local time)\n"
          "  --until TIME       up to TIME, the same forms\n"
          "  --by GROUP         router, service (default), product, client, hour or day\n"
          "  --top N            only the N busiest groups\n"
          "  --directory DIR    the journal files in DIR (a collector's /var/log/journal/remote)\n"
          "  --file FILE        this journal file (repeatable)\n"
          "  --router NAME      only entries of this host (_HOSTNAME; repeatable)\n"
          "  --service ID       only this catalogue entry (repeatable)\n"
          "  --product NAME     only this product (repeatable)\n"
          "  --client ADDRESS   only connections from this address (SOURCE_IP; repeatable)\n"
          "  --blocked          only blocked packets (packet-logged entries)\n"
          "  --csv              print CSV instead of a table\n" },
};

static void help(FILE *f) {
        fputs("usage: appleflowctl [OPTIONS] VERB [ARGS]\n\n"
              "Query the catalogue of the TCP and UDP ports Apple's products use.\n\n"
              "Verbs:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-9s %s\n            %s\n", verbs[i].name, verbs[i].synopsis,
                        verbs[i].summary);
        fputs("\nOptions:\n"
              "  --catalog PATH     use this catalogue instead of the built-in one\n"
              "  --networks PATH    use this list of Apple's networks instead of the built-in one\n"
              "  --domains PATH     use this list of Apple's domains instead of the built-in one\n"
              "  --json             print JSON instead of text\n"
              "  -h, --help         show this help ('appleflowctl VERB --help' for a verb)\n"
              "  --version          show the version\n\n"
              "Exit status: 0 found, valid or done; 1 failure; 2 bad usage; 3 nothing matches;\n"
              "4 not permitted; 6 invalid data (catalogue, networks); 7 the daemon is not running.\n",
              f);
}

static const struct verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, name) == 0)
                        return &verbs[i];
        return NULL;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                { "version", no_argument, NULL, CTL_ARG_VERSION },
                {}
        };
        struct ctl ctl = {};
        char name[64];
        int c, r;

        /* '+': stop at the verb; it parses its own options (and these again). */
        while ((c = getopt_long(argc, argv, "+" CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help(stdout);
                        return CTL_EXIT_OK;
                case CTL_ARG_VERSION:
                        printf("appleflowctl %s\n", PACKAGE_VERSION);
                        return CTL_EXIT_OK;
                default:
                        r = ctl_common_option(&ctl, c, optarg);
                        if (r != CTL_CONTINUE)
                                return r;
                }
        }

        if (optind >= argc)
                return ctl_usage_error(&ctl, "no verb given");
        if (strcmp(argv[optind], "help") == 0) {
                help(stdout);
                return CTL_EXIT_OK;
        }
        ctl.verb = find_verb(argv[optind]);
        if (!ctl.verb)
                return ctl_usage_error(&ctl, "unknown verb '%s'", argv[optind]);

        argc -= optind;
        argv += optind;
        /* getopt_long names argv[0] in its messages */
        snprintf(name, sizeof(name), "appleflowctl %s", ctl.verb->name);
        argv[0] = name;
        optind = 0; /* getopt_long starts afresh on the verb's arguments */
        r = ctl.verb->run(&ctl, argc, argv);
        ctl_done(&ctl);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                ctl_error("failed to write the output");
                return CTL_EXIT_FAILURE;
        }
        return r < 0 ? CTL_EXIT_FAILURE : r;
}
