/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kernel's TCP connection-tracking states (TCP_CONNTRACK_* in
 * linux/netfilter/nf_conntrack_tcp.h, by number) and the names conntrack(8)
 * prints for them.
 */

#include <stddef.h>
#include <stdint.h>

enum tcp_state {
        TCP_STATE_NONE,
        TCP_STATE_SYN_SENT,
        TCP_STATE_SYN_RECV,
        TCP_STATE_ESTABLISHED,
        TCP_STATE_FIN_WAIT,
        TCP_STATE_CLOSE_WAIT,
        TCP_STATE_LAST_ACK,
        TCP_STATE_TIME_WAIT,
        TCP_STATE_CLOSE,
        TCP_STATE_SYN_SENT2,
        _TCP_STATE_MAX,
};

/* "TIME_WAIT"; NULL for a number the kernel does not define. */
static inline const char *tcp_state_name(uint8_t state) {
        static const char *const names[_TCP_STATE_MAX] = {
                "NONE",
                "SYN_SENT",
                "SYN_RECV",
                "ESTABLISHED",
                "FIN_WAIT",
                "CLOSE_WAIT",
                "LAST_ACK",
                "TIME_WAIT",
                "CLOSE",
                "SYN_SENT2",
        };

        return state < _TCP_STATE_MAX ? names[state] : NULL;
}
