/* SPDX-License-Identifier: MIT */
/*
 * The reader's cost per entry on its way to the journal writer, and the
 * memory of the queue: connections like bench/flowgen's (IPv4 to Apple's
 * addresses on its six ports, with NAT and conntrack ids), tagged with the
 * built-in catalogue, go through queue_submit_flow() (reserve, format in
 * place, commit) in batches; after each batch the writer drains the queue on
 * the same thread (JSON to /dev/null), so only CPU time is measured, each
 * side on its own. Prints nanoseconds per entry for both sides, and the
 * process's peak resident memory (VmHWM) at the end. Not a test; for
 * instruction counts run it under
 *   valgrind --tool=callgrind --toggle-collect=queue_submit_flow bench-queue --entries 100000
 *
 * usage: bench-queue [--entries N] [--queue SIZE] [--batch N]
 *
 * SIZE is ring_new()'s argument: bytes (default 16M).
 */

#include <arpa/inet.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench-clock.h"
#include "queue.h"
#include "ring.h"
#include "tagset.h"
#include "writer.h"

#define FLOWS 4096

static long peak_rss_kib(void) {
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        long v = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
                        break;
        fclose(f);
        return v;
}

/* Flow i as flowgen sends it through the e2e router: 17.128.0.0/16, one of
 * its ports, from the LAN, masqueraded. */
static void make_flow(unsigned i, struct flow *f) {
        static const uint16_t ports[] = { 5223, 443, 16385, 3478, 80, 993 };

        *f = (struct flow) {
                .action = FLOW_CONNECTION_NEW,
                .family = AF_INET,
                .l4proto = IPPROTO_UDP,
                .src_port = (uint16_t) (32768 + i % 28000),
                .dst_port = ports[i % 6],
                .has_snat = true,
                .snat_port = (uint16_t) (32768 + i % 28000),
                .has_ct = true,
                .ct_id = 0x80000000u + i,
        };
        inet_pton(AF_INET, "192.168.77.2", &f->src);
        inet_pton(AF_INET, "198.51.100.1", &f->snat);
        f->dst.bytes[0] = 17;
        f->dst.bytes[1] = 128;
        f->dst.bytes[2] = (uint8_t) (i / 6 >> 8);
        f->dst.bytes[3] = (uint8_t) (i / 6);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "entries", required_argument, NULL, 'n' },
                { "queue", required_argument, NULL, 'q' },
                { "batch", required_argument, NULL, 'b' },
                {},
        };
        unsigned long long entries = 1000000;
        size_t queue_size = 16u * 1024 * 1024, batch = 64;
        static struct flow flows[FLOWS];
        static struct tag tags[FLOWS];
        struct tagset ts = {};
        struct tagger tagger;
        struct ring *ring;
        struct writer *w;
        struct queue *q;
        struct queue_stats st;
        uint64_t submit_ns = 0, drain_ns = 0, done = 0;
        char err[512];
        FILE *out;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        entries = strtoull(optarg, NULL, 10);
                        break;
                case 'q':
                        queue_size = strtoull(optarg, NULL, 10);
                        break;
                case 'b':
                        batch = strtoull(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "usage: bench-queue [--entries N] [--queue SIZE] [--batch N]\n");
                        return 2;
                }

        r = tagset_load(&ts, NULL, NULL, NULL, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "bench-queue: %s\n", err);
                return 1;
        }
        tagger = tagset_tagger(&ts);
        for (unsigned i = 0; i < FLOWS; i++) {
                make_flow(i, &flows[i]);
                tagger_tag(&tagger, &(struct tag_input) {
                                            .family = AF_INET,
                                            .transport = TRANSPORT_UDP,
                                            .src_addr = &flows[i].src,
                                            .dst_addr = &flows[i].dst,
                                            .src_port = flows[i].src_port,
                                            .dst_port = flows[i].dst_port,
                                    },
                           &tags[i]);
        }

        out = fopen("/dev/null", "we");
        if (!out || ring_new(&ring, queue_size) < 0 ||
            writer_new(&w, ring, OUTPUT_JSON, out, NULL) < 0 || queue_new(&q, ring, w) < 0) {
                fprintf(stderr, "bench-queue: cannot set up the queue of %zu\n", queue_size);
                return 1;
        }

        while (done < entries) {
                uint64_t t0 = now_ns(), t1, t2;
                size_t n = MIN(batch, entries - done);

                for (size_t i = 0; i < n; i++) {
                        unsigned k = (unsigned) ((done + i) % FLOWS);

                        (void) queue_submit_flow(q, &flows[k], &tags[k], ts.catalog);
                }
                t1 = now_ns();
                writer_drain(w);
                t2 = now_ns();
                submit_ns += t1 - t0;
                drain_ns += t2 - t1;
                done += n;
        }

        queue_get_stats(q, &st);
        printf("entries=%llu queued=%llu dropped=%llu invalid=%llu written=%llu\n",
               entries, (unsigned long long) st.queued, (unsigned long long) st.dropped,
               (unsigned long long) st.invalid, (unsigned long long) st.writer.written);
        printf("submit: %.1f ns/entry; drain (JSON to /dev/null): %.1f ns/entry; VmHWM %ld KiB\n",
               (double) submit_ns / (double) entries, (double) drain_ns / (double) entries,
               peak_rss_kib());

        queue_free(q);
        writer_free(w);
        ring_free(ring);
        fclose(out);
        tagset_done(&ts);
        return 0;
}
