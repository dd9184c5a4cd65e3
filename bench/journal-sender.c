/* SPDX-License-Identifier: MIT */
/*
 * journal-sender: journald's own ceiling. Pushes entries with plain
 * sd_journal_sendv() as fast as journald takes them, and prints the rate.
 * bench/journal.sh runs it beside appleflowd against the same journald.
 *
 *   journal-sender [--count N]        entries shaped like appleflowd's (the
 *                                     same fields, six APPLE_PRODUCT values,
 *                                     a port, an address and a CT_ID that
 *                                     change per entry)
 *   journal-sender --replay FILE      the entries of FILE, in journal export
 *                                     format (journalctl -o export), each
 *                                     sent as it was written, without the
 *                                     fields journald adds (names beginning
 *                                     with '_'): what appleflowd sent, again
 *
 * Prints "entries=N failed=F seconds=S rate=R cpu=C", C the CPU seconds it
 * spent sending (user and system).
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "bench-clock.h"

#define FIELDS_MAX 128 /* per entry */
#define FIELD_NAME_MAX 64
#define FIELD_SIZE_MAX (64u * 1024) /* journald's own limit is far larger; ours are small */

static double cpu_seconds(void) {
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return 0;
        return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
               (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

static int send_synthetic(uint64_t i) {
        unsigned port = 32768 + (unsigned) (i % 28000), host = 1 + (unsigned) (i / 6 % 65000);

        return sd_journal_send(
                "MESSAGE_ID=fd9fd13f564b4308be583094f3978cff",
                "MESSAGE=APNs, iCloud, FaceTime, Game Center, iMessage, Back to My Mac (APNs 5223/tcp): "
                "198.51.100.1:%u -> 17.128.%u.%u:5223",
                port, host >> 8, host & 255,
                "PRIORITY=6",
                "SYSLOG_IDENTIFIER=journal-sender",
                "EVENT_ACTION=connection-new",
                "APPLE_SERVICE=apns",
                "APPLE_PRODUCT=APNs", "APPLE_PRODUCT=iCloud", "APPLE_PRODUCT=FaceTime",
                "APPLE_PRODUCT=Game Center", "APPLE_PRODUCT=iMessage", "APPLE_PRODUCT=Back to My Mac",
                "APPLE_NETWORK=1",
                "APPLE_CONFIDENCE=high",
                "NETWORK_TRANSPORT=tcp",
                "NETWORK_TYPE=ipv4",
                "SOURCE_IP=198.51.100.1",
                "SOURCE_PORT=%u", port,
                "DESTINATION_IP=17.128.%u.%u", host >> 8, host & 255,
                "DESTINATION_PORT=5223",
                "CT_ID=%" PRIu64, (uint64_t) 1000000000u + i,
                "CT_MARK=0",
                "CT_ZONE=0",
                NULL);
}

/* Entries of an export file, ready to send: every field an iovec over
 * "NAME=value" (a copy for binary fields, the file's bytes otherwise). */
struct replay {
        struct iovec *iov; /* all entries' fields, one after another */
        size_t *first;     /* entry i: iov[first[i] .. first[i + 1]) */
        size_t n_iov, n_entries;
};

static int bad(const char *path, size_t line, const char *why) {
        fprintf(stderr, "journal-sender: %s:%zu: %s\n", path, line, why);
        return -EINVAL;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
        void *n;

        if (need <= *cap)
                return true;
        *cap = need * 2;
        n = realloc(*p, *cap * elem);
        if (!n)
                return false;
        *p = n;
        return true;
}

/* Parses the export format: "NAME=value\n" or "NAME\n" + 64-bit LE size +
 * data + "\n"; a blank line ends an entry. */
static int replay_load(struct replay *r, const char *path) {
        size_t cap_iov = 0, cap_first = 0, fields = 0, line = 1, size, pos = 0;
        const char *p;
        struct stat st;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "journal-sender: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        size = (size_t) st.st_size;
        p = size > 0 ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
        close(fd);
        if (size > 0 && p == MAP_FAILED)
                return -errno;

        *r = (struct replay) {};
        if (!grow((void **) &r->first, &cap_first, 1, sizeof(*r->first)))
                return -ENOMEM;
        r->first[0] = 0;
        while (pos < size) {
                const char *nl = memchr(p + pos, '\n', size - pos), *eq;
                size_t len;

                if (!nl)
                        return bad(path, line, "no newline at the end");
                len = (size_t) (nl - (p + pos));
                if (len == 0) { /* end of an entry */
                        if (fields > 0) {
                                if (!grow((void **) &r->first, &cap_first, r->n_entries + 2, sizeof(*r->first)))
                                        return -ENOMEM;
                                r->first[++r->n_entries] = r->n_iov;
                        }
                        fields = 0;
                        pos++;
                        line++;
                        continue;
                }
                eq = memchr(p + pos, '=', len);
                if (eq) {
                        if (eq == p + pos || (size_t) (eq - (p + pos)) > FIELD_NAME_MAX)
                                return bad(path, line, "bad field name");
                        if (p[pos] != '_') {
                                if (++fields > FIELDS_MAX)
                                        return bad(path, line, "too many fields in one entry");
                                if (!grow((void **) &r->iov, &cap_iov, r->n_iov + 1, sizeof(*r->iov)))
                                        return -ENOMEM;
                                r->iov[r->n_iov++] = (struct iovec) { (void *) (p + pos), len };
                        }
                        pos += len + 1;
                        line++;
                } else { /* binary: NAME\n size data \n */
                        uint64_t n = 0;
                        char *copy;

                        if (len > FIELD_NAME_MAX || size - pos - len - 1 < 8)
                                return bad(path, line, "bad binary field");
                        for (int i = 7; i >= 0; i--)
                                n = n << 8 | (unsigned char) p[pos + len + 1 + (size_t) i];
                        if (n > FIELD_SIZE_MAX || size - pos - len - 1 - 8 < n + 1 ||
                            p[pos + len + 1 + 8 + n] != '\n')
                                return bad(path, line, "bad binary field size");
                        if (p[pos] != '_') {
                                if (++fields > FIELDS_MAX)
                                        return bad(path, line, "too many fields in one entry");
                                if (!grow((void **) &r->iov, &cap_iov, r->n_iov + 1, sizeof(*r->iov)))
                                        return -ENOMEM;
                                copy = malloc(len + 1 + n);
                                if (!copy)
                                        return -ENOMEM;
                                memcpy(copy, p + pos, len);
                                copy[len] = '=';
                                memcpy(copy + len + 1, p + pos + len + 1 + 8, n);
                                r->iov[r->n_iov++] = (struct iovec) { copy, len + 1 + n };
                        }
                        for (size_t i = 0; i < n; i++)
                                line += p[pos + len + 1 + 8 + i] == '\n';
                        pos += len + 1 + 8 + n + 1;
                        line++;
                }
        }
        if (fields > 0)
                return bad(path, line, "the last entry has no blank line after it");
        if (r->n_entries == 0)
                return bad(path, line, "no entries");
        return 0;
}

static uint64_t parse_count(const char *s) {
        char *end;
        uint64_t v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != 0 || s[0] == '-') {
                fprintf(stderr, "journal-sender: bad --count\n");
                exit(2);
        }
        return v;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "count", required_argument, NULL, 'c' },
                { "replay", required_argument, NULL, 'r' },
                {}
        };
        uint64_t count = 100000, failed = 0, t0;
        const char *replay_path = NULL;
        struct replay replay = {};
        double seconds, cpu0;
        int opt;

        while ((opt = getopt_long(argc, argv, "c:r:", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        count = parse_count(optarg);
                        break;
                case 'r':
                        replay_path = optarg;
                        break;
                default:
                        fprintf(stderr, "usage: journal-sender [--count N | --replay FILE]\n");
                        return 2;
                }

        if (replay_path) {
                if (replay_load(&replay, replay_path) < 0)
                        return 2;
                count = replay.n_entries;
        }

        cpu0 = cpu_seconds();
        t0 = now_ns();
        for (uint64_t i = 0; i < count; i++) {
                int r;

                if (replay_path)
                        r = sd_journal_sendv(replay.iov + replay.first[i],
                                             (int) (replay.first[i + 1] - replay.first[i]));
                else
                        r = send_synthetic(i);
                if (r < 0)
                        failed++;
        }
        seconds = (double) (now_ns() - t0) / 1e9;
        printf("entries=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f rate=%.0f cpu=%.3f\n", count, failed, seconds,
               (double) count / seconds, cpu_seconds() - cpu0);
        return failed > 0 ? 3 : 0;
}
