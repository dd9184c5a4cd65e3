/* SPDX-License-Identifier: MIT */
/*
 * NFLOG input over libmnl, with libnetfilter_log's message builders.
 *
 * The groups are bound on one NETLINK_NETFILTER socket. The address-family
 * commands (NFULNL_CFG_CMD_PF_BIND/UNBIND) are not sent: `log group N` rules
 * name the nfnetlink_log backend themselves, and unbinding a family would
 * take the default logger away from whatever else on the router uses it.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/if_ether.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "ct-tuple.h"
#include "nflog.h"
#include "nlmsg.h"
#include "packet.h"
#include "socket-drops.h"

#define NFLOG_MAX_GROUPS 32
#define NFLOG_RECV_BUFFER (64 * 1024) /* the kernel batches into NLMSG_GOODSIZE skbs */
#define NFLOG_BATCH 256               /* datagrams per dispatch call */
#define NFLOG_FLUSH_CENTISEC 10       /* kernel batching delay: 0.1 s */
#define NFLOG_ACK_TIMEOUT_MSEC 5000
#define IFNAME_CACHE_SIZE 64 /* direct-mapped by ifindex */

struct ifname_entry {
        uint32_t ifindex;
        time_t expires;
        char name[IF_NAMESIZE];
};

struct nflog_input {
        struct mnl_socket *nl;
        int ifname_fd; /* AF_UNIX socket for SIOCGIFNAME */
        uint32_t portid, seq;
        flow_handler_t handler;
        nflog_payload_handler_t payload_handler; /* instead of handler: the packet as it came */
        void *userdata;
        uint32_t copy_range;
        struct nflog_input_stats stats;
        struct socket_drops drops;
        struct flow flow;
        struct ifname_entry ifnames[IFNAME_CACHE_SIZE];
        uint8_t buf[NFLOG_RECV_BUFFER];
};

/* Waits for the kernel's acknowledgement of request `seq`. Packet messages
 * of groups bound a moment earlier may come first; they are dropped, as they
 * were logged before the input was ready. */
static int wait_ack(struct nflog_input *in, uint32_t seq) {
        int fd = mnl_socket_get_fd(in->nl);

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int r, left;

                r = poll(&p, 1, NFLOG_ACK_TIMEOUT_MSEC);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return -ETIMEDOUT;

                n = recv(fd, in->buf, sizeof(in->buf), MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
                                continue;
                        return -errno;
                }
                left = (int) n;

                for (const struct nlmsghdr *nlh = (const struct nlmsghdr *) in->buf;
                     nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
                        const struct nlmsgerr *err;

                        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq)
                                continue;
                        if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*err))
                                return -EBADMSG;
                        err = mnl_nlmsg_get_payload(nlh);
                        return err->error; /* 0 or a negative errno */
                }
        }
}

/* Sends one NFULNL_MSG_CONFIG for `group` and waits for the answer. */
static int config(struct nflog_input *in, uint16_t group, int cmd, int mode, uint16_t flags) {
        char req[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;

        nlh = nflog_nlmsg_put_header(req, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
        nlh->nlmsg_flags |= NLM_F_ACK;
        nlh->nlmsg_seq = ++in->seq;
        if (cmd >= 0)
                nflog_attr_put_cfg_cmd(nlh, (uint8_t) cmd);
        if (mode >= 0) {
                nflog_attr_put_cfg_mode(nlh, (uint8_t) mode, in->copy_range);
                mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(NFLOG_FLUSH_CENTISEC));
                /* A payload input's packets go out at once: a DNS answer must
                 * be read before the connection it announces, which follows
                 * within a round trip, not after the kernel's batching delay. */
                if (in->payload_handler)
                        mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
        }
        if (flags)
                mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(flags));

        if (mnl_socket_sendto(in->nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        return wait_ack(in, nlh->nlmsg_seq);
}

static void set_rcvbuf(int fd, size_t bytes) {
        int v = (int) MIN(bytes, (size_t) (INT32_MAX / 2));

        if (bytes == 0)
                return;
        /* SO_RCVBUFFORCE passes rmem_max but needs CAP_NET_ADMIN */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static int input_new(struct nflog_input **ret, const uint16_t *groups, size_t n_groups, uint32_t copy_range,
                     size_t rcvbuf_bytes, flow_handler_t handler, nflog_payload_handler_t payload_handler,
                     void *userdata) {
        _cleanup_(nflog_input_freep) struct nflog_input *in = NULL;
        int r;

        if (!ret || (!handler && !payload_handler) || (!groups && n_groups > 0) ||
            n_groups > NFLOG_MAX_GROUPS || copy_range == 0 || copy_range > NFLOG_PAYLOAD_COPY_RANGE_MAX)
                return -EINVAL;

        in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->ifname_fd = -1;
        in->handler = handler;
        in->payload_handler = payload_handler;
        in->userdata = userdata;
        in->copy_range = copy_range;

        in->ifname_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (in->ifname_fd < 0)
                return -errno;

        in->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!in->nl)
                return -errno;
        if (mnl_socket_bind(in->nl, 0, MNL_SOCKET_AUTOPID) < 0)
                return -errno;
        in->portid = mnl_socket_get_portid(in->nl);
        in->seq = (uint32_t) time(NULL);
        set_rcvbuf(mnl_socket_get_fd(in->nl), rcvbuf_bytes);
        (void) socket_drops_init(&in->drops, mnl_socket_get_fd(in->nl));

        for (size_t i = 0; i < n_groups; i++) {
                r = config(in, groups[i], NFULNL_CFG_CMD_BIND, -1, 0);
                if (r < 0)
                        return r;
                r = config(in, groups[i], -1, NFULNL_COPY_PACKET, 0);
                if (r < 0)
                        return r;
                /* The packet's connection (tuples, direction, id, mark) rides
                 * along when nf_conntrack_netlink is available; without it
                 * the kernel refuses the flag and the packets still come,
                 * with direction unknown. The kernel answers EAGAIN when it
                 * has just loaded nf_conntrack_netlink for the request: asked
                 * again, it takes the flag. */
                r = config(in, groups[i], -1, -1, NFULNL_CFG_F_CONNTRACK);
                if (r == -EAGAIN)
                        r = config(in, groups[i], -1, -1, NFULNL_CFG_F_CONNTRACK);
                if (r < 0)
                        in->stats.conntrack_refused = r;
        }

        if (fcntl(mnl_socket_get_fd(in->nl), F_SETFL, O_NONBLOCK) < 0)
                return -errno;

        *ret = in;
        in = NULL;
        return 0;
}

int nflog_input_new(struct nflog_input **ret, const uint16_t *groups, size_t n_groups,
                    size_t rcvbuf_bytes, flow_handler_t handler, void *userdata) {
        if (!handler)
                return -EINVAL;
        return input_new(ret, groups, n_groups, NFLOG_COPY_RANGE, rcvbuf_bytes, handler, NULL, userdata);
}

int nflog_input_new_payload(struct nflog_input **ret, uint16_t group, uint32_t copy_range, size_t rcvbuf_bytes,
                            nflog_payload_handler_t handler, void *userdata) {
        if (!handler)
                return -EINVAL;
        return input_new(ret, &group, 1, copy_range, rcvbuf_bytes, NULL, handler, userdata);
}

struct nflog_input *nflog_input_free(struct nflog_input *in) {
        if (!in)
                return NULL;
        /* closing the socket releases its groups in the kernel */
        if (in->nl)
                mnl_socket_close(in->nl);
        if (in->ifname_fd >= 0)
                close(in->ifname_fd);
        free(in);
        return NULL;
}

int nflog_input_fd(const struct nflog_input *in) {
        return mnl_socket_get_fd(in->nl);
}

const struct nflog_input_stats *nflog_input_get_stats(struct nflog_input *in) {
        if (in->nl && socket_drops_update(&in->drops, mnl_socket_get_fd(in->nl)) >= 0)
                in->stats.dropped = in->drops.total;
        return &in->stats;
}

/* A name for ifindex, from the cache or one SIOCGIFNAME. An index without an
 * interface (gone since) is written as its number. */
static void ifname_lookup(struct nflog_input *in, uint32_t ifindex, char name[static IF_NAMESIZE]) {
        struct ifname_entry *e = &in->ifnames[ifindex % IFNAME_CACHE_SIZE];
        struct ifreq ifr = { .ifr_ifindex = (int) ifindex };
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
        if (e->ifindex == ifindex && now.tv_sec < e->expires) {
                memcpy(name, e->name, IF_NAMESIZE);
                return;
        }

        if (ifindex <= INT32_MAX && ioctl(in->ifname_fd, SIOCGIFNAME, &ifr) >= 0) {
                memcpy(e->name, ifr.ifr_name, IF_NAMESIZE);
                e->name[IF_NAMESIZE - 1] = 0;
        } else
                snprintf(e->name, sizeof(e->name), "%u", ifindex);
        e->ifindex = ifindex;
        e->expires = now.tv_sec + NFLOG_IFNAME_TTL_SEC;
        memcpy(name, e->name, IF_NAMESIZE);
}

/* Copies a prefix of at most `len` bytes (not necessarily NUL-terminated),
 * stopping at NUL, writing printable ASCII only. */
static void copy_prefix(char *dst, size_t size, const char *src, size_t len) {
        size_t i;

        for (i = 0; i < len && i + 1 < size && src[i] != 0; i++) {
                unsigned char c = (unsigned char) src[i];

                dst[i] = c >= 0x20 && c < 0x7f ? (char) c : '?';
        }
        dst[i] = 0;
}

static int ct_attr_cb(const struct nlattr *a, void *data) {
        const struct nlattr **tb = data;
        uint16_t type = mnl_attr_get_type(a);

        if (type <= CTA_MAX)
                tb[type] = a;
        return MNL_CB_OK;
}

static bool attr_u32(const struct nlattr *a, uint32_t *v) {
        if (!a || mnl_attr_get_payload_len(a) != sizeof(uint32_t))
                return false;
        *v = ntohl(mnl_attr_get_u32(a));
        return true;
}

/* The connection's tuples, when they parse and are of the packet's own
 * transport: the packet's flow then knows its connection's original
 * direction and NAT. Otherwise the packet stands alone. */
static bool fill_ct_tuples(struct flow *f, const struct nlattr *orig_nest, const struct nlattr *reply_nest) {
        struct ct_tuple orig = {}, reply = {};

        if (!orig_nest)
                return true; /* nothing to read */
        if (ct_tuple_parse(orig_nest, f->family, &orig) < 0 ||
            (reply_nest && ct_tuple_parse(reply_nest, f->family, &reply) < 0))
                return false;
        if (!ct_tuple_complete(&orig) || !orig.has_ports || orig.proto != f->l4proto)
                return false;
        ct_tuple_fill_flow(&orig, &reply, f->family, f);
        return true;
}

/* enum ip_conntrack_info: the *_REPLY values lie in [IP_CT_IS_REPLY,
 * IP_CT_NUMBER); IP_CT_UNTRACKED and anything unknown say nothing. */
static enum flow_direction ct_direction(uint32_t ctinfo) {
        if (ctinfo < IP_CT_IS_REPLY)
                return FLOW_DIR_ORIGINAL;
        if (ctinfo < IP_CT_NUMBER)
                return FLOW_DIR_REPLY;
        return FLOW_DIR_UNKNOWN;
}

/* NFULA_CT (a nest of ctnetlink attributes) and NFULA_CT_INFO. Returns false
 * when something is there but does not parse: the packet is handled without
 * it, and counted. */
static bool fill_ct(struct flow *f, const struct nlattr *ct, const struct nlattr *ctinfo) {
        const struct nlattr *tb[CTA_MAX + 1] = {};
        uint32_t v;
        bool ok;

        if (mnl_attr_validate(ct, MNL_TYPE_NESTED) < 0 || mnl_attr_parse_nested(ct, ct_attr_cb, tb) < 0)
                return false;
        ok = fill_ct_tuples(f, tb[CTA_TUPLE_ORIG], tb[CTA_TUPLE_REPLY]);
        if (!f->has_ct_tuple) {
                /* a reply tuple alone, or a bad one, must not leave NAT behind */
                f->has_snat = f->has_dnat = false;
        } else if (ctinfo) {
                if (!attr_u32(ctinfo, &v))
                        ok = false;
                else
                        f->ct_dir = ct_direction(v);
        }
        if (!attr_u32(tb[CTA_ID], &v))
                return ok && !tb[CTA_ID];
        f->has_ct = true;
        f->ct_id = v;
        if (attr_u32(tb[CTA_MARK], &v))
                f->ct_mark = v;
        if (tb[CTA_ZONE] && mnl_attr_get_payload_len(tb[CTA_ZONE]) == sizeof(uint16_t))
                f->ct_zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
        return ok;
}

/* Does the link-layer protocol, when it names IPv4 or IPv6, agree with the
 * version nibble? */
static bool family_matches(const struct nlattr *hdr, int family) {
        const struct nfulnl_msg_packet_hdr *ph;
        uint16_t proto;

        if (!hdr || mnl_attr_get_payload_len(hdr) < sizeof(*ph))
                return true;
        ph = mnl_attr_get_payload(hdr);
        proto = ntohs(ph->hw_protocol);
        if (proto == ETH_P_IP)
                return family == AF_INET;
        if (proto == ETH_P_IPV6)
                return family == AF_INET6;
        return true;
}

static void handle_packet(struct nflog_input *in, const struct nlmsghdr *nlh) {
        const struct nlattr *tb[NFULA_MAX + 1] = {}, *a;
        const struct nfgenmsg *nfg;
        struct flow *f = &in->flow;
        uint32_t ifindex;
        int r;

        in->stats.packets++;

        if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*nfg)) {
                in->stats.malformed++;
                return;
        }
        nlmsg_for_each_attr(a, nlh, sizeof(*nfg)) if (mnl_attr_get_type(a) <= NFULA_MAX)
                tb[mnl_attr_get_type(a)] = a;
        if (!nlmsg_attrs_complete(nlh, a) || !tb[NFULA_PAYLOAD]) {
                in->stats.malformed++;
                return;
        }
        nfg = mnl_nlmsg_get_payload(nlh);

        if (in->payload_handler) {
                in->payload_handler(mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
                                    mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), in->userdata);
                return;
        }

        memset(f, 0, sizeof(*f));
        r = packet_parse(mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
                         mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), f);
        if (r != PACKET_MALFORMED && !family_matches(tb[NFULA_PACKET_HDR], f->family))
                r = PACKET_MALFORMED;

        switch (r) {
        case PACKET_OK:
                break;
        case PACKET_NOT_TCP_UDP:
                in->stats.not_tcp_udp++;
                return;
        case PACKET_FRAGMENT:
                in->stats.fragments++;
                return;
        case PACKET_TRUNCATED:
                in->stats.truncated++;
                return;
        default:
                in->stats.malformed++;
                return;
        }

        f->action = FLOW_PACKET_LOGGED;
        f->has_nflog = true;
        f->nflog_group = ntohs(nfg->res_id);
        if (tb[NFULA_PREFIX])
                copy_prefix(f->nflog_prefix, sizeof(f->nflog_prefix),
                            mnl_attr_get_payload(tb[NFULA_PREFIX]),
                            mnl_attr_get_payload_len(tb[NFULA_PREFIX]));
        if (attr_u32(tb[NFULA_IFINDEX_INDEV], &ifindex))
                ifname_lookup(in, ifindex, f->in_interface);
        if (attr_u32(tb[NFULA_IFINDEX_OUTDEV], &ifindex))
                ifname_lookup(in, ifindex, f->out_interface);
        if (tb[NFULA_CT] && !fill_ct(f, tb[NFULA_CT], tb[NFULA_CT_INFO]))
                in->stats.ct_malformed++;

        in->handler(f, in->userdata);
}

void nflog_input_process(struct nflog_input *in, const void *buf, size_t len) {
        int n = (int) MIN(len, (size_t) INT32_MAX);

        for (const struct nlmsghdr *nlh = buf; nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
                if (nlh->nlmsg_type == (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET))
                        handle_packet(in, nlh);
        }
        /* Bytes left that are no whole message (cut short, or a length
         * beyond the datagram) may have held a packet: counted, not skipped. */
        if (n > 0) {
                in->stats.packets++;
                in->stats.malformed++;
        }
}

int nflog_input_dispatch(struct nflog_input *in) {
        int fd = mnl_socket_get_fd(in->nl);

        for (unsigned i = 0; i < NFLOG_BATCH; i++) {
                struct iovec iov = { .iov_base = in->buf, .iov_len = sizeof(in->buf) };
                struct sockaddr_nl sa;
                struct msghdr msg = {
                        .msg_name = &sa,
                        .msg_namelen = sizeof(sa),
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                };
                ssize_t n;

                n = recvmsg(fd, &msg, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return 0;
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                in->stats.enobufs++;
                                continue;
                        }
                        return -errno;
                }
                /* only the kernel may speak to us */
                if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
                        continue;
                /* cannot happen with NFLOG_RECV_BUFFER > the kernel's batch
                 * size; if it does, the messages cut off are lost like on
                 * ENOBUFS */
                if (msg.msg_flags & MSG_TRUNC)
                        in->stats.enobufs++;
                nflog_input_process(in, in->buf, (size_t) n);
        }
        return 0;
}
