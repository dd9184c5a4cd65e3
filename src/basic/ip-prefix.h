/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An IPv4 or IPv6 network prefix: parsed from configuration ("10.9.0.0/24")
 * or made from an interface address. No allocation. (Matching is the
 * user's: local-addresses.c compiles prefixes into masks for its hot path.)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct ip_prefix {
        int family;           /* AF_INET, AF_INET6 */
        union flow_addr addr; /* host bits cleared */
        uint8_t len;          /* 0..32, 0..128 */
};

/* 4 for AF_INET, 16 for AF_INET6. */
size_t ip_prefix_addr_size(int family);

/* "10.0.0.0/8", "fd00::/64", or a bare address (one host): host bits must
 * be clear. 0 or -EINVAL. */
int ip_prefix_parse(const char *s, struct ip_prefix *ret);

/* The network an address of prefix length len lies in (len checked by the
 * caller). */
struct ip_prefix ip_prefix_of(int family, const union flow_addr *addr, uint8_t len);
