/* SPDX-License-Identifier: MIT */
/*
 * flowgen: creates new connection-tracking flows at a set rate, for the
 * benchmarks in bench/. Every datagram (or TCP SYN) goes to a destination
 * address and port not used before in the run, so every one is a new 5-tuple
 * and one conntrack NEW event. Meant to run inside a network namespace whose
 * routes send the destinations to a dummy interface: nothing leaves it.
 *
 *   flowgen --count N [--rate PER_SECOND] [--family 4|6|46] [--tcp-every K]
 *           [--dst4 A.B.C.D] [--dst6 PREFIX::] [--ports P,P,...] [--sport P]
 *
 * Destinations: IPv4 base + 1 ... base + 2^23 - 2 (inside a /9 from the base),
 * IPv6 base + 1 ... in the low 64 bits, each address with every port, so the
 * first 6 × 8388606 IPv4 flows are distinct 5-tuples. The UDP flows of a
 * family share one socket (one source port: --sport, or one the kernel
 * picks); each TCP flow has its own, the kernel's.
 *
 * Prints "flows=N failed=F seconds=S rate=R" at the end, also when SIGINT or
 * SIGTERM ends the run early. Exits non-zero on an error, 3 when some flows
 * could not be sent.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench-clock.h"

#define BATCH 64

struct options {
        uint64_t count;
        uint64_t rate; /* flows per second; 0 = as fast as possible */
        bool ipv4, ipv6;
        unsigned tcp_every; /* every K-th flow is TCP; 0 = none */
        struct in_addr dst4;
        struct in6_addr dst6;
        uint16_t ports[64];
        unsigned n_ports;
        uint16_t sport; /* of the UDP sockets; 0 = the kernel's choice */
};

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;

        errno = 0;
        *ret = strtoull(s, &end, 10);
        return errno == 0 && end != s && *end == 0 && s[0] != '-' ? 0 : -EINVAL;
}

static int parse_ports(const char *s, struct options *o) {
        char buf[512];
        if (strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        o->n_ports = 0;
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *end;
                unsigned long p = strtoul(tok, &end, 10);
                if (*end || p == 0 || p > 65535 || o->n_ports >= 64)
                        return -EINVAL;
                o->ports[o->n_ports++] = (uint16_t) p;
        }
        return o->n_ports > 0 ? 0 : -EINVAL;
}

#define HOSTS4 ((1u << 23) - 2) /* stays inside a /9 from the base */

/* The i-th destination of a family: address base + 1 + i / n_ports, port i % n_ports. */
static void destination(const struct options *o, bool v6, uint64_t i, struct sockaddr_storage *ss,
                        socklen_t *len) {
        uint64_t host = i / o->n_ports;
        uint16_t port = o->ports[i % o->n_ports];

        memset(ss, 0, sizeof(*ss));
        if (!v6) {
                struct sockaddr_in *sin = (struct sockaddr_in *) ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                sin->sin_addr.s_addr = htonl(ntohl(o->dst4.s_addr) + 1 + (uint32_t) (host % HOSTS4));
                *len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(port);
                sin6->sin6_addr = o->dst6;
                uint64_t h = host + 1;
                for (int b = 15; b >= 8; b--, h >>= 8)
                        sin6->sin6_addr.s6_addr[b] = (uint8_t) h;
                *len = sizeof(*sin6);
        }
}

/* A TCP flow: a non-blocking connect sends one SYN; closing it sends nothing more. */
static int tcp_flow(const struct sockaddr_storage *ss, socklen_t len) {
        int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int r = connect(fd, (const struct sockaddr *) ss, len);
        r = (r < 0 && errno != EINPROGRESS) ? -errno : 0;
        close(fd);
        return r;
}

static int udp_socket(int family, uint16_t sport) {
        struct sockaddr_storage ss = { .ss_family = (sa_family_t) family };
        socklen_t len;
        int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || sport == 0)
                return fd;
        if (family == AF_INET) {
                ((struct sockaddr_in *) &ss)->sin_port = htons(sport);
                len = sizeof(struct sockaddr_in);
        } else {
                int one = 1;

                /* The same port for the IPv4 socket must stay free. */
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
                ((struct sockaddr_in6 *) &ss)->sin6_port = htons(sport);
                len = sizeof(struct sockaddr_in6);
        }
        if (bind(fd, (struct sockaddr *) &ss, len) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig) {
        stop_requested = 1;
}

static int run(const struct options *o) {
        int fd4 = -1, fd6 = -1;
        static const char payload[] = "flowgen";
        struct sockaddr_storage addrs[BATCH];
        struct mmsghdr msgs[BATCH];
        struct iovec iov = { .iov_base = (void *) payload, .iov_len = sizeof(payload) - 1 };
        uint64_t sent = 0, failed = 0, i4 = 0, i6 = 0;
        uint64_t start = now_ns();

        if (o->ipv4 && (fd4 = udp_socket(AF_INET, o->sport)) < 0)
                return perror("UDP socket, IPv4"), 1;
        if (o->ipv6 && (fd6 = udp_socket(AF_INET6, o->sport)) < 0)
                return perror("UDP socket, IPv6"), 1;

        while (sent < o->count && !stop_requested) {
                /* Pace: never ahead of rate × elapsed. */
                if (o->rate > 0) {
                        uint64_t due = (uint64_t) ((double) sent * 1e9 / (double) o->rate);
                        uint64_t elapsed = now_ns() - start;
                        if (elapsed < due) {
                                uint64_t wait = due - elapsed;
                                struct timespec ts = { wait / 1000000000ull, wait % 1000000000ull };
                                if (wait > 20000)
                                        nanosleep(&ts, NULL);
                                continue;
                        }
                }

                bool v6 = o->ipv6 && (!o->ipv4 || (sent / BATCH) % 2);
                unsigned n = 0;
                uint64_t want = o->count - sent < BATCH ? o->count - sent : BATCH;
                for (; n < want; n++) {
                        uint64_t *idx = v6 ? &i6 : &i4;
                        socklen_t len;
                        destination(o, v6, (*idx)++, &addrs[n], &len);
                        if (o->tcp_every && (sent + n) % o->tcp_every == 0) {
                                if (tcp_flow(&addrs[n], len) < 0)
                                        failed++;
                                /* The slot still counts as a flow; send nothing else for it. */
                                msgs[n].msg_hdr = (struct msghdr) { 0 };
                                msgs[n].msg_len = 0;
                                continue;
                        }
                        msgs[n].msg_hdr = (struct msghdr) {
                                .msg_name = &addrs[n],
                                .msg_namelen = len,
                                .msg_iov = &iov,
                                .msg_iovlen = 1,
                        };
                }
                /* Send the UDP ones; TCP slots have no name and are skipped. */
                for (unsigned k = 0; k < n;) {
                        if (!msgs[k].msg_hdr.msg_name) {
                                k++;
                                continue;
                        }
                        unsigned run_len = 0;
                        while (k + run_len < n && msgs[k + run_len].msg_hdr.msg_name)
                                run_len++;
                        int r = sendmmsg(v6 ? fd6 : fd4, &msgs[k], run_len, 0);
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r <= 0) {
                                /* EPERM: the conntrack table is full and netfilter dropped it. */
                                if (errno != ENOBUFS && errno != EAGAIN && errno != EPERM) {
                                        perror("sendmmsg");
                                        return 1;
                                }
                                failed++;
                                r = 1; /* skip one: it counts as created but failed */
                        }
                        k += (unsigned) r;
                }
                sent += n;
        }

        double secs = (double) (now_ns() - start) / 1e9;
        printf("flows=%llu failed=%llu seconds=%.3f rate=%.0f\n", (unsigned long long) sent,
               (unsigned long long) failed, secs, (double) sent / secs);
        if (fd4 >= 0)
                close(fd4);
        if (fd6 >= 0)
                close(fd6);
        return failed > 0 ? 3 : 0;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "count", required_argument, NULL, 'c' },
                { "rate", required_argument, NULL, 'r' },
                { "family", required_argument, NULL, 'f' },
                { "tcp-every", required_argument, NULL, 't' },
                { "dst4", required_argument, NULL, '4' },
                { "dst6", required_argument, NULL, '6' },
                { "ports", required_argument, NULL, 'p' },
                { "sport", required_argument, NULL, 's' },
                {}
        };
        struct options o = { .count = 100000, .ipv4 = true };
        inet_pton(AF_INET, "17.128.0.0", &o.dst4);
        inet_pton(AF_INET6, "2620:149:ff00::", &o.dst6);
        parse_ports("5223,443,16385,3478,80,993", &o);

        for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) >= 0;) {
                uint64_t v;

                switch (c) {
                case 'c':
                        if (parse_u64(optarg, &o.count) < 0)
                                return fprintf(stderr, "flowgen: bad --count\n"), 2;
                        break;
                case 'r':
                        if (parse_u64(optarg, &o.rate) < 0)
                                return fprintf(stderr, "flowgen: bad --rate\n"), 2;
                        break;
                case 't':
                        if (parse_u64(optarg, &v) < 0 || v > UINT32_MAX)
                                return fprintf(stderr, "flowgen: bad --tcp-every\n"), 2;
                        o.tcp_every = (unsigned) v;
                        break;
                case 'f':
                        o.ipv4 = strchr(optarg, '4') != NULL;
                        o.ipv6 = strchr(optarg, '6') != NULL;
                        break;
                case '4':
                        if (inet_pton(AF_INET, optarg, &o.dst4) != 1)
                                return fprintf(stderr, "flowgen: bad --dst4\n"), 2;
                        break;
                case '6':
                        if (inet_pton(AF_INET6, optarg, &o.dst6) != 1)
                                return fprintf(stderr, "flowgen: bad --dst6\n"), 2;
                        break;
                case 'p':
                        if (parse_ports(optarg, &o) < 0)
                                return fprintf(stderr, "flowgen: bad --ports\n"), 2;
                        break;
                case 's':
                        if (parse_u64(optarg, &v) < 0 || v > 65535)
                                return fprintf(stderr, "flowgen: bad --sport\n"), 2;
                        o.sport = (uint16_t) v;
                        break;
                default:
                        return 2;
                }
        }
        if (!o.ipv4 && !o.ipv6)
                return fprintf(stderr, "flowgen: --family needs 4, 6 or 46\n"), 2;

        struct sigaction sa = { .sa_handler = request_stop };

        /* No SA_RESTART: a blocked send returns, and the loop sees the flag. */
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
                return perror("sigaction"), 1;
        return run(&o);
}
