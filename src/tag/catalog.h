/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The catalogue of Apple's ports (docs/catalogue-format.md): entries parsed
 * strictly from TSV text. A catalogue is immutable once loaded; a reload
 * builds a new one and swaps it in, so readers never see a half-made one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define CATALOG_ID_MAX 48 /* including the NUL */
#define CATALOG_PROTOCOL_MAX 128
#define CATALOG_IANA_MAX 64
#define CATALOG_RFC_MAX 32
#define CATALOG_PRODUCT_NAME_MAX 48
/* Separates the products of an entry in the file, so no product name or
 * alias can contain it; APPLE_PRODUCTS joins an entry's products with it. */
#define CATALOG_PRODUCT_SEPARATOR ';'
#define CATALOG_VERSIONS_MAX 64
#define CATALOG_NOTE_MAX 256
#define CATALOG_LINE_MAX 2048
#define CATALOG_PORT_RANGES_MAX 8
#define CATALOG_ENTRY_PRODUCTS_MAX 12
#define CATALOG_PRODUCT_ALIASES_MAX 4
#define CATALOG_ENTRIES_MAX 4096
#define CATALOG_PRODUCTS_MAX 512
#define CATALOG_ERROR_MAX 512

/* The id of the synthetic entry that tags Apple addresses on unlisted ports. */
#define CATALOG_APPLE_OTHER_ID "apple-other"

enum transport {
        TRANSPORT_TCP = 1u << 0,
        TRANSPORT_UDP = 1u << 1,
};

enum catalog_scope {
        CATALOG_SCOPE_APPLE,
        CATALOG_SCOPE_SHARED,
};

struct port_range {
        uint16_t lo, hi;
};

struct catalog_product {
        char name[CATALOG_PRODUCT_NAME_MAX]; /* canonical */
        char aliases[CATALOG_PRODUCT_ALIASES_MAX][CATALOG_PRODUCT_NAME_MAX];
        unsigned n_aliases;
};

/* Text columns given as "-" (none) are stored as "". */
struct catalog_entry {
        char id[CATALOG_ID_MAX];
        struct port_range ports[CATALOG_PORT_RANGES_MAX];
        unsigned n_ports;
        unsigned transports;        /* TRANSPORT_* mask, both when unspecified */
        bool transport_unspecified; /* the article gives no transport ("-") */
        char protocol[CATALOG_PROTOCOL_MAX];
        char iana[CATALOG_IANA_MAX];
        char rfc[CATALOG_RFC_MAX];
        uint16_t products[CATALOG_ENTRY_PRODUCTS_MAX]; /* indices into catalog.products */
        unsigned n_products;
        char versions[CATALOG_VERSIONS_MAX];
        enum catalog_scope scope;
        char note[CATALOG_NOTE_MAX];
        unsigned source_line; /* line in the file it came from; 0 if synthetic */
};

struct catalog {
        char source[256];              /* file name, or "built-in" */
        uint64_t digest;               /* of the text it was read from: a reload tells changes */
        struct catalog_entry *entries; /* n_entries, the last is CATALOG_APPLE_OTHER_ID */
        size_t n_entries;
        struct catalog_product *products;
        size_t n_products;
        size_t apple_other; /* index of the synthetic apple-other entry */
};

/* Parse buf (len bytes, need not be NUL-terminated). name is used in errors.
 * On failure returns a negative errno (-EINVAL for malformed input) and writes
 * "name:line: reason" to err; *ret is left untouched. */
int catalog_load_buffer(const char *name, const char *buf, size_t len, struct catalog **ret,
                        char *err, size_t errlen);
int catalog_load_file(const char *path, struct catalog **ret, char *err, size_t errlen);
/* The catalogue compiled into the binary from data/apple-ports.tsv. */
int catalog_load_default(struct catalog **ret, char *err, size_t errlen);

struct catalog *catalog_free(struct catalog *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct catalog *, catalog_free);

/* The entries the file lists, without the synthetic apple-other: the count
 * every message and the documentation give. */
size_t catalog_listed_entries(const struct catalog *c);

/* Index of the entry with this id, or -ENOENT. */
ssize_t catalog_find_entry(const struct catalog *c, const char *id);
/* Index of the product whose canonical name or one of its aliases equals name
 * (ASCII case-insensitive), or -ENOENT. */
ssize_t catalog_find_product(const struct catalog *c, const char *name);
bool catalog_entry_has_product(const struct catalog_entry *e, size_t product);

/* protocol as messages name it, into buf: every protocol the column lists,
 * by its abbreviation where it has one ("SSH/SFTP/scp", "FTP data"), joined
 * with '/'. Returns the length; "" for an empty column. */
size_t catalog_protocol_short(const char *protocol, char *buf, size_t size);

const char *transport_to_string(unsigned transports, bool unspecified); /* "tcp", "udp", "tcp/udp", "-" */
const char *catalog_scope_to_string(enum catalog_scope s);
