/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One event from the kernel, whatever its source: a conntrack NEW or DESTROY,
 * or a packet logged through NFLOG. Fixed size; filled in place by the input
 * modules, never allocated per event.
 */

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define FLOW_PREFIX_MAX 128 /* NFLOG prefixes are at most 64 bytes in the kernel */

enum flow_action {
        FLOW_CONNECTION_NEW,
        FLOW_CONNECTION_END,
        FLOW_PACKET_LOGGED,
        FLOW_CONNECTION_OPEN, /* a connection still open, read from the kernel's table */
};

/* Which way a logged packet went, relative to its connection. */
enum flow_direction {
        FLOW_DIR_UNKNOWN,  /* no conntrack information: old kernel, untracked packet */
        FLOW_DIR_ORIGINAL, /* from the side that opened the connection */
        FLOW_DIR_REPLY,    /* the answer */
};

union flow_addr {
        struct in_addr in;
        struct in6_addr in6;
        uint8_t bytes[16];
};

struct flow {
        enum flow_action action;
        int family;      /* AF_INET, AF_INET6 */
        uint8_t l4proto; /* IPPROTO_TCP, IPPROTO_UDP */

        /* original direction, ports in host order */
        union flow_addr src, dst;
        uint16_t src_port, dst_port;

        /* source NAT: the reply tuple's destination, when it differs */
        bool has_snat;
        union flow_addr snat;
        uint16_t snat_port;

        /* destination NAT: the reply tuple's source, when it differs from
         * the original destination (address or port): the real server
         * behind a port forward, a REDIRECT's local port */
        bool has_dnat;
        union flow_addr dnat;
        uint16_t dnat_port;

        /* The connection the event belongs to, in its original direction.
         * Conntrack events: the same as src/dst above, ct_dir ORIGINAL.
         * NFLOG packets: what the kernel attached (NFULNL_CFG_F_CONNTRACK),
         * while src/dst are the packet's own, which may be the reply or be
         * NATed already; has_snat/has_dnat above then describe this
         * connection too. Without it (old kernel, untracked packet, no
         * nf_conntrack_netlink): has_ct_tuple false, ct_dir UNKNOWN. */
        enum flow_direction ct_dir;
        bool has_ct_tuple;
        union flow_addr ct_src, ct_dst;
        uint16_t ct_sport, ct_dport;

        /* conntrack */
        bool has_ct;
        uint32_t ct_id, ct_mark;
        uint16_t ct_zone;
        bool has_counters; /* kernel accounting (nf_conntrack_acct) */
        uint64_t orig_packets, orig_bytes, reply_packets, reply_bytes;
        bool has_timestamps; /* nf_conntrack_timestamp */
        uint64_t start_ns, stop_ns;
        bool has_status;
        uint32_t ct_status; /* IPS_* bits: SEEN_REPLY, ASSURED, ... */
        bool has_tcp_state;
        uint8_t tcp_state; /* TCP_CONNTRACK_*: at a connection end, the state it died in */
        /* Connection ends: first packet to last, derived from the timeout of
         * the state the entry expired in (ct-duration.h); stop_ns - start_ns
         * is the entry's lifetime, timeouts included. */
        bool has_duration;
        uint64_t duration_ns;

        /* NFLOG */
        bool has_nflog;
        uint16_t nflog_group;
        char nflog_prefix[FLOW_PREFIX_MAX];
        char in_interface[IF_NAMESIZE];
        char out_interface[IF_NAMESIZE];
};

/* IPS_SEEN_REPLY (linux/netfilter/nf_conntrack_common.h): the other side
 * sent at least one packet back. */
#define FLOW_CT_SEEN_REPLY (1u << 1)

/* A connection the other side answered; without the status, taken as answered. */
static inline bool flow_answered(const struct flow *f) {
        return !f->has_status || (f->ct_status & FLOW_CT_SEEN_REPLY);
}
