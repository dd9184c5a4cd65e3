/* SPDX-License-Identifier: MIT */
/* libFuzzer target: one ctnetlink datagram, walked message by message as
 * the conntrack input does, each message through conntrack_parse_message().
 * A parsed event must be a TCP or UDP connection of the family it claims,
 * with IPv4 addresses zero-padded; the family filter must only ever turn a
 * result into "ignored"; and parsing must not depend on what the flow held
 * before. */

#include <libmnl/libmnl.h>
#include <string.h>

#include "config.h"
#include "conntrack.h"
#include "fuzz.h"
#include "nlmsg.h"

static bool zero_after(const union flow_addr *a, size_t n) {
        for (size_t i = n; i < sizeof(a->bytes); i++)
                if (a->bytes[i])
                        return false;
        return true;
}

static void check_flow(const struct flow *f) {
        size_t n = f->family == AF_INET ? 4 : 16;

        fuzz_assert(f->family == AF_INET || f->family == AF_INET6);
        fuzz_assert(f->l4proto == IPPROTO_TCP || f->l4proto == IPPROTO_UDP);
        fuzz_assert(f->action == FLOW_CONNECTION_NEW || f->action == FLOW_CONNECTION_END);
        fuzz_assert(f->has_ct && !f->has_nflog);
        fuzz_assert(zero_after(&f->src, n) && zero_after(&f->dst, n));
        fuzz_assert(!f->has_snat || zero_after(&f->snat, n));
        fuzz_assert(f->has_snat || f->snat_port == 0);
        fuzz_assert(!f->has_dnat || zero_after(&f->dnat, n));
        fuzz_assert(f->has_dnat || f->dnat_port == 0);
        /* an event is its own connection, in the original direction */
        fuzz_assert(f->has_ct_tuple && f->ct_dir == FLOW_DIR_ORIGINAL);
        fuzz_assert(memcmp(&f->ct_src, &f->src, sizeof(f->src)) == 0 &&
                    memcmp(&f->ct_dst, &f->dst, sizeof(f->dst)) == 0);
        fuzz_assert(f->ct_sport == f->src_port && f->ct_dport == f->dst_port);
}

static void parse_message(const struct nlmsghdr *nlh, size_t len) {
        const unsigned both = INPUT_FAMILY_IPV4 | INPUT_FAMILY_IPV6;
        struct flow f, g;
        int r, r4, r6;

        memset(&f, 0xa5, sizeof(f)); /* leftovers of an earlier event */
        r = conntrack_parse_message(nlh, len, both, &f);
        fuzz_assert(r == CONNTRACK_PARSE_OK || r == CONNTRACK_PARSE_MALFORMED || r == CONNTRACK_PARSE_IGNORED);

        memset(&g, 0, sizeof(g));
        fuzz_assert(conntrack_parse_message(nlh, len, both, &g) == r);
        if (r == CONNTRACK_PARSE_OK) {
                check_flow(&f);
                fuzz_assert(memcmp(&f, &g, sizeof(f)) == 0);
        }

        /* With one family, the other's events are ignored, nothing else changes. */
        r4 = conntrack_parse_message(nlh, len, INPUT_FAMILY_IPV4, &g);
        r6 = conntrack_parse_message(nlh, len, INPUT_FAMILY_IPV6, &g);
        if (r == CONNTRACK_PARSE_IGNORED)
                fuzz_assert(r4 == r && r6 == r);
        else if (r == CONNTRACK_PARSE_OK || r == CONNTRACK_PARSE_MALFORMED)
                fuzz_assert((r4 == r && r6 == CONNTRACK_PARSE_IGNORED) ||
                            (r6 == r && r4 == CONNTRACK_PARSE_IGNORED) ||
                            (r4 == r && r6 == r && r == CONNTRACK_PARSE_MALFORMED));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ void *buf = fuzz_copy(data, size);
        const struct nlmsghdr *nlh = buf;
        int len = (int) MIN(size, (size_t) INT32_MAX);

        if (!buf)
                return 0;
        /* As the input's datagram handler walks a datagram. */
        while (nlmsg_ok(nlh, len)) {
                parse_message(nlh, (size_t) len);
                nlh = mnl_nlmsg_next(nlh, &len);
        }
        return 0;
}
