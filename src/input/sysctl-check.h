/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kernel settings the conntrack input depends on. The daemon reads them
 * at start and says plainly what to set; it never changes them itself.
 */

#include <stddef.h>

#include "ephemeral-range.h"

#define SYSCTL_NETFILTER_DIR "/proc/sys/net/netfilter"

enum sysctl_setting {
        SYSCTL_CONNTRACK_EVENTS,    /* no events at all when 0 */
        SYSCTL_CONNTRACK_ACCT,      /* no bytes/packets on connection ends when 0 */
        SYSCTL_CONNTRACK_TIMESTAMP, /* no durations when 0 */
        _SYSCTL_SETTING_MAX,
};

struct sysctl_state {
        int value[_SYSCTL_SETTING_MAX]; /* the value read, or a negative errno */
};

/* One non-negative integer setting, dir/file; a negative errno when it is
 * missing or not such a number. */
int sysctl_read_int(const char *dir, const char *file);

/* dir: SYSCTL_NETFILTER_DIR, or another directory in tests. */
void sysctl_read(const char *dir, struct sysctl_state *ret);

const char *sysctl_setting_name(enum sysctl_setting s); /* "net.netfilter.nf_conntrack_acct" */

/* A sentence for the operator when the setting is off or unreadable, naming
 * what is lost and the command that fixes it. Returns NULL when all is well. */
const char *sysctl_advice(enum sysctl_setting s, int value, char *buf, size_t size);

#define SYSCTL_LOCAL_PORT_RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"

/* Reads "first<TAB>last" from path (SYSCTL_LOCAL_PORT_RANGE_PATH, another file
 * in tests). Returns 0 with *ret filled (from_kernel set), or a negative
 * errno with *ret set to EPHEMERAL_RANGE_DEFAULT: -EINVAL for text that is
 * not two ports 1..65535 in order. */
int sysctl_read_local_port_range(const char *path, struct ephemeral_range *ret);
