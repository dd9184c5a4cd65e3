/* SPDX-License-Identifier: MIT */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel-netns.h"

static int loopback_up(void) {
        struct ifreq ifr = { .ifr_name = "lo" };
        int fd, r = 0;

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                r = -errno;
        ifr.ifr_flags |= IFF_UP;
        if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                r = -errno;
        close(fd);
        return r;
}

static int load_ruleset(const char *ruleset) {
        FILE *p = popen("nft -f - 2>&1", "w");

        if (!p)
                return -errno;
        fputs(ruleset, p);
        return pclose(p) == 0 ? 0 : -EIO;
}

const char *kernel_netns_enter(const char *ruleset) {
        if (geteuid() != 0)
                return "needs root (network namespace, nftables, netfilter sockets)";
        if (unshare(CLONE_NEWNET) < 0)
                return "cannot create a network namespace";
        if (loopback_up() < 0)
                return "cannot bring up lo in the namespace";
        if (access("/usr/sbin/nft", X_OK) < 0 && access("/sbin/nft", X_OK) < 0)
                return "nft is not installed";
        if (load_ruleset(ruleset) < 0)
                return "nft could not load the test ruleset";
        return NULL;
}

int kernel_netns_ping(void) {
        struct sockaddr_in dst = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct icmphdr echo = { .type = ICMP_ECHO };
        int fd, r = 0;

        fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
        if (fd < 0)
                return -errno;
        echo.checksum = htons(0xf7ff); /* checksum of this all-zero echo request */
        if (sendto(fd, &echo, sizeof(echo), 0, (struct sockaddr *) &dst, sizeof(dst)) != (ssize_t) sizeof(echo))
                r = -errno;
        close(fd);
        return r;
}
