/* SPDX-License-Identifier: MIT */
/*
 * bench-datagram: what it costs to send one journal-sized datagram to a unix
 * socket given as many small segments (an iovec per field and per newline,
 * as sd_journal_sendv() sends) or as one piece (as appleflowd's writer
 * does), side by side in one run. A thread reads the datagrams as journald
 * would; the sender's own CPU time (RUSAGE_THREAD) per datagram is printed.
 *
 *   bench-datagram [--count N] [--size BYTES] [--segments K] [--rounds R]
 *
 * Prints per round "segments=K us=…" and "segments=1 us=…", then the ratio.
 */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define SEGMENTS_MAX 256
#define SIZE_MAX_BYTES 60000

static int reader_fd;

static void *reader(void *arg) {
        static char buf[SIZE_MAX_BYTES];

        while (recv(reader_fd, buf, sizeof(buf), 0) >= 0 || errno == EINTR)
                ;
        return NULL;
}

static double thread_cpu(void) {
        struct rusage ru;

        getrusage(RUSAGE_THREAD, &ru);
        return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
               (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

/* CPU microseconds per datagram of `size` bytes in `segments` pieces. */
static double run(int fd, const struct sockaddr_un *to, const char *data, size_t size, unsigned segments,
                  unsigned long count) {
        struct iovec iov[SEGMENTS_MAX];
        size_t per = size / segments;
        struct msghdr mh = {
                .msg_name = (void *) to,
                .msg_namelen = sizeof(*to),
                .msg_iov = iov,
                .msg_iovlen = segments,
        };
        double c0;

        for (unsigned i = 0; i < segments; i++)
                iov[i] = (struct iovec) { (void *) (data + i * per), i + 1 < segments ? per : size - i * per };
        c0 = thread_cpu();
        for (unsigned long i = 0; i < count; i++)
                if (sendmsg(fd, &mh, 0) < 0 && errno != EINTR) {
                        perror("bench-datagram: sendmsg");
                        exit(1);
                }
        return (thread_cpu() - c0) / (double) count * 1e6;
}

static unsigned long number(const char *s, const char *what, unsigned long max) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != 0 || s[0] == '-' || v == 0 || v > max) {
                fprintf(stderr, "bench-datagram: bad %s (1 to %lu)\n", what, max);
                exit(2);
        }
        return v;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "count", required_argument, NULL, 'c' },
                { "size", required_argument, NULL, 's' },
                { "segments", required_argument, NULL, 'k' },
                { "rounds", required_argument, NULL, 'r' },
                {}
        };
        unsigned long count = 300000, size = 700, segments = 50, rounds = 3;
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        static char data[SIZE_MAX_BYTES];
        int opt, fd, sndbuf = 8 * 1024 * 1024;
        pthread_t thread;

        while ((opt = getopt_long(argc, argv, "c:s:k:r:", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        count = number(optarg, "--count", 100000000);
                        break;
                case 's':
                        size = number(optarg, "--size", SIZE_MAX_BYTES);
                        break;
                case 'k':
                        segments = number(optarg, "--segments", SEGMENTS_MAX);
                        break;
                case 'r':
                        rounds = number(optarg, "--rounds", 100);
                        break;
                default:
                        fprintf(stderr, "usage: bench-datagram [--count N] [--size BYTES] [--segments K] [--rounds R]\n");
                        return 2;
                }
        if (segments > size) {
                fprintf(stderr, "bench-datagram: more segments than bytes\n");
                return 2;
        }

        /* An abstract address: nothing on disk to clean up. */
        snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "bench-datagram-%d", (int) getpid());
        reader_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (reader_fd < 0 || fd < 0 || bind(reader_fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                perror("bench-datagram: socket");
                return 1;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        if (pthread_create(&thread, NULL, reader, NULL) != 0) {
                fprintf(stderr, "bench-datagram: no reader thread\n");
                return 1;
        }
        memset(data, 'x', sizeof(data));

        for (unsigned long r = 1; r <= rounds; r++) {
                double many = run(fd, &addr, data, size, (unsigned) segments, count);
                double one = run(fd, &addr, data, size, 1, count);

                printf("round %lu: %lu bytes, segments=%lu %.2f us, segments=1 %.2f us per datagram: %.2fx\n",
                       r, size, segments, many, one, many / one);
        }
        return 0;
}
