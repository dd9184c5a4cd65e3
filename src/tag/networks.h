/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Apple's address space (data/apple-networks.txt): IPv4 and IPv6 prefixes,
 * one per line ("17.0.0.0/8", "2620:149::/32"), '#' comments. Longest-prefix
 * match without allocation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define NETWORKS_PREFIXES_MAX 65536
#define NETWORKS_LINE_MAX 256

struct networks;

int networks_load_buffer(const char *name, const char *buf, size_t len, struct networks **ret,
                         char *err, size_t errlen);
int networks_load_file(const char *path, struct networks **ret, char *err, size_t errlen);
int networks_load_default(struct networks **ret, char *err, size_t errlen);
struct networks *networks_free(struct networks *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct networks *, networks_free);

/* family is AF_INET (addr: 4 bytes, network order) or AF_INET6 (16 bytes).
 * Returns the length of the longest matching prefix, or -1 when none matches;
 * when ret_text is set it receives the matching prefix as written ("17.0.0.0/8"). */
int networks_match(const struct networks *n, int family, const void *addr, const char **ret_text);
size_t networks_count(const struct networks *n);
const char *networks_source(const struct networks *n);
