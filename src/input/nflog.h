/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * NFLOG input: receives the packets that firewall rules log to one or more
 * netlink log groups (`log group 2 prefix "drop"`), parses their headers and
 * hands one struct flow per TCP/UDP packet to the handler.
 *
 * The socket is non-blocking; call nflog_input_dispatch() whenever
 * nflog_input_fd() is readable (level-triggered, e.g. sd_event_add_io with
 * EPOLLIN). Nothing is allocated per packet.
 */

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "macro.h"

/* Bytes of each packet the kernel copies: room for IPv4 with options and
 * TCP with options, or IPv6 with a few extension headers. */
#define NFLOG_COPY_RANGE 256

/* Interface names are cached by ifindex and looked up again after this long,
 * so a renamed interface shows its new name within a minute. */
#define NFLOG_IFNAME_TTL_SEC 60

/* The most a payload input may ask the kernel to copy: a whole packet, as
 * long as its message still fits the receive buffer. */
#define NFLOG_PAYLOAD_COPY_RANGE_MAX (60u * 1024)

struct nflog_input;

/* Gets each logged packet as it came, from its IP header on: buf[0..len)
 * (the kernel's copy, at most the copy range). */
typedef void (*nflog_payload_handler_t)(const uint8_t *buf, size_t len, void *userdata);

/* Every count since nflog_input_new(); no packet is left uncounted:
 * packets = handed to the handler + malformed + not_tcp_udp + fragments
 *         + truncated. */
struct nflog_input_stats {
        uint64_t packets;      /* packet messages received from the kernel */
        uint64_t malformed;    /* unparseable netlink message (also bytes at the
                                 * end of a datagram that are no whole message,
                                 * counted as a packet), or IP header, or
                                 * an IP version contradicting the link-layer
                                 * protocol (PACKET_MALFORMED) */
        uint64_t not_tcp_udp;  /* ICMP, ESP, … (PACKET_NOT_TCP_UDP) */
        uint64_t fragments;    /* non-first fragments: no ports (PACKET_FRAGMENT) */
        uint64_t enobufs;      /* times the socket buffer overflowed (ENOBUFS) or
                                 * a datagram did not fit the receive buffer:
                                 * an unknown number of packets was lost */
        uint64_t truncated;    /* copy ended before the ports (PACKET_TRUNCATED) */
        uint64_t dropped;      /* messages the kernel could not queue (socket-drops.h):
                                 * each held one packet or more */
        uint64_t ct_malformed; /* packets handed over without their conntrack
                                 * information, which did not parse (not part
                                 * of the sum above) */
        int conntrack_refused; /* 0, or the errno (negative) with which the kernel
                                 * refused NFULNL_CFG_F_CONNTRACK for a group:
                                 * every packet's direction is then unknown */
};

/*
 * Opens a netlink socket, binds it to groups[0..n_groups) in copy-packet mode
 * (NFLOG_COPY_RANGE bytes), asks for conntrack id/mark when the kernel can
 * give them, and sets the receive buffer to rcvbuf_bytes (SO_RCVBUFFORCE,
 * falling back to SO_RCVBUF when not privileged; 0 keeps the default).
 * With no group the input receives nothing; nflog_input_process() can still
 * feed it (tests). Returns 0 or a negative errno: -EINVAL (more than 32
 * groups, no handler), -EPERM (no CAP_NET_ADMIN, or a group is already bound by another
 * socket, e.g. ulogd2: the kernel gives both the same answer), -ETIMEDOUT
 * (the kernel did not answer). Packets logged while the groups are being
 * bound are discarded. Conntrack id/mark/zone arrive only from kernels with
 * CONFIG_NETFILTER_NETLINK_GLUE_CT; without it the packets still come.
 */
int nflog_input_new(struct nflog_input **ret, const uint16_t *groups, size_t n_groups,
                    size_t rcvbuf_bytes, flow_handler_t handler, void *userdata);
/* One group whose packets go whole (up to copy_range bytes) to the handler,
 * unparsed: for inputs that read what packets carry (DNS answers). Counted
 * in packets and malformed (a message without payload) only. */
int nflog_input_new_payload(struct nflog_input **ret, uint16_t group, uint32_t copy_range, size_t rcvbuf_bytes,
                            nflog_payload_handler_t handler, void *userdata);
struct nflog_input *nflog_input_free(struct nflog_input *in);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nflog_input *, nflog_input_free);

int nflog_input_fd(const struct nflog_input *in);

/*
 * Reads what the socket holds and calls the handler once per parsed TCP/UDP
 * packet. Returns 0 once the socket is drained or after a bounded batch of
 * datagrams (so one busy source cannot starve the event loop; the fd stays
 * readable), or a negative errno on a socket error. ENOBUFS is counted and
 * reading goes on; it is never disabled (no NETLINK_NO_ENOBUFS).
 */
int nflog_input_dispatch(struct nflog_input *in);

/* Also reads the kernel's drop counter: a system call, not for every packet. */
const struct nflog_input_stats *nflog_input_get_stats(struct nflog_input *in);

/* Handles one datagram as read from the socket: the NFLOG packet messages in
 * buf[0..len) (4-byte aligned), counted and handed over as by
 * nflog_input_dispatch(). For the unit tests and fuzzing. */
void nflog_input_process(struct nflog_input *in, const void *buf, size_t len);
