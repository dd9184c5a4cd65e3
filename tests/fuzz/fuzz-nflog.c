/* SPDX-License-Identifier: MIT */
/* libFuzzer target: one NFLOG datagram, as nflog_input_dispatch() reads it
 * from the socket, handed to nflog_input_process(): the netlink message
 * walk, the NFLOG attributes (prefix, interfaces, the nested conntrack
 * attributes: tuples, direction) and the packet parser under them. Every
 * packet message must be counted exactly once, and every flow handed over
 * must be a TCP or UDP packet with printable, terminated strings, and
 * direction or NAT only with its connection's tuple. */

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <string.h>

#include "fuzz.h"
#include "nlmsg.h"
#include "nflog.h"

static uint64_t handed;

static void check_string(const char *s, size_t size, bool printable) {
        size_t n = strnlen(s, size);

        fuzz_assert(n < size);
        for (size_t i = 0; printable && i < n; i++)
                fuzz_assert(s[i] >= 0x20 && s[i] < 0x7f);
}

static void on_flow(const struct flow *f, void *userdata) {
        handed++;
        fuzz_assert(f->action == FLOW_PACKET_LOGGED && f->has_nflog);
        fuzz_assert(f->family == AF_INET || f->family == AF_INET6);
        fuzz_assert(f->l4proto == IPPROTO_TCP || f->l4proto == IPPROTO_UDP);
        check_string(f->nflog_prefix, sizeof(f->nflog_prefix), true);
        check_string(f->in_interface, sizeof(f->in_interface), false);
        check_string(f->out_interface, sizeof(f->out_interface), false);
        /* direction and NAT come only with the connection's tuple */
        fuzz_assert(f->ct_dir == FLOW_DIR_UNKNOWN || f->ct_dir == FLOW_DIR_ORIGINAL ||
                    f->ct_dir == FLOW_DIR_REPLY);
        if (!f->has_ct_tuple)
                fuzz_assert(f->ct_dir == FLOW_DIR_UNKNOWN && !f->has_snat && !f->has_dnat &&
                            f->ct_sport == 0 && f->ct_dport == 0);
}

static struct nflog_input *fixture_input(void) {
        static struct nflog_input *in;

        /* No group: nothing comes from the kernel, the messages come from here. */
        if (!in && nflog_input_new(&in, NULL, 0, 0, on_flow, NULL) < 0)
                abort();
        return in;
}

static uint64_t count_packet_messages(const void *buf, size_t len) {
        int n = (int) MIN(len, (size_t) INT32_MAX);
        uint64_t k = 0;

        for (const struct nlmsghdr *nlh = buf; nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n))
                if (nlh->nlmsg_type == (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET))
                        k++;
        /* Bytes that are no whole message count as one malformed packet. */
        return k + (n > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct nflog_input *in = fixture_input();
        _cleanup_free_ void *buf = fuzz_copy(data, size);
        struct nflog_input_stats before, after;
        uint64_t handed_before = handed, outcomes;

        if (!buf)
                return 0;
        before = *nflog_input_get_stats(in);
        nflog_input_process(in, buf, size);
        after = *nflog_input_get_stats(in);

        /* packets = handed over + malformed + not TCP/UDP + fragments + truncated */
        fuzz_assert(after.packets - before.packets == count_packet_messages(buf, size));
        outcomes = (handed - handed_before) + (after.malformed - before.malformed) +
                   (after.not_tcp_udp - before.not_tcp_udp) + (after.fragments - before.fragments) +
                   (after.truncated - before.truncated);
        fuzz_assert(outcomes == after.packets - before.packets);
        fuzz_assert(after.enobufs == before.enobufs);
        /* conntrack information left out belongs to a packet handed over */
        fuzz_assert(after.ct_malformed - before.ct_malformed <= handed - handed_before);
        return 0;
}
