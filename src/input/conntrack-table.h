/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kernel's connection-tracking table: how full it is, and how many new
 * connections it refused because it was full ("nf_conntrack: table full,
 * dropping packet"). A refused connection never gets a conntrack entry, so
 * there is no event for it: appleflowd cannot log it, only count it.
 *
 * Read from /proc/net/stat/nf_conntrack (the daemon's network namespace,
 * one row per CPU, hexadecimal; "drop" counts the refusals, "entries" is the
 * table's size) and /proc/sys/net/netfilter/nf_conntrack_max. The kernel's
 * per-CPU counters are 32 bits wide: each is followed from one read to the
 * next and widened, exact while fewer than 2^32 refusals happen on one CPU
 * between two reads (reads happen every few seconds).
 */

#include <stddef.h>
#include <stdint.h>

#define CONNTRACK_TABLE_STAT_PATH "/proc/net/stat/nf_conntrack"
#define CONNTRACK_TABLE_MAX_PATH "/proc/sys/net/netfilter/nf_conntrack_max"

#define CONNTRACK_TABLE_CPUS_MAX 4096
#define CONNTRACK_TABLE_COLUMNS_MAX 64
#define CONNTRACK_TABLE_LINE_MAX 1024
/* 4096 rows of up to 20 columns of 9 bytes fit. */
#define CONNTRACK_TABLE_BUF_SIZE (1024u * 1024)

struct conntrack_table_sample {
        uint64_t entries; /* in the table now */
        unsigned n_cpus;
        uint32_t drop[CONNTRACK_TABLE_CPUS_MAX]; /* the kernel's counters, per CPU */
};

struct conntrack_table_stats {
        uint64_t entries; /* in the table now */
        uint64_t max;     /* nf_conntrack_max; 0: no limit, or unknown */
        uint64_t refused; /* new connections refused (table full) since open */
};

struct conntrack_table;

/* Opens both files (NULL: the defaults above) and takes the starting point.
 * -ENOENT when the kernel has no connection tracking. */
int conntrack_table_open(struct conntrack_table **ret, const char *stat_path, const char *max_path);
struct conntrack_table *conntrack_table_free(struct conntrack_table *t);

/* Reads both files again and brings ret up to date. */
int conntrack_table_read(struct conntrack_table *t, struct conntrack_table_stats *ret);

/* Parses the text of /proc/net/stat/nf_conntrack: -EBADMSG, with a reason
 * and line number in err, when it is not what the kernel writes. */
int conntrack_table_parse(const char *buf, size_t len, struct conntrack_table_sample *ret,
                          char *err, size_t err_size);
