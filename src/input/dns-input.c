/* SPDX-License-Identifier: MIT */
/*
 * From a logged packet to a DNS answer: IP and transport headers by
 * packet.c, the message by dns-parse.c. Nothing is allocated per packet.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "dns-input.h"
#include "dns-parse.h"
#include "nflog.h"
#include "packet.h"

#define DNS_PORT 53
#define DNS_TCP_LENGTH 2

struct dns_input {
        struct nflog_input *nflog;
        struct dns_parser *parser;
        dns_answer_handler_t handler;
        void *userdata;
        struct dns_input_stats stats;
        struct flow flow;
        struct dns_answer answer;
};

static void on_payload(const uint8_t *buf, size_t len, void *userdata) {
        dns_input_process_packet(userdata, buf, len);
}

int dns_input_new_detached(struct dns_input **ret, dns_answer_handler_t handler, void *userdata) {
        _cleanup_(dns_input_freep) struct dns_input *in = NULL;
        int r;

        if (!ret || !handler)
                return -EINVAL;
        in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->handler = handler;
        in->userdata = userdata;
        r = dns_parser_new(&in->parser);
        if (r < 0)
                return r;
        *ret = in;
        in = NULL;
        return 0;
}

int dns_input_new(struct dns_input **ret, uint16_t group, size_t rcvbuf_bytes, dns_answer_handler_t handler,
                  void *userdata) {
        _cleanup_(dns_input_freep) struct dns_input *in = NULL;
        int r;

        r = dns_input_new_detached(&in, handler, userdata);
        if (r < 0)
                return r;
        r = nflog_input_new_payload(&in->nflog, group, DNS_INPUT_COPY_RANGE, rcvbuf_bytes, on_payload, in);
        if (r < 0)
                return r;
        *ret = in;
        in = NULL;
        return 0;
}

struct dns_input *dns_input_free(struct dns_input *in) {
        if (!in)
                return NULL;
        nflog_input_free(in->nflog);
        dns_parser_free(in->parser);
        free(in);
        return NULL;
}

int dns_input_fd(const struct dns_input *in) {
        return in->nflog ? nflog_input_fd(in->nflog) : -EBADF;
}

int dns_input_dispatch(struct dns_input *in) {
        return in->nflog ? nflog_input_dispatch(in->nflog) : 0;
}

void dns_input_get_stats(struct dns_input *in, struct dns_input_stats *ret) {
        *ret = in->stats;
        if (in->nflog) {
                const struct nflog_input_stats *ns = nflog_input_get_stats(in->nflog);

                /* Messages without a payload never reached dns_input_process_packet(). */
                ret->packets += ns->malformed;
                ret->malformed += ns->malformed;
                ret->enobufs = MAX(ns->enobufs, ns->dropped);
        }
}

static void parse_message(struct dns_input *in, const uint8_t *msg, size_t len) {
        int r = dns_parse_answer(in->parser, msg, len, &in->answer);

        if (r == DNS_OK) {
                in->stats.answers++;
                in->handler(&in->answer, in->userdata);
        } else if (r == DNS_NOT_ANSWER)
                in->stats.not_answers++;
        else
                in->stats.malformed++;
}

void dns_input_process_packet(struct dns_input *in, const uint8_t *buf, size_t len) {
        struct packet_payload pl;
        size_t captured;
        int r;

        in->stats.packets++;
        r = packet_parse_payload(buf, len, &in->flow, &pl);
        if (r == PACKET_MALFORMED) {
                in->stats.malformed++;
                return;
        }
        if (r == PACKET_TRUNCATED) {
                in->stats.skipped++;
                return;
        }
        if (r != PACKET_OK || in->flow.src_port != DNS_PORT) {
                in->stats.other++;
                return;
        }
        captured = len - pl.offset;
        if (pl.length > captured) {
                in->stats.skipped++; /* the copy ends before the packet does */
                return;
        }
        if (in->flow.l4proto == IPPROTO_UDP) {
                parse_message(in, buf + pl.offset, pl.length);
                return;
        }

        /* TCP: one whole message behind its two-byte length, or nothing to do. */
        if (pl.length == 0) {
                in->stats.empty++;
                return;
        }
        if (pl.length < DNS_TCP_LENGTH ||
            ((size_t) buf[pl.offset] << 8 | buf[pl.offset + 1]) != pl.length - DNS_TCP_LENGTH) {
                in->stats.skipped++;
                return;
        }
        parse_message(in, buf + pl.offset + DNS_TCP_LENGTH, pl.length - DNS_TCP_LENGTH);
}
