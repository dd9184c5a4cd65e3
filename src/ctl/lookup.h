/* SPDX-License-Identifier: MIT */
#pragma once

/* appleflowctl lookup: one endpoint or port (lookup.c), or a whole
 * connection explained (lookup-connection.c). */

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"
#include "tagger.h"

struct query {
        const char *text;
        bool has_addr, has_port;
        int family;
        union {
                struct in_addr in;
                struct in6_addr in6;
                uint8_t bytes[16];
        } addr;
        char addr_text[INET6_ADDRSTRLEN];
        uint16_t port;
        unsigned transports; /* TRANSPORT_* to look up */
};

/* What the daemon knows besides the catalogue: given on the command line. */
struct lookup_args {
        const char *dnat; /* ADDRESS:PORT the destination was forwarded to, or NULL */
        struct ephemeral_range local_ports;
};

/* PORT, PORT/PROTO, ADDRESS, ADDRESS:PORT[/PROTO], [IPV6]:PORT[/PROTO]. 0 or
 * the exit code of a usage error (printed). */
int lookup_parse_query(const struct ctl *ctl, const char *text, struct query *q);
/* "FIRST-LAST", as net.ipv4.ip_local_port_range gives it. 0 or -EINVAL. */
int lookup_parse_port_range(const char *s, struct ephemeral_range *ret);
/* The tagger the daemon would use, with the client port range of args (NULL: Linux's default). */
struct tagger lookup_tagger(const struct ctl *ctl, const struct lookup_args *args);

/* SOURCE DESTINATION[/PROTO]: the connection's tag, explained. */
int lookup_connection(struct ctl *ctl, const struct lookup_args *args, const char *source,
                      const char *destination);
