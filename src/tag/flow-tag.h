/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the tagger reads of a flow: the connection in its original direction.
 * A conntrack event is that already. An NFLOG packet is the packet's own
 * addresses, which may be the reply's: the connection the kernel attached
 * (NFULNL_CFG_F_CONNTRACK) is used when there is one, the packet turned
 * round when only its direction is known, and without either the tagger's
 * rule decides alone (the tag says so).
 */

#include <stdbool.h>

#include "flow.h"
#include "tagger.h"

static inline void flow_tag_input(const struct flow *f, struct tag_input *ret) {
        bool packet = f->action == FLOW_PACKET_LOGGED;
        bool reply = packet && f->ct_dir == FLOW_DIR_REPLY;

        *ret = (struct tag_input) {
                .family = f->family,
                .transport = f->l4proto == IPPROTO_UDP ? TRANSPORT_UDP : TRANSPORT_TCP,
                .src_addr = reply ? &f->dst : &f->src,
                .dst_addr = reply ? &f->src : &f->dst,
                .src_port = reply ? f->dst_port : f->src_port,
                .dst_port = reply ? f->src_port : f->dst_port,
                .dnat_addr = f->has_dnat ? &f->dnat : NULL,
                .dnat_port = f->dnat_port,
                .direction_guessed = packet && !f->has_ct_tuple && f->ct_dir == FLOW_DIR_UNKNOWN,
        };
        if (packet && f->has_ct_tuple) {
                ret->src_addr = &f->ct_src;
                ret->dst_addr = &f->ct_dst;
                ret->src_port = f->ct_sport;
                ret->dst_port = f->ct_dport;
        }
}
