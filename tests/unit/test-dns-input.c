/* SPDX-License-Identifier: MIT */
/* From logged packets to answers: UDP and TCP, both families, each packet
 * counted once. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns-input.h"
#include "dns-messages.h"

static unsigned n_answers;
static char last_name[DNS_NAME_TEXT_MAX];
static unsigned last_addrs;

static void on_answer(const struct dns_answer *a, void *userdata) {
        (void) userdata;
        n_answers++;
        snprintf(last_name, sizeof(last_name), "%s", a->chain[0].text);
        last_addrs = a->n_addrs;
}

/* An IPv4 or IPv6 packet from port sport carrying payload (UDP, or TCP
 * with tcp_prefix: the two-byte DNS length). captured: bytes handed over. */
static size_t packet(uint8_t *buf, int v6, int tcp, uint16_t sport, const uint8_t *payload, size_t n,
                     int tcp_prefix) {
        size_t ip = v6 ? 40 : 20, l4 = tcp ? 20 : 8, data = n + (tcp && tcp_prefix ? 2 : 0);
        size_t total = ip + l4 + data;
        uint8_t *p = buf + ip;

        memset(buf, 0, ip + l4);
        if (v6) {
                buf[0] = 0x60;
                buf[4] = (uint8_t) ((l4 + data) >> 8);
                buf[5] = (uint8_t) (l4 + data);
                buf[6] = tcp ? 6 : 17;
                buf[7] = 64;
        } else {
                buf[0] = 0x45;
                buf[2] = (uint8_t) (total >> 8);
                buf[3] = (uint8_t) total;
                buf[8] = 64;
                buf[9] = tcp ? 6 : 17;
        }
        p[0] = (uint8_t) (sport >> 8);
        p[1] = (uint8_t) sport;
        p[2] = 0xd4;
        p[3] = 0x31;
        if (tcp)
                p[12] = 5 << 4;
        else {
                p[4] = (uint8_t) ((8 + n) >> 8);
                p[5] = (uint8_t) (8 + n);
        }
        p += l4;
        if (tcp && tcp_prefix) {
                *p++ = (uint8_t) (n >> 8);
                *p++ = (uint8_t) n;
        }
        memcpy(p, payload, n);
        return total;
}

static void feed(struct dns_input *in, const uint8_t *buf, size_t len) {
        uint8_t *copy = malloc(len);

        memcpy(copy, buf, len);
        dns_input_process_packet(in, copy, len);
        free(copy);
}

static void test_udp_and_tcp(void **state) {
        struct dns_input *in = NULL;
        struct dns_input_stats s;
        uint8_t buf[2048];
        size_t n, len;
        uint8_t *msg = dns_from_hex(DNS_WWW_CNAME_A, &n);

        (void) state;
        assert_int_equal(dns_input_new_detached(&in, on_answer, NULL), 0);

        feed(in, buf, packet(buf, 0, 0, 53, msg, n, 0)); /* UDP/IPv4 */
        assert_int_equal(n_answers, 1);
        assert_string_equal(last_name, "www.icloud.com");
        assert_int_equal(last_addrs, 1);
        feed(in, buf, packet(buf, 1, 0, 53, msg, n, 0)); /* UDP/IPv6 */
        feed(in, buf, packet(buf, 1, 1, 53, msg, n, 1)); /* TCP/IPv6, whole */
        feed(in, buf, packet(buf, 0, 1, 53, msg, n, 1)); /* TCP/IPv4, whole */
        assert_int_equal(n_answers, 4);

        /* A TCP segment holding only the first part of a message. */
        len = packet(buf, 0, 1, 53, msg, n - 10, 0);
        buf[40] = 0;
        buf[41] = (uint8_t) n; /* announces all n bytes */
        feed(in, buf, len);
        /* A segment without data, an answer cut by the capture, a query to port 53. */
        feed(in, buf, packet(buf, 0, 1, 53, msg, 0, 0));
        len = packet(buf, 0, 0, 53, msg, n, 0);
        feed(in, buf, len - 5);
        feed(in, buf, packet(buf, 0, 0, 5353, msg, n, 0));
        /* A broken DNS message and a broken IP header. */
        msg[7] = 9; /* ANCOUNT */
        feed(in, buf, packet(buf, 0, 0, 53, msg, n, 0));
        buf[0] = 0x41;
        feed(in, buf, 20);
        assert_int_equal(n_answers, 4);

        dns_input_get_stats(in, &s);
        assert_int_equal(s.packets, 10);
        assert_int_equal(s.answers, 4);
        assert_int_equal(s.skipped, 2);
        assert_int_equal(s.empty, 1);
        assert_int_equal(s.other, 1);
        assert_int_equal(s.malformed, 2);
        assert_int_equal(s.packets, s.answers + s.not_answers + s.malformed + s.skipped + s.empty + s.other);
        free(msg);
        dns_input_free(in);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_udp_and_tcp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
