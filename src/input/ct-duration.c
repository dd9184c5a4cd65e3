/* SPDX-License-Identifier: MIT */

#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>

#include "ct-duration.h"
#include "macro.h"
#include "sysctl-check.h"
#include "tcp-state.h"

#define NSEC_PER_SEC 1000000000ull
/* The kernel keeps timeouts in jiffies: an entry that expired reads as
 * living up to a jiffy less than its timeout. One jiffy at the coarsest
 * CONFIG_HZ (100). */
#define JIFFY_SLACK_NS 10000000ull
/* SYN_SENT2 (a simultaneous open) has a timeout but no sysctl. */
#define SYN_SENT2_TIMEOUT 120

/* The sysctl of each state with one. */
static const char *const tcp_state_sysctls[_TCP_STATE_MAX] = {
        [TCP_STATE_SYN_SENT] = "nf_conntrack_tcp_timeout_syn_sent",
        [TCP_STATE_SYN_RECV] = "nf_conntrack_tcp_timeout_syn_recv",
        [TCP_STATE_ESTABLISHED] = "nf_conntrack_tcp_timeout_established",
        [TCP_STATE_FIN_WAIT] = "nf_conntrack_tcp_timeout_fin_wait",
        [TCP_STATE_CLOSE_WAIT] = "nf_conntrack_tcp_timeout_close_wait",
        [TCP_STATE_LAST_ACK] = "nf_conntrack_tcp_timeout_last_ack",
        [TCP_STATE_TIME_WAIT] = "nf_conntrack_tcp_timeout_time_wait",
        [TCP_STATE_CLOSE] = "nf_conntrack_tcp_timeout_close",
};

static int read_one(const char *dir, const char *file, uint32_t *ret) {
        int v = sysctl_read_int(dir, file);

        *ret = v > 0 ? (uint32_t) v : 0;
        return v > 0;
}

int ct_timeouts_read(struct ct_timeouts *t, const char *dir) {
        int n = 0;

        *t = (struct ct_timeouts) {};
        for (unsigned i = 0; i < _TCP_STATE_MAX; i++)
                if (tcp_state_sysctls[i])
                        n += read_one(dir, tcp_state_sysctls[i], &t->tcp[i]);
        t->tcp[TCP_STATE_SYN_SENT2] = SYN_SENT2_TIMEOUT;
        n += read_one(dir, "nf_conntrack_tcp_timeout_max_retrans", &t->tcp_retrans);
        n += read_one(dir, "nf_conntrack_tcp_timeout_unacknowledged", &t->tcp_unack);
        n += read_one(dir, "nf_conntrack_udp_timeout", &t->udp);
        n += read_one(dir, "nf_conntrack_udp_timeout_stream", &t->udp_stream);
        return n;
}

/* The timeout the last packet set, in seconds; 0 when unknown or ambiguous. */
static uint32_t last_timeout(const struct ct_timeouts *t, const struct flow *f) {
        if (f->l4proto == IPPROTO_UDP)
                /* Assured (replies, and still active after 2 s): every
                 * later packet sets the stream timeout; else the short one. */
                return f->ct_status & IPS_ASSURED ? t->udp_stream : t->udp;
        if (f->l4proto != IPPROTO_TCP || !f->has_tcp_state || f->tcp_state >= _TCP_STATE_MAX)
                return 0;
        /* Above the retransmission or unacknowledged timeout the kernel may
         * have used one of those instead: not knowable from the event. */
        if ((t->tcp_retrans && t->tcp[f->tcp_state] > t->tcp_retrans) ||
            (t->tcp_unack && t->tcp[f->tcp_state] > t->tcp_unack))
                return 0;
        return t->tcp[f->tcp_state];
}

bool ct_duration(const struct ct_timeouts *t, const struct flow *f, uint64_t *ret) {
        uint64_t lifetime, timeout_ns;
        uint32_t timeout;

        if (f->action != FLOW_CONNECTION_END || !f->has_timestamps || !f->has_status ||
            f->stop_ns < f->start_ns)
                return false;
        timeout = last_timeout(t, f);
        if (timeout == 0)
                return false;
        lifetime = f->stop_ns - f->start_ns;
        timeout_ns = (uint64_t) timeout * NSEC_PER_SEC;
        if (lifetime + JIFFY_SLACK_NS < timeout_ns)
                return false; /* removed before it expired */
        *ret = lifetime > timeout_ns ? lifetime - timeout_ns : 0;
        return true;
}
