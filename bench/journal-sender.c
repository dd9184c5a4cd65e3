/* SPDX-License-Identifier: MIT */
/*
 * journal-sender: journald's own ceiling. Pushes entries shaped like
 * appleflowd's connection entries (the same fields, six APPLE_PRODUCT values,
 * a port, an address and a CT_ID that change per entry) with plain
 * sd_journal_send() as fast as journald takes them, and prints the rate.
 * bench/journal.sh runs it beside appleflowd against the same journald.
 *
 *   journal-sender [--count N]
 *
 * Prints "entries=N failed=F seconds=S rate=R".
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "count", required_argument, NULL, 'c' },
                {}
        };
        uint64_t count = 100000, failed = 0, t0;
        double seconds;
        int opt;

        while ((opt = getopt_long(argc, argv, "c:", options, NULL)) >= 0)
                switch (opt) {
                case 'c': {
                        char *end;

                        errno = 0;
                        count = strtoull(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != 0 || optarg[0] == '-') {
                                fprintf(stderr, "journal-sender: bad --count\n");
                                return 2;
                        }
                        break;
                }
                default:
                        fprintf(stderr, "usage: journal-sender [--count N]\n");
                        return 2;
                }

        t0 = now_ns();
        for (uint64_t i = 0; i < count; i++) {
                unsigned port = 32768 + (unsigned) (i % 28000), host = 1 + (unsigned) (i / 6 % 65000);
                int r;

                r = sd_journal_send(
                        "MESSAGE_ID=fd9fd13f564b4308be583094f3978cff",
                        "MESSAGE=APNs, iCloud, FaceTime, Game Center, iMessage, Back to My Mac (APNs 5223/tcp): "
                        "198.51.100.1:%u -> 17.128.%u.%u:5223", port, host >> 8, host & 255,
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
                if (r < 0)
                        failed++;
        }
        seconds = (double) (now_ns() - t0) / 1e9;
        printf("entries=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f rate=%.0f\n", count, failed, seconds,
               (double) count / seconds);
        return failed > 0 ? 3 : 0;
}
