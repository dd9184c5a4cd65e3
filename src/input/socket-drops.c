/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include "socket-drops.h"

static int read_counter(int fd, uint32_t *ret) {
        uint32_t mem[SK_MEMINFO_VARS] = {};
        socklen_t len = sizeof(mem);

        if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
                return -errno;
        if (len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
                return -ENOPROTOOPT;
        *ret = mem[SK_MEMINFO_DROPS];
        return 0;
}

int socket_drops_init(struct socket_drops *d, int fd) {
        int r;

        *d = (struct socket_drops) {};
        r = read_counter(fd, &d->raw);
        if (r < 0)
                return r;
        d->supported = true;
        return 0;
}

int socket_drops_update(struct socket_drops *d, int fd) {
        uint32_t now = 0;
        int r;

        if (!d->supported)
                return 0;
        r = read_counter(fd, &now);
        if (r < 0)
                return r;
        d->total += (uint32_t) (now - d->raw); /* modulo 2^32: survives the wrap */
        d->raw = now;
        return 0;
}
