/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conntrack-dump.h"
#include "conntrack.h"
#include "nlmsg.h"

#define DUMP_BUF_SIZE (64u * 1024) /* the kernel's dump parts are at most 32 KiB */
#define DUMP_READS_PER_DISPATCH 16

struct conntrack_dump {
        int fd;
        unsigned families;
        flow_handler_t handler;
        conntrack_dump_done_t done;
        void *userdata;
        uint32_t portid, seq;
        bool running, interrupted;
        uint64_t entries;
        struct flow flow;
        uint8_t buf[DUMP_BUF_SIZE];
};

int conntrack_dump_new(struct conntrack_dump **ret, unsigned families, flow_handler_t handler,
                       conntrack_dump_done_t done, void *userdata) {
        _cleanup_(conntrack_dump_freep) struct conntrack_dump *d = NULL;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        socklen_t salen = sizeof(sa);

        if (!families || !handler || !done)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->families = families;
        d->handler = handler;
        d->done = done;
        d->userdata = userdata;
        d->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
        if (d->fd < 0)
                return -errno;
        if (bind(d->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            getsockname(d->fd, (struct sockaddr *) &sa, &salen) < 0)
                return -errno;
        d->portid = sa.nl_pid;
        *ret = d;
        d = NULL;
        return 0;
}

struct conntrack_dump *conntrack_dump_free(struct conntrack_dump *d) {
        if (!d)
                return NULL;
        if (d->fd >= 0)
                close(d->fd);
        free(d);
        return NULL;
}

int conntrack_dump_fd(const struct conntrack_dump *d) {
        return d->fd;
}

bool conntrack_dump_running(const struct conntrack_dump *d) {
        return d->running;
}

int conntrack_dump_start(struct conntrack_dump *d) {
        uint8_t req[NLMSG_ALIGN(sizeof(struct nlmsghdr)) + NLMSG_ALIGN(sizeof(struct nfgenmsg))] = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) req;
        struct nfgenmsg *nfg = (struct nfgenmsg *) (req + NLMSG_ALIGN(sizeof(*nlh)));
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

        if (d->running)
                return -EBUSY;
        nlh->nlmsg_len = sizeof(req);
        nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = ++d->seq;
        nlh->nlmsg_pid = d->portid;
        /* AF_UNSPEC lists both families; one family alone is filtered by the kernel. */
        nfg->nfgen_family = d->families == INPUT_FAMILY_IPV4   ? AF_INET
                            : d->families == INPUT_FAMILY_IPV6 ? AF_INET6
                                                               : AF_UNSPEC;
        nfg->version = NFNETLINK_V0;
        if (sendto(d->fd, req, sizeof(req), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        d->running = true;
        d->interrupted = false;
        d->entries = 0;
        return 0;
}

static void finish(struct conntrack_dump *d, bool complete) {
        d->running = false;
        d->done(d, complete && !d->interrupted, d->entries, d->userdata);
}

void conntrack_dump_feed(struct conntrack_dump *d, const void *buf, size_t len) {
        const struct nlmsghdr *nlh = buf;
        int left = (int) MIN(len, (size_t) DUMP_BUF_SIZE);

        while (d->running && nlmsg_ok(nlh, left)) {
                if (nlh->nlmsg_seq != d->seq || nlh->nlmsg_pid != d->portid) {
                        nlh = mnl_nlmsg_next(nlh, &left);
                        continue; /* an earlier dump's leftovers */
                }
                if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
                        d->interrupted = true;
                if (nlh->nlmsg_type == NLMSG_DONE) {
                        finish(d, true);
                        return;
                }
                if (nlh->nlmsg_type == NLMSG_ERROR) {
                        finish(d, false);
                        return;
                }
                if (conntrack_parse_message(nlh, (size_t) left, d->families, &d->flow) == CONNTRACK_PARSE_OK) {
                        d->flow.action = FLOW_CONNECTION_OPEN;
                        d->entries++;
                        d->handler(&d->flow, d->userdata);
                }
                nlh = mnl_nlmsg_next(nlh, &left);
        }
}

int conntrack_dump_dispatch(struct conntrack_dump *d) {
        uint64_t before = d->entries;

        for (unsigned i = 0; i < DUMP_READS_PER_DISPATCH && d->running; i++) {
                struct sockaddr_nl from;
                socklen_t fromlen = sizeof(from);
                ssize_t n = recvfrom(d->fd, d->buf, sizeof(d->buf), MSG_DONTWAIT, (struct sockaddr *) &from,
                                     &fromlen);

                if (n < 0) {
                        int r = -errno;

                        if (r == -EINTR)
                                continue;
                        if (r == -EAGAIN)
                                break;
                        finish(d, false);
                        return r;
                }
                if (from.nl_pid != 0)
                        continue; /* only the kernel answers */
                conntrack_dump_feed(d, d->buf, (size_t) n);
        }
        return (int) (d->entries - before);
}
