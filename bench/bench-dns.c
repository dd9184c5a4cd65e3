/* SPDX-License-Identifier: MIT */
/*
 * What learning Apple's names from DNS answers costs the reading thread,
 * side by side in one run, CPU time only (CLOCK_PROCESS_CPUTIME_ID):
 *
 *   - per DNS answer: a real answer (www.icloud.com, a CNAME to a CDN name
 *     and its address, as dnsmasq sends it) in a UDP/IPv4 packet, through
 *     dns_input_process_packet() into the name table (header and message
 *     parsed, the chain matched against the domain list, the address
 *     stored; once the table is full each store evicts the oldest);
 *     and an answer for a name that is not Apple's (parsed, matched, dropped);
 *   - per connection, the reader's path for flowgen's connections (Apple's
 *     addresses on its six ports, all written): tag, count, format the
 *     entry; with the feature off, with the table empty, with the table
 *     full of other addresses, and with the table full and every
 *     connection's address in it (the name rule applies, the entry gains
 *     DESTINATION_DOMAIN);
 *   - the table's memory at its limit, as allocated and as resident.
 *
 * Each round measures the answers, then runs the four connection variants
 * in SLICES slices each, in turn, against three tables made beforehand; the
 * figure is the median over the rounds, and each round's ratio to the same
 * round's "off" gives the spread. Not a test.
 *
 * usage: bench-dns [--rounds N] [--connections N] [--names N] [--bytes SIZE]
 */

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dns-input.h"
#include "entry.h"
#include "name-tag.h"
#include "stats.h"
#include "tagset.h"

#define FLOWS 4096
#define ROUNDS_MAX 101
#define SLICES 20 /* per round: the variants alternate this often */

/* www.icloud.com CNAME www-cdn.icloud.com.akadns.net A 203.0.113.23, TTL 300 (dnsmasq 2.90) */
static const char answer_apple[] =
        "123485800001000200000000037777770669636c6f756403636f6d0000010001c00c000500010000012c001f07"
        "7777772d63646e0669636c6f756403636f6d06616b61646e73036e657400c02c000100010000012c0004cb007117";
/* www.example.org A 203.0.113.30 */
static const char answer_other[] =
        "12348580000100010000000003777777076578616d706c65036f72670000010001c00c000100010000012c0004cb00711e";

struct bench {
        struct tagset ts;
        struct tagger tagger;
        struct stats *stats;
        struct entry *entry;
        struct name_table *table;
        struct dns_input *dns;
        struct flow flows[FLOWS];
        uint64_t sink;
};

static uint64_t cpu_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static long status_kib(const char *key) {
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        long v = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, strlen(key)) == 0 && sscanf(line + strlen(key), ": %ld kB", &v) == 1)
                        break;
        fclose(f);
        return v;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n) {
        qsort(v, n, sizeof(*v), cmp_double);
        return v[n / 2];
}

/* flowgen's connections: Apple's 17.128.0.0/16 on its six ports, masqueraded. */
static void make_flow(unsigned i, struct flow *f) {
        static const uint16_t ports[] = { 5223, 443, 16385, 3478, 80, 993 };
        uint16_t port = ports[i % 6];

        *f = (struct flow) {
                .action = FLOW_CONNECTION_NEW,
                .family = AF_INET,
                .l4proto = port == 16385 || port == 3478 ? IPPROTO_UDP : IPPROTO_TCP,
                .src_port = (uint16_t) (32768 + i % 28000),
                .dst_port = port,
                .has_snat = true,
                .snat_port = (uint16_t) (32768 + i % 28000),
                .has_ct = true,
                .ct_id = 0x80000000u + i,
        };
        inet_pton(AF_INET, "192.168.77.2", &f->src);
        inet_pton(AF_INET, "198.51.100.1", &f->snat);
        f->dst.bytes[0] = 17;
        f->dst.bytes[1] = 128;
        f->dst.bytes[2] = (uint8_t) (i >> 8);
        f->dst.bytes[3] = (uint8_t) i;
}

/* The reader's work for one connection (daemon_handle_flow() without the ring). */
static void connection(struct bench *b, const struct flow *f, bool names, uint64_t now) {
        struct tag_input in = {
                .family = f->family,
                .transport = f->l4proto == IPPROTO_UDP ? TRANSPORT_UDP : TRANSPORT_TCP,
                .src_addr = &f->src,
                .dst_addr = &f->dst,
                .src_port = f->src_port,
                .dst_port = f->dst_port,
        };
        struct tag tag;

        tagger_tag(&b->tagger, &in, &tag);
        if (names)
                name_tag_apply(b->table, b->ts.domains, b->ts.catalog, &in, now, &tag);
        stats_count_flow(b->stats, f, &tag);
        if (tag.confidence >= CONFIDENCE_MEDIUM && entry_format_flow(b->entry, f, &tag, b->ts.catalog) == 0)
                b->sink += b->entry->n_fields;
}

static double run_connections(struct bench *b, unsigned long n, bool names) {
        uint64_t t0 = cpu_ns();

        for (unsigned long i = 0; i < n; i++)
                connection(b, &b->flows[i % FLOWS], names, 1000);
        return (double) (cpu_ns() - t0) / (double) n;
}

static uint8_t *hex(const char *s, size_t *ret_len) {
        size_t n = strlen(s) / 2;
        uint8_t *p = malloc(n);

        for (size_t i = 0; p && i < n; i++) {
                unsigned v;
                sscanf(s + 2 * i, "%2x", &v);
                p[i] = (uint8_t) v;
        }
        *ret_len = n;
        return p;
}

/* The message in a UDP/IPv4 packet from port 53, as the NFLOG group hands it over. */
static size_t udp_packet(uint8_t *buf, const uint8_t *msg, size_t n) {
        size_t total = 28 + n;

        memset(buf, 0, 28);
        buf[0] = 0x45;
        buf[2] = (uint8_t) (total >> 8);
        buf[3] = (uint8_t) total;
        buf[8] = 64;
        buf[9] = IPPROTO_UDP;
        buf[21] = 53;
        buf[22] = 0xd4;
        buf[24] = (uint8_t) ((8 + n) >> 8);
        buf[25] = (uint8_t) (8 + n);
        memcpy(buf + 28, msg, n);
        return total;
}

static void on_answer(const struct dns_answer *a, void *userdata) {
        struct bench *b = userdata;

        b->sink += name_table_add(b->table, b->ts.domains, a, 1000);
}

/* n answers, the address (its last two bytes, at the packet's end) changed each time. */
static double run_answers(struct bench *b, uint8_t *pkt, size_t len, unsigned long n, unsigned long first) {
        uint64_t t0 = cpu_ns();

        for (unsigned long i = 0; i < n; i++) {
                unsigned long k = first + i;

                pkt[len - 3] = (uint8_t) (k >> 16);
                pkt[len - 2] = (uint8_t) (k >> 8);
                pkt[len - 1] = (uint8_t) k;
                dns_input_process_packet(b->dns, pkt, len);
        }
        return (double) (cpu_ns() - t0) / (double) n;
}

/* Fills the table with n answers for the flows' own addresses (hits) or
 * for other ones (203.x.y.z: misses). */
static void fill(struct bench *b, uint8_t *pkt, size_t len, unsigned long n, bool flows_first) {
        for (unsigned long i = 0; i < n; i++) {
                if (flows_first && i >= n - FLOWS) {
                        /* the flows' addresses last, so that none is evicted */
                        const struct flow *f = &b->flows[i - (n - FLOWS)];
                        memcpy(pkt + len - 4, f->dst.bytes, 4);
                } else {
                        pkt[len - 4] = 203;
                        pkt[len - 3] = (uint8_t) (i >> 16);
                        pkt[len - 2] = (uint8_t) (i >> 8);
                        pkt[len - 1] = (uint8_t) i;
                }
                dns_input_process_packet(b->dns, pkt, len);
        }
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "rounds", required_argument, NULL, 'r' },
                { "connections", required_argument, NULL, 'c' },
                { "names", required_argument, NULL, 'n' },
                { "bytes", required_argument, NULL, 'b' },
                {},
        };
        struct name_table_config nc = {
                .max_entries = 50000,
                .max_bytes = 16u * 1024 * 1024,
                .ttl_min = 60,
                .ttl_max = 3600,
        };
        static struct bench b;
        static double v[8][ROUNDS_MAX];
        struct name_table *tables[3] = {}, *answers = NULL;
        unsigned rounds = 15;
        unsigned long conns = 2000000;
        uint8_t pkt_apple[256], pkt_other[256], *msg;
        size_t len_apple, len_other, n, capacity;
        struct name_table_stats st;
        long rss_before, rss_after;
        char err[512];
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'r':
                        rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        conns = strtoul(optarg, NULL, 10);
                        break;
                case 'n':
                        nc.max_entries = strtoul(optarg, NULL, 10);
                        break;
                case 'b':
                        nc.max_bytes = strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "usage: bench-dns [--rounds N] [--connections N] [--names N] [--bytes SIZE]\n");
                        return 2;
                }
        if (rounds == 0 || rounds > ROUNDS_MAX || conns == 0 || name_table_size(&nc, &capacity) == 0 ||
            capacity < FLOWS) {
                fprintf(stderr, "bench-dns: bad arguments (rounds 1-%d, a table of %d names or more)\n",
                        ROUNDS_MAX, FLOWS);
                return 2;
        }

        if (tagset_load(&b.ts, NULL, NULL, NULL, err, sizeof(err)) < 0) {
                fprintf(stderr, "bench-dns: %s\n", err);
                return 1;
        }
        b.tagger = tagset_tagger(&b.ts);
        b.entry = malloc(sizeof(*b.entry));
        if (!b.entry || stats_new(&b.stats, b.ts.catalog) < 0 || stats_enable_names(b.stats) < 0 ||
            dns_input_new_detached(&b.dns, on_answer, &b) < 0)
                return 1;
        for (unsigned i = 0; i < FLOWS; i++)
                make_flow(i, &b.flows[i]);
        msg = hex(answer_apple, &n);
        len_apple = udp_packet(pkt_apple, msg, n);
        free(msg);
        msg = hex(answer_other, &n);
        len_other = udp_packet(pkt_other, msg, n);
        free(msg);


        /* Three tables side by side: empty, full of other addresses, full and naming the flows. */
        if (name_table_new(&tables[0], &nc) < 0 || name_table_new(&tables[1], &nc) < 0)
                return 1;
        b.table = tables[1];
        fill(&b, pkt_apple, len_apple, capacity, false);
        rss_before = status_kib("VmRSS");
        if (name_table_new(&tables[2], &nc) < 0)
                return 1;
        b.table = tables[2];
        fill(&b, pkt_apple, len_apple, capacity, true);
        rss_after = status_kib("VmRSS");

        for (unsigned r = 0; r < rounds; r++) {
                double t[4] = {};

                /* The answers, into a table of their own, empty at first. */
                b.table = name_table_free(b.table == tables[2] ? NULL : b.table);
                if (name_table_new(&b.table, &nc) < 0)
                        return 1;
                v[2][r] = run_answers(&b, pkt_apple, len_apple, capacity, 0);        /* filling */
                v[3][r] = run_answers(&b, pkt_apple, len_apple, capacity, capacity); /* full: evicting */
                v[4][r] = run_answers(&b, pkt_other, len_other, capacity, 0);        /* not Apple's */
                answers = b.table;

                /* The connections in slices, the four variants in turn, the order rotating. */
                for (unsigned sl = 0; sl < SLICES; sl++)
                        for (unsigned k = 0; k < 4; k++) {
                                unsigned var = (k + sl) % 4;

                                b.table = var == 0 ? NULL : tables[var - 1];
                                t[var] += run_connections(&b, conns / SLICES, var != 0);
                        }
                b.table = answers;
                v[0][r] = t[0] / SLICES;
                v[1][r] = t[1] / SLICES;
                v[5][r] = t[2] / SLICES;
                v[6][r] = t[3] / SLICES;
        }
        b.table = name_table_free(b.table);
        b.table = tables[2];
        name_table_get_stats(b.table, &st);

        {
                static double ratio[3][ROUNDS_MAX];
                static const char *const names[3] = {
                        "on, table empty",
                        "on, table full, other addresses",
                        "on, table full, named (hits)",
                };
                static const unsigned variant[3] = { 1, 5, 6 };

                /* Each round's ratio to the same round's "off", before the medians sort v. */
                for (unsigned k = 0; k < 3; k++)
                        for (unsigned r = 0; r < rounds; r++)
                                ratio[k][r] = v[variant[k]][r] / v[0][r];

                printf("bench-dns: %u rounds, %lu connections per variant and round, table of %zu names "
                       "(dns_names_max %zu, dns_names_max_bytes %zu)\n",
                       rounds, conns, capacity, nc.max_entries, nc.max_bytes);
                printf("per DNS answer (UDP/IPv4, CNAME chain, into the table), median:\n");
                printf("  Apple name, table filling       %8.1f ns\n", median(v[2], rounds));
                printf("  Apple name, table full (evicts) %8.1f ns\n", median(v[3], rounds));
                printf("  not an Apple name (dropped)     %8.1f ns\n", median(v[4], rounds));
                printf("per connection (tag, count, format the entry), median; ratio to off: median [min - max] "
                       "over the rounds:\n");
                printf("  %-32s %8.1f ns\n", "feature off", median(v[0], rounds));
                for (unsigned k = 0; k < 3; k++) {
                        double ns = median(v[variant[k]], rounds), med = median(ratio[k], rounds);

                        printf("  %-32s %8.1f ns   %.3f [%.3f - %.3f]\n", names[k], ns, med, ratio[k][0],
                               ratio[k][rounds - 1]);
                }
                printf("table at its limit: %zu names, %zu bytes allocated (%.0f bytes a name); "
                       "resident after filling: %ld KiB more than before the table\n",
                       st.entries, st.bytes, (double) st.bytes / (double) capacity, rss_after - rss_before);
        }
        if (b.sink == 42)
                putchar(' ');
        name_table_free(tables[0]);
        name_table_free(tables[1]);
        name_table_free(tables[2]);
        dns_input_free(b.dns);
        stats_free(b.stats);
        free(b.entry);
        tagset_done(&b.ts);
        return 0;
}
