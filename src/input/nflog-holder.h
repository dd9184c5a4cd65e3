/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Who holds an NFLOG group. The kernel lets one netlink socket bind a group
 * and refuses the next with EPERM, the same error as for missing privileges;
 * /proc/net/netfilter/nfnetlink_log lists the bound groups with their
 * holder's netlink port id, /proc/net/netlink the socket's inode for that
 * port id, and /proc/PID/fd the process that has it open. All of them are
 * the calling process's network namespace.
 */

#include <stddef.h>
#include <stdint.h>

#define NFLOG_HOLDER_GROUPS_PATH "/proc/net/netfilter/nfnetlink_log"
#define NFLOG_HOLDER_NETLINK_PATH "/proc/net/netlink"

/* For the first of groups that is bound: writes "group 2 is in use by
 * netlink port 1234, pid 1234 (ulogd)" (the process where it can be found)
 * and returns 1; 0 when none is bound; negative errno when the kernel's
 * list cannot be read. proc: "/proc", or another root in tests. */
int nflog_group_holder(const char *proc, const uint16_t *groups, size_t n_groups, char *buf, size_t size);
