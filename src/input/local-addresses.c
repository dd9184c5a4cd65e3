/* SPDX-License-Identifier: MIT */
/*
 * The table is a sorted array of (family, address, ifindex): one allocation
 * at creation, a binary search per lookup, a memmove per change (changes are
 * rare: a lease, a link). Addresses are compared and prefixes matched as two
 * 64-bit integers, most significant first: the per-event path calls no
 * memcmp() (measured: bench/bench-local.c). Addresses of host scope (127.0.0.1/8 on lo) make
 * their whole prefix local, as the kernel's local route for them does.
 *
 * A fresh dump (at start, after ENOBUFS) marks every entry stale; what the
 * dump reports is marked fresh again, and at its end the stale ones go.
 * Events arriving meanwhile are applied as they come.
 */

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "local-addresses.h"
#include "nlmsg.h"

#define LOCAL_RECV_BUFFER (32 * 1024)
#define LOCAL_DUMP_TIMEOUT_MSEC 5000
#define LOCAL_HOST_PREFIXES_MAX 16
#define LOCAL_IFACE_PREFIXES_MAX 64

/* An address as two integers, most significant bits first; IPv4 fills the
 * top 32 bits of hi. */
struct key {
        uint64_t hi, lo;
};

/* A prefix ready to match: the network with host bits clear, and its mask. */
struct match {
        int family;
        struct key net, mask;
};

struct local_entry {
        struct key key;
        uint8_t family;
        uint8_t prefixlen;
        bool host_scope;
        bool stale;
        uint32_t ifindex;
        union flow_addr addr;
        char ifname[IF_NAMESIZE];
};

struct local_addresses {
        struct local_exclusions x;
        struct local_entry *entries; /* LOCAL_ADDRESSES_MAX, sorted */
        size_t n;

        struct match nets[LOCAL_EXCLUDE_NETWORKS_MAX]; /* x.networks */

        /* derived from the entries after each batch of changes */
        struct match host[LOCAL_HOST_PREFIXES_MAX];
        unsigned n_host;
        struct match iface[LOCAL_IFACE_PREFIXES_MAX];
        unsigned n_iface;
        unsigned prefixes_dropped; /* beyond those two tables, now */
        bool changed;              /* entries changed since the last derive */

        struct local_addresses_stats stats;
        int fd;
        uint32_t portid, seq;
        bool dumping, dump_again, dump_interrupted;
        sd_event_source *source;
        uint8_t buf[LOCAL_RECV_BUFFER];
};

static struct key key_of(int family, const union flow_addr *a) {
        struct key k = {};

        if (family == AF_INET6) {
                memcpy(&k.hi, a->bytes, 8);
                memcpy(&k.lo, a->bytes + 8, 8);
                k.hi = be64toh(k.hi);
                k.lo = be64toh(k.lo);
        } else {
                uint32_t v;

                memcpy(&v, a->bytes, 4);
                k.hi = (uint64_t) ntohl(v) << 32;
        }
        return k;
}

/* The top `bits` bits set, of 64. */
static uint64_t top_bits(unsigned bits) {
        return bits == 0 ? 0 : bits >= 64 ? UINT64_MAX
                                          : UINT64_MAX << (64 - bits);
}

static struct match match_of(const struct ip_prefix *p) {
        struct match m = { .family = p->family };

        m.mask.hi = top_bits(p->len);
        m.mask.lo = p->len > 64 ? top_bits(p->len - 64u) : 0;
        m.net = key_of(p->family, &p->addr);
        m.net.hi &= m.mask.hi;
        m.net.lo &= m.mask.lo;
        return m;
}

static bool match_contains(const struct match *m, int family, struct key k) {
        return m->family == family && (k.hi & m->mask.hi) == m->net.hi && (k.lo & m->mask.lo) == m->net.lo;
}

static bool in_any(const struct match *list, unsigned n, int family, struct key k) {
        for (unsigned i = 0; i < n; i++)
                if (match_contains(&list[i], family, k))
                        return true;
        return false;
}

static void compile_networks(struct local_addresses *la) {
        for (unsigned i = 0; i < la->x.n_networks; i++)
                la->nets[i] = match_of(&la->x.networks[i]);
}

static bool interface_excluded(const struct local_addresses *la, const char *name) {
        for (unsigned i = 0; i < la->x.n_interfaces; i++)
                if (name[0] && strncmp(la->x.interfaces[i], name, IF_NAMESIZE) == 0)
                        return true;
        return false;
}

/* Returns false when the list is full and m is not in it. */
static bool add_unique(struct match *list, unsigned *n, unsigned max, const struct match *m) {
        for (unsigned i = 0; i < *n; i++)
                if (list[i].family == m->family && list[i].net.hi == m->net.hi && list[i].net.lo == m->net.lo &&
                    list[i].mask.hi == m->mask.hi && list[i].mask.lo == m->mask.lo)
                        return true;
        if (*n >= max)
                return false;
        list[(*n)++] = *m;
        return true;
}

/* The prefixes that stand for more than one address: host scope, and the
 * configured interfaces'. Once per batch of changes (a datagram, a dump):
 * it walks the whole table. A prefix that does not fit is counted as
 * overflow once, when it is first left out. */
static void derive_prefixes(struct local_addresses *la) {
        unsigned dropped = 0;

        if (!la->changed)
                return;
        la->changed = false;
        la->n_host = la->n_iface = 0;
        for (size_t i = 0; i < la->n; i++) {
                const struct local_entry *e = &la->entries[i];
                struct ip_prefix p = ip_prefix_of(e->family, &e->addr, e->prefixlen);
                struct match m = match_of(&p);

                if (e->host_scope && !add_unique(la->host, &la->n_host, LOCAL_HOST_PREFIXES_MAX, &m))
                        dropped++;
                if (interface_excluded(la, e->ifname) &&
                    !add_unique(la->iface, &la->n_iface, LOCAL_IFACE_PREFIXES_MAX, &m))
                        dropped++;
        }
        if (dropped > la->prefixes_dropped)
                la->stats.overflow += dropped - la->prefixes_dropped;
        la->prefixes_dropped = dropped;
}

/* The interface's name, needed only to match exclude_interfaces: a system
 * call, spared when none is configured. */
static void name_entry(const struct local_addresses *la, struct local_entry *e) {
        if (la->x.n_interfaces == 0 || e->ifindex == 0 || !if_indextoname(e->ifindex, e->ifname))
                e->ifname[0] = 0;
}

static int compare_key(int family, struct key k, uint32_t ifindex, const struct local_entry *e) {
        if (family != e->family)
                return family < e->family ? -1 : 1;
        if (k.hi != e->key.hi)
                return k.hi < e->key.hi ? -1 : 1;
        if (k.lo != e->key.lo)
                return k.lo < e->key.lo ? -1 : 1;
        if (ifindex != e->ifindex)
                return ifindex < e->ifindex ? -1 : 1;
        return 0;
}

/* The first entry not below (family, k, ifindex). */
static size_t lower_bound(const struct local_addresses *la, int family, struct key k, uint32_t ifindex) {
        size_t lo = 0, hi = la->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (compare_key(family, k, ifindex, &la->entries[mid]) > 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int valid_family(int family, uint8_t prefixlen) {
        if (family != AF_INET && family != AF_INET6)
                return -EINVAL;
        if (prefixlen > ip_prefix_addr_size(family) * 8)
                return -EINVAL;
        return 0;
}

static int add_entry(struct local_addresses *la, int family, const void *addr, uint8_t prefixlen,
                     uint32_t ifindex, bool host_scope) {
        union flow_addr a = {};
        struct local_entry *e;
        struct key k;
        size_t i;

        if (valid_family(family, prefixlen) < 0)
                return -EINVAL;
        memcpy(a.bytes, addr, ip_prefix_addr_size(family));
        k = key_of(family, &a);
        i = lower_bound(la, family, k, ifindex);
        if (i < la->n && compare_key(family, k, ifindex, &la->entries[i]) == 0) {
                e = &la->entries[i]; /* known: refreshed */
        } else {
                if (la->n >= LOCAL_ADDRESSES_MAX) {
                        la->stats.overflow++;
                        return -E2BIG;
                }
                memmove(&la->entries[i + 1], &la->entries[i], (la->n - i) * sizeof(la->entries[0]));
                la->n++;
                e = &la->entries[i];
                *e = (struct local_entry) { .key = k, .family = (uint8_t) family, .addr = a, .ifindex = ifindex };
        }
        e->prefixlen = prefixlen;
        e->host_scope = host_scope;
        e->stale = false;
        /* the name now; a rename is seen at the next reload
         * (local_addresses_set_exclusions()) */
        name_entry(la, e);
        la->changed = true;
        return 0;
}

static int remove_entry(struct local_addresses *la, int family, const void *addr, uint32_t ifindex) {
        union flow_addr a = {};
        struct key k;
        size_t i;

        if (valid_family(family, 0) < 0)
                return -EINVAL;
        memcpy(a.bytes, addr, ip_prefix_addr_size(family));
        k = key_of(family, &a);
        i = lower_bound(la, family, k, ifindex);
        if (i >= la->n || compare_key(family, k, ifindex, &la->entries[i]) != 0)
                return -ENOENT;
        memmove(&la->entries[i], &la->entries[i + 1], (la->n - i - 1) * sizeof(la->entries[0]));
        la->n--;
        la->changed = true;
        return 0;
}

int local_addresses_add(struct local_addresses *la, int family, const void *addr, uint8_t prefixlen,
                        uint32_t ifindex) {
        int r = add_entry(la, family, addr, prefixlen, ifindex, false);

        derive_prefixes(la);
        return r;
}

int local_addresses_remove(struct local_addresses *la, int family, const void *addr, uint32_t ifindex) {
        int r = remove_entry(la, family, addr, ifindex);

        derive_prefixes(la);
        return r;
}

static bool is_own(const struct local_addresses *la, int family, struct key k) {
        size_t i = lower_bound(la, family, k, 0);

        /* ifindex 0 sorts first: the entry found, if any, has this address */
        if (i < la->n && la->entries[i].family == family && la->entries[i].key.hi == k.hi &&
            la->entries[i].key.lo == k.lo)
                return true;
        return in_any(la->host, la->n_host, family, k);
}

bool local_addresses_is_own(const struct local_addresses *la, int family, const union flow_addr *addr) {
        return is_own(la, family, key_of(family, addr));
}

enum local_verdict local_addresses_classify(const struct local_addresses *la, const struct flow *f) {
        /* The connection's original tuple; an NFLOG packet without one
         * stands for itself, and either end may be the router. */
        struct key ends[3];
        unsigned n_ends = 2;

        ends[0] = key_of(f->family, f->has_ct_tuple ? &f->ct_src : &f->src);
        ends[1] = key_of(f->family, f->has_ct_tuple ? &f->ct_dst : &f->dst);
        if (f->has_dnat)
                ends[n_ends++] = key_of(f->family, &f->dnat);

        /* A port forward or a REDIRECT makes it the LAN's connection. */
        if (la->x.router && !f->has_dnat) {
                if (is_own(la, f->family, ends[0]))
                        return LOCAL_ORIGINATED;
                if (is_own(la, f->family, ends[1]))
                        return LOCAL_TERMINATED;
        }
        for (unsigned i = 0; i < n_ends; i++) {
                if (in_any(la->nets, la->x.n_networks, f->family, ends[i]))
                        return LOCAL_EXCLUDED_NETWORK;
                if (in_any(la->iface, la->n_iface, f->family, ends[i]))
                        return LOCAL_EXCLUDED_INTERFACE;
        }
        return LOCAL_NOT;
}

const char *local_verdict_to_string(enum local_verdict v) {
        static const char *const names[_LOCAL_VERDICT_MAX] = {
                [LOCAL_NOT] = "not-local",
                [LOCAL_ORIGINATED] = "originated",
                [LOCAL_TERMINATED] = "terminated",
                [LOCAL_EXCLUDED_NETWORK] = "excluded-network",
                [LOCAL_EXCLUDED_INTERFACE] = "excluded-interface",
        };

        return (unsigned) v < _LOCAL_VERDICT_MAX ? names[v] : NULL;
}

void local_addresses_get_stats(const struct local_addresses *la, struct local_addresses_stats *ret) {
        *ret = la->stats;
        ret->addresses = la->n;
}

void local_addresses_set_exclusions(struct local_addresses *la, const struct local_exclusions *x) {
        la->x = *x;
        compile_networks(la);
        for (size_t i = 0; i < la->n; i++)
                name_entry(la, &la->entries[i]);
        la->changed = true;
        derive_prefixes(la);
}

int local_addresses_new(struct local_addresses **ret, const struct local_exclusions *x) {
        struct local_addresses *la;

        if (!ret || !x)
                return -EINVAL;
        la = calloc(1, sizeof(*la));
        if (!la)
                return -ENOMEM;
        la->entries = calloc(LOCAL_ADDRESSES_MAX, sizeof(la->entries[0]));
        if (!la->entries) {
                free(la);
                return -ENOMEM;
        }
        la->fd = -1;
        la->x = *x;
        compile_networks(la);
        *ret = la;
        return 0;
}

struct local_addresses *local_addresses_free(struct local_addresses *la) {
        if (!la)
                return NULL;
        sd_event_source_disable_unref(la->source);
        if (la->fd >= 0)
                close(la->fd);
        free(la->entries);
        free(la);
        return NULL;
}

/* One RTM_NEWADDR or RTM_DELADDR. */
static void handle_addr(struct local_addresses *la, const struct nlmsghdr *nlh) {
        const struct ifaddrmsg *ifa;
        const struct nlattr *a, *local = NULL, *address = NULL, *chosen;

        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa)) {
                la->stats.malformed++;
                return;
        }
        ifa = mnl_nlmsg_get_payload(nlh);
        nlmsg_for_each_attr(a, nlh, sizeof(*ifa)) {
                if (mnl_attr_get_type(a) == IFA_LOCAL)
                        local = a;
                else if (mnl_attr_get_type(a) == IFA_ADDRESS)
                        address = a;
        }
        if (!nlmsg_attrs_complete(nlh, a)) {
                la->stats.malformed++;
                return;
        }
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return; /* another family: not ours */
        /* IFA_LOCAL is the router's end where a peer is configured
         * (point-to-point links); IFA_ADDRESS is the peer then. */
        chosen = local ? local : address;
        if (!chosen || mnl_attr_get_payload_len(chosen) != ip_prefix_addr_size(ifa->ifa_family) ||
            valid_family(ifa->ifa_family, ifa->ifa_prefixlen) < 0) {
                la->stats.malformed++;
                return;
        }
        if (nlh->nlmsg_type == RTM_NEWADDR)
                (void) add_entry(la, ifa->ifa_family, mnl_attr_get_payload(chosen), ifa->ifa_prefixlen,
                                 ifa->ifa_index, ifa->ifa_scope == RT_SCOPE_HOST);
        else
                (void) remove_entry(la, ifa->ifa_family, mnl_attr_get_payload(chosen), ifa->ifa_index);
}

static int request_dump(struct local_addresses *la) {
        char req[NLMSG_ALIGN(sizeof(struct nlmsghdr)) + NLMSG_ALIGN(sizeof(struct ifaddrmsg))] = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
        struct ifaddrmsg *ifa;

        if (la->dumping) {
                la->dump_again = true; /* one dump at a time per socket */
                return 0;
        }
        nlh->nlmsg_type = RTM_GETADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = ++la->seq;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = AF_UNSPEC;
        if (send(la->fd, nlh, nlh->nlmsg_len, 0) < 0)
                return -errno;
        for (size_t i = 0; i < la->n; i++)
                la->entries[i].stale = true;
        la->dumping = true;
        la->dump_interrupted = false;
        return 0;
}

/* The dump ended: what it did not report is gone, unless it was
 * interrupted (then nothing is known to be gone: dump again). */
static void dump_done(struct local_addresses *la, bool failed) {
        size_t kept = 0;

        la->dumping = false;
        if (failed || la->dump_interrupted) {
                la->dump_again = true;
                return;
        }
        for (size_t i = 0; i < la->n; i++)
                if (!la->entries[i].stale)
                        la->entries[kept++] = la->entries[i];
        la->changed |= kept != la->n;
        la->n = kept;
}

void local_addresses_process(struct local_addresses *la, const void *buf, size_t len) {
        int n = (int) MIN(len, (size_t) INT32_MAX);

        for (const struct nlmsghdr *nlh = buf; nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
                bool ours = la->dumping && nlh->nlmsg_seq == la->seq && nlh->nlmsg_pid == la->portid;

                if (ours && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
                        la->dump_interrupted = true;
                switch (nlh->nlmsg_type) {
                case RTM_NEWADDR:
                case RTM_DELADDR:
                        handle_addr(la, nlh);
                        break;
                case NLMSG_DONE:
                        if (ours)
                                dump_done(la, false);
                        break;
                case NLMSG_ERROR:
                        if (ours)
                                dump_done(la, true);
                        break;
                default:
                        break;
                }
        }
        if (n > 0)
                la->stats.malformed++;
        derive_prefixes(la);
}

/* Reads until EAGAIN. A lost message (ENOBUFS) may have been an address
 * change: only a fresh dump tells. */
static int read_socket(struct local_addresses *la) {
        for (;;) {
                struct sockaddr_nl sa;
                struct iovec iov = { .iov_base = la->buf, .iov_len = sizeof(la->buf) };
                struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n = recvmsg(la->fd, &msg, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EAGAIN)
                                break;
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                la->stats.resyncs++;
                                if (la->dumping)
                                        la->dump_interrupted = true;
                                else
                                        la->dump_again = true;
                                continue;
                        }
                        return -errno;
                }
                if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
                        continue; /* only the kernel speaks here */
                if (msg.msg_flags & MSG_TRUNC) {
                        la->stats.malformed++;
                        la->dump_again = true;
                        continue;
                }
                local_addresses_process(la, la->buf, (size_t) n);
        }
        if (la->dump_again && !la->dumping) {
                la->dump_again = false;
                return request_dump(la);
        }
        return 0;
}

int local_addresses_dispatch(struct local_addresses *la) {
        return la->fd < 0 ? -EBADF : read_socket(la);
}

int local_addresses_fd(const struct local_addresses *la) {
        return la->fd;
}

int local_addresses_open(struct local_addresses *la) {
        struct sockaddr_nl sa = {
                .nl_family = AF_NETLINK,
                .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
        };
        socklen_t len = sizeof(sa);
        struct timespec start, now;
        int r;

        if (la->fd >= 0)
                return -EALREADY;
        la->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
        if (la->fd < 0)
                return -errno;
        if (bind(la->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            getsockname(la->fd, (struct sockaddr *) &sa, &len) < 0)
                return -errno;
        la->portid = sa.nl_pid;
        la->seq = (uint32_t) time(NULL);

        r = request_dump(la);
        if (r < 0)
                return r;
        /* The whole table before the first flow is judged. */
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (la->dumping || la->dump_again) {
                struct pollfd p = { .fd = la->fd, .events = POLLIN };
                long elapsed;

                clock_gettime(CLOCK_MONOTONIC, &now);
                elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (elapsed >= LOCAL_DUMP_TIMEOUT_MSEC)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) (LOCAL_DUMP_TIMEOUT_MSEC - elapsed));
                if (r < 0 && errno != EINTR)
                        return -errno;
                r = read_socket(la);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) local_addresses_dispatch(userdata); /* errors: the next dump repairs */
        return 0;
}

int local_addresses_attach_event(struct local_addresses *la, sd_event *e, int64_t priority) {
        int r;

        if (la->fd < 0)
                return -EBADF;
        r = sd_event_add_io(e, &la->source, la->fd, EPOLLIN, on_io, la);
        if (r < 0)
                return r;
        return sd_event_source_set_priority(la->source, priority);
}
