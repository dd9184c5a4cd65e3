/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Parser for DNS answers (RFC 1035) as the router forwards them: the
 * question, then the answer section's A, AAAA and CNAME records, resolved
 * into the chain from the name asked for to its addresses. Every byte is
 * hostile: compression pointers must point backwards (so they cannot loop),
 * names are at most 255 bytes on the wire and labels 63, every record must
 * lie inside the message, and the counts must be honoured. Nothing is read
 * outside msg[0..len), nothing is allocated.
 */

#include <stddef.h>
#include <stdint.h>

#include "dns-answer.h"
#include "macro.h"

#define DNS_HEADER_SIZE 12
#define DNS_RECORDS_MAX 64 /* A, AAAA and CNAME records kept from one answer */

enum dns_result {
        DNS_OK = 0,          /* *ret holds the chain and its addresses (maybe none) */
        DNS_NOT_ANSWER = -1, /* a query, another opcode, or an error rcode: nothing to learn */
        DNS_MALFORMED = -2,  /* contradicts itself or the buffer */
};

/* Scratch space for the records of one answer; one per input, reused. */
struct dns_parser;

int dns_parser_new(struct dns_parser **ret);
struct dns_parser *dns_parser_free(struct dns_parser *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dns_parser *, dns_parser_free);

/* msg[0..len) is one DNS message (UDP payload, or a TCP message without its
 * two-byte length). Returns an enum dns_result. */
int dns_parse_answer(struct dns_parser *p, const uint8_t *msg, size_t len, struct dns_answer *ret);

const char *dns_result_to_string(int r); /* "ok", "not-answer", "malformed" */
