/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * DNS answers for the tests: real ones, as dnsmasq 2.90 (Debian) sent them
 * (the same bytes as tests/fuzz/corpus/dns/), and a builder for crafted
 * ones. Messages are hex text, turned into exactly sized heap buffers so
 * that AddressSanitizer sees a read of one byte past the end.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* gateway.icloud.com A 203.0.113.20, TTL 300 */
#define DNS_GATEWAY_A "12348580000100010000000007676174657761790669636c6f756403636f6d0000010001c00c000100010000012c0004cb007114"
/* gateway.icloud.com AAAA 2001:db8:99::20 */
#define DNS_GATEWAY_AAAA "12348580000100010000000007676174657761790669636c6f756403636f6d00001c0001c00c001c00010000012c001020010db8009900000000000000000020"
/* www.icloud.com CNAME www-cdn.icloud.com.akadns.net A 203.0.113.23 */
#define DNS_WWW_CNAME_A "123485800001000200000000037777770669636c6f756403636f6d0000010001c00c000500010000012c001f077777772d63646e0669636c6f756403636f6d06616b61646e73036e657400c02c000100010000012c0004cb007117"
/* www.icloud.com CNAME www-cdn.icloud.com.akadns.net AAAA 2001:db8:99::22 */
#define DNS_WWW_CNAME_AAAA "123485800001000200000000037777770669636c6f756403636f6d00001c0001c00c000500010000012c001f077777772d63646e0669636c6f756403636f6d06616b61646e73036e657400c02c001c00010000012c001020010db8009900000000000000000022"
/* swcdn.apple.com CNAME swcdn.cdn.example.net A 203.0.113.25 */
#define DNS_SWCDN_CNAME_A "12348580000100020000000005737763646e056170706c6503636f6d0000010001c00c000500010000012c001705737763646e0363646e076578616d706c65036e657400c02d000100010000012c0004cb007119"
/* itunes.apple.com A 203.0.113.21 */
#define DNS_ITUNES_A "123485800001000100000000066974756e6573056170706c6503636f6d0000010001c00c000100010000012c0004cb007115"
/* www.example.org A 203.0.113.30: no Apple name */
#define DNS_EXAMPLE_A "12348580000100010000000003777777076578616d706c65036f72670000010001c00c000100010000012c0004cb00711e"
/* nosuch.example.org: NXDOMAIN */
#define DNS_NXDOMAIN "123481850001000000000000066e6f73756368076578616d706c65036f72670000010001"

static const char *const dns_real_answers[] = {
        DNS_GATEWAY_A,
        DNS_GATEWAY_AAAA,
        DNS_WWW_CNAME_A,
        DNS_WWW_CNAME_AAAA,
        DNS_SWCDN_CNAME_A,
        DNS_ITUNES_A,
        DNS_EXAMPLE_A,
};

static inline uint8_t *dns_from_hex(const char *hex, size_t *ret_len) {
        size_t n = strlen(hex) / 2;
        uint8_t *b = malloc(n ? n : 1);

        for (size_t i = 0; b && i < n; i++) {
                unsigned v;
                sscanf(hex + 2 * i, "%2x", &v);
                b[i] = (uint8_t) v;
        }
        *ret_len = n;
        return b;
}

/* A message under construction. */
struct dns_msg {
        uint8_t b[2048];
        size_t n;
};

static inline void dns_put(struct dns_msg *m, const void *p, size_t n) {
        memcpy(m->b + m->n, p, n);
        m->n += n;
}

static inline void dns_put16(struct dns_msg *m, uint16_t v) {
        uint8_t b[2] = { (uint8_t) (v >> 8), (uint8_t) v };
        dns_put(m, b, 2);
}

static inline void dns_put32(struct dns_msg *m, uint32_t v) {
        dns_put16(m, (uint16_t) (v >> 16));
        dns_put16(m, (uint16_t) v);
}

/* "a.b.c" as labels with the root; returns where it starts. */
static inline size_t dns_put_name(struct dns_msg *m, const char *name) {
        size_t at = m->n;

        while (*name) {
                size_t l = strcspn(name, ".");
                uint8_t lb = (uint8_t) l;
                dns_put(m, &lb, 1);
                dns_put(m, name, l);
                name += l + (name[l] == '.');
        }
        dns_put(m, "", 1);
        return at;
}

static inline void dns_put_pointer(struct dns_msg *m, size_t to) {
        dns_put16(m, (uint16_t) (0xc000 | to));
}

/* Header of an answer (QR, RD, RA, NOERROR) and the question for name. */
static inline void dns_begin(struct dns_msg *m, uint16_t qd, uint16_t an, const char *name) {
        m->n = 0;
        dns_put16(m, 0x1234);
        dns_put16(m, 0x8180);
        dns_put16(m, qd);
        dns_put16(m, an);
        dns_put32(m, 0);
        dns_put_name(m, name);
        dns_put16(m, 1);
        dns_put16(m, 1);
}

static inline void dns_put_rr_head(struct dns_msg *m, uint16_t type, uint32_t ttl, uint16_t rdlen) {
        dns_put16(m, type);
        dns_put16(m, 1);
        dns_put32(m, ttl);
        dns_put16(m, rdlen);
}

static inline void dns_put_a(struct dns_msg *m, const char *owner, uint32_t ttl, const uint8_t a[4]) {
        dns_put_name(m, owner);
        dns_put_rr_head(m, 1, ttl, 4);
        dns_put(m, a, 4);
}

static inline void dns_put_cname(struct dns_msg *m, const char *owner, uint32_t ttl, const char *target) {
        size_t len_at;

        dns_put_name(m, owner);
        dns_put_rr_head(m, 5, ttl, 0);
        len_at = m->n - 2;
        size_t start = m->n;
        dns_put_name(m, target);
        m->b[len_at] = (uint8_t) ((m->n - start) >> 8);
        m->b[len_at + 1] = (uint8_t) (m->n - start);
}
