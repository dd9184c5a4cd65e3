/* SPDX-License-Identifier: MIT */
/*
 * Messages are parsed with libmnl rather than nfct_nlmsg_parse(): a reused
 * struct nf_conntrack keeps attributes from the previous event (a DESTROY's
 * counters would leak into the next NEW), and the library allocates for
 * labels and security contexts. Walking the attributes ourselves reads only
 * what the entry needs, validates every length, and never allocates.
 * libnetfilter_conntrack still builds the kernel-side BPF filter.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "ct-duration.h"
#include "ct-tuple.h"
#include "nlmsg.h"
#include "socket-drops.h"

#define CONNTRACK_BATCH 32        /* messages per recvmmsg */
#define CONNTRACK_MSG_SIZE 8192   /* one event is a few hundred bytes */
#define CONNTRACK_DISPATCH_MAX 64 /* recvmmsg calls per dispatch */

struct conntrack_input {
        int fd;
        unsigned families;
        flow_handler_t handler;
        conntrack_loss_handler_t loss;
        void *userdata;
        struct conntrack_stats stats;
        struct socket_drops drops;
        uint64_t drops_seen;         /* drops.total at the last overrun counted */
        struct ct_timeouts timeouts; /* the namespace's, for durations */
        struct flow flow;            /* filled in place per event */

        struct mmsghdr msgs[CONNTRACK_BATCH];
        struct iovec iov[CONNTRACK_BATCH];
        struct sockaddr_nl addrs[CONNTRACK_BATCH];
        uint8_t buf[CONNTRACK_BATCH][CONNTRACK_MSG_SIZE];
};

/* Reads a big-endian u64 (or an old kernel's u32) counter or timestamp. */
static int get_be64(const struct nlattr *a, uint64_t *ret) {
        if (mnl_attr_get_payload_len(a) == 8)
                *ret = be64toh(mnl_attr_get_u64(a));
        else if (mnl_attr_get_payload_len(a) == 4)
                *ret = ntohl(mnl_attr_get_u32(a));
        else
                return -EINVAL;
        return 0;
}

static int parse_counters(const struct nlattr *nest, uint64_t *packets, uint64_t *bytes) {
        const struct nlattr *a;
        bool p = false, b = false;

        if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
                return -EINVAL;
        mnl_attr_for_each_nested(a, nest) {
                switch (mnl_attr_get_type(a)) {
                case CTA_COUNTERS_PACKETS:
                case CTA_COUNTERS32_PACKETS:
                        if (get_be64(a, packets) < 0)
                                return -EINVAL;
                        p = true;
                        break;
                case CTA_COUNTERS_BYTES:
                case CTA_COUNTERS32_BYTES:
                        if (get_be64(a, bytes) < 0)
                                return -EINVAL;
                        b = true;
                        break;
                default:
                        break;
                }
        }
        return p && b ? 1 : 0;
}

static int parse_timestamps(const struct nlattr *nest, struct flow *f) {
        const struct nlattr *a;

        if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
                return -EINVAL;
        mnl_attr_for_each_nested(a, nest) {
                if (mnl_attr_get_type(a) == CTA_TIMESTAMP_START) {
                        if (get_be64(a, &f->start_ns) < 0)
                                return -EINVAL;
                        f->has_timestamps = true;
                } else if (mnl_attr_get_type(a) == CTA_TIMESTAMP_STOP) {
                        if (get_be64(a, &f->stop_ns) < 0)
                                return -EINVAL;
                }
        }
        return 0;
}

/* CTA_PROTOINFO: only TCP's state is read; other transports have none. */
static int parse_protoinfo(const struct nlattr *nest, struct flow *f) {
        const struct nlattr *a, *b;

        if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
                return -EINVAL;
        mnl_attr_for_each_nested(a, nest) {
                if (mnl_attr_get_type(a) != CTA_PROTOINFO_TCP)
                        continue;
                if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
                        return -EINVAL;
                mnl_attr_for_each_nested(b, a) {
                        if (mnl_attr_get_type(b) != CTA_PROTOINFO_TCP_STATE)
                                continue;
                        if (mnl_attr_validate(b, MNL_TYPE_U8) < 0)
                                return -EINVAL;
                        f->tcp_state = mnl_attr_get_u8(b);
                        f->has_tcp_state = true;
                }
        }
        return 0;
}

int conntrack_parse_message(const struct nlmsghdr *nlh, size_t len, unsigned families, struct flow *f) {
        const struct nfgenmsg *nfg;
        const struct nlattr *a;
        struct ct_tuple orig = {}, reply = {};
        bool has_orig_counters = false, has_reply_counters = false;
        int r;

        memset(f, 0, sizeof(*f));

        if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
                return CONNTRACK_PARSE_MALFORMED;
        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
                return CONNTRACK_PARSE_IGNORED;
        switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
        case IPCTNL_MSG_CT_NEW:
                f->action = FLOW_CONNECTION_NEW;
                break;
        case IPCTNL_MSG_CT_DELETE:
                f->action = FLOW_CONNECTION_END;
                break;
        default:
                return CONNTRACK_PARSE_IGNORED;
        }
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg))
                return CONNTRACK_PARSE_MALFORMED;
        nfg = mnl_nlmsg_get_payload(nlh);
        switch (nfg->nfgen_family) {
        case AF_INET:
                if (!(families & INPUT_FAMILY_IPV4))
                        return CONNTRACK_PARSE_IGNORED;
                break;
        case AF_INET6:
                if (!(families & INPUT_FAMILY_IPV6))
                        return CONNTRACK_PARSE_IGNORED;
                break;
        default:
                return CONNTRACK_PARSE_IGNORED;
        }
        f->family = nfg->nfgen_family;

        /* Each attribute is checked against the exact message end, not the
         * padded one mnl_attr_for_each() would use (see nlmsg.h). */
        nlmsg_for_each_attr(a, nlh, sizeof(*nfg)) {
                switch (mnl_attr_get_type(a)) {
                case CTA_TUPLE_ORIG:
                        if (ct_tuple_parse(a, f->family, &orig) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        break;
                case CTA_TUPLE_REPLY:
                        if (ct_tuple_parse(a, f->family, &reply) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        break;
                case CTA_ID:
                        if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        f->ct_id = ntohl(mnl_attr_get_u32(a));
                        break;
                case CTA_STATUS:
                        if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        f->ct_status = ntohl(mnl_attr_get_u32(a));
                        f->has_status = true;
                        break;
                case CTA_PROTOINFO:
                        if (parse_protoinfo(a, f) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        break;
                case CTA_MARK:
                        if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        f->ct_mark = ntohl(mnl_attr_get_u32(a));
                        break;
                case CTA_ZONE:
                        if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        f->ct_zone = ntohs(mnl_attr_get_u16(a));
                        break;
                case CTA_COUNTERS_ORIG:
                        r = parse_counters(a, &f->orig_packets, &f->orig_bytes);
                        if (r < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        has_orig_counters = r > 0;
                        break;
                case CTA_COUNTERS_REPLY:
                        r = parse_counters(a, &f->reply_packets, &f->reply_bytes);
                        if (r < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        has_reply_counters = r > 0;
                        break;
                case CTA_TIMESTAMP:
                        if (parse_timestamps(a, f) < 0)
                                return CONNTRACK_PARSE_MALFORMED;
                        break;
                default:
                        break;
                }
        }
        if (!nlmsg_attrs_complete(nlh, a))
                return CONNTRACK_PARSE_MALFORMED;

        if (!ct_tuple_complete(&orig))
                return CONNTRACK_PARSE_MALFORMED;
        if (orig.proto != IPPROTO_TCP && orig.proto != IPPROTO_UDP)
                return CONNTRACK_PARSE_IGNORED;
        if (!orig.has_ports)
                return CONNTRACK_PARSE_MALFORMED;

        f->l4proto = orig.proto;
        f->src = orig.src;
        f->dst = orig.dst;
        f->src_port = orig.src_port;
        f->dst_port = orig.dst_port;
        f->has_ct = true;
        f->has_counters = has_orig_counters && has_reply_counters;

        f->ct_dir = FLOW_DIR_ORIGINAL;
        ct_tuple_fill_flow(&orig, &reply, f->family, f);
        return CONNTRACK_PARSE_OK;
}

static int set_rcvbuf(struct conntrack_input *in, uint32_t size) {
        int v = (int) size;

        if (setsockopt(in->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) >= 0) {
                in->stats.rcvbuf_forced = true;
        } else {
                /* Without CAP_NET_ADMIN: capped by net.core.rmem_max. */
                if (setsockopt(in->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
                        return -errno;
                in->stats.rcvbuf_forced = false;
        }
        in->stats.rcvbuf = size;
        return 0;
}

int conntrack_input_set_rcvbuf(struct conntrack_input *in, uint32_t rcvbuf, uint32_t rcvbuf_max) {
        in->stats.rcvbuf_max = rcvbuf_max;
        if (rcvbuf <= in->stats.rcvbuf)
                return 0;
        return set_rcvbuf(in, MIN(rcvbuf, rcvbuf_max));
}

static int attach_filter(int fd, unsigned families) {
        struct nfct_filter *filter;
        int r = 0;

        filter = nfct_filter_create();
        if (!filter)
                return -ENOMEM;
        nfct_filter_add_attr_u32(filter, NFCT_FILTER_L4PROTO, IPPROTO_TCP);
        nfct_filter_add_attr_u32(filter, NFCT_FILTER_L4PROTO, IPPROTO_UDP);

        /* There is no family filter: a negated match-all prefix of the
         * unwanted family rejects its events, and leaves the other alone
         * (its events lack the attribute the rule tests). */
        if (!(families & INPUT_FAMILY_IPV6)) {
                struct nfct_filter_ipv6 any6 = {};

                nfct_filter_add_attr(filter, NFCT_FILTER_SRC_IPV6, &any6);
                nfct_filter_set_logic(filter, NFCT_FILTER_SRC_IPV6, NFCT_FILTER_LOGIC_NEGATIVE);
        }
        if (!(families & INPUT_FAMILY_IPV4)) {
                struct nfct_filter_ipv4 any4 = {};

                nfct_filter_add_attr(filter, NFCT_FILTER_SRC_IPV4, &any4);
                nfct_filter_set_logic(filter, NFCT_FILTER_SRC_IPV4, NFCT_FILTER_LOGIC_NEGATIVE);
        }
        if (nfct_filter_attach(fd, filter) < 0)
                r = -errno;
        nfct_filter_destroy(filter);
        return r;
}

int conntrack_input_new(struct conntrack_input **ret, unsigned families, uint32_t rcvbuf,
                        uint32_t rcvbuf_max, flow_handler_t handler,
                        conntrack_loss_handler_t loss, void *userdata) {
        _cleanup_(conntrack_input_freep) struct conntrack_input *in = NULL;
        struct sockaddr_nl sa = {
                .nl_family = AF_NETLINK,
                .nl_groups = NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_DESTROY,
        };
        int r;

        if (!families || !handler || rcvbuf > rcvbuf_max)
                return -EINVAL;

        in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->families = families;
        in->handler = handler;
        in->loss = loss;
        in->userdata = userdata;
        in->stats.rcvbuf_max = rcvbuf_max;

        in->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
        if (in->fd < 0)
                return -errno;
        r = set_rcvbuf(in, rcvbuf);
        if (r < 0)
                return r;
        r = attach_filter(in->fd, families);
        if (r < 0)
                return r;
        (void) socket_drops_init(&in->drops, in->fd); /* unsupported: ENOBUFS is all we know */
        /* Subscribing to ctnetlink groups needs CAP_NET_ADMIN: -EPERM. */
        if (bind(in->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;

        for (unsigned i = 0; i < CONNTRACK_BATCH; i++) {
                in->iov[i] = (struct iovec) { .iov_base = in->buf[i], .iov_len = CONNTRACK_MSG_SIZE };
                in->msgs[i].msg_hdr = (struct msghdr) {
                        .msg_name = &in->addrs[i],
                        .msg_namelen = sizeof(in->addrs[i]),
                        .msg_iov = &in->iov[i],
                        .msg_iovlen = 1,
                };
        }

        *ret = in;
        in = NULL;
        return 0;
}

void conntrack_input_set_timeouts(struct conntrack_input *in, const struct ct_timeouts *t) {
        in->timeouts = *t;
}

struct conntrack_input *conntrack_input_free(struct conntrack_input *in) {
        if (!in)
                return NULL;
        if (in->fd >= 0)
                close(in->fd);
        free(in);
        return NULL;
}

int conntrack_input_fd(const struct conntrack_input *in) {
        return in->fd;
}

void conntrack_input_get_stats(struct conntrack_input *in, struct conntrack_stats *ret) {
        (void) socket_drops_update(&in->drops, in->fd);
        *ret = in->stats;
        ret->dropped_exact = in->drops.supported;
        /* Without the kernel's count, each overrun lost at least one event. */
        ret->dropped = in->drops.supported ? in->drops.total : in->stats.enobufs;
}

/* One overrun: count it, grow the buffer once, say so. */
static void overrun(struct conntrack_input *in) {
        in->stats.enobufs++;
        if (in->stats.rcvbuf < in->stats.rcvbuf_max) {
                uint64_t next = (uint64_t) in->stats.rcvbuf * 2;

                (void) set_rcvbuf(in, (uint32_t) MIN(next, (uint64_t) in->stats.rcvbuf_max));
        }
        if (in->loss)
                in->loss(in, in->userdata);
}

/* 1: the kernel's drop counter rose since the last overrun counted;
 * 0: it did not; negative errno: it could not be read. */
static int new_drops(struct conntrack_input *in) {
        int r = socket_drops_update(&in->drops, in->fd);

        if (r < 0)
                return r;
        if (in->drops.total == in->drops_seen)
                return 0;
        in->drops_seen = in->drops.total;
        return 1;
}

/* An overrun shows twice: as the drop counter rising and as ENOBUFS on the
 * next read, in either order (after a stall the tick can run before the
 * reader). Whichever comes first counts it; the other finds no new drop. */
static void lost(struct conntrack_input *in) {
        if (!in->drops.supported || new_drops(in) != 0)
                overrun(in);
}

void conntrack_input_check_drops(struct conntrack_input *in) {
        if (in->drops.supported && new_drops(in) > 0)
                overrun(in);
}

static void handle_datagram(struct conntrack_input *in, unsigned i) {
        const struct mmsghdr *m = &in->msgs[i];
        const struct nlmsghdr *nlh = (const struct nlmsghdr *) in->buf[i];
        int len = (int) m->msg_len;

        /* Only the kernel (port 0) sends events; a truncated datagram is
         * not worth parsing. */
        if (in->addrs[i].nl_pid != 0 || (m->msg_hdr.msg_flags & MSG_TRUNC)) {
                in->stats.malformed++;
                return;
        }
        while (nlmsg_ok(nlh, len)) {
                int r = conntrack_parse_message(nlh, (size_t) len, in->families, &in->flow);

                if (r == CONNTRACK_PARSE_OK) {
                        in->stats.events++;
                        if (in->flow.action == FLOW_CONNECTION_END)
                                in->flow.has_duration = ct_duration(&in->timeouts, &in->flow,
                                                                    &in->flow.duration_ns);
                        in->handler(&in->flow, in->userdata);
                } else if (r == CONNTRACK_PARSE_MALFORMED)
                        in->stats.malformed++;
                else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
                        in->stats.ignored++;
                nlh = mnl_nlmsg_next(nlh, &len);
        }
        if (len != 0)
                in->stats.malformed++; /* trailing bytes that are no message */
}

/* Reads until EAGAIN, or until max_rounds recvmmsg calls (0: no limit). */
static int dispatch(struct conntrack_input *in, unsigned max_rounds) {
        int handled = 0;

        for (unsigned round = 0; max_rounds == 0 || round < max_rounds; round++) {
                uint64_t before = in->stats.events;
                int n;

                for (unsigned i = 0; i < CONNTRACK_BATCH; i++) {
                        in->msgs[i].msg_hdr.msg_namelen = sizeof(in->addrs[i]);
                        in->msgs[i].msg_hdr.msg_flags = 0;
                }
                n = recvmmsg(in->fd, in->msgs, CONNTRACK_BATCH, MSG_DONTWAIT, NULL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        if (errno == ENOBUFS) {
                                lost(in);
                                continue;
                        }
                        return -errno;
                }
                for (int i = 0; i < n; i++)
                        handle_datagram(in, (unsigned) i);
                handled += (int) (in->stats.events - before);
                if (n < CONNTRACK_BATCH)
                        break;
        }
        return handled;
}

int conntrack_input_dispatch(struct conntrack_input *in) {
        return dispatch(in, CONNTRACK_DISPATCH_MAX);
}

int conntrack_input_stop(struct conntrack_input *in) {
        static const int groups[] = { NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_DESTROY };

        /* Once out of the groups nothing more is queued: what is there is
         * finite, and after reading it the drop count is final. */
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                if (setsockopt(in->fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0)
                        return -errno;
        return dispatch(in, 0);
}
