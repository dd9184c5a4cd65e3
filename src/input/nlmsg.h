/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Walking the netlink messages of one datagram. libmnl's mnl_nlmsg_ok()
 * compares (int) nlmsg_len with the bytes left, so a length of 2 GiB or more
 * turns negative and passes: the walk then reads far past the datagram, or,
 * for 0xffffffff (which aligns to 0), never moves on. These helpers compare
 * unsigned, so a message accepted here lies wholly inside the datagram and
 * mnl_nlmsg_next() steps over it safely.
 *
 * The padding counts too: libmnl steps by, and mnl_attr_for_each() walks up
 * to, the length rounded up to 4. The kernel always sends that padding; a
 * message of 65 bytes at the end of a 65-byte datagram would have its last
 * attribute read 3 bytes past it. Attributes are walked up to the exact
 * length (nlmsg_for_each_attr()), so padding is never taken for data, and an
 * attribute that runs past the message makes it malformed
 * (nlmsg_attrs_complete()).
 */

#include <stdbool.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

static inline bool nlmsg_ok(const struct nlmsghdr *nlh, int len) {
        return len >= (int) sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
               nlh->nlmsg_len <= (unsigned) len && NLMSG_ALIGN(nlh->nlmsg_len) <= (unsigned) len;
}

/* mnl_attr_for_each(), bounded by nlmsg_len rather than its padded end. */
#define nlmsg_for_each_attr(attr, nlh, offset)                                    \
        for ((attr) = mnl_nlmsg_get_payload_offset((nlh), (offset));              \
             mnl_attr_ok((attr), (int) ((const char *) (nlh) + (nlh)->nlmsg_len - \
                                        (const char *) (attr)));                  \
             (attr) = mnl_attr_next(attr))

/* After nlmsg_for_each_attr(): did the walk end at the message's end, rather
 * than stop at an attribute that claims more bytes than are left? */
static inline bool nlmsg_attrs_complete(const struct nlmsghdr *nlh, const struct nlattr *attr) {
        return (const char *) attr >= (const char *) nlh + nlh->nlmsg_len;
}
