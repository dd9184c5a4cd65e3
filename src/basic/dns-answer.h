/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What a DNS answer says, as far as tagging needs it: the name asked for,
 * the CNAME chain from it, and the addresses the chain ends in, each with
 * the time it may be believed. Fixed size: filled in place by the parser
 * (input/dns-parse.h), read by the name table (tag/name-table.h).
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

#define DNS_NAME_TEXT_MAX 254 /* 253 bytes of text and the NUL */
#define DNS_CHAIN_MAX 8       /* the name asked for and up to 7 CNAME targets */
#define DNS_ADDRS_MAX 32

struct dns_name {
        char text[DNS_NAME_TEXT_MAX]; /* lower case, no final dot */
        uint16_t len;
        bool usable; /* only letters, digits, '-' and '_' in its labels */
};

struct dns_address {
        int family; /* AF_INET, AF_INET6 */
        union flow_addr addr;
        uint32_t ttl; /* the least of the record's and its chain's, seconds */
};

struct dns_answer {
        struct dns_name chain[DNS_CHAIN_MAX]; /* chain[0]: the question */
        unsigned n_chain;
        struct dns_address addrs[DNS_ADDRS_MAX];
        unsigned n_addrs;
};
