/* SPDX-License-Identifier: MIT */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ip-prefix.h"

size_t ip_prefix_addr_size(int family) {
        return family == AF_INET6 ? 16 : 4;
}

int ip_prefix_parse(const char *s, struct ip_prefix *ret) {
        char text[INET6_ADDRSTRLEN + 8], *slash, *end;
        struct ip_prefix p = {};
        unsigned long len;
        size_t max;

        if (strlen(s) >= sizeof(text))
                return -EINVAL;
        strcpy(text, s);
        slash = strchr(text, '/');
        if (slash)
                *slash = 0;
        if (inet_pton(AF_INET, text, p.addr.bytes) == 1)
                p.family = AF_INET;
        else if (inet_pton(AF_INET6, text, p.addr.bytes) == 1)
                p.family = AF_INET6;
        else
                return -EINVAL;
        max = ip_prefix_addr_size(p.family) * 8;
        len = max;
        if (slash) {
                if (slash[1] < '0' || slash[1] > '9')
                        return -EINVAL;
                errno = 0;
                len = strtoul(slash + 1, &end, 10);
                if (errno != 0 || *end != 0 || len > max)
                        return -EINVAL;
        }
        p.len = (uint8_t) len;
        /* host bits set: a typo more often than a meaning */
        for (size_t bit = p.len; bit < max; bit++)
                if (p.addr.bytes[bit / 8] & (0x80 >> (bit % 8)))
                        return -EINVAL;
        *ret = p;
        return 0;
}

struct ip_prefix ip_prefix_of(int family, const union flow_addr *addr, uint8_t len) {
        struct ip_prefix p = { .family = family, .len = len };
        unsigned full = len / 8, rest = len % 8;

        memcpy(p.addr.bytes, addr->bytes, full);
        if (rest)
                p.addr.bytes[full] = addr->bytes[full] & (uint8_t) (0xff00 >> rest);
        return p;
}
