/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Apple's domain suffixes (data/apple-domains.tsv, docs/domains-format.md):
 * each row names a suffix, the service it stands for, its products and
 * where the row comes from. A name is looked up by its most specific
 * (longest) covering suffix through a hash index of the suffixes: one probe
 * per label of the name, no allocation.
 */

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define DOMAINS_NAME_MAX 254 /* a DNS name as text (253 bytes) and its NUL */
#define DOMAINS_SERVICE_MAX 48
#define DOMAINS_PRODUCT_MAX 48
#define DOMAINS_PRODUCTS_MAX 8
#define DOMAINS_SOURCE_MAX 32
#define DOMAINS_RULES_MAX 4096
#define DOMAINS_LINE_MAX 1024
#define DOMAINS_FILE_MAX (1024u * 1024)
/* The service of the catch-all rows: the name is Apple's, the service unknown. */
#define DOMAINS_CATCH_ALL "apple"

struct domain_rule {
        char suffix[DOMAINS_NAME_MAX];
        size_t suffix_len;
        char service[DOMAINS_SERVICE_MAX];
        char products[DOMAINS_PRODUCTS_MAX][DOMAINS_PRODUCT_MAX];
        unsigned n_products;
        char source[DOMAINS_SOURCE_MAX];
        unsigned line;
};

struct domains;

/* Errors read "name:line: reason"; *ret is untouched on error. */
int domains_load_buffer(const char *name, const char *buf, size_t len, struct domains **ret,
                        char *err, size_t errlen);
int domains_load_file(const char *path, struct domains **ret, char *err, size_t errlen);
/* The list compiled into the binary from data/apple-domains.tsv. */
int domains_load_default(struct domains **ret, char *err, size_t errlen);
struct domains *domains_free(struct domains *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct domains *, domains_free);

/* The rule of the longest suffix covering name[0..len) (lower case, no
 * final dot: as domain_name_normalize() leaves it), or NULL. */
const struct domain_rule *domains_match(const struct domains *d, const char *name, size_t len);

size_t domains_count(const struct domains *d);
const struct domain_rule *domains_rule(const struct domains *d, size_t i); /* file order */
const char *domains_source(const struct domains *d);
/* Of the text it was read from: equal digests, same list. */
uint64_t domains_digest(const struct domains *d);
bool domain_rule_is_catch_all(const struct domain_rule *r);

/* Checks a name as text (letters, digits, '-' and '_' in labels of 1-63
 * bytes, at most 253 bytes, one final dot allowed) and writes it to
 * out[DOMAINS_NAME_MAX] in lower case without the final dot. Returns its
 * length, or -EINVAL. */
int domain_name_normalize(const char *name, size_t len, char *out);
