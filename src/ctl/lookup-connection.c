/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl lookup SOURCE DESTINATION[/PROTO]: the tag the daemon gives a
 * connection, through the same tagger, and why, in words: which end is the
 * server, which port was looked up, what matched and how sure that is.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lookup.h"
#include "output.h"

struct connection {
        struct query src, dst, dnat;
        bool has_dnat;
};

static const char *transport_name(unsigned transport) {
        return transport == TRANSPORT_TCP ? "tcp" : "udp";
}

/* "[2001:db8::1]:443" or "192.0.2.1:443". */
static const char *endpoint(const struct query *q, uint16_t port, char *buf, size_t size) {
        snprintf(buf, size, q->family == AF_INET6 ? "[%s]:%u" : "%s:%u", q->addr_text, port);
        return buf;
}

static int parse_endpoint(const struct ctl *ctl, const char *text, bool transport_allowed,
                          struct query *ret) {
        int r = lookup_parse_query(ctl, text, ret);

        if (r != 0)
                return r;
        if (!ret->has_addr || !ret->has_port)
                return ctl_usage_error(ctl, "'%s': a connection's ends are ADDRESS:PORT "
                                            "([ADDRESS]:PORT for IPv6)",
                                       text);
        if (!transport_allowed && ret->transports != (TRANSPORT_TCP | TRANSPORT_UDP))
                return ctl_usage_error(ctl, "'%s': give the transport after the destination", text);
        return 0;
}

static const char *apple_prefix(const struct ctl *ctl, const struct query *q) {
        const char *prefix = NULL;

        if (networks_match(ctl->networks, q->family, &q->addr, &prefix) < 0)
                return NULL;
        return prefix ?: "?";
}

/* Why the tag's confidence is what it is. */
static const char *because(const struct catalog *c, const struct tag *tag) {
        const struct catalog_entry *e = &c->entries[tag->entry];

        if (tag->confidence == CONFIDENCE_NONE)
                return "no entry lists the server's port and neither address is Apple's: unmatched";
        if (tag->apple_network && tag->side == TAG_SIDE_NONE)
                return "an address is in Apple's networks and no specific entry lists the server's "
                       "port: apple-other";
        if (tag->apple_network)
                return "an address is in Apple's networks";
        if (tagger_entry_broad(e))
                return "the port lies in a broad range, which tags the server side only, at low "
                       "confidence";
        if (e->scope != CATALOG_SCOPE_APPLE)
                return "the port is one the whole internet uses (scope shared)";
        return "the port belongs to a service of Apple's own (scope apple)";
}

static void print_server(const struct connection *cn, const struct tag *tag, uint16_t sport,
                         uint16_t dport) {
        char a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8];

        if (cn->has_dnat)
                printf("  server       %s: the destination %s was forwarded there (DNAT), "
                       "so its port is the service's\n",
                       endpoint(&cn->dnat, cn->dnat.port, a, sizeof(a)),
                       endpoint(&cn->dst, dport, b, sizeof(b)));
        else if (tag->side == TAG_SIDE_CLIENT)
                printf("  server       %s, the source: the destination port %u is ephemeral and "
                       "%u is a listed service port, so the source is a service answering\n",
                       endpoint(&cn->src, sport, a, sizeof(a)), dport, sport);
        else
                printf("  server       %s, the destination: the end the connection was opened to\n",
                       endpoint(&cn->dst, dport, a, sizeof(a)));
}

static void print_client_port(const struct tagger *t, const struct tag *tag, uint16_t sport,
                              uint16_t dport) {
        uint16_t client = tag->side == TAG_SIDE_CLIENT ? dport : sport;

        if (tagger_port_ephemeral(t, client))
                printf("  client port  %u is ephemeral (a port clients pick): it never makes a tag\n",
                       client);
        else
                printf("  client port  %u: not looked up, the server's port decides\n", client);
}

static void print_matches(const struct ctl *ctl, const struct tag *tag) {
        char ports[128];

        if (tag->matches.n == 0)
                return;
        printf("  matches     ");
        for (unsigned i = 0; i < tag->matches.n; i++) {
                const struct catalog_entry *e = &ctl->catalog->entries[tag->matches.entries[i]];

                printf(" %s (%s, %s%s)", e->id, format_ports(e, ports, sizeof(ports)),
                       catalog_scope_to_string(e->scope), tagger_entry_broad(e) ? ", broad" : "");
        }
        putchar('\n');
}

static void print_text(const struct ctl *ctl, const struct tagger *t, const struct connection *cn,
                       unsigned transport, const struct tag *tag) {
        const char *sp = apple_prefix(ctl, &cn->src), *dp = apple_prefix(ctl, &cn->dst);
        char a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8];
        uint16_t server_port = cn->has_dnat ? cn->dnat.port : tag->side == TAG_SIDE_CLIENT ? cn->src.port
                                                                                           : cn->dst.port;

        printf("%s -> %s/%s\n", endpoint(&cn->src, cn->src.port, a, sizeof(a)),
               endpoint(&cn->dst, cn->dst.port, b, sizeof(b)), transport_name(transport));
        print_server(cn, tag, cn->src.port, cn->dst.port);
        print_client_port(t, tag, cn->src.port, cn->dst.port);
        if (tag->matches.n == 0)
                printf("  server port  %u/%s: %s\n", server_port, transport_name(transport),
                       port_index_lookup(t->index, transport, server_port).n > 0
                               ? "only broad ranges list it, and an Apple address says more"
                               : "no catalogue entry lists it");
        print_matches(ctl, tag);
        if (sp)
                printf("  source       %s is in Apple's networks (%s)\n", cn->src.addr_text, sp);
        if (dp)
                printf("  destination  %s is in Apple's networks (%s)\n", cn->dst.addr_text, dp);
        if (tag->confidence == CONFIDENCE_NONE)
                printf("  tag          none\n");
        else if (tag->side == TAG_SIDE_NONE)
                printf("  tag          %s, confidence %s, no port matched (side none)\n",
                       ctl->catalog->entries[tag->entry].id, confidence_to_string(tag->confidence));
        else
                printf("  tag          %s, confidence %s, matched port %u, side %s\n",
                       ctl->catalog->entries[tag->entry].id, confidence_to_string(tag->confidence),
                       tag->port, tag_side_to_string(tag->side));
        printf("  because      %s\n", because(ctl->catalog, tag));
}

static struct json_object *result_json(const struct ctl *ctl, unsigned transport, const struct tag *tag) {
        _cleanup_(json_object_putp) struct json_object *r = json_object_new_object();
        struct json_object *entries = json_object_new_array();
        bool none = tag->confidence == CONFIDENCE_NONE;

        if (!r || json_add(r, "entries", entries) < 0 ||
            json_add_string(r, "transport", transport_name(transport)) < 0 ||
            json_add_string(r, "service", none ? NULL : ctl->catalog->entries[tag->entry].id) < 0 ||
            json_add_string(r, "confidence", confidence_to_string(tag->confidence)) < 0 ||
            json_add_string(r, "side", tag_side_to_string(tag->side)) < 0 ||
            json_add_bool(r, "apple_network", tag->apple_network) < 0 ||
            json_add_string(r, "reason", because(ctl->catalog, tag)) < 0)
                return NULL;
        /* null: no port matched */
        if (tag->side == TAG_SIDE_NONE ? json_object_object_add(r, "port", NULL) < 0
                                       : json_add_int(r, "port", tag->port) < 0)
                return NULL;
        for (unsigned i = 0; i < tag->matches.n; i++)
                if (json_append(entries, entry_to_json(ctl->catalog, tag->matches.entries[i])) < 0)
                        return NULL;
        entries = r;
        r = NULL;
        return entries;
}

static int print_json(const struct ctl *ctl, const struct connection *cn, const struct tag *tags,
                      const unsigned *which, size_t n) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *results = json_object_new_array();
        char a[INET6_ADDRSTRLEN + 8];

        if (!o || json_add(o, "results", results) < 0 ||
            json_add_string(o, "source", endpoint(&cn->src, cn->src.port, a, sizeof(a))) < 0 ||
            json_add_string(o, "destination", endpoint(&cn->dst, cn->dst.port, a, sizeof(a))) < 0 ||
            json_add_string(o, "dnat", cn->has_dnat ? endpoint(&cn->dnat, cn->dnat.port, a, sizeof(a)) : NULL) < 0)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++)
                if (json_append(results, result_json(ctl, which[k], &tags[k])) < 0)
                        return -ENOMEM;
        return json_print(o, stdout);
}

int lookup_connection(struct ctl *ctl, const struct lookup_args *args, const char *source,
                      const char *destination) {
        struct connection cn = {};
        unsigned which[2];
        struct tag tags[2];
        struct tagger t;
        bool found = false;
        size_t n = 0;
        int r;

        if ((r = parse_endpoint(ctl, source, false, &cn.src)) != 0 ||
            (r = parse_endpoint(ctl, destination, true, &cn.dst)) != 0)
                return r;
        if (args->dnat) {
                if ((r = parse_endpoint(ctl, args->dnat, false, &cn.dnat)) != 0)
                        return r;
                cn.has_dnat = true;
        }
        if (cn.src.family != cn.dst.family || (cn.has_dnat && cn.dnat.family != cn.src.family))
                return ctl_usage_error(ctl, "the ends of a connection are of one address family");
        if ((r = ctl_need_index(ctl)) != 0 || (r = ctl_need_networks(ctl)) != 0)
                return r;

        t = lookup_tagger(ctl, args);
        for (unsigned transport = TRANSPORT_TCP; transport <= TRANSPORT_UDP; transport <<= 1) {
                if (!(cn.dst.transports & transport))
                        continue;
                tagger_tag(&t, &(struct tag_input) {
                                       .family = cn.src.family,
                                       .transport = transport,
                                       .src_addr = &cn.src.addr,
                                       .dst_addr = &cn.dst.addr,
                                       .src_port = cn.src.port,
                                       .dst_port = cn.dst.port,
                                       .dnat_addr = cn.has_dnat ? &cn.dnat.addr : NULL,
                                       .dnat_port = cn.dnat.port,
                               },
                           &tags[n]);
                found = found || tags[n].confidence != CONFIDENCE_NONE;
                which[n++] = transport;
        }

        if (ctl->json) {
                r = print_json(ctl, &cn, tags, which, n);
                if (r < 0)
                        return ctl_error("failed to print JSON: %s", strerror(-r));
        } else
                for (size_t k = 0; k < n; k++)
                        print_text(ctl, &t, &cn, which[k], &tags[k]);
        return found ? CTL_EXIT_OK : CTL_EXIT_NOMATCH;
}
