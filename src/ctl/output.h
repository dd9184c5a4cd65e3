/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Output helpers every verb shares: aligned text tables for people, JSON for
 * scripts, and the catalogue's values in both forms.
 */

#include <json-c/json.h>
#include <stdio.h>

#include "catalog.h"
#include "macro.h"

#define TABLE_COLUMNS_MAX 8

struct table;

/* A table with the given column headers (at most TABLE_COLUMNS_MAX, NULL-terminated). */
struct table *table_new(const char *header, ...);
struct table *table_free(struct table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct table *, table_free);
/* Adds one row: one string per column (NULL prints "-"). */
int table_add_row(struct table *t, const char *cell, ...);
/* Right-align this column (numbers). */
void table_align_right(struct table *t, unsigned column);
/* This column may be cut (with "…") to fit the terminal's width. */
void table_shrinkable(struct table *t, unsigned column);
/* Prints the header and rows with columns padded to their widest cell; the
 * last column is never padded. On a terminal (f's descriptor is a tty),
 * shrinkable columns are cut to fit its width; elsewhere lines are whole. */
void table_print(const struct table *t, FILE *f);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

/* Prints o, pretty, with a trailing newline. Returns 0 or -EIO. */
int json_print(struct json_object *o, FILE *f);
/* Adds key: s, or null when s is empty or "-" (the catalogue's "none"). */
int json_add_string(struct json_object *o, const char *key, const char *s);
int json_add_int(struct json_object *o, const char *key, int64_t v);
int json_add_bool(struct json_object *o, const char *key, bool v);
/* Adds key: v and takes the reference to v, also on failure; v == NULL (a
 * failed allocation) gives -ENOMEM. */
int json_add(struct json_object *o, const char *key, struct json_object *v);
int json_append(struct json_object *array, struct json_object *v);

/* one when n is 1, many otherwise: "1 entry", "2 entries". */
static inline const char *plural(uint64_t n, const char *one, const char *many) {
        return n == 1 ? one : many;
}

/* "tcp", "udp", "tcp, udp", or "-" when the catalogue gives none. */
const char *format_transport(const struct catalog_entry *e);
/* Every port with its transport: "3283/tcp, 3283/udp", "16384-16387/udp". */
char *format_ports_transport(const struct catalog_entry *e, char *buf, size_t size);
/* The catalogue as "catalog" in every verb's JSON, the same type as in stats:
 * {"source": ..., "entries": N, "products": N}; entries without apple-other. */
struct json_object *catalog_to_json(const struct catalog *c);

/* "5223", "16384-16387", "1099,8043" into buf. */
char *format_ports(const struct catalog_entry *e, char *buf, size_t size);
/* "FaceTime, Messages (iChat)" into buf; "-" when there are none. */
char *format_products(const struct catalog *c, const struct catalog_entry *e, bool aliases,
                      char *buf, size_t size);

/* One catalogue entry as a JSON object: id, ports, transport, protocol,
 * iana, rfc, products (with aliases), versions, scope, confidence, note, line. */
struct json_object *entry_to_json(const struct catalog *c, size_t i);
struct json_object *product_to_json(const struct catalog_product *p);
