/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns-messages.h"
#include "dns-parse.h"

static struct dns_parser *parser;
static struct dns_answer answer;

static int parse_hex(const char *hex) {
        size_t n;
        uint8_t *b = dns_from_hex(hex, &n);
        int r;

        assert_non_null(b);
        r = dns_parse_answer(parser, b, n, &answer);
        free(b);
        return r;
}

/* Parses an exactly sized copy of the message. */
static int parse_msg(const struct dns_msg *m) {
        uint8_t *b = malloc(m->n);
        int r;

        assert_non_null(b);
        memcpy(b, m->b, m->n);
        r = dns_parse_answer(parser, b, m->n, &answer);
        free(b);
        return r;
}

static void assert_addr(unsigned i, const char *text, uint32_t ttl) {
        union flow_addr want = {};
        int family = strchr(text, ':') ? AF_INET6 : AF_INET;

        assert_true(i < answer.n_addrs);
        assert_int_equal(inet_pton(family, text, &want), 1);
        assert_int_equal(answer.addrs[i].family, family);
        assert_memory_equal(answer.addrs[i].addr.bytes, want.bytes, family == AF_INET ? 4 : 16);
        assert_int_equal(answer.addrs[i].ttl, ttl);
}

static void test_real_a_and_aaaa(void **state) {
        (void) state;
        assert_int_equal(parse_hex(DNS_GATEWAY_A), DNS_OK);
        assert_int_equal(answer.n_chain, 1);
        assert_string_equal(answer.chain[0].text, "gateway.icloud.com");
        assert_true(answer.chain[0].usable);
        assert_int_equal(answer.n_addrs, 1);
        assert_addr(0, "203.0.113.20", 300);

        assert_int_equal(parse_hex(DNS_GATEWAY_AAAA), DNS_OK);
        assert_int_equal(answer.n_addrs, 1);
        assert_addr(0, "2001:db8:99::20", 300);
}

static void test_real_cname_chain(void **state) {
        (void) state;
        assert_int_equal(parse_hex(DNS_WWW_CNAME_A), DNS_OK);
        assert_int_equal(answer.n_chain, 2);
        assert_string_equal(answer.chain[0].text, "www.icloud.com");
        assert_string_equal(answer.chain[1].text, "www-cdn.icloud.com.akadns.net");
        assert_int_equal(answer.n_addrs, 1);
        assert_addr(0, "203.0.113.23", 300);

        assert_int_equal(parse_hex(DNS_WWW_CNAME_AAAA), DNS_OK);
        assert_addr(0, "2001:db8:99::22", 300);

        assert_int_equal(parse_hex(DNS_SWCDN_CNAME_A), DNS_OK);
        assert_string_equal(answer.chain[1].text, "swcdn.cdn.example.net");
        assert_addr(0, "203.0.113.25", 300);
}

static void test_not_answers(void **state) {
        size_t n;
        uint8_t *b = dns_from_hex(DNS_GATEWAY_A, &n);

        (void) state;
        assert_int_equal(parse_hex(DNS_NXDOMAIN), DNS_NOT_ANSWER);
        b[2] &= 0x7f; /* QR clear: a query */
        assert_int_equal(dns_parse_answer(parser, b, n, &answer), DNS_NOT_ANSWER);
        b[2] = 0x80 | (2 << 3); /* opcode STATUS */
        assert_int_equal(dns_parse_answer(parser, b, n, &answer), DNS_NOT_ANSWER);
        assert_int_equal(answer.n_addrs, 0);
        free(b);
}

/* Every proper prefix of a real answer is malformed, and never read past. */
static void test_every_truncation(void **state) {
        (void) state;
        for (size_t k = 0; k < ELEMENTSOF(dns_real_answers); k++) {
                size_t n;
                uint8_t *full = dns_from_hex(dns_real_answers[k], &n);

                assert_int_equal(dns_parse_answer(parser, full, n, &answer), DNS_OK);
                for (size_t l = 0; l < n; l++) {
                        uint8_t *cut = malloc(l ? l : 1);
                        memcpy(cut, full, l);
                        assert_int_equal(dns_parse_answer(parser, cut, l, &answer), DNS_MALFORMED);
                        assert_int_equal(answer.n_addrs, 0);
                        free(cut);
                }
                free(full);
        }
}

static const uint8_t addr1[4] = { 203, 0, 113, 1 };

static void test_pointers(void **state) {
        struct dns_msg m;
        size_t at;

        (void) state;
        /* A pointer to itself. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        at = m.n;
        dns_put_pointer(&m, at);
        dns_put_rr_head(&m, 1, 60, 4);
        dns_put(&m, addr1, 4);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* A pointer forward, to a valid name later on. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        dns_put_pointer(&m, m.n + 2 + 10 + 4);
        dns_put_rr_head(&m, 1, 60, 4);
        dns_put(&m, addr1, 4);
        dns_put_name(&m, "a.icloud.com");
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* Into the header. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        dns_put_pointer(&m, 4);
        dns_put_rr_head(&m, 1, 60, 4);
        dns_put(&m, addr1, 4);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* Two pointers that point at each other: the second goes forward. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        at = m.n;
        dns_put_pointer(&m, at + 2);
        dns_put_pointer(&m, at);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* A backward pointer is fine, and names compare after it. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        dns_put_pointer(&m, DNS_HEADER_SIZE);
        dns_put_rr_head(&m, 1, 60, 4);
        dns_put(&m, addr1, 4);
        assert_int_equal(parse_msg(&m), DNS_OK);
        assert_int_equal(answer.n_addrs, 1);
}

static void test_labels_and_lengths(void **state) {
        struct dns_msg m;
        char name[400];

        (void) state;
        /* A label of 64 bytes is read as the reserved 0x40 type. */
        memset(name, 'a', 64);
        strcpy(name + 64, ".com");
        dns_begin(&m, 1, 0, name);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* 63 is the longest label. */
        strcpy(name + 63, ".com");
        dns_begin(&m, 1, 0, name);
        assert_int_equal(parse_msg(&m), DNS_OK);

        /* 4 labels of 63: 256 bytes on the wire, one too many. */
        name[0] = 0;
        for (int i = 0; i < 4; i++)
                snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s%.63s", i ? "." : "",
                         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        dns_begin(&m, 1, 0, name);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);
        /* 3 of 63 and one of 61: 255 bytes, the most there may be. */
        name[strlen(name) - 2] = 0;
        dns_begin(&m, 1, 0, name);
        assert_int_equal(parse_msg(&m), DNS_OK);
        assert_int_equal(answer.chain[0].len, 253);
}

static void test_counts_and_records(void **state) {
        struct dns_msg m;

        (void) state;
        /* Three answers promised, one given. */
        dns_begin(&m, 1, 3, "a.icloud.com");
        dns_put_a(&m, "a.icloud.com", 60, addr1);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* Two questions. */
        dns_begin(&m, 2, 0, "a.icloud.com");
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* An A record of 5 bytes. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        dns_put_name(&m, "a.icloud.com");
        dns_put_rr_head(&m, 1, 60, 5);
        dns_put(&m, "\1\2\3\4\5", 5);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* rdlength beyond the message. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        dns_put_name(&m, "a.icloud.com");
        dns_put_rr_head(&m, 1, 60, 40);
        dns_put(&m, addr1, 4);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* A CNAME whose target does not fill its rdata. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        dns_put_name(&m, "a.icloud.com");
        dns_put_rr_head(&m, 5, 60, 9);
        dns_put_name(&m, "b.net");
        dns_put(&m, "\0\0", 2);
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* Other types and classes are skipped; the A record still counts. */
        dns_begin(&m, 1, 3, "a.icloud.com");
        dns_put_name(&m, "a.icloud.com");
        dns_put_rr_head(&m, 16, 60, 3);
        dns_put(&m, "\2hi", 3);
        dns_put_name(&m, "a.icloud.com");
        dns_put16(&m, 1);
        dns_put16(&m, 3); /* CHAOS */
        dns_put32(&m, 60);
        dns_put16(&m, 4);
        dns_put(&m, "\1\1\1\1", 4);
        dns_put_a(&m, "A.ICLOUD.COM", 60, addr1);
        assert_int_equal(parse_msg(&m), DNS_OK);
        assert_int_equal(answer.n_addrs, 1);
        assert_addr(0, "203.0.113.1", 60);
}

static void test_chains(void **state) {
        struct dns_msg m;
        char a[16], b[16];

        (void) state;
        /* A loop: a -> b -> a. */
        dns_begin(&m, 1, 2, "a.icloud.com");
        dns_put_cname(&m, "a.icloud.com", 60, "b.example.net");
        dns_put_cname(&m, "b.example.net", 60, "a.icloud.com");
        assert_int_equal(parse_msg(&m), DNS_MALFORMED);

        /* A chain of 10 names is cut at DNS_CHAIN_MAX: the address is not reached. */
        dns_begin(&m, 1, 11, "n0.icloud.com");
        for (int i = 0; i < 10; i++) {
                snprintf(a, sizeof(a), "n%d.icloud.com", i);
                snprintf(b, sizeof(b), "n%d.icloud.com", i + 1);
                dns_put_cname(&m, a, 60, b);
        }
        dns_put_a(&m, "n10.icloud.com", 60, addr1);
        assert_int_equal(parse_msg(&m), DNS_OK);
        assert_int_equal(answer.n_chain, DNS_CHAIN_MAX);
        assert_int_equal(answer.n_addrs, 0);

        /* The TTL is the least along the chain; a TTL with its top bit set is 0. */
        dns_begin(&m, 1, 3, "a.icloud.com");
        dns_put_cname(&m, "a.icloud.com", 100, "b.example.net");
        dns_put_a(&m, "b.example.net", 500, addr1);
        dns_put_a(&m, "b.example.net", 0x80000000u, (const uint8_t[4]) { 203, 0, 113, 2 });
        assert_int_equal(parse_msg(&m), DNS_OK);
        assert_int_equal(answer.n_addrs, 2);
        assert_addr(0, "203.0.113.1", 100);
        assert_addr(1, "203.0.113.2", 0);

        /* An A record for a name outside the chain is not the answer's. */
        dns_begin(&m, 1, 1, "a.icloud.com");
        dns_put_a(&m, "other.example.net", 60, addr1);
        assert_int_equal(parse_msg(&m), DNS_OK);
        assert_int_equal(answer.n_addrs, 0);

        /* A name with a byte outside letters, digits, '-' and '_' is not followed. */
        dns_begin(&m, 1, 1, "a b.icloud.com");
        dns_put_a(&m, "a b.icloud.com", 60, addr1);
        assert_int_equal(parse_msg(&m), DNS_OK);
        assert_false(answer.chain[0].usable);
        assert_int_equal(answer.n_addrs, 0);
}

static int setup(void **state) {
        (void) state;
        return dns_parser_new(&parser);
}

static int teardown(void **state) {
        (void) state;
        parser = dns_parser_free(parser);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_a_and_aaaa),
                cmocka_unit_test(test_real_cname_chain),
                cmocka_unit_test(test_not_answers),
                cmocka_unit_test(test_every_truncation),
                cmocka_unit_test(test_pointers),
                cmocka_unit_test(test_labels_and_lengths),
                cmocka_unit_test(test_counts_and_records),
                cmocka_unit_test(test_chains),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
