/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl lookup QUERY: the catalogue entries for a port, with the
 * tagger's confidence; for an address also whether it is in Apple's networks.
 * QUERY is PORT, PORT/PROTO, ADDRESS, ADDRESS:PORT[/PROTO] or [IPV6]:PORT[/PROTO].
 * With two endpoints, a whole connection (lookup-connection.c).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lookup.h"
#include "output.h"
#include "tagger.h"
#include "verbs.h"

enum {
        ARG_DNAT = CTL_ARG_VERB,
        ARG_LOCAL_PORT_RANGE,
};

static const unsigned transports[] = { TRANSPORT_TCP, TRANSPORT_UDP };

/* Decimal 0-65535, digits only. */
static int parse_port(const char *s, size_t len, uint16_t *ret) {
        unsigned v = 0;

        if (len == 0 || len > 5)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int lookup_parse_port_range(const char *s, struct ephemeral_range *ret) {
        const char *dash = strchr(s, '-');
        uint16_t first, last;

        if (!dash || parse_port(s, (size_t) (dash - s), &first) < 0 ||
            parse_port(dash + 1, strlen(dash + 1), &last) < 0 || first == 0 || first > last)
                return -EINVAL;
        *ret = (struct ephemeral_range) { .first = first, .last = last, .from_kernel = false };
        return 0;
}

struct tagger lookup_tagger(const struct ctl *ctl, const struct lookup_args *args) {
        return (struct tagger) {
                .catalog = ctl->catalog,
                .index = ctl->index,
                .networks = ctl->networks,
                .local_ports = args ? args->local_ports : EPHEMERAL_RANGE_DEFAULT,
        };
}

static int parse_addr(struct query *q, const char *s, size_t len, int family) {
        char buf[INET6_ADDRSTRLEN];

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        if (inet_pton(family, buf, &q->addr) != 1)
                return -EINVAL;
        q->family = family;
        q->has_addr = true;
        inet_ntop(family, &q->addr, q->addr_text, sizeof(q->addr_text));
        return 0;
}

int lookup_parse_query(const struct ctl *ctl, const char *text, struct query *q) {
        const char *slash = strrchr(text, '/');
        size_t len = slash ? (size_t) (slash - text) : strlen(text);
        const char *colon;

        *q = (struct query) { .text = text, .transports = TRANSPORT_TCP | TRANSPORT_UDP };

        if (slash) {
                if (strcasecmp(slash + 1, "tcp") == 0)
                        q->transports = TRANSPORT_TCP;
                else if (strcasecmp(slash + 1, "udp") == 0)
                        q->transports = TRANSPORT_UDP;
                else if (slash[1] >= '0' && slash[1] <= '9')
                        /* 17.1.2.3/24: a prefix, which lookup does not take. */
                        return ctl_usage_error(ctl, "'%s': lookup takes one address, not a prefix; "
                                                    "write ADDRESS, ADDRESS:PORT or ADDRESS:PORT/tcp",
                                               text);
                else
                        return ctl_usage_error(ctl, "'%s': unknown transport '%s' (tcp or udp)",
                                               text, slash + 1);
        }

        if (text[0] == '[') {
                const char *close = memchr(text, ']', len);

                if (!close || parse_addr(q, text + 1, (size_t) (close - text - 1), AF_INET6) < 0)
                        return ctl_usage_error(ctl, "'%s': bad IPv6 address", text);
                if ((size_t) (close + 1 - text) == len)
                        ; /* [ADDRESS] alone */
                else if (close[1] != ':' ||
                         parse_port(close + 2, len - (size_t) (close + 2 - text), &q->port) < 0)
                        return ctl_usage_error(ctl, "'%s': bad port after the address", text);
                else
                        q->has_port = true;
        } else if ((colon = memchr(text, ':', len)) &&
                   !memchr(colon + 1, ':', len - (size_t) (colon + 1 - text))) {
                /* exactly one colon: IPV4:PORT */
                if (parse_addr(q, text, (size_t) (colon - text), AF_INET) < 0)
                        return ctl_usage_error(ctl, "'%s': bad IPv4 address", text);
                if (parse_port(colon + 1, len - (size_t) (colon + 1 - text), &q->port) < 0)
                        return ctl_usage_error(ctl, "'%s': bad port (0-65535)", text);
                q->has_port = true;
        } else if (colon) {
                if (parse_addr(q, text, len, AF_INET6) < 0)
                        return ctl_usage_error(ctl, "'%s': bad IPv6 address "
                                                    "(with a port, write [ADDRESS]:PORT)",
                                               text);
        } else if (parse_port(text, len, &q->port) == 0) {
                q->has_port = true;
        } else if (parse_addr(q, text, len, AF_INET) < 0) {
                return ctl_usage_error(ctl, "'%s': not a port (0-65535) or an address", text);
        }

        if (slash && !q->has_port)
                return ctl_usage_error(ctl, "'%s': a transport needs a port", text);
        return 0;
}

/* The tagger sees the address as the server (destination) of a connection
 * from a client at the unspecified address on port 0, which no entry lists
 * and no kernel picks: so the answer is the one for the server's port. */
static void tag_query(const struct ctl *ctl, const struct query *q, unsigned transport,
                      struct tag *ret) {
        static const uint8_t any[16] = {};
        struct tagger t = lookup_tagger(ctl, NULL);
        struct tag_input in = {
                .family = q->has_addr ? q->family : AF_INET,
                .transport = transport,
                .src_addr = any,
                .dst_addr = q->has_addr ? (const void *) &q->addr : any,
                .src_port = 0,
                .dst_port = q->port,
        };

        tagger_tag(&t, &in, ret);
}

/* The entries a tag stands for: its match set, or apple-other alone. */
static size_t tag_entries(const struct catalog *c, const struct tag *tag, size_t i) {
        return tag->matches.n > 0 ? tag->matches.entries[i] : c->apple_other;
}

static size_t tag_n_entries(const struct tag *tag) {
        if (tag->confidence == CONFIDENCE_NONE)
                return 0;
        return tag->matches.n > 0 ? tag->matches.n : 1;
}

static void print_entry(const struct catalog *c, size_t i) {
        const struct catalog_entry *e = &c->entries[i];
        char ports[512], products[1024];

        format_ports(e, ports, sizeof(ports));
        format_products(c, e, true, products, sizeof(products));
        if (e->transport_unspecified)
                printf("  %s  %s (transport unspecified: tcp and udp)\n", e->id, ports);
        else
                printf("  %s  %s\n", e->id, format_ports_transport(e, ports, sizeof(ports)));
        printf("      products    %s\n", products);
        printf("      protocol    %s\n", e->protocol[0] ? e->protocol : "-");
        printf("      iana        %s\n", e->iana[0] ? e->iana : "-");
        printf("      rfc         %s\n", e->rfc[0] ? e->rfc : "-");
        printf("      scope       %s (confidence %s)\n", catalog_scope_to_string(e->scope),
               confidence_to_string(tagger_entry_confidence(e)));
        printf("      versions    %s\n", e->versions[0] ? e->versions : "-");
        if (e->note[0] && strcmp(e->note, "-") != 0)
                printf("      note        %s\n", e->note);
}

static void print_text(const struct ctl *ctl, const struct query *q, const struct tag *tags,
                       int prefix_len, const char *prefix) {
        if (q->has_addr) {
                if (prefix_len >= 0)
                        printf("%s: in Apple's networks (%s)\n", q->addr_text, prefix ?: "?");
                else
                        printf("%s: not in Apple's networks\n", q->addr_text);
        }
        if (!q->has_port)
                return;

        for (size_t k = 0; k < ELEMENTSOF(transports); k++) {
                const struct tag *tag = &tags[k];
                size_t n = tag_n_entries(tag);

                if (!(q->transports & transports[k]))
                        continue;
                if (q->has_addr)
                        printf("%s%s%s:", q->family == AF_INET6 ? "[" : "", q->addr_text,
                               q->family == AF_INET6 ? "]" : "");
                printf("%u/%s: ", q->port, transports[k] == TRANSPORT_TCP ? "tcp" : "udp");
                if (n == 0) {
                        printf("no entry\n");
                        continue;
                }
                printf("%zu %s, confidence %s\n", n, n == 1 ? "entry" : "entries",
                       confidence_to_string(tag->confidence));
                for (size_t i = 0; i < n; i++)
                        print_entry(ctl->catalog, tag_entries(ctl->catalog, tag, i));
        }
}

static int print_json(const struct ctl *ctl, const struct query *q, const struct tag *tags,
                      int prefix_len, const char *prefix) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) struct json_object *results = json_object_new_array();
        enum confidence best = CONFIDENCE_NONE;

        if (!o || !results || json_add_string(o, "query", q->text) < 0)
                return -ENOMEM;
        if (q->has_port && json_add_int(o, "port", q->port) < 0)
                return -ENOMEM;
        if (q->has_addr &&
            (json_add_string(o, "address", q->addr_text) < 0 ||
             json_add_bool(o, "apple_network", prefix_len >= 0) < 0 ||
             json_add_string(o, "network_prefix", prefix_len >= 0 ? prefix : NULL) < 0))
                return -ENOMEM;
        if (q->has_addr && prefix_len >= 0)
                best = CONFIDENCE_HIGH;

        for (size_t k = 0; q->has_port && k < ELEMENTSOF(transports); k++) {
                const struct tag *tag = &tags[k];
                struct json_object *r, *entries;

                if (!(q->transports & transports[k]))
                        continue;
                r = json_object_new_object();
                entries = json_object_new_array();
                if (json_append(results, r) < 0 ||
                    json_add_string(r, "transport",
                                    transports[k] == TRANSPORT_TCP ? "tcp" : "udp") < 0 ||
                    json_add_string(r, "confidence", confidence_to_string(tag->confidence)) < 0 ||
                    json_add(r, "entries", entries) < 0)
                        return -ENOMEM;
                for (size_t i = 0; i < tag_n_entries(tag); i++) {
                        size_t e = tag_entries(ctl->catalog, tag, i);

                        if (json_append(entries, entry_to_json(ctl->catalog, e)) < 0)
                                return -ENOMEM;
                }
                best = MAX(best, tag->confidence);
        }
        if (json_add_string(o, "confidence", confidence_to_string(best)) < 0 ||
            json_add(o, "results", json_object_get(results)) < 0)
                return -ENOMEM;
        return json_print(o, stdout);
}

int verb_lookup(struct ctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                { "dnat", required_argument, NULL, ARG_DNAT },
                { "local-port-range", required_argument, NULL, ARG_LOCAL_PORT_RANGE },
                {}
        };
        struct lookup_args args = { .local_ports = EPHEMERAL_RANGE_DEFAULT };
        struct tag tags[ELEMENTSOF(transports)] = {};
        const char *prefix = NULL;
        int prefix_len = -1, c, r;
        bool found = false;
        struct query q;

        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                switch (c) {
                case ARG_DNAT:
                        args.dnat = optarg;
                        break;
                case ARG_LOCAL_PORT_RANGE:
                        if (lookup_parse_port_range(optarg, &args.local_ports) < 0)
                                return ctl_usage_error(ctl, "'%s': not a port range FIRST-LAST", optarg);
                        break;
                default:
                        r = ctl_common_option(ctl, c, optarg);
                        if (r != CTL_CONTINUE)
                                return r;
                }
        }
        if (args.dnat && argc - optind != 2)
                return ctl_usage_error(ctl, "--dnat needs a connection: SOURCE DESTINATION");
        if (argc - optind == 2)
                return lookup_connection(ctl, &args, argv[optind], argv[optind + 1]);
        if (argc - optind != 1)
                return ctl_usage_error(ctl, "lookup needs exactly one PORT[/PROTO], "
                                            "ADDRESS:PORT[/PROTO] or NAME, or a connection: SOURCE DESTINATION");
        if (domains_query_is_name(argv[optind]))
                return domains_lookup(ctl, argv[optind]);
        r = lookup_parse_query(ctl, argv[optind], &q);
        if (r != 0)
                return r;

        if (q.has_addr) {
                r = ctl_need_networks(ctl);
                if (r != 0)
                        return r;
                prefix_len = networks_match(ctl->networks, q.family, &q.addr, &prefix);
                found = prefix_len >= 0;
        }
        if (q.has_port) {
                r = ctl_need_index(ctl);
                if (r != 0)
                        return r;
                found = false;
                for (size_t k = 0; k < ELEMENTSOF(transports); k++) {
                        if (!(q.transports & transports[k]))
                                continue;
                        tag_query(ctl, &q, transports[k], &tags[k]);
                        if (tags[k].confidence != CONFIDENCE_NONE)
                                found = true;
                }
        }

        if (ctl->json) {
                r = print_json(ctl, &q, tags, prefix_len, prefix);
                if (r < 0)
                        return ctl_error("failed to print JSON: %s", strerror(-r));
        } else
                print_text(ctl, &q, tags, prefix_len, prefix);

        return found ? CTL_EXIT_OK : CTL_EXIT_NOMATCH;
}
