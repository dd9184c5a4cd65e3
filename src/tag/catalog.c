/* SPDX-License-Identifier: MIT */
/*
 * Strict loader for docs/catalogue-format.md. The input is hostile: every
 * field is checked against its syntax and its limit, the first problem is
 * reported as "name:line: reason", and nothing is returned on error.
 * A catalogue is one allocation: the header, its entries and its products.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "default-data.h"
#include "text-util.h"

#define CATALOG_FIELDS 10
#define CATALOG_FILE_MAX (16u * 1024 * 1024)

static const char *const field_names[CATALOG_FIELDS] = {
        "id",
        "ports",
        "transport",
        "protocol",
        "iana",
        "rfc",
        "products",
        "versions",
        "scope",
        "note",
};

struct parser {
        const char *name;
        unsigned line;
        char *err;
        size_t errlen;
        struct catalog *c;
        size_t max_entries; /* room in c->entries, without apple-other */
        size_t max_products;
};

_printf_(2, 3) static int parse_error(struct parser *p, const char *fmt, ...) {
        char reason[CATALOG_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        if (p->err && p->errlen > 0)
                snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, reason);
        return -EINVAL;
}

/* Copies a field of len bytes into dst[dstsz]; "-" means none and stores "". */
static int copy_text(struct parser *p, char *dst, size_t dstsz, const char *s, size_t len, int field) {
        if (len == 1 && s[0] == '-') {
                dst[0] = 0;
                return 0;
        }
        if (len >= dstsz)
                return parse_error(p, "%s too long (%zu bytes, max %zu)", field_names[field], len,
                                   dstsz - 1);
        memcpy(dst, s, len);
        dst[len] = 0;
        return 0;
}

static bool is_slug(const char *s, size_t len) {
        if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (size_t i = 1; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

static int parse_id(struct parser *p, struct catalog_entry *e, const char *s, size_t len) {
        if (len >= CATALOG_ID_MAX)
                return parse_error(p, "id too long (%zu bytes, max %d)", len, CATALOG_ID_MAX - 1);
        if (!is_slug(s, len))
                return parse_error(p, "bad id '%.*s' (want [a-z0-9][a-z0-9-]*)", (int) len, s);
        memcpy(e->id, s, len);
        e->id[len] = 0;
        if (streq(e->id, CATALOG_APPLE_OTHER_ID))
                return parse_error(p, "id '%s' is reserved", e->id);
        for (size_t i = 0; i < p->c->n_entries; i++)
                if (streq(p->c->entries[i].id, e->id))
                        return parse_error(p, "duplicate id '%s' (first on line %u)", e->id,
                                           p->c->entries[i].source_line);
        return 0;
}

/* A decimal port 0-65535: digits only, at most five. */
static int parse_port(struct parser *p, const char *s, size_t len, uint16_t *ret) {
        unsigned long v = 0;

        if (len == 0)
                return parse_error(p, "empty port");
        if (len > 5)
                return parse_error(p, "bad port '%.*s'", (int) MIN(len, 16u), s);
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return parse_error(p, "bad port '%.*s'", (int) len, s);
                v = v * 10 + (unsigned long) (s[i] - '0');
        }
        if (v > 65535)
                return parse_error(p, "port %lu out of range (max 65535)", v);
        *ret = (uint16_t) v;
        return 0;
}

static int parse_ports(struct parser *p, struct catalog_entry *e, const char *s, size_t len) {
        const char *end = s + len;

        e->n_ports = 0;
        for (;;) {
                const char *comma = memchr(s, ',', (size_t) (end - s));
                const char *item_end = comma ? comma : end;
                const char *dash = memchr(s, '-', (size_t) (item_end - s));
                struct port_range r;
                int k;

                if (e->n_ports >= CATALOG_PORT_RANGES_MAX)
                        return parse_error(p, "too many port ranges (max %d)", CATALOG_PORT_RANGES_MAX);
                if (dash) {
                        k = parse_port(p, s, (size_t) (dash - s), &r.lo);
                        if (k < 0)
                                return k;
                        k = parse_port(p, dash + 1, (size_t) (item_end - dash - 1), &r.hi);
                        if (k < 0)
                                return k;
                        if (r.hi < r.lo)
                                return parse_error(p, "bad port range %u-%u (hi < lo)", r.lo, r.hi);
                } else {
                        k = parse_port(p, s, (size_t) (item_end - s), &r.lo);
                        if (k < 0)
                                return k;
                        r.hi = r.lo;
                }
                /* Overlaps would list the entry twice for one port. */
                for (unsigned i = 0; i < e->n_ports; i++)
                        if (r.lo <= e->ports[i].hi && e->ports[i].lo <= r.hi)
                                return parse_error(p, "port range %u-%u overlaps %u-%u", r.lo, r.hi,
                                                   e->ports[i].lo, e->ports[i].hi);
                e->ports[e->n_ports++] = r;
                if (!comma)
                        return 0;
                s = comma + 1;
        }
}

static int parse_transport(struct parser *p, struct catalog_entry *e, const char *s, size_t len) {
        e->transport_unspecified = false;
        if (memeq_str(s, len, "tcp"))
                e->transports = TRANSPORT_TCP;
        else if (memeq_str(s, len, "udp"))
                e->transports = TRANSPORT_UDP;
        else if (memeq_str(s, len, "tcp/udp"))
                e->transports = TRANSPORT_TCP | TRANSPORT_UDP;
        else if (memeq_str(s, len, "-")) {
                e->transports = TRANSPORT_TCP | TRANSPORT_UDP;
                e->transport_unspecified = true;
        } else
                return parse_error(p, "unknown transport '%.*s' (want tcp, udp, tcp/udp or -)",
                                   (int) MIN(len, 32u), s);
        return 0;
}

static int parse_scope(struct parser *p, struct catalog_entry *e, const char *s, size_t len) {
        if (memeq_str(s, len, "apple"))
                e->scope = CATALOG_SCOPE_APPLE;
        else if (memeq_str(s, len, "shared"))
                e->scope = CATALOG_SCOPE_SHARED;
        else
                return parse_error(p, "unknown scope '%.*s' (want apple or shared)", (int) MIN(len, 32u), s);
        return 0;
}

static int parse_versions(struct parser *p, struct catalog_entry *e, const char *s, size_t len) {
        int k = copy_text(p, e->versions, sizeof(e->versions), s, len, 7);
        if (k < 0)
                return k;
        if (e->versions[0] == 0)
                return 0;
        /* Comma-separated tokens [a-z0-9]+. */
        for (const char *t = e->versions;;) {
                size_t n = strcspn(t, ",");
                if (n == 0)
                        return parse_error(p, "empty version in '%s'", e->versions);
                for (size_t i = 0; i < n; i++)
                        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9')))
                                return parse_error(p, "bad version '%.*s'", (int) n, t);
                if (!t[n])
                        return 0;
                t += n + 1;
        }
}

static ssize_t find_product(const struct catalog *c, const char *s, size_t len) {
        for (size_t i = 0; i < c->n_products; i++) {
                const struct catalog_product *pr = &c->products[i];
                if (memcaseeq_str(s, len, pr->name))
                        return (ssize_t) i;
                for (unsigned a = 0; a < pr->n_aliases; a++)
                        if (memcaseeq_str(s, len, pr->aliases[a]))
                                return (ssize_t) i;
        }
        return -ENOENT;
}

/* "Name" or "Name (Alias1, Alias2)": resolves or adds the product, merges aliases. */
static int parse_product(struct parser *p, struct catalog_entry *e, const char *s, size_t len) {
        const char *aliases[CATALOG_PRODUCT_ALIASES_MAX];
        size_t alias_len[CATALOG_PRODUCT_ALIASES_MAX];
        unsigned n_aliases = 0;
        const char *paren;
        size_t name_len;
        ssize_t idx;

        trim(&s, &len);
        if (len == 0)
                return parse_error(p, "empty product name");
        if (e->n_products >= CATALOG_ENTRY_PRODUCTS_MAX)
                return parse_error(p, "too many products in entry (max %d)", CATALOG_ENTRY_PRODUCTS_MAX);
        paren = memchr(s, '(', len);
        if (paren) {
                const char *a = paren + 1, *end = s + len - 1;

                if (*end != ')' || memchr(a, '(', (size_t) (end - a)) || memchr(a, ')', (size_t) (end - a)))
                        return parse_error(p, "bad product '%.*s' (want 'Name (Alias, ...)')",
                                           (int) MIN(len, 64u), s);
                for (;;) {
                        const char *comma = memchr(a, ',', (size_t) (end - a));
                        const char *ae = comma ? comma : end;
                        const char *as = a;
                        size_t al = (size_t) (ae - a);

                        trim(&as, &al);
                        if (al == 0)
                                return parse_error(p, "empty alias in product '%.*s'", (int) MIN(len, 64u), s);
                        if (al >= CATALOG_PRODUCT_NAME_MAX)
                                return parse_error(p, "product alias too long (%zu bytes, max %d)", al,
                                                   CATALOG_PRODUCT_NAME_MAX - 1);
                        if (n_aliases >= CATALOG_PRODUCT_ALIASES_MAX)
                                return parse_error(p, "too many aliases in product '%.*s' (max %d)",
                                                   (int) MIN(len, 64u), s, CATALOG_PRODUCT_ALIASES_MAX);
                        aliases[n_aliases] = as;
                        alias_len[n_aliases++] = al;
                        if (!comma)
                                break;
                        a = comma + 1;
                }
                name_len = (size_t) (paren - s);
                trim(&s, &name_len);
                if (name_len == 0)
                        return parse_error(p, "empty product name");
        } else
                name_len = len;
        if (memchr(s, ')', name_len))
                return parse_error(p, "bad product '%.*s'", (int) MIN(len, 64u), s);
        if (name_len >= CATALOG_PRODUCT_NAME_MAX)
                return parse_error(p, "product name too long (%zu bytes, max %d)", name_len,
                                   CATALOG_PRODUCT_NAME_MAX - 1);

        /* A name that is a known alias resolves to that product: either name finds it. */
        idx = find_product(p->c, s, name_len);
        if (idx < 0) {
                struct catalog_product *pr;

                if (p->c->n_products >= p->max_products)
                        return parse_error(p, "too many products (max %d)", CATALOG_PRODUCTS_MAX);
                idx = (ssize_t) p->c->n_products++;
                pr = &p->c->products[idx];
                memcpy(pr->name, s, name_len);
                pr->name[name_len] = 0;
                pr->n_aliases = 0;
        }
        for (unsigned i = 0; i < n_aliases; i++) {
                struct catalog_product *pr = &p->c->products[idx];
                ssize_t other = find_product(p->c, aliases[i], alias_len[i]);

                if (other == idx)
                        continue;
                if (other >= 0)
                        return parse_error(p, "alias '%.*s' of '%s' already names product '%s'",
                                           (int) alias_len[i], aliases[i], pr->name,
                                           p->c->products[other].name);
                if (pr->n_aliases >= CATALOG_PRODUCT_ALIASES_MAX)
                        return parse_error(p, "too many aliases for product '%s' (max %d)", pr->name,
                                           CATALOG_PRODUCT_ALIASES_MAX);
                memcpy(pr->aliases[pr->n_aliases], aliases[i], alias_len[i]);
                pr->aliases[pr->n_aliases++][alias_len[i]] = 0;
        }

        for (unsigned i = 0; i < e->n_products; i++)
                if (e->products[i] == (uint16_t) idx)
                        return parse_error(p, "product '%s' listed twice", p->c->products[idx].name);
        e->products[e->n_products++] = (uint16_t) idx;
        return 0;
}

static int parse_products(struct parser *p, struct catalog_entry *e, const char *s, size_t len) {
        const char *end = s + len;

        e->n_products = 0;
        if (len == 1 && s[0] == '-')
                return 0;
        for (;;) {
                const char *semi = memchr(s, CATALOG_PRODUCT_SEPARATOR, (size_t) (end - s));
                int k = parse_product(p, e, s, (size_t) ((semi ? semi : end) - s));
                if (k < 0)
                        return k;
                if (!semi)
                        return 0;
                s = semi + 1;
        }
}

/* Checks the bytes of one line (without its newline): no NUL, no control
 * characters but TAB, no CR but a final one (stripped), valid UTF-8. */
static int check_line(struct parser *p, const char *s, size_t *len) {
        if (*len > 0 && s[*len - 1] == '\r')
                (*len)--;
        if (*len >= CATALOG_LINE_MAX)
                return parse_error(p, "line too long (%zu bytes, max %d)", *len, CATALOG_LINE_MAX - 1);
        for (size_t i = 0; i < *len; i++) {
                unsigned char ch = (unsigned char) s[i];
                if (ch == 0)
                        return parse_error(p, "NUL byte");
                if (ch == '\r')
                        return parse_error(p, "carriage return inside the line");
                if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                        return parse_error(p, "control character 0x%02x", ch);
        }
        if (!utf8_valid(s, *len))
                return parse_error(p, "invalid UTF-8");
        return 0;
}

static int parse_entry(struct parser *p, const char *s, size_t len) {
        const char *fields[CATALOG_FIELDS];
        size_t flen[CATALOG_FIELDS];
        const char *end = s + len;
        struct catalog_entry *e;
        unsigned n = 0;
        int k;

        for (;;) {
                const char *tab = memchr(s, '\t', (size_t) (end - s));
                if (n >= CATALOG_FIELDS)
                        return parse_error(p, "extra column (want %d)", CATALOG_FIELDS);
                fields[n] = s;
                flen[n] = (size_t) ((tab ? tab : end) - s);
                if (flen[n] == 0)
                        return parse_error(p, "empty %s column (use '-' for none)", field_names[n]);
                n++;
                if (!tab)
                        break;
                s = tab + 1;
        }
        if (n < CATALOG_FIELDS) {
                /* Spaces where tabs belong: an editor or a copy from a web page. */
                if (n == 1 && memchr(fields[0], ' ', flen[0]))
                        return parse_error(p, "no tab on the line: the %d columns are separated by tabs, "
                                              "not spaces",
                                           CATALOG_FIELDS);
                return parse_error(p, "%u column%s, expected %d separated by tabs (the %s column is "
                                      "missing)",
                                   n, n == 1 ? "" : "s", CATALOG_FIELDS, field_names[n]);
        }

        if (p->c->n_entries >= p->max_entries)
                return parse_error(p, "too many entries (max %d)", CATALOG_ENTRIES_MAX);
        e = &p->c->entries[p->c->n_entries];
        *e = (struct catalog_entry) { .source_line = p->line };

        k = parse_id(p, e, fields[0], flen[0]);
        if (k >= 0)
                k = parse_ports(p, e, fields[1], flen[1]);
        if (k >= 0)
                k = parse_transport(p, e, fields[2], flen[2]);
        if (k >= 0)
                k = copy_text(p, e->protocol, sizeof(e->protocol), fields[3], flen[3], 3);
        if (k >= 0)
                k = copy_text(p, e->iana, sizeof(e->iana), fields[4], flen[4], 4);
        if (k >= 0)
                k = copy_text(p, e->rfc, sizeof(e->rfc), fields[5], flen[5], 5);
        if (k >= 0)
                k = parse_products(p, e, fields[6], flen[6]);
        if (k >= 0)
                k = parse_versions(p, e, fields[7], flen[7]);
        if (k >= 0)
                k = parse_scope(p, e, fields[8], flen[8]);
        if (k >= 0)
                k = copy_text(p, e->note, sizeof(e->note), fields[9], flen[9], 9);
        if (k < 0)
                return k;
        p->c->n_entries++;
        return 0;
}

static bool is_blank(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                        return false;
        return true;
}

int catalog_load_buffer(const char *name, const char *buf, size_t len, struct catalog **ret,
                        char *err, size_t errlen) {
        struct parser p = { .name = name ?: "catalogue", .err = err, .errlen = errlen };
        _cleanup_free_ struct catalog *c = NULL;
        size_t n_lines = 0, size;
        const char *s, *end = buf + len;
        struct catalog_entry *other;

        if (!buf && len > 0)
                return -EINVAL;

        /* Size the single allocation by the number of candidate lines. */
        for (s = buf; s < end && (s = memchr(s, '\n', (size_t) (end - s))); s++)
                n_lines++;
        p.max_entries = MIN(n_lines + 1, (size_t) CATALOG_ENTRIES_MAX);
        p.max_products = MIN(p.max_entries * CATALOG_ENTRY_PRODUCTS_MAX, (size_t) CATALOG_PRODUCTS_MAX);
        size = sizeof(struct catalog) + (p.max_entries + 1) * sizeof(struct catalog_entry) +
               p.max_products * sizeof(struct catalog_product);
        c = calloc(1, size);
        if (!c)
                return -ENOMEM;
        c->entries = (struct catalog_entry *) (c + 1);
        c->products = (struct catalog_product *) (c->entries + p.max_entries + 1);
        snprintf(c->source, sizeof(c->source), "%s", p.name);
        c->digest = text_digest(buf, len);
        p.c = c;

        for (s = buf; s < end;) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t l = (size_t) ((nl ? nl : end) - s);
                int k;

                p.line++;
                if (p.line == 1 && l >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
                        return parse_error(&p, "the file starts with a byte order mark: save it as UTF-8 "
                                               "without one (plain text, columns separated by tabs)");
                k = check_line(&p, s, &l);
                if (k < 0)
                        return k;
                if (l > 0 && s[0] != '#' && !is_blank(s, l)) {
                        k = parse_entry(&p, s, l);
                        if (k < 0)
                                return k;
                }
                if (!nl)
                        break;
                s = nl + 1;
        }

        /* A catalogue that tags nothing is a mistake, not a configuration. */
        if (c->n_entries == 0) {
                if (p.err && p.errlen > 0)
                        snprintf(p.err, p.errlen, "%s: no entries: expected lines of %d columns separated "
                                                  "by tabs (docs/catalogue-format.md)",
                                 p.name, CATALOG_FIELDS);
                return -EINVAL;
        }

        other = &c->entries[c->n_entries];
        *other = (struct catalog_entry) {
                .id = CATALOG_APPLE_OTHER_ID,
                .transports = TRANSPORT_TCP | TRANSPORT_UDP,
                .transport_unspecified = true,
                .protocol = "Apple network, unlisted port",
                .scope = CATALOG_SCOPE_APPLE,
                .note = "synthetic: any port to or from Apple's networks",
        };
        c->apple_other = c->n_entries++;

        *ret = c;
        c = NULL;
        return 0;
}

int catalog_load_file(const char *path, struct catalog **ret, char *err, size_t errlen) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_small_file(path, CATALOG_FILE_MAX, &buf, &len);
        if (r < 0)
                return read_small_file_error(r, path, CATALOG_FILE_MAX, "a catalogue file (TSV)", err,
                                             errlen);
        return catalog_load_buffer(path, buf, len, ret, err, errlen);
}

int catalog_load_default(struct catalog **ret, char *err, size_t errlen) {
        return catalog_load_buffer("built-in", default_catalog_tsv, default_catalog_tsv_len, ret, err,
                                   errlen);
}

struct catalog *catalog_free(struct catalog *c) {
        free(c);
        return NULL;
}

ssize_t catalog_find_entry(const struct catalog *c, const char *id) {
        for (size_t i = 0; i < c->n_entries; i++)
                if (streq(c->entries[i].id, id))
                        return (ssize_t) i;
        return -ENOENT;
}

ssize_t catalog_find_product(const struct catalog *c, const char *name) {
        return find_product(c, name, strlen(name));
}

bool catalog_entry_has_product(const struct catalog_entry *e, size_t product) {
        for (unsigned i = 0; i < e->n_products; i++)
                if (e->products[i] == product)
                        return true;
        return false;
}

const char *transport_to_string(unsigned transports, bool unspecified) {
        if (unspecified)
                return "-";
        switch (transports & (TRANSPORT_TCP | TRANSPORT_UDP)) {
        case TRANSPORT_TCP:
                return "tcp";
        case TRANSPORT_UDP:
                return "udp";
        case TRANSPORT_TCP | TRANSPORT_UDP:
                return "tcp/udp";
        default:
                return "-";
        }
}

const char *catalog_scope_to_string(enum catalog_scope s) {
        return s == CATALOG_SCOPE_APPLE ? "apple" : s == CATALOG_SCOPE_SHARED ? "shared"
                                                                              : "?";
}

size_t catalog_listed_entries(const struct catalog *c) {
        /* Every entry of the file; apple-other, which every catalogue has, is not one. */
        return c->n_entries - 1;
}
