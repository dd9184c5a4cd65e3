/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The router's own addresses, followed as they change, and the decision
 * whether a flow is the router's own traffic rather than the LAN's.
 *
 * The addresses come from rtnetlink: a full dump at start, then every
 * RTM_NEWADDR/RTM_DELADDR of RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR as it
 * happens (a DHCP lease renewed with a new address, a PPP link coming up).
 * When the kernel reports lost messages (ENOBUFS) the table is dumped afresh.
 * The table is bounded (LOCAL_ADDRESSES_MAX); addresses beyond it are counted,
 * not kept. Lookups are a binary search: no allocation, no system call.
 *
 * A flow is excluded when:
 *   - the router originates it: the connection's original source is one of
 *     its addresses;
 *   - the router terminates it: the original destination is its own address
 *     and no DNAT changed it (a port forward, a REDIRECT: those are the
 *     LAN's connections, never local);
 *   - either end (original source, original destination, DNAT target) lies
 *     in a configured network, or in the prefix of an address of a
 *     configured interface.
 * A masqueraded LAN client's connection has the client as its original
 * source, so it is forwarded, never local.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "flow.h"
#include "ip-prefix.h"
#include "macro.h"

#define LOCAL_ADDRESSES_MAX 1024
#define LOCAL_EXCLUDE_NETWORKS_MAX 64
#define LOCAL_EXCLUDE_INTERFACES_MAX 32

/* What to exclude besides the router's own connections: configuration. */
struct local_exclusions {
        bool router; /* originated or terminated by the router (default on) */
        struct ip_prefix networks[LOCAL_EXCLUDE_NETWORKS_MAX];
        unsigned n_networks;
        char interfaces[LOCAL_EXCLUDE_INTERFACES_MAX][IF_NAMESIZE];
        unsigned n_interfaces;
};

enum local_verdict {
        LOCAL_NOT,                /* the LAN's traffic: tag it */
        LOCAL_ORIGINATED,         /* the router's address is the original source */
        LOCAL_TERMINATED,         /* the router's address is the original destination, no DNAT */
        LOCAL_EXCLUDED_NETWORK,   /* an end lies in a configured network */
        LOCAL_EXCLUDED_INTERFACE, /* an end lies in a configured interface's prefix */
        _LOCAL_VERDICT_MAX,
};

struct local_addresses_stats {
        size_t addresses;   /* in the table now */
        uint64_t overflow;  /* addresses not kept: table full */
        uint64_t resyncs;   /* full dumps after lost messages (ENOBUFS) */
        uint64_t malformed; /* messages that did not parse */
};

struct local_addresses;

/* An empty table with exclusions x (copied). No socket yet: for the unit
 * tests and appleflowctl, fill it with local_addresses_add(). */
int local_addresses_new(struct local_addresses **ret, const struct local_exclusions *x);
struct local_addresses *local_addresses_free(struct local_addresses *la);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct local_addresses *, local_addresses_free);

/* Opens the rtnetlink socket, subscribes to the address groups and reads a
 * full dump (blocking, bounded by a timeout). Then poll local_addresses_fd()
 * and call local_addresses_dispatch(), or let local_addresses_attach_event()
 * do it. Needs no privilege. */
int local_addresses_open(struct local_addresses *la);
int local_addresses_fd(const struct local_addresses *la);
/* Reads what the socket holds; dumps afresh after ENOBUFS. 0 or -errno. */
int local_addresses_dispatch(struct local_addresses *la);
int local_addresses_attach_event(struct local_addresses *la, sd_event *e, int64_t priority);

/* A reload: new exclusions; the interface prefixes are recomputed. */
void local_addresses_set_exclusions(struct local_addresses *la, const struct local_exclusions *x);

/* The table by hand (tests, fuzzing, appleflowctl). ifindex 0: no interface.
 * -E2BIG when full (counted as overflow), -EINVAL for a bad family/length. */
int local_addresses_add(struct local_addresses *la, int family, const void *addr, uint8_t prefixlen,
                        uint32_t ifindex);
int local_addresses_remove(struct local_addresses *la, int family, const void *addr, uint32_t ifindex);

/* Handles one datagram of rtnetlink messages as read from the socket
 * (RTM_NEWADDR, RTM_DELADDR, the dump's NLMSG_DONE). For tests and fuzzing. */
void local_addresses_process(struct local_addresses *la, const void *buf, size_t len);

/* Is addr (4 or 16 bytes, network order) one of the router's addresses? */
bool local_addresses_is_own(const struct local_addresses *la, int family, const union flow_addr *addr);

/* The decision for one flow (see above). The hot path: no allocation, no
 * system call. NFLOG packets without conntrack information are judged by
 * their own addresses: either end the router's and the packet is local. */
enum local_verdict local_addresses_classify(const struct local_addresses *la, const struct flow *f);
static inline bool local_addresses_excludes(const struct local_addresses *la, const struct flow *f) {
        return local_addresses_classify(la, f) != LOCAL_NOT;
}
const char *local_verdict_to_string(enum local_verdict v); /* "originated", … */

void local_addresses_get_stats(const struct local_addresses *la, struct local_addresses_stats *ret);
