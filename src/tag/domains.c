/* SPDX-License-Identifier: MIT */
/*
 * Strict loader for docs/domains-format.md and the suffix index. The input
 * is hostile: every field is checked against its syntax and its limit, the
 * first problem is reported as "name:line: reason".
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "default-data.h"
#include "domains.h"
#include "text-util.h"

#define DOMAINS_FIELDS 4
#define DOMAINS_ERROR_MAX 512

struct domains {
        char source[256];
        struct domain_rule *rules;
        size_t n_rules;
        uint32_t *slots; /* index of rule + 1, 0 empty; open addressing */
        size_t n_slots;  /* a power of two, at least twice n_rules */
        uint64_t digest; /* of the text it was read from: a reload tells changes */
};

struct loader {
        const char *name;
        unsigned line;
        char *err;
        size_t errlen;
};

_printf_(2, 3) static int load_error(const struct loader *x, const char *fmt, ...) {
        char reason[DOMAINS_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        /* Line 0: the file as a whole. */
        if (x->line == 0)
                return errorf(-EINVAL, x->err, x->errlen, "%s: %s", x->name, reason);
        return errorf(-EINVAL, x->err, x->errlen, "%s:%u: %s", x->name, x->line, reason);
}

/* Hashed from the last byte to the first, so that a lookup gets the hash of
 * every suffix of a name in one pass from its end. */
static uint32_t hash_step(uint32_t h, char c) {
        return (h ^ (uint8_t) c) * 16777619u;
}

static uint32_t hash_suffix(const char *s, size_t len) {
        uint32_t h = 2166136261u;

        for (size_t i = len; i > 0; i--)
                h = hash_step(h, s[i - 1]);
        return h;
}

static bool is_name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int domain_name_normalize(const char *name, size_t len, char *out) {
        size_t label = 0;

        if (len > 0 && name[len - 1] == '.')
                len--;
        if (len == 0 || len >= DOMAINS_NAME_MAX)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];

                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if (c == '.') {
                        if (label == 0)
                                return -EINVAL;
                        label = 0;
                } else if (!is_name_char(c) || ++label > 63)
                        return -EINVAL;
                out[i] = c;
        }
        if (label == 0)
                return -EINVAL;
        out[len] = 0;
        return (int) len;
}

static int parse_suffix(const struct loader *x, struct domain_rule *r, const char *s, size_t len) {
        size_t label = 0, labels = 1;

        if (len >= DOMAINS_NAME_MAX)
                return load_error(x, "suffix too long (%zu bytes, max %d)", len, DOMAINS_NAME_MAX - 1);
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (c == '.') {
                        if (label == 0 || s[i - 1] == '-')
                                return load_error(x, "bad suffix '%.*s': empty label or one ending in '-'",
                                                  (int) len, s);
                        label = 0;
                        labels++;
                        continue;
                }
                if (c >= 'A' && c <= 'Z')
                        return load_error(x, "bad suffix '%.*s': upper case", (int) len, s);
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                        return load_error(x, "bad suffix '%.*s': want letters, digits, '-' and '.'",
                                          (int) len, s);
                if (label == 0 && c == '-')
                        return load_error(x, "bad suffix '%.*s': a label begins with '-'", (int) len, s);
                if (++label > 63)
                        return load_error(x, "bad suffix '%.*s': a label longer than 63 bytes", (int) len, s);
        }
        if (len == 0 || label == 0 || s[len - 1] == '-')
                return load_error(x, "bad suffix '%.*s': empty label or one ending in '-'", (int) len, s);
        if (labels < 2)
                return load_error(x, "suffix '%.*s' is a top-level domain: want two labels or more",
                                  (int) len, s);
        memcpy(r->suffix, s, len);
        r->suffix[len] = 0;
        r->suffix_len = len;
        return 0;
}

static int parse_service(const struct loader *x, struct domain_rule *r, const char *s, size_t len) {
        if (len >= DOMAINS_SERVICE_MAX)
                return load_error(x, "service too long (%zu bytes, max %d)", len, DOMAINS_SERVICE_MAX - 1);
        if (len == 0 || s[0] == '-')
                return load_error(x, "bad service '%.*s' (want [a-z0-9][a-z0-9-]*)", (int) len, s);
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return load_error(x, "bad service '%.*s' (want [a-z0-9][a-z0-9-]*)", (int) len, s);
        memcpy(r->service, s, len);
        r->service[len] = 0;
        return 0;
}

static int parse_products(const struct loader *x, struct domain_rule *r, const char *s, size_t len) {
        if (len == 1 && s[0] == '-')
                return 0;
        while (len > 0) {
                const char *semi = memchr(s, ';', len);
                size_t l = semi ? (size_t) (semi - s) : len;
                const char *t = s;
                size_t tl = l;

                trim(&t, &tl);
                if (tl == 0)
                        return load_error(x, "empty product name");
                if (tl >= DOMAINS_PRODUCT_MAX)
                        return load_error(x, "product name too long (%zu bytes, max %d)", tl,
                                          DOMAINS_PRODUCT_MAX - 1);
                if (r->n_products >= DOMAINS_PRODUCTS_MAX)
                        return load_error(x, "too many products (max %d)", DOMAINS_PRODUCTS_MAX);
                for (unsigned i = 0; i < r->n_products; i++)
                        if (memeq_str(t, tl, r->products[i]))
                                return load_error(x, "product '%.*s' named twice", (int) tl, t);
                memcpy(r->products[r->n_products], t, tl);
                r->products[r->n_products++][tl] = 0;
                if (!semi)
                        break;
                s = semi + 1;
                len -= l + 1;
                if (len == 0)
                        return load_error(x, "empty product name");
        }
        return 0;
}

static int parse_source(const struct loader *x, struct domain_rule *r, const char *s, size_t len) {
        if (len == 0)
                return load_error(x, "empty source");
        if (len >= DOMAINS_SOURCE_MAX)
                return load_error(x, "source too long (%zu bytes, max %d)", len, DOMAINS_SOURCE_MAX - 1);
        memcpy(r->source, s, len);
        r->source[len] = 0;
        return 0;
}

static int parse_line(const struct loader *x, struct domain_rule *r, const char *s, size_t len) {
        static int (*const parse[DOMAINS_FIELDS])(const struct loader *, struct domain_rule *,
                                                  const char *, size_t) = {
                parse_suffix,
                parse_service,
                parse_products,
                parse_source,
        };
        unsigned field = 0;

        *r = (struct domain_rule) { .line = x->line };
        for (;;) {
                const char *tab = memchr(s, '\t', len);
                size_t l = tab ? (size_t) (tab - s) : len;
                const char *t = s;
                int k;

                if (field >= DOMAINS_FIELDS)
                        return load_error(x, "too many fields (want %d)", DOMAINS_FIELDS);
                trim(&t, &l);
                k = parse[field++](x, r, t, l);
                if (k < 0)
                        return k;
                if (!tab)
                        break;
                len -= (size_t) (tab - s) + 1;
                s = tab + 1;
        }
        if (field != DOMAINS_FIELDS)
                return load_error(x, "%u fields, want %d (suffix, service, products, source)", field,
                                  DOMAINS_FIELDS);
        return 0;
}

static int index_build(const struct loader *x0, struct domains *d) {
        struct loader x = *x0;

        d->n_slots = 16;
        while (d->n_slots < 2 * d->n_rules)
                d->n_slots *= 2;
        d->slots = calloc(d->n_slots, sizeof(*d->slots));
        if (!d->slots)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_rules; i++) {
                const struct domain_rule *r = &d->rules[i];
                size_t s = hash_suffix(r->suffix, r->suffix_len) & (d->n_slots - 1);

                for (; d->slots[s] != 0; s = (s + 1) & (d->n_slots - 1)) {
                        const struct domain_rule *o = &d->rules[d->slots[s] - 1];

                        if (streq(o->suffix, r->suffix)) {
                                x.line = r->line;
                                return load_error(&x, "duplicate suffix %s (first on line %u)", r->suffix,
                                                  o->line);
                        }
                }
                d->slots[s] = (uint32_t) i + 1;
        }
        return 0;
}

int domains_load_buffer(const char *name, const char *buf, size_t len, struct domains **ret,
                        char *err, size_t errlen) {
        _cleanup_(domains_freep) struct domains *d = NULL;
        struct loader x = { .name = name ?: "domains", .err = err, .errlen = errlen };
        const char *s, *end = buf + len;
        size_t n_lines = 1;
        int r;

        if (!buf && len > 0)
                return -EINVAL;
        for (s = buf; s < end; s++)
                n_lines += *s == '\n';
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        snprintf(d->source, sizeof(d->source), "%s", x.name);
        d->digest = text_digest(buf, len);
        d->rules = calloc(MIN(n_lines, (size_t) DOMAINS_RULES_MAX), sizeof(*d->rules));
        if (!d->rules)
                return -ENOMEM;

        for (s = buf; s < end;) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t l = (size_t) ((nl ? nl : end) - s);
                const char *t = s;
                size_t tl;

                x.line++;
                if (l > 0 && s[l - 1] == '\r')
                        l--;
                if (l >= DOMAINS_LINE_MAX)
                        return load_error(&x, "line too long (%zu bytes, max %d)", l, DOMAINS_LINE_MAX - 1);
                for (size_t i = 0; i < l; i++)
                        if (((unsigned char) s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
                                return load_error(&x, "control character 0x%02x", (unsigned char) s[i]);
                if (!utf8_valid(s, l))
                        return load_error(&x, "not UTF-8");
                tl = l;
                trim(&t, &tl); /* for blank and comment lines; the fields trim themselves */
                if (tl > 0 && t[0] != '#') {
                        if (d->n_rules >= DOMAINS_RULES_MAX)
                                return load_error(&x, "too many rows (max %d)", DOMAINS_RULES_MAX);
                        r = parse_line(&x, &d->rules[d->n_rules], s, l);
                        if (r < 0)
                                return r;
                        d->n_rules++;
                }
                if (!nl)
                        break;
                s = nl + 1;
        }
        if (d->n_rules == 0) {
                x.line = 0;
                return load_error(&x, "no suffix: expected lines of a suffix, a service, products and a "
                                      "source, separated by tabs (docs/domains-format.md)");
        }
        r = index_build(&x, d);
        if (r < 0)
                return r;
        *ret = d;
        d = NULL;
        return 0;
}

int domains_load_file(const char *path, struct domains **ret, char *err, size_t errlen) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_small_file(path, DOMAINS_FILE_MAX, &buf, &len);
        if (r < 0)
                return read_small_file_error(r, path, DOMAINS_FILE_MAX, "a list of Apple's domains", err, errlen);
        return domains_load_buffer(path, buf, len, ret, err, errlen);
}

int domains_load_default(struct domains **ret, char *err, size_t errlen) {
        return domains_load_buffer("built-in", default_domains_tsv, default_domains_tsv_len, ret, err,
                                   errlen);
}

struct domains *domains_free(struct domains *d) {
        if (!d)
                return NULL;
        free(d->slots);
        free(d->rules);
        free(d);
        return NULL;
}

static const struct domain_rule *find(const struct domains *d, uint32_t h, const char *s, size_t len) {
        for (size_t i = h & (d->n_slots - 1);; i = (i + 1) & (d->n_slots - 1)) {
                const struct domain_rule *r;

                if (d->slots[i] == 0)
                        return NULL;
                r = &d->rules[d->slots[i] - 1];
                if (r->suffix_len == len && memcmp(r->suffix, s, len) == 0)
                        return r;
        }
}

const struct domain_rule *domains_match(const struct domains *d, const char *name, size_t len) {
        const struct domain_rule *best = NULL;
        uint32_t h = 2166136261u;

        if (!d || !name)
                return NULL;
        /* From the end: at each label boundary the hash covers name[i..len). */
        for (size_t i = len; i > 0; i--) {
                h = hash_step(h, name[i - 1]);
                if (i == 1 || name[i - 2] == '.') {
                        const struct domain_rule *r = find(d, h, name + i - 1, len - i + 1);
                        if (r)
                                best = r;
                }
        }
        return best;
}

size_t domains_count(const struct domains *d) {
        return d ? d->n_rules : 0;
}

const struct domain_rule *domains_rule(const struct domains *d, size_t i) {
        return d && i < d->n_rules ? &d->rules[i] : NULL;
}

uint64_t domains_digest(const struct domains *d) {
        return d ? d->digest : 0;
}

const char *domains_source(const struct domains *d) {
        return d ? d->source : NULL;
}

bool domain_rule_is_catch_all(const struct domain_rule *r) {
        return r && streq(r->service, DOMAINS_CATCH_ALL);
}
