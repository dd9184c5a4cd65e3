/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ct-tuple.h"


static int copy_addr(const struct nlattr *a, size_t size, union flow_addr *ret) {
        if (mnl_attr_get_payload_len(a) != size)
                return -EINVAL;
        memcpy(ret->bytes, mnl_attr_get_payload(a), size);
        return 0;
}

static int parse_ip(const struct nlattr *nest, int family, struct ct_tuple *t) {
        const struct nlattr *a;

        mnl_attr_for_each_nested(a, nest) {
                switch (mnl_attr_get_type(a)) {
                case CTA_IP_V4_SRC:
                case CTA_IP_V4_DST:
                case CTA_IP_V6_SRC:
                case CTA_IP_V6_DST: {
                        unsigned type = mnl_attr_get_type(a);
                        bool v4 = type == CTA_IP_V4_SRC || type == CTA_IP_V4_DST;
                        bool src = type == CTA_IP_V4_SRC || type == CTA_IP_V6_SRC;

                        if (v4 != (family == AF_INET))
                                return -EINVAL;
                        if (copy_addr(a, v4 ? 4 : 16, src ? &t->src : &t->dst) < 0)
                                return -EINVAL;
                        if (src)
                                t->has_src = true;
                        else
                                t->has_dst = true;
                        break;
                }
                default:
                        break;
                }
        }
        return 0;
}

static int parse_proto(const struct nlattr *nest, struct ct_tuple *t) {
        const struct nlattr *a;
        bool sport = false, dport = false;

        mnl_attr_for_each_nested(a, nest) {
                switch (mnl_attr_get_type(a)) {
                case CTA_PROTO_NUM:
                        if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
                                return -EINVAL;
                        t->proto = mnl_attr_get_u8(a);
                        t->has_proto = true;
                        break;
                case CTA_PROTO_SRC_PORT:
                        if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
                                return -EINVAL;
                        t->src_port = ntohs(mnl_attr_get_u16(a));
                        sport = true;
                        break;
                case CTA_PROTO_DST_PORT:
                        if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
                                return -EINVAL;
                        t->dst_port = ntohs(mnl_attr_get_u16(a));
                        dport = true;
                        break;
                default:
                        break;
                }
        }
        t->has_ports = sport && dport;
        return 0;
}

int ct_tuple_parse(const struct nlattr *nest, int family, struct ct_tuple *t) {
        const struct nlattr *a;

        if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
                return -EINVAL;
        mnl_attr_for_each_nested(a, nest) {
                if (mnl_attr_get_type(a) == CTA_TUPLE_IP) {
                        if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 || parse_ip(a, family, t) < 0)
                                return -EINVAL;
                } else if (mnl_attr_get_type(a) == CTA_TUPLE_PROTO) {
                        if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 || parse_proto(a, t) < 0)
                                return -EINVAL;
                }
        }
        return 0;
}

bool ct_tuple_complete(const struct ct_tuple *t) {
        return t->has_src && t->has_dst && t->has_proto;
}

void ct_tuple_fill_flow(const struct ct_tuple *orig, const struct ct_tuple *reply, int family, struct flow *f) {
        size_t size = family == AF_INET6 ? 16 : 4;

        f->has_ct_tuple = true;
        f->ct_src = orig->src;
        f->ct_dst = orig->dst;
        f->ct_sport = orig->src_port;
        f->ct_dport = orig->dst_port;

        if (!ct_tuple_complete(reply) || !reply->has_ports)
                return;
        /* The reply goes back to the address the router put on the wire:
         * when that is not the original source, the connection was SNATed. */
        if (memcmp(reply->dst.bytes, orig->src.bytes, size) != 0 || reply->dst_port != orig->src_port) {
                f->has_snat = true;
                f->snat = reply->dst;
                f->snat_port = reply->dst_port;
        }
        /* The reply comes from the server that really answered: when that is
         * not where the client dialled, the connection was DNATed. */
        if (memcmp(reply->src.bytes, orig->dst.bytes, size) != 0 || reply->src_port != orig->dst_port) {
                f->has_dnat = true;
                f->dnat = reply->src;
                f->dnat_port = reply->src_port;
        }
}
