/* SPDX-License-Identifier: MIT */
/* libFuzzer target: one rtnetlink datagram of address messages (RTM_NEWADDR,
 * RTM_DELADDR), as the router's address table reads them from the kernel,
 * handed to local_addresses_process(). The table must stay bounded and
 * ordered: every address it was told of last (and kept) is found, and the
 * decision for a flow never reads past its addresses. The table carries over
 * from one input to the next, as it does in the daemon. */

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "local-addresses.h"
#include "nlmsg.h"

static struct local_addresses *fixture(void) {
        static struct local_addresses *la;
        struct local_exclusions x = { .router = true, .n_networks = 1, .n_interfaces = 1 };

        if (!la) {
                if (ip_prefix_parse("10.9.0.0/24", &x.networks[0]) < 0)
                        abort();
                strcpy(x.interfaces[0], "lo");
                if (local_addresses_new(&la, &x) < 0)
                        abort();
        }
        return la;
}

/* The address an RTM_NEWADDR names when it is well formed, as the table
 * chooses it (IFA_LOCAL before IFA_ADDRESS). */
static bool new_address(const struct nlmsghdr *nlh, int *family, union flow_addr *a) {
        const struct ifaddrmsg *ifa;
        const struct nlattr *attr, *local = NULL, *address = NULL, *chosen;
        size_t size;

        if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
                return false;
        ifa = mnl_nlmsg_get_payload(nlh);
        nlmsg_for_each_attr(attr, nlh, sizeof(*ifa)) {
                if (mnl_attr_get_type(attr) == IFA_LOCAL)
                        local = attr;
                else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
                        address = attr;
        }
        if (!nlmsg_attrs_complete(nlh, attr) || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
                return false;
        size = ifa->ifa_family == AF_INET ? 4 : 16;
        chosen = local ? local : address;
        if (!chosen || mnl_attr_get_payload_len(chosen) != size || ifa->ifa_prefixlen > size * 8)
                return false;
        memset(a, 0, sizeof(*a));
        memcpy(a->bytes, mnl_attr_get_payload(chosen), size);
        *family = ifa->ifa_family;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct local_addresses *la = fixture();
        _cleanup_free_ void *buf = fuzz_copy(data, size);
        struct local_addresses_stats before, after;
        int n = (int) MIN(size, (size_t) INT32_MAX), family = 0;
        union flow_addr last = {};
        bool have_last = false;
        struct flow f = { .action = FLOW_CONNECTION_NEW, .l4proto = IPPROTO_TCP };

        if (!buf)
                return 0;
        /* the last well-formed RTM_NEWADDR of the datagram, and what follows it */
        for (const struct nlmsghdr *nlh = buf; nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n))
                if (new_address(nlh, &family, &last))
                        have_last = true;
                else if (nlh->nlmsg_type == RTM_DELADDR)
                        have_last = false; /* may have removed it */

        local_addresses_get_stats(la, &before);
        local_addresses_process(la, buf, size);
        local_addresses_get_stats(la, &after);

        fuzz_assert(after.addresses <= LOCAL_ADDRESSES_MAX);
        if (have_last && after.overflow == before.overflow)
                fuzz_assert(local_addresses_is_own(la, family, &last));

        /* a flow to that address: a verdict, within range */
        f.family = have_last ? family : AF_INET6;
        f.src = last;
        f.dst = last;
        fuzz_assert((unsigned) local_addresses_classify(la, &f) < _LOCAL_VERDICT_MAX);
        return 0;
}
