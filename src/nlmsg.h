/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Walking the netlink messages of one datagram. libmnl's mnl_nlmsg_ok()
 * compares (int) nlmsg_len with the bytes left, so a length of 2 GiB or more
 * turns negative and passes: the walk then reads far past the datagram, or,
 * for 0xffffffff (which aligns to 0), never moves on. These helpers compare
 * unsigned, so a message accepted here lies wholly inside the datagram and
 * mnl_nlmsg_next() steps over it safely.
 */

#include <stdbool.h>
#include <linux/netlink.h>

static inline bool nlmsg_ok(const struct nlmsghdr *nlh, int len) {
        return len >= (int) sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
               nlh->nlmsg_len <= (unsigned) len;
}
