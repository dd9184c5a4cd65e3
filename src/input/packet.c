/* SPDX-License-Identifier: MIT */
/*
 * IPv4/IPv6 + TCP/UDP header parser for NFLOG payloads.
 *
 * Two lengths bound every read: `len`, the bytes we were given (NFLOG copies
 * at most its copy range), and `end`, where the packet's own length field
 * says it stops. A header that does not fit in `end` is malformed; one that
 * fits in `end` but not in `len` was cut off by the capture (truncated).
 */

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "packet.h"

#define IPV4_MIN_HEADER 20
#define IPV6_HEADER 40
#define TCP_MIN_HEADER 20
#define UDP_HEADER 8
#define IPV6_EXT_MIN 8

/* IPv6 extension headers not named in every libc's netinet/in.h */
#define NEXTHDR_MOBILITY 135
#define NEXTHDR_HIP 139
#define NEXTHDR_SHIM6 140

static uint16_t get_be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

/* Does [off, off + need) lie inside [0, limit)? Written so it cannot overflow. */
static bool fits(size_t off, size_t need, size_t limit) {
        return off <= limit && limit - off >= need;
}

static int parse_l4(const uint8_t *buf, size_t len, size_t end, size_t off, uint8_t proto,
                    struct flow *f, struct packet_payload *pl) {
        size_t need, data;

        f->l4proto = proto;
        if (proto == IPPROTO_TCP)
                need = TCP_MIN_HEADER;
        else if (proto == IPPROTO_UDP)
                need = UDP_HEADER;
        else
                return PACKET_NOT_TCP_UDP;

        if (!fits(off, need, end))
                return PACKET_MALFORMED;
        if (!fits(off, need, len))
                return PACKET_TRUNCATED;

        if (proto == IPPROTO_TCP) {
                size_t doff = (size_t) (buf[off + 12] >> 4) * 4;

                /* Options may lie beyond the capture; they may not lie
                 * beyond the packet. */
                if (doff < TCP_MIN_HEADER || !fits(off, doff, end))
                        return PACKET_MALFORMED;
                data = off + doff;
        } else {
                size_t ulen = get_be16(buf + off + 4);

                /* 0 is a jumbogram's UDP length (RFC 2675) */
                if (ulen != 0 && (ulen < UDP_HEADER || !fits(off, ulen, end)))
                        return PACKET_MALFORMED;
                if (ulen != 0)
                        end = off + ulen;
                data = off + UDP_HEADER;
        }
        if (pl)
                *pl = (struct packet_payload) { .offset = data, .length = end - data };

        f->src_port = get_be16(buf + off);
        f->dst_port = get_be16(buf + off + 2);
        return PACKET_OK;
}

static int parse_ipv4(const uint8_t *buf, size_t len, struct flow *f, struct packet_payload *pl) {
        size_t ihl, tot, end;
        uint16_t frag;

        if (len < IPV4_MIN_HEADER)
                return PACKET_MALFORMED;

        ihl = (size_t) (buf[0] & 0x0f) * 4;
        if (ihl < IPV4_MIN_HEADER)
                return PACKET_MALFORMED;

        /* A total length of 0 is what the kernel writes into GSO packets
         * above 64 KiB (BIG TCP): the capture is then the only bound. */
        tot = get_be16(buf + 2);
        end = tot == 0 ? SIZE_MAX : tot;
        if (end < ihl)
                return PACKET_MALFORMED;

        f->family = AF_INET;
        memcpy(&f->src.in, buf + 12, 4);
        memcpy(&f->dst.in, buf + 16, 4);

        frag = get_be16(buf + 6);
        if ((frag & 0x1fff) != 0) {
                f->l4proto = buf[9];
                return PACKET_FRAGMENT;
        }

        /* Options cut by the capture end up as truncated in parse_l4. */
        return parse_l4(buf, len, end, ihl, buf[9], f, pl);
}

static int parse_ipv6(const uint8_t *buf, size_t len, struct flow *f, struct packet_payload *pl) {
        size_t plen, end, off = IPV6_HEADER;
        uint8_t nh;

        if (len < IPV6_HEADER)
                return PACKET_MALFORMED;

        /* A payload length of 0 means a jumbogram or a BIG TCP packet. */
        plen = get_be16(buf + 4);
        end = plen == 0 ? SIZE_MAX : IPV6_HEADER + plen;

        f->family = AF_INET6;
        memcpy(&f->src.in6, buf + 8, 16);
        memcpy(&f->dst.in6, buf + 24, 16);

        nh = buf[6];
        for (unsigned n = 0;; n++) {
                size_t hlen;

                switch (nh) {
                case IPPROTO_HOPOPTS:
                        /* RFC 8200 4.1: only directly after the IPv6 header */
                        if (n != 0)
                                return PACKET_MALFORMED;
                        __attribute__((fallthrough));
                case IPPROTO_ROUTING:
                case IPPROTO_DSTOPTS:
                case IPPROTO_FRAGMENT:
                case IPPROTO_AH:
                case NEXTHDR_MOBILITY:
                case NEXTHDR_HIP:
                case NEXTHDR_SHIM6:
                        break;
                default:
                        return parse_l4(buf, len, end, off, nh, f, pl);
                }

                if (n >= PACKET_MAX_EXT_HEADERS)
                        return PACKET_MALFORMED;
                if (!fits(off, IPV6_EXT_MIN, end))
                        return PACKET_MALFORMED;
                if (!fits(off, IPV6_EXT_MIN, len)) {
                        f->l4proto = 0;
                        return PACKET_TRUNCATED;
                }

                if (nh == IPPROTO_FRAGMENT) {
                        hlen = IPV6_EXT_MIN;
                        if ((get_be16(buf + off + 2) & 0xfff8) != 0) {
                                f->l4proto = buf[off];
                                return PACKET_FRAGMENT;
                        }
                } else if (nh == IPPROTO_AH)
                        hlen = ((size_t) buf[off + 1] + 2) * 4;
                else
                        hlen = ((size_t) buf[off + 1] + 1) * 8;

                if (!fits(off, hlen, end))
                        return PACKET_MALFORMED;

                nh = buf[off];
                off += hlen;
        }
}

int packet_parse(const uint8_t *buf, size_t len, struct flow *f) {
        return packet_parse_payload(buf, len, f, NULL);
}

int packet_parse_payload(const uint8_t *buf, size_t len, struct flow *f, struct packet_payload *ret) {
        f->family = 0;
        f->l4proto = 0;
        memset(&f->src, 0, sizeof(f->src));
        memset(&f->dst, 0, sizeof(f->dst));
        f->src_port = f->dst_port = 0;

        if (!buf || len < 1)
                return PACKET_MALFORMED;

        switch (buf[0] >> 4) {
        case 4:
                return parse_ipv4(buf, len, f, ret);
        case 6:
                return parse_ipv6(buf, len, f, ret);
        default:
                return PACKET_MALFORMED;
        }
}

const char *packet_result_to_string(int r) {
        switch (r) {
        case PACKET_OK:
                return "ok";
        case PACKET_MALFORMED:
                return "malformed";
        case PACKET_NOT_TCP_UDP:
                return "not-tcp-udp";
        case PACKET_FRAGMENT:
                return "fragment";
        case PACKET_TRUNCATED:
                return "truncated";
        default:
                return "unknown";
        }
}
