/* SPDX-License-Identifier: MIT */

#include <inttypes.h>
#include <stdio.h>

#include "conntrack-quiet.h"
#include "macro.h"

void conntrack_quiet_start(struct conntrack_quiet *q, uint64_t now_usec) {
        *q = (struct conntrack_quiet) { .since_usec = now_usec };
}

void conntrack_quiet_advice(uint64_t quiet_sec, int64_t table_entries, char *buf, size_t size) {
        char when[64];

        if (quiet_sec == 0)
                snprintf(when, sizeof(when), "At start");
        else
                snprintf(when, sizeof(when), "No conntrack event for %" PRIu64 " s:", quiet_sec);

        if (table_entries == 0)
                snprintf(buf, size, "%s the kernel tracks no connection in this network namespace, "
                                    "so appleflowd gets no conntrack event. Most likely no firewall rule here uses "
                                    "connection tracking (ct state, NAT, masquerade): add one, e.g. 'nft add rule inet "
                                    "filter forward ct state established,related accept', or run appleflowd in the "
                                    "namespace that routes the traffic",
                         when);
        else if (table_entries > 0)
                snprintf(buf, size, "%s the kernel tracks %" PRId64 " connection%s but sends no event. "
                                    "Most likely events are off: set net.netfilter.nf_conntrack_events=1 "
                                    "(sysctl -w net.netfilter.nf_conntrack_events=1, and in /etc/sysctl.d/)",
                         when, table_entries, table_entries == 1 ? "" : "s");
        else
                snprintf(buf, size, "%s no traffic, no firewall rule in this network namespace that "
                                    "uses connection tracking (ct state, NAT), or net.netfilter.nf_conntrack_events=0",
                         when);
}

bool conntrack_quiet_check(struct conntrack_quiet *q, uint64_t events, int64_t table_entries,
                           bool at_start, uint64_t now_usec, char *buf, size_t size) {
        if (events != q->events) {
                q->events = events;
                q->since_usec = now_usec;
                q->warned = false;
                return false;
        }
        if (q->warned)
                return false;
        if (at_start) {
                /* Entries without events yet are normal at start: they are older. */
                if (table_entries != 0)
                        return false;
                conntrack_quiet_advice(0, table_entries, buf, size);
        } else {
                if (now_usec < q->since_usec || now_usec - q->since_usec < CONNTRACK_QUIET_USEC)
                        return false;
                conntrack_quiet_advice((now_usec - q->since_usec) / 1000000, table_entries, buf, size);
        }
        q->warned = true;
        return true;
}

uint64_t conntrack_quiet_seconds(const struct conntrack_quiet *q, uint64_t now_usec) {
        if (!q->warned)
                return 0;
        return MAX(now_usec > q->since_usec ? (now_usec - q->since_usec) / 1000000 : 0, (uint64_t) 1);
}
