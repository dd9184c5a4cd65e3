/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * DNS answers from one NFLOG group (the rule in conf/nftables-appleflowd.nft
 * logs UDP and TCP from port 53 with a snaplen that holds a whole answer).
 * A UDP answer is parsed whole; a TCP answer when its message lies whole in
 * one segment, and counted as skipped otherwise. Each parsed answer goes to
 * the handler; every packet is counted in exactly one of the stats below.
 */

#include <stddef.h>
#include <stdint.h>

#include "dns-answer.h"
#include "macro.h"

/* The kernel copies this much of each packet: an answer of up to 16 KiB,
 * more than EDNS0 answers over UDP (4096 bytes by default) and most over
 * TCP. Longer TCP answers span segments and are skipped anyway. */
#define DNS_INPUT_COPY_RANGE (16u * 1024 + 128)

struct dns_input;

/* packets = answers + not_answers + malformed + skipped + empty + other */
struct dns_input_stats {
        uint64_t packets;     /* logged packets received */
        uint64_t answers;     /* parsed answers handed over (with addresses or not) */
        uint64_t not_answers; /* queries, other opcodes, errors (NXDOMAIN, SERVFAIL …) */
        uint64_t malformed;   /* broken IP/UDP/TCP headers or DNS message */
        uint64_t skipped;     /* TCP answers over several segments; captures cut short */
        uint64_t empty;       /* TCP segments without data (handshake, acknowledgements) */
        uint64_t other;       /* not from port 53, not TCP or UDP, fragments */
        uint64_t enobufs;     /* the socket overflowed: answers lost */
};

typedef void (*dns_answer_handler_t)(const struct dns_answer *a, void *userdata);

/* Binds NFLOG group; -EPERM without CAP_NET_ADMIN or when the group is taken. */
int dns_input_new(struct dns_input **ret, uint16_t group, size_t rcvbuf_bytes, dns_answer_handler_t handler,
                  void *userdata);
/* Without a socket: dns_input_process_packet() feeds it (tests, fuzzing, benchmarks). */
int dns_input_new_detached(struct dns_input **ret, dns_answer_handler_t handler, void *userdata);
struct dns_input *dns_input_free(struct dns_input *in);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dns_input *, dns_input_free);

int dns_input_fd(const struct dns_input *in);
int dns_input_dispatch(struct dns_input *in);
void dns_input_get_stats(struct dns_input *in, struct dns_input_stats *ret);

/* One packet from its IP header on, as NFLOG delivers it. */
void dns_input_process_packet(struct dns_input *in, const uint8_t *buf, size_t len);
