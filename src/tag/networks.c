/* SPDX-License-Identifier: MIT */
/*
 * Apple's address space. Prefixes are kept per family, sorted by length
 * (longest first) and address; a lookup masks the address once per prefix
 * length present and binary-searches that length's run. No allocation.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "default-data.h"
#include "networks.h"
#include "text-util.h"

#define NETWORKS_FILE_MAX (16u * 1024 * 1024)
#define NETWORKS_ERROR_MAX 512
#define PREFIX_TEXT_MAX (INET6_ADDRSTRLEN + 4)

struct prefix {
        uint8_t addr[16]; /* masked, network order */
        uint8_t len;
        unsigned line;
        char text[PREFIX_TEXT_MAX];
};

struct run {
        uint8_t len;
        size_t start, end; /* into family.prefixes */
};

struct family {
        struct prefix *prefixes;
        size_t n;
        struct run runs[129]; /* one per prefix length present, longest first */
        unsigned n_runs;
        unsigned addr_len; /* 4 or 16 */
};

struct networks {
        char source[256];
        uint64_t digest; /* of the text it was read from */
        struct family v4, v6;
};

struct loader {
        const char *name;
        char *err;
        size_t errlen;
};

_printf_(3, 4) static int net_error(const struct loader *x, unsigned line, const char *fmt, ...) {
        char reason[NETWORKS_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        if (x->err && x->errlen > 0)
                snprintf(x->err, x->errlen, "%s:%u: %s", x->name, line, reason);
        return -EINVAL;
}

static void mask(uint8_t *a, unsigned addr_len, unsigned len) {
        for (unsigned i = 0; i < addr_len; i++) {
                if (len >= 8)
                        len -= 8;
                else {
                        a[i] &= (uint8_t) (0xff00u >> len);
                        len = 0;
                }
        }
}

static int prefix_compare(const void *a, const void *b) {
        const struct prefix *x = a, *y = b;
        int r;

        if (x->len != y->len)
                return x->len > y->len ? -1 : 1;
        r = memcmp(x->addr, y->addr, 16);
        if (r != 0)
                return r;
        return x->line < y->line ? -1 : x->line > y->line;
}

/* One prefix "addr/len", already trimmed. */
static int parse_prefix(const struct loader *x, const char *s, size_t l, unsigned line, struct prefix *p,
                        int *ret_family) {
        char addr[INET6_ADDRSTRLEN];
        const char *slash;
        unsigned long len = 0;
        size_t al, ll;
        int family;
        uint8_t masked[16];

        if (l >= PREFIX_TEXT_MAX)
                return net_error(x, line, "bad prefix (%zu bytes, too long)", l);
        for (size_t i = 0; i < l; i++)
                if (s[i] == ' ' || s[i] == '\t')
                        return net_error(x, line, "'%.*s': one prefix per line (a comment starts with '#')",
                                         (int) l, s);
        slash = memchr(s, '/', l);
        if (!slash)
                return net_error(x, line, "'%.*s': no prefix length (want address/length, e.g. "
                                          "17.0.0.0/8)",
                                 (int) l, s);
        al = (size_t) (slash - s);
        ll = l - al - 1;
        if (al == 0 || al >= sizeof(addr))
                return net_error(x, line, "bad address in '%.*s'", (int) l, s);
        memcpy(addr, s, al);
        addr[al] = 0;
        memset(p, 0, sizeof(*p));
        if (memchr(addr, ':', al))
                family = AF_INET6;
        else
                family = AF_INET;
        if (inet_pton(family, addr, p->addr) != 1)
                return net_error(x, line, "bad %s address '%s'", family == AF_INET ? "IPv4" : "IPv6",
                                 addr);
        if (ll == 0 || ll > 3 || (ll > 1 && slash[1] == '0'))
                return net_error(x, line, "bad prefix length in '%.*s'", (int) l, s);
        for (size_t i = 1; i <= ll; i++) {
                if (slash[i] < '0' || slash[i] > '9')
                        return net_error(x, line, "bad prefix length in '%.*s'", (int) l, s);
                len = len * 10 + (unsigned long) (slash[i] - '0');
        }
        if (len > (family == AF_INET ? 32u : 128u))
                return net_error(x, line, "prefix length %lu too long for %s", len,
                                 family == AF_INET ? "IPv4" : "IPv6");
        memcpy(masked, p->addr, 16);
        mask(masked, family == AF_INET ? 4 : 16, (unsigned) len);
        if (memcmp(masked, p->addr, 16) != 0) {
                char want[INET6_ADDRSTRLEN];
                inet_ntop(family, masked, want, sizeof(want));
                return net_error(x, line, "host bits set in '%.*s' (network is %s/%lu)", (int) l, s,
                                 want, len);
        }
        p->len = (uint8_t) len;
        p->line = line;
        memcpy(p->text, s, l);
        p->text[l] = 0;
        *ret_family = family;
        return 0;
}

static int family_finish(const struct loader *x, struct family *f) {
        qsort(f->prefixes, f->n, sizeof(*f->prefixes), prefix_compare);
        for (size_t i = 0; i < f->n; i++) {
                const struct prefix *p = &f->prefixes[i];

                if (i > 0 && p->len == p[-1].len && memcmp(p->addr, p[-1].addr, 16) == 0)
                        return net_error(x, p->line, "duplicate prefix %s (first on line %u)", p->text,
                                         p[-1].line);
                if (f->n_runs == 0 || f->runs[f->n_runs - 1].len != p->len)
                        f->runs[f->n_runs++] = (struct run) { .len = p->len, .start = i };
                f->runs[f->n_runs - 1].end = i + 1;
        }
        return 0;
}

int networks_load_buffer(const char *name, const char *buf, size_t len, struct networks **ret,
                         char *err, size_t errlen) {
        _cleanup_(networks_freep) struct networks *n = NULL;
        const char *s, *end = buf + len;
        size_t n_lines = 1, max;
        unsigned line = 0;
        int r;

        struct loader x = { .name = name ?: "networks", .err = err, .errlen = errlen };

        if (!buf && len > 0)
                return -EINVAL;

        for (s = buf; s < end; s++)
                if (*s == '\n')
                        n_lines++;
        max = MIN(n_lines, (size_t) NETWORKS_PREFIXES_MAX);
        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        snprintf(n->source, sizeof(n->source), "%s", x.name);
        n->digest = text_digest(buf, len);
        n->v4.addr_len = 4;
        n->v6.addr_len = 16;
        n->v4.prefixes = calloc(max, sizeof(struct prefix));
        n->v6.prefixes = calloc(max, sizeof(struct prefix));
        if (!n->v4.prefixes || !n->v6.prefixes)
                return -ENOMEM;

        for (s = buf; s < end;) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t l = (size_t) ((nl ? nl : end) - s);
                const char *t = s, *hash;
                struct prefix p;
                int family = AF_UNSPEC;

                line++;
                if (l > 0 && s[l - 1] == '\r')
                        l--;
                if (l >= NETWORKS_LINE_MAX)
                        return net_error(&x, line, "line too long (%zu bytes, max %d)", l,
                                         NETWORKS_LINE_MAX - 1);
                if (memchr(s, 0, l))
                        return net_error(&x, line, "NUL byte");
                for (size_t i = 0; i < l; i++)
                        if (((unsigned char) s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
                                return net_error(&x, line, "control character 0x%02x",
                                                 (unsigned char) s[i]);
                hash = memchr(s, '#', l);
                if (hash)
                        l = (size_t) (hash - s);
                trim(&t, &l);
                if (l > 0) {
                        r = parse_prefix(&x, t, l, line, &p, &family);
                        if (r < 0)
                                return r;
                        if (n->v4.n + n->v6.n >= max)
                                return net_error(&x, line, "too many prefixes (max %d)",
                                                 NETWORKS_PREFIXES_MAX);
                        if (family == AF_INET)
                                n->v4.prefixes[n->v4.n++] = p;
                        else
                                n->v6.prefixes[n->v6.n++] = p;
                }
                if (!nl)
                        break;
                s = nl + 1;
        }

        /* No prefix: nothing would ever be Apple's. */
        if (n->v4.n + n->v6.n == 0) {
                if (x.err && x.errlen > 0)
                        snprintf(x.err, x.errlen, "%s: no prefix: expected one network per line, "
                                                  "address/length (17.0.0.0/8, 2620:149::/36)",
                                 x.name);
                return -EINVAL;
        }

        r = family_finish(&x, &n->v4);
        if (r < 0)
                return r;
        r = family_finish(&x, &n->v6);
        if (r < 0)
                return r;
        *ret = n;
        n = NULL;
        return 0;
}

int networks_load_file(const char *path, struct networks **ret, char *err, size_t errlen) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_small_file(path, NETWORKS_FILE_MAX, &buf, &len);
        if (r < 0)
                return read_small_file_error(r, path, NETWORKS_FILE_MAX, "a list of networks", err, errlen);
        return networks_load_buffer(path, buf, len, ret, err, errlen);
}

int networks_load_default(struct networks **ret, char *err, size_t errlen) {
        return networks_load_buffer("built-in", default_networks_txt, default_networks_txt_len, ret, err,
                                    errlen);
}

struct networks *networks_free(struct networks *n) {
        if (!n)
                return NULL;
        free(n->v4.prefixes);
        free(n->v6.prefixes);
        free(n);
        return NULL;
}

int networks_match(const struct networks *n, int family, const void *addr, const char **ret_text) {
        const struct family *f;

        if (!n)
                return -1;
        if (family == AF_INET)
                f = &n->v4;
        else if (family == AF_INET6)
                f = &n->v6;
        else
                return -1;

        for (unsigned i = 0; i < f->n_runs; i++) {
                const struct run *run = &f->runs[i];
                uint8_t key[16] = {};
                size_t lo = run->start, hi = run->end;

                memcpy(key, addr, f->addr_len);
                mask(key, f->addr_len, run->len);
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        int c = memcmp(key, f->prefixes[mid].addr, 16);
                        if (c == 0) {
                                if (ret_text)
                                        *ret_text = f->prefixes[mid].text;
                                return run->len;
                        }
                        if (c < 0)
                                hi = mid;
                        else
                                lo = mid + 1;
                }
        }
        return -1;
}

size_t networks_count(const struct networks *n) {
        return n ? n->v4.n + n->v6.n : 0;
}

const char *networks_prefix(const struct networks *n, int family, size_t i) {
        const struct family *f = !n ? NULL : family == AF_INET ? &n->v4
                                     : family == AF_INET6      ? &n->v6
                                                               : NULL;

        return f && i < f->n ? f->prefixes[i].text : NULL;
}

uint64_t networks_digest(const struct networks *n) {
        return n ? n->digest : 0;
}

const char *networks_source(const struct networks *n) {
        return n ? n->source : NULL;
}
