/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kernel settings the conntrack input depends on. The daemon reads them
 * at start and says plainly what to set; it never changes them itself.
 */

#include <stddef.h>

#define SYSCTL_NETFILTER_DIR "/proc/sys/net/netfilter"

enum sysctl_setting {
        SYSCTL_CONNTRACK_EVENTS,        /* no events at all when 0 */
        SYSCTL_CONNTRACK_ACCT,          /* no bytes/packets on connection ends when 0 */
        SYSCTL_CONNTRACK_TIMESTAMP,     /* no durations when 0 */
        _SYSCTL_SETTING_MAX,
};

struct sysctl_state {
        int value[_SYSCTL_SETTING_MAX]; /* the value read, or a negative errno */
};

/* dir: SYSCTL_NETFILTER_DIR, or another directory in tests. */
void sysctl_read(const char *dir, struct sysctl_state *ret);

const char *sysctl_setting_name(enum sysctl_setting s);  /* "net.netfilter.nf_conntrack_acct" */

/* A sentence for the operator when the setting is off or unreadable, naming
 * what is lost and the command that fixes it. Returns NULL when all is well. */
const char *sysctl_advice(enum sysctl_setting s, int value, char *buf, size_t size);
