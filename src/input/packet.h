/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Parser for the network and transport headers of a raw packet as NFLOG
 * delivers it: the buffer starts at the IPv4 or IPv6 header and may be a
 * truncated copy (the NFLOG copy range). Every byte is treated as hostile;
 * nothing is read outside buf[0..len), nothing is allocated.
 */

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* At most this many IPv6 extension headers are walked before the packet is
 * called malformed. */
#define PACKET_MAX_EXT_HEADERS 8

enum packet_result {
        /* A TCP or UDP packet: family, l4proto, src, dst, src_port and
         * dst_port are set. */
        PACKET_OK = 0,
        /* The headers contradict themselves or the buffer: wrong version,
         * IPv4 IHL < 5, total/payload length shorter than the headers it
         * must hold, a transport header beyond the packet's own length, a
         * TCP data offset < 5, a UDP length < 8, an IPv6 hop-by-hop header
         * that is not the first, more than PACKET_MAX_EXT_HEADERS extension
         * headers, or a buffer shorter than the fixed IP header. Nothing in
         * *f is valid. */
        PACKET_MALFORMED = -1,
        /* A well-formed IP packet of another transport (ICMP, ICMPv6, ESP,
         * GRE, SCTP, "no next header", …): family, l4proto (the protocol
         * number), src and dst are set, ports are 0. */
        PACKET_NOT_TCP_UDP = -2,
        /* A fragment other than the first: it carries no transport header.
         * family, src and dst are set, l4proto is the protocol number the IP
         * or fragment header names, ports are 0. First fragments (offset 0)
         * carry the ports and are parsed like whole packets. */
        PACKET_FRAGMENT = -3,
        /* The packet's lengths are consistent but the buffer (a truncated
         * capture) ends before the transport ports: family, l4proto (when
         * known), src and dst are set, ports are 0. */
        PACKET_TRUNCATED = -4,
};

/*
 * Parses buf[0..len) and fills the packet fields of *f (family, l4proto,
 * src, dst, src_port, dst_port, ports in host order). Other fields of *f are
 * left untouched. The family comes from the version nibble; the caller
 * cross-checks it with the link-layer protocol when it has one. Returns an
 * enum packet_result.
 */
int packet_parse(const uint8_t *buf, size_t len, struct flow *f);

/* Where the transport payload lies by the packet's own lengths: from offset
 * for length bytes (the capture may end before). A jumbogram or BIG TCP
 * packet, whose length is not given, extends to SIZE_MAX. */
struct packet_payload {
        size_t offset, length;
};

/* packet_parse(), and for PACKET_OK also the payload's place in *ret. */
int packet_parse_payload(const uint8_t *buf, size_t len, struct flow *f, struct packet_payload *ret);

/* A short static name for a result ("ok", "malformed", …), for logs. */
const char *packet_result_to_string(int r);
