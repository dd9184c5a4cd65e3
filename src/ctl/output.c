/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "output.h"
#include "tagger.h"

#define TABLE_SHRINK_MIN 6

struct table {
        unsigned n_columns;
        bool right[TABLE_COLUMNS_MAX];
        bool shrink[TABLE_COLUMNS_MAX];
        char **cells;             /* n_rows * n_columns, row 0 is the header */
        size_t n_rows, allocated; /* rows */
};

struct table *table_free(struct table *t) {
        if (!t)
                return NULL;
        if (t->cells)
                for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                        free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

/* Analyzer: gcc 12 loses the copies once they are stored in the row and
 * reports a leak; the table owns them, and table_free() frees them. */
#ifndef __clang__
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int table_add_cells(struct table *t, const char **cells) {
        if (t->n_rows == t->allocated) {
                size_t n = t->allocated ? t->allocated * 2 : 16;
                char **p = reallocarray(t->cells, n * t->n_columns, sizeof(char *));

                if (!p)
                        return -ENOMEM;
                t->cells = p;
                t->allocated = n;
        }

        char **row = t->cells + t->n_rows * t->n_columns;
        for (unsigned i = 0; i < t->n_columns; i++) {
                row[i] = strdup(cells[i] && cells[i][0] ? cells[i] : "-");
                if (!row[i]) {
                        while (i > 0)
                                free(row[--i]);
                        return -ENOMEM;
                }
        }
        t->n_rows++;
        return 0;
}
#ifndef __clang__
#pragma GCC diagnostic pop
#endif

struct table *table_new(const char *header, ...) {
        const char *h[TABLE_COLUMNS_MAX];
        struct table *t;
        unsigned n = 0;
        va_list ap;

        va_start(ap, header);
        for (const char *s = header; s; s = va_arg(ap, const char *)) {
                if (n >= TABLE_COLUMNS_MAX) {
                        va_end(ap);
                        return NULL;
                }
                h[n++] = s;
        }
        va_end(ap);
        if (n == 0)
                return NULL;

        t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->n_columns = n;
        if (table_add_cells(t, h) < 0)
                return table_free(t);
        return t;
}

int table_add_row(struct table *t, const char *cell, ...) {
        const char *c[TABLE_COLUMNS_MAX];
        va_list ap;

        c[0] = cell;
        va_start(ap, cell);
        for (unsigned i = 1; i < t->n_columns; i++)
                c[i] = va_arg(ap, const char *);
        va_end(ap);
        return table_add_cells(t, c);
}

/* Width on a terminal: code points, not bytes (product names may be UTF-8). */
static size_t text_width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

void table_align_right(struct table *t, unsigned column) {
        if (column < t->n_columns)
                t->right[column] = true;
}

void table_shrinkable(struct table *t, unsigned column) {
        if (column < t->n_columns)
                t->shrink[column] = true;
}

/* The terminal's columns, or 0 (not a terminal: full lines). */
static size_t terminal_width(FILE *f) {
        struct winsize ws = {};
        const char *env = getenv("COLUMNS");

        if (!isatty(fileno(f)))
                return 0;
        if (env && atoi(env) > 0)
                return (size_t) atoi(env);
        if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 80;
}

/* Narrows the widest shrinkable column, one character at a time, until the
 * line fits (or every shrinkable column is down to TABLE_SHRINK_MIN). */
static void fit_width(const struct table *t, size_t width[], size_t max) {
        for (;;) {
                size_t total = 0;
                unsigned widest = t->n_columns;

                for (unsigned i = 0; i < t->n_columns; i++) {
                        total += width[i] + (i + 1 < t->n_columns ? 2 : 0);
                        if (t->shrink[i] && width[i] > TABLE_SHRINK_MIN &&
                            (widest == t->n_columns || width[i] > width[widest]))
                                widest = i;
                }
                if (total <= max || widest == t->n_columns)
                        return;
                width[widest]--;
        }
}

/* s cut to w code points, the last one "…" when cut. */
static void put_cut(FILE *f, const char *s, size_t w) {
        size_t n = 0;

        for (const char *p = s; *p; p++) {
                if (((unsigned char) *p & 0xc0) != 0x80 && ++n == w && text_width(p) > 1) {
                        fputs("…", f);
                        return;
                }
                fputc(*p, f);
        }
}

void table_print(const struct table *t, FILE *f) {
        size_t width[TABLE_COLUMNS_MAX] = {}, max = terminal_width(f);

        for (size_t r = 0; r < t->n_rows; r++)
                for (unsigned i = 0; i < t->n_columns; i++)
                        width[i] = MAX(width[i], text_width(t->cells[r * t->n_columns + i]));
        if (max > 0)
                fit_width(t, width, max);

        for (size_t r = 0; r < t->n_rows; r++) {
                for (unsigned i = 0; i < t->n_columns; i++) {
                        const char *s = t->cells[r * t->n_columns + i];
                        size_t w = MIN(text_width(s), width[i]), pad = width[i] - w;
                        bool last = i + 1 == t->n_columns;

                        if (t->right[i])
                                fprintf(f, "%*s", (int) pad, "");
                        put_cut(f, s, w);
                        if (!last && !t->right[i])
                                fprintf(f, "%*s", (int) pad, "");
                        fputs(last ? "\n" : "  ", f);
                }
        }
}

int json_print(struct json_object *o, FILE *f) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || fprintf(f, "%s\n", s) < 0)
                return -EIO;
        return 0;
}

int json_add(struct json_object *o, const char *key, struct json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_append(struct json_object *array, struct json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(array, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(struct json_object *o, const char *key, const char *s) {
        struct json_object *v = NULL;

        if (!s || !s[0] || strcmp(s, "-") == 0)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        v = json_object_new_string(s);
        return json_add(o, key, v);
}

int json_add_int(struct json_object *o, const char *key, int64_t n) {
        struct json_object *v = json_object_new_int64(n);

        if (!v)
                return -ENOMEM;
        return json_add(o, key, v);
}

int json_add_bool(struct json_object *o, const char *key, bool b) {
        struct json_object *v = json_object_new_boolean(b);

        if (!v)
                return -ENOMEM;
        return json_add(o, key, v);
}

const char *format_transport(const struct catalog_entry *e) {
        if (e->transport_unspecified)
                return "-";
        switch (e->transports & (TRANSPORT_TCP | TRANSPORT_UDP)) {
        case TRANSPORT_TCP:
                return "tcp";
        case TRANSPORT_UDP:
                return "udp";
        default:
                return "tcp, udp";
        }
}

char *format_ports_transport(const struct catalog_entry *e, char *buf, size_t size) {
        static const struct {
                unsigned bit;
                const char *name;
        } ts[] = {
                { TRANSPORT_TCP, "tcp" },
                { TRANSPORT_UDP, "udp" },
        };
        size_t n = 0;

        buf[0] = '\0';
        for (size_t t = 0; t < ELEMENTSOF(ts); t++) {
                if (!(e->transports & ts[t].bit))
                        continue;
                for (unsigned i = 0; i < e->n_ports && n < size; i++) {
                        const struct port_range *p = &e->ports[i];
                        int k = p->lo == p->hi ? snprintf(buf + n, size - n, "%s%u/%s", n ? ", " : "", p->lo, ts[t].name) : snprintf(buf + n, size - n, "%s%u-%u/%s", n ? ", " : "", p->lo, p->hi, ts[t].name);
                        if (k < 0)
                                return buf;
                        n += (size_t) k;
                }
        }
        return buf;
}

struct json_object *catalog_to_json(const struct catalog *c) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

        if (!o || json_add_string(o, "source", c->source) < 0 ||
            json_add_int(o, "entries", (int64_t) catalog_listed_entries(c)) < 0 ||
            json_add_int(o, "products", (int64_t) c->n_products) < 0)
                return NULL;
        return json_object_get(o);
}

char *format_ports(const struct catalog_entry *e, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (unsigned i = 0; i < e->n_ports && n < size; i++) {
                const struct port_range *p = &e->ports[i];
                const char *sep = i > 0 ? "," : "";
                int k;

                if (p->lo == p->hi)
                        k = snprintf(buf + n, size - n, "%s%u", sep, p->lo);
                else
                        k = snprintf(buf + n, size - n, "%s%u-%u", sep, p->lo, p->hi);
                if (k < 0)
                        break;
                n += (size_t) k;
        }
        if (e->n_ports == 0)
                snprintf(buf, size, "-");
        return buf;
}

char *format_products(const struct catalog *c, const struct catalog_entry *e, bool aliases,
                      char *buf, size_t size) {
        FILE *f = fmemopen(buf, size, "w");

        if (!f) {
                snprintf(buf, size, "-");
                return buf;
        }
        for (unsigned i = 0; i < e->n_products; i++) {
                const struct catalog_product *p = &c->products[e->products[i]];

                fprintf(f, "%s%s", i > 0 ? ", " : "", p->name);
                if (aliases && p->n_aliases > 0) {
                        fputs(" (", f);
                        for (unsigned a = 0; a < p->n_aliases; a++)
                                fprintf(f, "%s%s", a > 0 ? ", " : "", p->aliases[a]);
                        fputc(')', f);
                }
        }
        if (e->n_products == 0)
                fputc('-', f);
        fclose(f); /* NUL-terminates, truncating to size */
        return buf;
}

struct json_object *product_to_json(const struct catalog_product *p) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *aliases = json_object_new_array();

        if (!o || json_add(o, "name", json_object_new_string(p->name)) < 0 ||
            json_add(o, "aliases", aliases) < 0)
                return NULL;
        for (unsigned a = 0; a < p->n_aliases; a++)
                if (json_append(aliases, json_object_new_string(p->aliases[a])) < 0)
                        return NULL;
        return json_object_get(o);
}

/* "en2015,pl,zh" → ["en2015", "pl", "zh"] */
static struct json_object *versions_to_json(const char *versions) {
        _cleanup_(json_object_putp) struct json_object *a = json_object_new_array();
        const char *s = versions;

        if (!a)
                return NULL;
        while (*s) {
                size_t n = strcspn(s, ",");

                if (n > 0 && json_append(a, json_object_new_string_len(s, (int) n)) < 0)
                        return NULL;
                s += n;
                if (*s == ',')
                        s++;
        }
        return json_object_get(a);
}

struct json_object *entry_to_json(const struct catalog *c, size_t i) {
        const struct catalog_entry *e = &c->entries[i];
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *ports = json_object_new_array();
        struct json_object *products = json_object_new_array();

        if (!o || json_add(o, "id", json_object_new_string(e->id)) < 0 ||
            json_add(o, "ports", ports) < 0 ||
            json_add_string(o, "transport", e->transport_unspecified ? "unspecified" : transport_to_string(e->transports, false)) < 0 ||
            json_add(o, "products", products) < 0 ||
            json_add_string(o, "protocol", e->protocol) < 0 ||
            json_add_string(o, "iana", e->iana) < 0 ||
            json_add_string(o, "rfc", e->rfc) < 0 ||
            json_add_string(o, "scope", catalog_scope_to_string(e->scope)) < 0 ||
            json_add_string(o, "confidence",
                            confidence_to_string(tagger_entry_confidence(e))) < 0 ||
            json_add(o, "versions", versions_to_json(e->versions)) < 0 ||
            json_add_string(o, "note", e->note) < 0 ||
            json_add_int(o, "line", e->source_line) < 0)
                return NULL;

        for (unsigned k = 0; k < e->n_ports; k++) {
                struct json_object *r = json_object_new_object();

                if (json_append(ports, r) < 0 ||
                    json_add_int(r, "lo", e->ports[k].lo) < 0 ||
                    json_add_int(r, "hi", e->ports[k].hi) < 0)
                        return NULL;
        }
        for (unsigned k = 0; k < e->n_products; k++)
                if (json_append(products, product_to_json(&c->products[e->products[k]])) < 0)
                        return NULL;
        return json_object_get(o);
}
