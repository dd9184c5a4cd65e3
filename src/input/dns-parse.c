/* SPDX-License-Identifier: MIT */
/*
 * DNS answers, parsed for their A, AAAA and CNAME records. A message that
 * breaks any rule of the wire format is malformed as a whole: a resolver
 * that sends it is broken or hostile, and nothing it says is believed.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns-parse.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
#define DNS_WIRE_NAME_MAX 255
#define DNS_TTL_MAX 0x7fffffffu /* RFC 2181 8: a TTL with the top bit set means 0 */

struct record {
        uint16_t type;
        uint32_t ttl;
        struct dns_name owner;
        struct dns_name target; /* CNAME */
        uint8_t addr[16];       /* A: 4 bytes, AAAA: 16 */
};

struct dns_parser {
        struct record records[DNS_RECORDS_MAX];
        unsigned n_records;
};

int dns_parser_new(struct dns_parser **ret) {
        struct dns_parser *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

struct dns_parser *dns_parser_free(struct dns_parser *p) {
        free(p);
        return NULL;
}

static uint16_t be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static bool is_name_char(uint8_t c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Reads the name at *off into out. A compression pointer must point before
 * itself and past the header, so every jump goes strictly backwards and the
 * walk ends. *off moves past the name as it lies at *off (past its first
 * pointer). Returns 0 or DNS_MALFORMED.
 */
static int read_name(const uint8_t *msg, size_t len, size_t *off, struct dns_name *out) {
        size_t pos = *off, wire = 0, end = 0;
        bool jumped = false;

        *out = (struct dns_name) { .usable = true };
        for (;;) {
                uint8_t l;

                if (pos >= len)
                        return DNS_MALFORMED;
                l = msg[pos];
                if ((l & 0xc0) == 0xc0) {
                        size_t target;

                        if (pos + 1 >= len)
                                return DNS_MALFORMED;
                        target = (size_t) (l & 0x3f) << 8 | msg[pos + 1];
                        if (target < DNS_HEADER_SIZE || target >= pos)
                                return DNS_MALFORMED;
                        if (!jumped)
                                end = pos + 2;
                        jumped = true;
                        pos = target;
                        continue;
                }
                if ((l & 0xc0) != 0) /* 0x40 and 0x80: extended and reserved label types */
                        return DNS_MALFORMED;
                wire += 1u + l;
                if (wire > DNS_WIRE_NAME_MAX)
                        return DNS_MALFORMED;
                if (l == 0) {
                        pos++;
                        break;
                }
                if (pos + 1 + l > len)
                        return DNS_MALFORMED;
                /* wire <= 255 keeps the text (labels and dots) within 253 bytes. */
                if (out->len > 0)
                        out->text[out->len++] = '.';
                for (size_t i = 0; i < l; i++) {
                        uint8_t c = msg[pos + 1 + i];

                        if (c >= 'A' && c <= 'Z')
                                c = (uint8_t) (c - 'A' + 'a');
                        if (!is_name_char(c)) {
                                out->usable = false;
                                c = '?';
                        }
                        out->text[out->len++] = (char) c;
                }
                pos += 1u + l;
        }
        out->text[out->len] = 0;
        if (out->len == 0)
                out->usable = false; /* the root */
        *off = jumped ? end : pos;
        return 0;
}

static bool name_eq(const struct dns_name *a, const struct dns_name *b) {
        return a->usable && b->usable && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

static int read_record(struct dns_parser *p, const uint8_t *msg, size_t len, size_t *off) {
        struct record *rec = p->n_records < DNS_RECORDS_MAX ? &p->records[p->n_records] : NULL;
        struct dns_name owner;
        uint16_t type, class, rdlen;
        uint32_t ttl;
        size_t rdata;
        int r;

        r = read_name(msg, len, off, &owner);
        if (r < 0)
                return r;
        if (len - *off < 10)
                return DNS_MALFORMED;
        type = be16(msg + *off);
        class = be16(msg + *off + 2);
        ttl = be32(msg + *off + 4);
        rdlen = be16(msg + *off + 8);
        rdata = *off + 10;
        if (len - rdata < rdlen)
                return DNS_MALFORMED;
        *off = rdata + rdlen;

        if (type == DNS_TYPE_A && rdlen != 4)
                return DNS_MALFORMED;
        if (type == DNS_TYPE_AAAA && rdlen != 16)
                return DNS_MALFORMED;
        if (type == DNS_TYPE_CNAME) {
                struct dns_name target;
                size_t t = rdata;

                /* The target must fill the record exactly; pointers may reach back before it. */
                r = read_name(msg, rdata + rdlen, &t, &target);
                if (r < 0 || t != rdata + rdlen)
                        return DNS_MALFORMED;
                if (rec)
                        rec->target = target;
        }
        if (class != DNS_CLASS_IN || !rec || !owner.usable ||
            (type != DNS_TYPE_A && type != DNS_TYPE_AAAA && type != DNS_TYPE_CNAME))
                return 0; /* well-formed, of no use */
        rec->type = type;
        rec->ttl = ttl > DNS_TTL_MAX ? 0 : ttl;
        rec->owner = owner;
        if (type != DNS_TYPE_CNAME)
                memcpy(rec->addr, msg + rdata, rdlen);
        p->n_records++;
        return 0;
}

static const struct record *find_cname(const struct dns_parser *p, const struct dns_name *owner) {
        for (unsigned i = 0; i < p->n_records; i++)
                if (p->records[i].type == DNS_TYPE_CNAME && name_eq(&p->records[i].owner, owner))
                        return &p->records[i];
        return NULL;
}

/* From the question along the CNAMEs to the addresses. A chain that comes
 * back on itself is malformed; a chain longer than DNS_CHAIN_MAX is cut. */
static int resolve(const struct dns_parser *p, struct dns_answer *ret) {
        uint32_t chain_ttl[DNS_CHAIN_MAX];

        chain_ttl[0] = DNS_TTL_MAX;
        while (ret->n_chain < DNS_CHAIN_MAX) {
                const struct record *c = find_cname(p, &ret->chain[ret->n_chain - 1]);

                if (!c || !c->target.usable)
                        break;
                for (unsigned i = 0; i < ret->n_chain; i++)
                        if (name_eq(&ret->chain[i], &c->target))
                                return DNS_MALFORMED;
                chain_ttl[ret->n_chain] = MIN(chain_ttl[ret->n_chain - 1], c->ttl);
                ret->chain[ret->n_chain++] = c->target;
        }
        for (unsigned i = 0; i < p->n_records && ret->n_addrs < DNS_ADDRS_MAX; i++) {
                const struct record *rec = &p->records[i];

                if (rec->type == DNS_TYPE_CNAME)
                        continue;
                for (unsigned k = 0; k < ret->n_chain; k++) {
                        struct dns_address *a;

                        if (!name_eq(&rec->owner, &ret->chain[k]))
                                continue;
                        a = &ret->addrs[ret->n_addrs++];
                        *a = (struct dns_address) {
                                .family = rec->type == DNS_TYPE_A ? AF_INET : AF_INET6,
                                .ttl = MIN(rec->ttl, chain_ttl[k]),
                        };
                        memcpy(a->addr.bytes, rec->addr, rec->type == DNS_TYPE_A ? 4 : 16);
                        break;
                }
        }
        return DNS_OK;
}

int dns_parse_answer(struct dns_parser *p, const uint8_t *msg, size_t len, struct dns_answer *ret) {
        uint16_t flags, qdcount, ancount;
        size_t off = DNS_HEADER_SIZE;
        int r;

        ret->n_chain = 0;
        ret->n_addrs = 0;
        p->n_records = 0;
        if (!msg || len < DNS_HEADER_SIZE)
                return DNS_MALFORMED;
        flags = be16(msg + 2);
        qdcount = be16(msg + 4);
        ancount = be16(msg + 6);
        if (!(flags & 0x8000) || (flags & 0x7800) != 0 || (flags & 0x000f) != 0)
                return DNS_NOT_ANSWER; /* a query, not QUERY, or an error */
        if (qdcount != 1)
                return DNS_MALFORMED;

        r = read_name(msg, len, &off, &ret->chain[0]);
        if (r < 0)
                return r;
        if (len - off < 4)
                return DNS_MALFORMED;
        off += 4; /* QTYPE, QCLASS */
        ret->n_chain = 1;

        for (unsigned i = 0; i < ancount; i++) {
                r = read_record(p, msg, len, &off);
                if (r < 0) {
                        ret->n_chain = 0;
                        return r;
                }
        }
        if (!ret->chain[0].usable)
                return DNS_OK; /* nothing to follow */
        r = resolve(p, ret);
        if (r < 0) {
                ret->n_chain = 0;
                ret->n_addrs = 0;
        }
        return r;
}

const char *dns_result_to_string(int r) {
        switch (r) {
        case DNS_OK:
                return "ok";
        case DNS_NOT_ANSWER:
                return "not-answer";
        default:
                return "malformed";
        }
}
