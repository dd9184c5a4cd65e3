/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Building ctnetlink tuples by hand, as the kernel nests them in conntrack
 * events and in the NFULA_CT attribute of NFLOG packets.
 */

#include <stdint.h>

struct nlmsghdr;

/* Appends a CTA_TUPLE_ORIG or CTA_TUPLE_REPLY nest (type) with the addresses
 * as text (IPv4 or IPv6, decided by family), proto and ports. */
void ct_message_put_tuple(struct nlmsghdr *nlh, uint16_t type, int family, const char *src,
                          const char *dst, uint8_t proto, uint16_t sport, uint16_t dport);
