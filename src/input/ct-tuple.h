/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A conntrack tuple (CTA_TUPLE_ORIG, CTA_TUPLE_REPLY) as ctnetlink nests it:
 * in conntrack events, and inside the NFULA_CT attribute the kernel attaches
 * to NFLOG packets. Every length is checked; nothing is allocated.
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

struct nlattr;

struct ct_tuple {
        bool has_src, has_dst, has_proto, has_ports;
        union flow_addr src, dst;
        uint8_t proto;
        uint16_t src_port, dst_port; /* host order */
};

/* Parses one tuple nest into *t (which the caller zeroes). family decides
 * which address attributes are acceptable. 0, or -EINVAL when malformed. */
int ct_tuple_parse(const struct nlattr *nest, int family, struct ct_tuple *t);

/* Addresses and transport present. */
bool ct_tuple_complete(const struct ct_tuple *t);

/* From a connection's two tuples: its original tuple into f->ct_* (with
 * has_ct_tuple), and the NAT the reply tuple reveals into has_snat/snat
 * (the reply's destination differs from the original source) and
 * has_dnat/dnat (the reply's source differs from the original destination).
 * orig must be complete with ports; an incomplete reply reveals no NAT. */
void ct_tuple_fill_flow(const struct ct_tuple *orig, const struct ct_tuple *reply, int family, struct flow *f);
