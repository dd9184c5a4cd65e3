/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl rules: firewall rules that accept exactly the ports Apple
 * lists for some products — what Apple's article exists for. TCP and UDP are
 * kept apart; an entry without a transport goes to both. Ports are collected
 * in a bitmap per transport, so overlapping and adjacent ranges come out
 * merged (nft refuses overlapping interval elements).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sys/socket.h>

#include "output.h"
#include "text-util.h"
#include "verbs.h"

#define RULES_PRODUCTS_MAX 64
#define RULES_NAME_MAX 28  /* iptables' limit; nft allows more */
#define MULTIPORT_SLOTS 15 /* xt_multiport: a range takes two */
/* A run of more ports than this, open to any destination, is worth a warning. */
#define RULES_BROAD_PORTS 1024

enum rules_format {
        FORMAT_NFT,
        FORMAT_IPTABLES,
};

struct port_bitmap {
        uint8_t bits[65536 / 8];
        size_t n_ports;
};

struct rules {
        enum rules_format format;
        const char *family, *table, *chain;
        size_t products[RULES_PRODUCTS_MAX];
        size_t n_products;
        bool apple_only;             /* entries of Apple's own scope only */
        const struct networks *nets; /* destinations restricted to these; NULL: any */
        struct port_bitmap ports[2]; /* [0] tcp, [1] udp */
};

static const char *const transport_names[] = { "tcp", "udp" };

static void bitmap_add(struct port_bitmap *b, unsigned lo, unsigned hi) {
        for (unsigned p = lo; p <= hi; p++)
                if (!(b->bits[p / 8] & (1u << (p % 8)))) {
                        b->bits[p / 8] |= (uint8_t) (1u << (p % 8));
                        b->n_ports++;
                }
}

static bool bitmap_test(const struct port_bitmap *b, unsigned p) {
        return b->bits[p / 8] & (1u << (p % 8));
}

/* The next run of set ports at or after *pos; false at the end. */
static bool bitmap_next_run(const struct port_bitmap *b, unsigned *pos,
                            unsigned *lo, unsigned *hi) {
        unsigned p = *pos;

        while (p <= 65535 && !bitmap_test(b, p))
                p++;
        if (p > 65535)
                return false;
        *lo = p;
        while (p + 1 <= 65535 && bitmap_test(b, p + 1))
                p++;
        *hi = p;
        *pos = p + 1;
        return true;
}

static bool entry_selected(const struct catalog *c, const struct rules *r, size_t i) {
        if (!ctl_entry_listed(c, i))
                return false;
        if (r->apple_only && c->entries[i].scope != CATALOG_SCOPE_APPLE)
                return false;
        for (size_t k = 0; k < r->n_products; k++)
                if (catalog_entry_has_product(&c->entries[i], r->products[k]))
                        return true;
        return false;
}

static void collect(const struct catalog *c, struct rules *r) {
        for (size_t i = 0; i < c->n_entries; i++) {
                const struct catalog_entry *e = &c->entries[i];

                if (!entry_selected(c, r, i))
                        continue;
                for (unsigned k = 0; k < e->n_ports; k++) {
                        if (e->transports & TRANSPORT_TCP)
                                bitmap_add(&r->ports[0], e->ports[k].lo, e->ports[k].hi);
                        if (e->transports & TRANSPORT_UDP)
                                bitmap_add(&r->ports[1], e->ports[k].lo, e->ports[k].hi);
                }
        }
}

static size_t count_runs(const struct port_bitmap *b) {
        unsigned pos = 0, lo, hi;
        size_t n = 0;

        while (bitmap_next_run(b, &pos, &lo, &hi))
                n++;
        return n;
}

/* The ids of the selected entries whose ports of transport t meet lo-hi. */
static void entries_in_run(const struct catalog *c, const struct rules *r, unsigned t, unsigned lo,
                           unsigned hi, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < c->n_entries && n < size; i++) {
                const struct catalog_entry *e = &c->entries[i];
                bool meets = false;

                if (!entry_selected(c, r, i) || !(e->transports & (t == 0 ? TRANSPORT_TCP : TRANSPORT_UDP)))
                        continue;
                for (unsigned k = 0; k < e->n_ports; k++)
                        meets = meets || (e->ports[k].lo <= hi && lo <= e->ports[k].hi);
                if (meets)
                        n += (size_t) snprintf(buf + n, size - n, "%s%s", n > 0 ? ", " : "", e->id);
        }
}

/* Ranges open to any destination that are wider than an operator expects
 * from the flag: in the header, and on stderr. */
static void warn_broad(const struct catalog *c, const struct rules *r) {
        for (unsigned t = 0; t < ELEMENTSOF(transport_names); t++) {
                unsigned pos = 0, lo, hi;

                while (bitmap_next_run(&r->ports[t], &pos, &lo, &hi)) {
                        char ids[256];

                        if (hi - lo + 1 <= RULES_BROAD_PORTS || r->nets)
                                continue;
                        entries_in_run(c, r, t, lo, hi, ids, sizeof(ids));
                        printf("# Warning: %u-%u/%s is %u ports (%s), open to any destination;\n"
                               "# --apple-networks limits them to Apple's networks.\n",
                               lo, hi, transport_names[t], hi - lo + 1, ids);
                        fprintf(stderr, "appleflowctl: warning: the rules accept %u-%u/%s, %u ports (%s), "
                                        "to any destination; --apple-networks limits them to Apple's networks\n",
                                lo, hi, transport_names[t], hi - lo + 1, ids);
                }
        }
}

/* Entries of scope shared are ports that other services use too: whoever
 * loads the rules should know they are in. */
static void print_shared(const struct catalog *c, const struct rules *r) {
        char ids[512];
        size_t n = 0;

        if (r->apple_only) {
                printf("# Only entries of Apple's own scope: ports that other services use too (scope\n"
                       "# shared) are left out.\n");
                return;
        }
        ids[0] = '\0';
        for (size_t i = 0; i < c->n_entries && n < sizeof(ids); i++)
                if (entry_selected(c, r, i) && c->entries[i].scope == CATALOG_SCOPE_SHARED)
                        n += (size_t) snprintf(ids + n, sizeof(ids) - n, "%s%s", n > 0 ? ", " : "",
                                               c->entries[i].id);
        if (n > 0)
                printf("# Included, of scope shared (ports that other services use too): %s;\n"
                       "# --apple-only leaves them out.\n",
                       ids);
}

/* A comment block saying what the rules allow and what they come from, so
 * that they can be audited. */
static void print_header(const struct catalog *c, const struct rules *r, const char *how) {
        printf("# Accepts the ports Apple lists for:");
        for (size_t k = 0; k < r->n_products; k++)
                printf("%s %s", k > 0 ? "," : "", c->products[r->products[k]].name);
        printf("\n# What they allow:");
        for (unsigned t = 0; t < ELEMENTSOF(transport_names); t++) {
                size_t n = r->ports[t].n_ports, runs = count_runs(&r->ports[t]);

                if (n == 0)
                        printf(" no %s%s", t == 0 ? "TCP" : "UDP", t == 0 ? " and" : "");
                else
                        printf(" %s to %zu %s in %zu %s%s", t == 0 ? "TCP" : "UDP", n,
                               plural(n, "port", "ports"), runs, plural(runs, "range", "ranges"),
                               t == 0 ? " and" : "");
        }
        printf(", %s.\n", r->nets ? "to Apple's networks only" : "to any destination");
        if (r->nets)
                printf("# Apple's networks: %zu prefixes from %s.\n", networks_count(r->nets),
                       networks_source(r->nets));
        print_shared(c, r);
        warn_broad(c, r);
        printf("# Generated by appleflowctl %s from the catalogue (%s):\n#\n", PACKAGE_VERSION,
               c->source);
        for (size_t i = 0; i < c->n_entries; i++) {
                const struct catalog_entry *e = &c->entries[i];
                char ports[128], products[512];

                if (!entry_selected(c, r, i))
                        continue;
                format_ports(e, ports, sizeof(ports));
                format_products(c, e, false, products, sizeof(products));
                printf("#   %-24s %-12s %-7s %-6s %s\n", e->id, ports,
                       format_transport(e), catalog_scope_to_string(e->scope),
                       products);
        }
        printf("#\n%s", how);
}

static void print_nft_elements(const struct rules *r, unsigned t, const char *set) {
        unsigned pos = 0, lo, hi, n = 0;

        if (r->ports[t].n_ports == 0)
                return;
        printf("add element %s %s %s {", r->family, r->table, set);
        while (bitmap_next_run(&r->ports[t], &pos, &lo, &hi)) {
                printf("%s%s", n > 0 ? "," : "", n % 8 == 0 ? "\n\t" : " ");
                if (lo == hi)
                        printf("%u", lo);
                else
                        printf("%u-%u", lo, hi);
                n++;
        }
        printf("\n}\n");
}

/* Which address families the table's rules can match: an ip table sees only
 * IPv4, an ip6 table only IPv6, the others both. */
static bool family_has(const struct rules *r, int family) {
        if (streq(r->family, "ip"))
                return family == AF_INET;
        if (streq(r->family, "ip6"))
                return family == AF_INET6;
        return true;
}

static void print_nft_networks(const struct rules *r) {
        static const struct {
                int family;
                const char *set, *type;
        } fam[] = {
                { AF_INET, "apple_net4", "ipv4_addr" },
                { AF_INET6, "apple_net6", "ipv6_addr" },
        };

        for (size_t f = 0; f < ELEMENTSOF(fam); f++) {
                const char *p;

                if (!family_has(r, fam[f].family) || !networks_prefix(r->nets, fam[f].family, 0))
                        continue;
                printf("add set %s %s %s { type %s; flags interval; }\n", r->family, r->table, fam[f].set,
                       fam[f].type);
                printf("flush set %s %s %s\n", r->family, r->table, fam[f].set);
                printf("add element %s %s %s {", r->family, r->table, fam[f].set);
                for (size_t i = 0; (p = networks_prefix(r->nets, fam[f].family, i)); i++)
                        printf("%s\n\t%s", i > 0 ? "," : "", p);
                printf("\n}\n");
        }
}

/* One accept rule per transport, and per family when restricted to Apple's networks. */
static void print_nft_rules(const struct rules *r) {
        for (unsigned t = 0; t < ELEMENTSOF(transport_names); t++) {
                const char *proto = transport_names[t];

                if (!r->nets) {
                        printf("add rule %s %s %s %s dport @apple_%s accept\n", r->family, r->table, r->chain,
                               proto, proto);
                        continue;
                }
                if (family_has(r, AF_INET) && networks_prefix(r->nets, AF_INET, 0))
                        printf("add rule %s %s %s ip daddr @apple_net4 %s dport @apple_%s accept\n",
                               r->family, r->table, r->chain, proto, proto);
                if (family_has(r, AF_INET6) && networks_prefix(r->nets, AF_INET6, 0))
                        printf("add rule %s %s %s ip6 daddr @apple_net6 %s dport @apple_%s accept\n",
                               r->family, r->table, r->chain, proto, proto);
        }
}

static void print_nft(const struct catalog *c, const struct rules *r) {
        char how[1024];

        snprintf(how, sizeof(how),
                 "# Load with 'nft -f FILE'. Loading it again replaces the contents of the sets\n"
                 "# apple_tcp and apple_udp%s and of the chain %s, and touches nothing\n"
                 "# else in the table %s %s. Send the traffic to allow to the chain from a\n"
                 "# base chain in the same table, e.g.: iifname \"lan0\" jump %s\n\n",
                 r->nets ? " (and apple_net4, apple_net6)" : "", r->chain, r->family, r->table, r->chain);
        printf("#!/usr/sbin/nft -f\n");
        print_header(c, r, how);

        /* Declaring what exists already is harmless; flushing then makes the
         * file idempotent. */
        printf("table %s %s {\n"
               "\tset apple_tcp {\n\t\ttype inet_service\n\t\tflags interval\n\t}\n"
               "\tset apple_udp {\n\t\ttype inet_service\n\t\tflags interval\n\t}\n"
               "\tchain %s {\n\t}\n"
               "}\n\n",
               r->family, r->table, r->chain);
        printf("flush set %s %s apple_tcp\n", r->family, r->table);
        printf("flush set %s %s apple_udp\n", r->family, r->table);
        printf("flush chain %s %s %s\n\n", r->family, r->table, r->chain);
        print_nft_elements(r, 0, "apple_tcp");
        print_nft_elements(r, 1, "apple_udp");
        if (r->nets)
                print_nft_networks(r);
        putchar('\n');
        print_nft_rules(r);
}

/* The multiport rules of one destination: dest is "" (any) or " -d PREFIX". */
static void print_iptables_ports(const struct rules *r, const char *cmd, const char *table, const char *dest) {
        static const char *const proto[] = { "tcp", "udp" };

        for (unsigned t = 0; t < ELEMENTSOF(proto); t++) {
                unsigned pos = 0, lo, hi, slots = 0;

                while (bitmap_next_run(&r->ports[t], &pos, &lo, &hi)) {
                        unsigned need = lo == hi ? 1 : 2;

                        if (slots + need > MULTIPORT_SLOTS) {
                                printf(" -j ACCEPT\n");
                                slots = 0;
                        }
                        if (slots == 0)
                                printf("%s%s -A %s%s -p %s -m multiport --dports ", cmd, table,
                                       r->chain, dest, proto[t]);
                        else
                                putchar(',');
                        if (lo == hi)
                                printf("%u", lo);
                        else
                                printf("%u:%u", lo, hi);
                        slots += need;
                }
                if (slots > 0)
                        printf(" -j ACCEPT\n");
        }
}

static void print_iptables_rules(const struct rules *r, const char *cmd, const char *table) {
        int family = streq(cmd, "iptables") ? AF_INET : AF_INET6;
        char dest[80];
        const char *p;

        printf("%s%s -N %s 2>/dev/null || %s%s -F %s\n",
               cmd, table, r->chain, cmd, table, r->chain);
        if (!r->nets) {
                print_iptables_ports(r, cmd, table, "");
                return;
        }
        for (size_t i = 0; (p = networks_prefix(r->nets, family, i)); i++) {
                snprintf(dest, sizeof(dest), " -d %s", p);
                print_iptables_ports(r, cmd, table, dest);
        }
}

static void print_iptables(const struct catalog *c, const struct rules *r) {
        char how[1024], table[64] = "";

        if (strcmp(r->table, "filter") != 0)
                snprintf(table, sizeof(table), " -t %s", r->table);
        snprintf(how, sizeof(how),
                 "# Run with 'sh FILE'. Running it again replaces the rules in the chain %s\n"
                 "# (table %s) of iptables and ip6tables. Send the traffic to allow there from\n"
                 "# your own rules, e.g.: iptables%s -A FORWARD -i lan0 -j %s\n\n",
                 r->chain, r->table, table, r->chain);
        printf("#!/bin/sh\n");
        print_header(c, r, how);
        printf("set -e\n\n");
        print_iptables_rules(r, "iptables", table);
        printf("\n");
        print_iptables_rules(r, "ip6tables", table);
}

/* Letters, digits, '_' (and '-' where allowed), starting with a letter:
 * safe in nft and iptables syntax and in a shell command line. */
static bool name_valid(const char *s, bool dash) {
        size_t n = strlen(s);

        if (n == 0 || n > RULES_NAME_MAX)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];

                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '_' || (dash && ch == '-')))
                        return false;
        }
        return true;
}

/* The generated rules flush their chain on every load: a base chain such as
 * forward would lose the operator's own rules. */
static bool chain_is_base(const char *s) {
        static const char *const base[] = { "input", "forward", "output", "prerouting",
                                            "postrouting", "ingress", "egress" };

        for (size_t i = 0; i < ELEMENTSOF(base); i++)
                if (strcasecmp(s, base[i]) == 0)
                        return true;
        return false;
}

static int parse_table(const struct ctl *ctl, struct rules *r, const char *arg,
                       char *buf, size_t size) {
        static const char *const nft_families[] = { "ip", "ip6", "inet", "bridge", "netdev" };
        static const char *const ipt_tables[] = { "filter", "mangle", "raw", "security" };
        const char *space;

        if (r->format == FORMAT_IPTABLES) {
                for (size_t i = 0; i < ELEMENTSOF(ipt_tables); i++)
                        if (strcasecmp(arg, ipt_tables[i]) == 0) {
                                r->table = ipt_tables[i];
                                return 0;
                        }
                return ctl_usage_error(ctl, "--table '%s': not filter, mangle, raw or security",
                                       arg);
        }

        if (strlen(arg) >= size)
                return ctl_usage_error(ctl, "--table '%s': too long", arg);
        strcpy(buf, arg);
        space = strchr(buf, ' ');
        r->family = "inet";
        r->table = buf;
        if (space) {
                buf[space - buf] = 0;
                r->family = NULL;
                for (size_t i = 0; i < ELEMENTSOF(nft_families); i++)
                        if (strcasecmp(buf, nft_families[i]) == 0)
                                r->family = nft_families[i];
                if (!r->family)
                        return ctl_usage_error(ctl, "--table '%s': family not ip, ip6, inet, "
                                                    "bridge or netdev",
                                               arg);
                r->table = space + 1;
        }
        if (!name_valid(r->table, false))
                return ctl_usage_error(ctl, "--table '%s': bad table name", arg);
        return 0;
}

int verb_rules(struct ctl *ctl, int argc, char **argv) {
        enum {
                ARG_PRODUCT = CTL_ARG_VERB,
                ARG_FORMAT,
                ARG_TABLE,
                ARG_CHAIN,
                ARG_APPLE_ONLY,
                ARG_APPLE_NETWORKS,
        };
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                { "product", required_argument, NULL, ARG_PRODUCT },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "table", required_argument, NULL, ARG_TABLE },
                { "chain", required_argument, NULL, ARG_CHAIN },
                { "apple-only", no_argument, NULL, ARG_APPLE_ONLY },
                { "apple-networks", no_argument, NULL, ARG_APPLE_NETWORKS },
                {}
        };
        static struct rules r; /* 16 KiB of bitmaps; one call per process */
        const char *products[RULES_PRODUCTS_MAX], *table = NULL;
        char table_buf[128];
        size_t n_products = 0;
        bool apple_networks = false;
        int c, k;

        r = (struct rules) { .format = FORMAT_NFT, .chain = "apple_allow" };
        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                switch (c) {
                case ARG_PRODUCT:
                        if (n_products >= RULES_PRODUCTS_MAX)
                                return ctl_usage_error(ctl, "too many --product options");
                        products[n_products++] = optarg;
                        break;
                case ARG_FORMAT:
                        if (strcasecmp(optarg, "nft") == 0)
                                r.format = FORMAT_NFT;
                        else if (strcasecmp(optarg, "iptables") == 0)
                                r.format = FORMAT_IPTABLES;
                        else
                                return ctl_usage_error(ctl, "--format '%s': not nft or iptables",
                                                       optarg);
                        break;
                case ARG_TABLE:
                        table = optarg;
                        break;
                case ARG_CHAIN:
                        r.chain = optarg;
                        break;
                case ARG_APPLE_ONLY:
                        r.apple_only = true;
                        break;
                case ARG_APPLE_NETWORKS:
                        apple_networks = true;
                        break;
                default:
                        k = ctl_common_option(ctl, c, optarg);
                        if (k != CTL_CONTINUE)
                                return k;
                }
        }
        if (optind < argc)
                return ctl_usage_error(ctl, "unexpected argument '%s'", argv[optind]);
        if (ctl->json)
                return ctl_usage_error(ctl, "rules prints no JSON; see 'appleflowctl list --json'");
        if (n_products == 0)
                return ctl_usage_error(ctl, "rules needs at least one --product");
        if (!name_valid(r.chain, r.format == FORMAT_IPTABLES))
                return ctl_usage_error(ctl, "--chain '%s': bad chain name", r.chain);
        if (chain_is_base(r.chain))
                return ctl_usage_error(ctl, "--chain '%s': the rules flush their chain when they "
                                            "load; give a chain of their own and jump to it from '%s'",
                                       r.chain, r.chain);
        if (table) {
                k = parse_table(ctl, &r, table, table_buf, sizeof(table_buf));
                if (k != 0)
                        return k;
        } else {
                r.family = "inet";
                r.table = r.format == FORMAT_NFT ? "appleflow" : "filter";
        }

        k = ctl_need_catalog(ctl);
        if (k != 0)
                return k;
        for (size_t i = 0; i < n_products; i++) {
                size_t p;

                bool seen = false;

                k = ctl_find_product(ctl, products[i], &p);
                if (k != 0)
                        return k;
                for (size_t j = 0; j < r.n_products; j++)
                        seen = seen || r.products[j] == p;
                if (!seen)
                        r.products[r.n_products++] = p;
        }
        if (apple_networks) {
                k = ctl_need_networks(ctl);
                if (k != 0)
                        return k;
                r.nets = ctl->networks;
        }
        collect(ctl->catalog, &r);
        if (r.ports[0].n_ports + r.ports[1].n_ports == 0) {
                ctl_error("no ports listed for these products%s", r.apple_only ? " in Apple's own scope" : "");
                return CTL_EXIT_NOMATCH;
        }

        if (r.format == FORMAT_NFT)
                print_nft(ctl->catalog, &r);
        else
                print_iptables(ctl->catalog, &r);
        return CTL_EXIT_OK;
}
