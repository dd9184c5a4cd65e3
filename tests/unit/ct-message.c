/* SPDX-License-Identifier: MIT */

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct-message.h"

static void put_addr(struct nlmsghdr *nlh, int family, uint16_t v4_type, uint16_t v6_type, const char *text) {
        uint8_t a[16];

        assert_int_equal(inet_pton(family, text, a), 1);
        if (family == AF_INET)
                mnl_attr_put(nlh, v4_type, 4, a);
        else
                mnl_attr_put(nlh, v6_type, 16, a);
}

void ct_message_put_tuple(struct nlmsghdr *nlh, uint16_t type, int family, const char *src,
                          const char *dst, uint8_t proto, uint16_t sport, uint16_t dport) {
        struct nlattr *tuple = mnl_attr_nest_start(nlh, type), *nest;

        nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
        put_addr(nlh, family, CTA_IP_V4_SRC, CTA_IP_V6_SRC, src);
        put_addr(nlh, family, CTA_IP_V4_DST, CTA_IP_V6_DST, dst);
        mnl_attr_nest_end(nlh, nest);
        nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
        mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
        mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
        mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
        mnl_attr_nest_end(nlh, nest);
        mnl_attr_nest_end(nlh, tuple);
}
