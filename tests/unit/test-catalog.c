/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"

#define GOOD "a\t5223\ttcp\tAPNs\t-\t-\tFaceTime\ten2015\tapple\t-"
#define SENTINEL ((struct catalog *) 0x1)

/* Loads text, expects failure with exactly the error want and *ret untouched. */
static void expect_error(const char *text, size_t len, const char *want) {
        struct catalog *c = SENTINEL;
        char err[CATALOG_ERROR_MAX] = "";
        int r;

        r = catalog_load_buffer("t", text, len, &c, err, sizeof(err));
        if (r != -EINVAL || strcmp(err, want) != 0)
                print_error("input '%.*s'\n got %d '%s'\nwant '%s'\n", (int) MIN(len, 200u), text, r, err, want);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err, want);
        assert_ptr_equal(c, SENTINEL);
}

static void expect_error_str(const char *text, const char *want) {
        expect_error(text, strlen(text), want);
}

/* One line with the given column values, the others valid. */
static char *line(const char *id, const char *ports, const char *transport, const char *protocol,
                  const char *products, const char *scope) {
        char *s;
        assert_true(asprintf(&s, "%s\t%s\t%s\t%s\t-\t-\t%s\ten2015\t%s\t-", id, ports, transport, protocol,
                             products, scope) > 0);
        return s;
}

static void expect_line_error(const char *id, const char *ports, const char *transport, const char *protocol,
                              const char *products, const char *scope, const char *want) {
        char *s = line(id, ports, transport, protocol, products, scope);
        expect_error_str(s, want);
        free(s);
}

static char *repeat(char ch, size_t n) {
        char *s = malloc(n + 1);
        assert_non_null(s);
        memset(s, ch, n);
        s[n] = 0;
        return s;
}

static void test_ports(void **state) {
        expect_line_error("a", "5x23", "tcp", "-", "-", "apple", "t:1: bad port '5x23'");
        expect_line_error("a", "123456", "tcp", "-", "-", "apple", "t:1: bad port '123456'");
        expect_line_error("a", "65536", "tcp", "-", "-", "apple", "t:1: port 65536 out of range (max 65535)");
        expect_line_error("a", "20-10", "tcp", "-", "-", "apple", "t:1: bad port range 20-10 (hi < lo)");
        expect_line_error("a", "1,2,3,4,5,6,7,8,9", "tcp", "-", "-", "apple", "t:1: too many port ranges (max 8)");
        expect_line_error("a", "10-20,15", "tcp", "-", "-", "apple", "t:1: port range 15-15 overlaps 10-20");
        expect_line_error("a", "1,,2", "tcp", "-", "-", "apple", "t:1: empty port");
        expect_line_error("a", "1-", "tcp", "-", "-", "apple", "t:1: empty port");
        expect_line_error("a", " 1", "tcp", "-", "-", "apple", "t:1: bad port ' 1'");
        expect_line_error("a", "-", "tcp", "-", "-", "apple", "t:1: empty port");
}

static void test_columns(void **state) {
        expect_line_error("a", "1", "sctp", "-", "-", "apple",
                          "t:1: unknown transport 'sctp' (want tcp, udp, tcp/udp or -)");
        expect_line_error("a", "1", "udp/tcp", "-", "-", "apple",
                          "t:1: unknown transport 'udp/tcp' (want tcp, udp, tcp/udp or -)");
        expect_line_error("a", "1", "tcp", "-", "-", "global", "t:1: unknown scope 'global' (want apple or shared)");
        expect_error_str("a\t1\ttcp\t-\t-\t-\t-\ten2015\tapple",
                         "t:1: 9 columns, expected 10 separated by tabs (the note column is missing)");
        expect_error_str("a", "t:1: 1 column, expected 10 separated by tabs (the ports column is missing)");
        /* Spaces for tabs, and a byte order mark, say what the file should be. */
        expect_error_str("a 1 tcp - - - - en2015 apple -",
                         "t:1: no tab on the line: the 10 columns are separated by tabs, not spaces");
        expect_error_str("\xef\xbb\xbf" GOOD,
                         "t:1: the file starts with a byte order mark: save it as UTF-8 without one "
                         "(plain text, columns separated by tabs)");
        expect_error_str(GOOD "\textra", "t:1: extra column (want 10)");
        expect_error_str("a\t1\ttcp\t\t-\t-\t-\ten2015\tapple\t-", "t:1: empty protocol column (use '-' for none)");
        expect_error_str(GOOD "\t", "t:1: extra column (want 10)");
        expect_error_str("a\t1\ttcp\t-\t-\t-\t-\ten2015,,pl\tapple\t-", "t:1: empty version in 'en2015,,pl'");
        expect_error_str("a\t1\ttcp\t-\t-\t-\t-\tEN2015\tapple\t-", "t:1: bad version 'EN2015'");
}

static void test_ids(void **state) {
        char *s, *id = repeat('a', CATALOG_ID_MAX);

        expect_line_error("A", "1", "tcp", "-", "-", "apple", "t:1: bad id 'A' (want [a-z0-9][a-z0-9-]*)");
        expect_line_error("-a", "1", "tcp", "-", "-", "apple", "t:1: bad id '-a' (want [a-z0-9][a-z0-9-]*)");
        expect_line_error("a_b", "1", "tcp", "-", "-", "apple", "t:1: bad id 'a_b' (want [a-z0-9][a-z0-9-]*)");
        expect_line_error("apple-other", "1", "tcp", "-", "-", "apple", "t:1: id 'apple-other' is reserved");
        expect_line_error(id, "1", "tcp", "-", "-", "apple", "t:1: id too long (48 bytes, max 47)");
        expect_error_str(GOOD "\n# comment\n" GOOD "\n", "t:3: duplicate id 'a' (first on line 1)");
        free(id);
        /* 47 bytes is fine. */
        id = repeat('b', CATALOG_ID_MAX - 1);
        s = line(id, "1", "tcp", "-", "-", "apple");
        struct catalog *c = NULL;
        assert_int_equal(catalog_load_buffer("t", s, strlen(s), &c, NULL, 0), 0);
        assert_string_equal(c->entries[0].id, id);
        catalog_free(c);
        free(s);
        free(id);
}

static void test_lengths(void **state) {
        static const struct {
                int column; /* 3 protocol, 4 iana, 5 rfc, 7 versions, 9 note */
                size_t max;
                const char *name;
        } cols[] = {
                { 3, CATALOG_PROTOCOL_MAX, "protocol" },
                { 4, CATALOG_IANA_MAX, "iana" },
                { 5, CATALOG_RFC_MAX, "rfc" },
                { 7, CATALOG_VERSIONS_MAX, "versions" },
                { 9, CATALOG_NOTE_MAX, "note" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cols); i++) {
                const char *v[10] = { "a", "1", "tcp", "-", "-", "-", "-", "en2015", "apple", "-" };
                char *val = repeat('x', cols[i].max), *text, want[128];

                v[cols[i].column] = val;
                assert_true(asprintf(&text, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", v[0], v[1], v[2], v[3], v[4],
                                     v[5], v[6], v[7], v[8], v[9]) > 0);
                snprintf(want, sizeof(want), "t:1: %s too long (%zu bytes, max %zu)", cols[i].name, cols[i].max,
                         cols[i].max - 1);
                expect_error_str(text, want);
                free(text);

                /* One byte less loads (versions must stay a token). */
                val[cols[i].max - 1] = 0;
                v[cols[i].column] = val;
                assert_true(asprintf(&text, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", v[0], v[1], v[2], v[3], v[4],
                                     v[5], v[6], v[7], v[8], v[9]) > 0);
                struct catalog *c = NULL;
                assert_int_equal(catalog_load_buffer("t", text, strlen(text), &c, NULL, 0), 0);
                catalog_free(c);
                free(text);
                free(val);
        }
}

static void test_products_bad(void **state) {
        char *name = repeat('P', CATALOG_PRODUCT_NAME_MAX), *alias, *s, *text;

        expect_line_error("a", "1", "tcp", "-", "FaceTime;;Messages", "apple", "t:1: empty product name");
        expect_line_error("a", "1", "tcp", "-", " ", "apple", "t:1: empty product name");
        expect_line_error("a", "1", "tcp", "-", "FaceTime;", "apple", "t:1: empty product name");
        expect_line_error("a", "1", "tcp", "-", "(iChat)", "apple", "t:1: empty product name");
        expect_line_error("a", "1", "tcp", "-", name, "apple", "t:1: product name too long (48 bytes, max 47)");
        assert_true(asprintf(&alias, "Messages (%s)", name) > 0);
        expect_line_error("a", "1", "tcp", "-", alias, "apple", "t:1: product alias too long (48 bytes, max 47)");
        expect_line_error("a", "1", "tcp", "-", "Messages (iChat", "apple",
                          "t:1: bad product 'Messages (iChat' (want 'Name (Alias, ...)')");
        expect_line_error("a", "1", "tcp", "-", "Messages (iChat) x", "apple",
                          "t:1: bad product 'Messages (iChat) x' (want 'Name (Alias, ...)')");
        expect_line_error("a", "1", "tcp", "-", "Messages)", "apple", "t:1: bad product 'Messages)'");
        /* The separator of APPLE_PRODUCTS ends a product: no name or alias has it. */
        expect_line_error("a", "1", "tcp", "-", "Messages (iChat; Talk)", "apple",
                          "t:1: bad product 'Messages (iChat' (want 'Name (Alias, ...)')");
        expect_line_error("a", "1", "tcp", "-", "Messages (iChat,)", "apple",
                          "t:1: empty alias in product 'Messages (iChat,)'");
        expect_line_error("a", "1", "tcp", "-", "M (a, b, c, d, e)", "apple",
                          "t:1: too many aliases in product 'M (a, b, c, d, e)' (max 4)");
        expect_line_error("a", "1", "tcp", "-", "FaceTime;facetime", "apple", "t:1: product 'FaceTime' listed twice");
        expect_line_error("a", "1", "tcp", "-", "Messages (iChat);iChat", "apple",
                          "t:1: product 'Messages' listed twice");
        expect_line_error("a", "1", "tcp", "-", "FaceTime;Messages (FaceTime)", "apple",
                          "t:1: alias 'FaceTime' of 'Messages' already names product 'FaceTime'");
        expect_line_error("a", "1", "tcp", "-", "A;B;C;D;E;F;G;H;I;J;K;L;M", "apple",
                          "t:1: too many products in entry (max 12)");
        /* Aliases merge across lines up to the limit. */
        expect_error_str(GOOD "\nb\t1\ttcp\t-\t-\t-\tM (a, b, c)\ten2015\tapple\t-\n"
                              "c\t2\ttcp\t-\t-\t-\tM (d, e)\ten2015\tapple\t-\n",
                         "t:3: too many aliases for product 'M' (max 4)");

        /* 513 distinct products over 43 lines of 12. */
        text = strdup("");
        for (int i = 0; i <= CATALOG_PRODUCTS_MAX / CATALOG_ENTRY_PRODUCTS_MAX; i++) {
                char *old = text;
                assert_true(asprintf(&s, "e%d\t1\ttcp\t-\t-\t-\tp%d;p%d;p%d;p%d;p%d;p%d;p%d;p%d;p%d;p%d;p%d;p%d\ten2015\tapple\t-\n",
                                     i, i * 12, i * 12 + 1, i * 12 + 2, i * 12 + 3, i * 12 + 4, i * 12 + 5,
                                     i * 12 + 6, i * 12 + 7, i * 12 + 8, i * 12 + 9, i * 12 + 10, i * 12 + 11) > 0);
                assert_true(asprintf(&text, "%s%s", old, s) > 0);
                free(old);
                free(s);
        }
        expect_error_str(text, "t:43: too many products (max 512)");
        free(text);
        free(alias);
        free(name);
}

static void test_lines(void **state) {
        char *s = repeat('x', CATALOG_LINE_MAX), *text;
        size_t n;

        expect_error_str(s, "t:1: line too long (2048 bytes, max 2047)");
        s[0] = '#';
        expect_error_str(s, "t:1: line too long (2048 bytes, max 2047)");
        s[CATALOG_LINE_MAX - 1] = 0; /* a 2047-byte comment is fine */
        assert_true(asprintf(&text, "%s\n%s", s, GOOD) > 0);
        struct catalog *c = NULL;
        assert_int_equal(catalog_load_buffer("t", text, strlen(text), &c, NULL, 0), 0);
        c = catalog_free(c);
        free(text);
        free(s);

        expect_error(GOOD "\nb\0", sizeof(GOOD "\nb\0") - 1, "t:2: NUL byte");
        expect_error_str("# a\r\r\n", "t:1: carriage return inside the line");
        expect_error_str("a\r\t1\ttcp\t-\t-\t-\t-\ten2015\tapple\t-", "t:1: carriage return inside the line");
        expect_error_str("# ok\n# \x01\n", "t:2: control character 0x01");
        expect_error_str("# \x7f\n", "t:1: control character 0x7f");
        expect_error_str("# \xc3\n", "t:1: invalid UTF-8");
        expect_error_str("# \xc0\xaf\n", "t:1: invalid UTF-8");
        expect_error_str("# \xed\xa0\x80\n", "t:1: invalid UTF-8");

        /* 4097 entries. */
        n = 0;
        text = malloc((CATALOG_ENTRIES_MAX + 1) * 64);
        assert_non_null(text);
        for (int i = 0; i <= CATALOG_ENTRIES_MAX; i++)
                n += (size_t) sprintf(text + n, "e%d\t%d\ttcp\t-\t-\t-\t-\ten2015\tshared\t-\n", i, i);
        expect_error(text, n, "t:4097: too many entries (max 4096)");
        /* 4096 load. */
        n = (size_t) (strstr(text, "e4096\t") - text);
        assert_int_equal(catalog_load_buffer("t", text, n, &c, NULL, 0), 0);
        assert_int_equal(c->n_entries, CATALOG_ENTRIES_MAX + 1);
        catalog_free(c);
        free(text);
}

static void test_good(void **state) {
        static const char text[] =
                "# header\n"
                "\n"
                "   \t \n"
                "facetime\t16384-16387,16393-16402\tudp\tRTP\trtp\t3550\tFaceTime;Game Center;Messages (iChat)\ten2015,pl\tapple\tx y\r\n"
                "ichat\t5190\ttcp\tAIM\taol\t-\tiChat (AIM)\ten2015\tapple\t-\n"
                "memcache\t11211\t-\t-\t-\t-\t-\t-\tshared\t-\n"
                "both\t1,2-3\ttcp/udp\t-\t-\t-\tfacetime\tzh\tshared\t-";
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        char err[CATALOG_ERROR_MAX] = "";
        const struct catalog_entry *e;
        ssize_t m;

        assert_int_equal(catalog_load_buffer("t", text, strlen(text), &c, err, sizeof(err)), 0);
        assert_string_equal(err, "");
        assert_string_equal(c->source, "t");
        assert_int_equal(c->n_entries, 5);
        assert_int_equal(c->n_products, 3);

        e = &c->entries[0];
        assert_string_equal(e->id, "facetime");
        assert_int_equal(e->n_ports, 2);
        assert_int_equal(e->ports[0].lo, 16384);
        assert_int_equal(e->ports[0].hi, 16387);
        assert_int_equal(e->ports[1].lo, 16393);
        assert_int_equal(e->ports[1].hi, 16402);
        assert_int_equal(e->transports, TRANSPORT_UDP);
        assert_false(e->transport_unspecified);
        assert_string_equal(e->protocol, "RTP");
        assert_string_equal(e->iana, "rtp");
        assert_string_equal(e->rfc, "3550");
        assert_string_equal(e->versions, "en2015,pl");
        assert_string_equal(e->note, "x y"); /* CRLF: the CR is dropped */
        assert_int_equal(e->scope, CATALOG_SCOPE_APPLE);
        assert_int_equal(e->source_line, 4);
        assert_int_equal(e->n_products, 3);

        /* iChat resolves to Messages by its alias; AIM merges into its aliases. */
        m = catalog_find_product(c, "ICHAT");
        assert_int_equal(m, 2);
        assert_string_equal(c->products[m].name, "Messages");
        assert_int_equal(c->products[m].n_aliases, 2);
        assert_string_equal(c->products[m].aliases[0], "iChat");
        assert_string_equal(c->products[m].aliases[1], "AIM");
        assert_int_equal(catalog_find_product(c, "aim"), 2);
        assert_int_equal(catalog_find_product(c, "messages"), 2);
        assert_int_equal(catalog_find_product(c, "game center"), 1);
        assert_int_equal(catalog_find_product(c, "Game"), -ENOENT);
        assert_true(catalog_entry_has_product(&c->entries[1], 2));
        assert_false(catalog_entry_has_product(&c->entries[1], 0));
        assert_true(catalog_entry_has_product(&c->entries[3], 0));

        e = &c->entries[2];
        assert_int_equal(e->transports, TRANSPORT_TCP | TRANSPORT_UDP);
        assert_true(e->transport_unspecified);
        assert_string_equal(e->protocol, "");
        assert_string_equal(e->versions, "");
        assert_int_equal(e->n_products, 0);
        assert_string_equal(transport_to_string(e->transports, e->transport_unspecified), "-");
        assert_string_equal(transport_to_string(c->entries[3].transports, false), "tcp/udp");
        assert_string_equal(transport_to_string(TRANSPORT_TCP, false), "tcp");
        assert_string_equal(transport_to_string(TRANSPORT_UDP, false), "udp");
        assert_int_equal(c->entries[3].n_ports, 2);

        assert_int_equal(c->apple_other, 4);
        e = &c->entries[c->apple_other];
        assert_string_equal(e->id, CATALOG_APPLE_OTHER_ID);
        assert_int_equal(e->n_ports, 0);
        assert_int_equal(e->n_products, 0);
        assert_int_equal(e->scope, CATALOG_SCOPE_APPLE);
        assert_string_equal(e->protocol, "Apple network, unlisted port");
        assert_int_equal(e->source_line, 0);

        assert_int_equal(catalog_find_entry(c, "memcache"), 2);
        assert_int_equal(catalog_find_entry(c, "apple-other"), 4);
        assert_int_equal(catalog_find_entry(c, "nope"), -ENOENT);
        assert_string_equal(catalog_scope_to_string(CATALOG_SCOPE_SHARED), "shared");
}

/* A catalogue that tags nothing is refused, comments or not. */
static void test_empty(void **state) {
        expect_error("", 0, "t: no entries: expected lines of 10 columns separated by tabs "
                            "(docs/catalogue-format.md)");
        expect_error_str("# only a comment\n\n", "t: no entries: expected lines of 10 columns "
                                                 "separated by tabs (docs/catalogue-format.md)");
}

static void test_file(void **state) {
        char path[] = "/tmp/test-catalog-XXXXXX", err[CATALOG_ERROR_MAX], want[CATALOG_ERROR_MAX + 64];
        struct catalog *c = SENTINEL;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, GOOD "\nbad\n", strlen(GOOD "\nbad\n")), (ssize_t) strlen(GOOD "\nbad\n"));
        close(fd);
        assert_int_equal(catalog_load_file(path, &c, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "%s:2: 1 column, expected 10 separated by tabs (the ports column "
                                     "is missing)",
                 path);
        assert_string_equal(err, want);
        assert_ptr_equal(c, SENTINEL);

        assert_int_equal(truncate(path, (off_t) strlen(GOOD "\n")), 0);
        assert_int_equal(catalog_load_file(path, &c, err, sizeof(err)), 0);
        assert_string_equal(c->source, path);
        assert_int_equal(c->n_entries, 2);
        catalog_free(c);
        c = SENTINEL;
        unlink(path);

        assert_int_equal(catalog_load_file(path, &c, err, sizeof(err)), -ENOENT);
        snprintf(want, sizeof(want), "%s: No such file or directory", path);
        assert_string_equal(err, want);
        assert_int_equal(catalog_load_file("/tmp", &c, err, sizeof(err)), -EISDIR);
        assert_string_equal(err, "/tmp: is a directory; give the path of a catalogue file (TSV)");
        assert_int_equal(catalog_load_file("/dev/null", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "/dev/null: not a regular file; give the path of a catalogue file (TSV)");
        assert_ptr_equal(c, SENTINEL);
}

/* Messages name every protocol the port is for, by abbreviation where the
 * column gives one. */
static void test_protocol_short(void **state) {
        static const char *const cases[][2] = {
                { "Real-Time Transport Protocol (RTP), Real-Time Control Protocol (RTCP)", "RTP/RTCP" },
                { "Secure Shell (SSH), SSH File Transfer Protocol (SFTP), secure copy (scp)", "SSH/SFTP/scp" },
                { "File Transfer Protocol (FTP) data", "FTP data" },
                { "Bootstrap Protocol Server (BootP, bootps)", "BootP" },
                { "Virtual Network Computing (VNC) (unregistered use)", "VNC (unregistered use)" },
                { "RTSP (unregistered use), Automatic Router Configuration Protocol (ARCP)",
                  "RTSP (unregistered use)/ARCP" },
                { "Wi-Fi Calling (IKEv2)", "Wi-Fi Calling (IKEv2)" },
                { "HTTP (web service/site)", "HTTP (web service/site)" },
                { "Multicast DNS (mDNS)", "mDNS" },
                { "Echo", "Echo" },
                { "-", "" },
                { "", "" },
        };
        char buf[CATALOG_PROTOCOL_MAX], small[8];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(catalog_protocol_short(cases[i][0], buf, sizeof(buf)), strlen(cases[i][1]));
                assert_string_equal(buf, cases[i][1]);
        }
        /* Cut to the buffer, never past it. */
        assert_int_equal(catalog_protocol_short(cases[1][0], small, sizeof(small)), 7);
        assert_string_equal(small, "SSH/SFT");
}

static void test_default(void **state) {
        _cleanup_(catalog_freep) struct catalog *c = NULL;
        char err[CATALOG_ERROR_MAX] = "";
        int r = catalog_load_default(&c, err, sizeof(err));

        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        assert_string_equal(c->source, "built-in");
        assert_true(c->n_entries >= 1);
        assert_int_equal(c->apple_other, c->n_entries - 1);
        assert_string_equal(c->entries[c->apple_other].id, CATALOG_APPLE_OTHER_ID);
        for (size_t i = 0; i + 1 < c->n_entries; i++) {
                assert_true(c->entries[i].n_ports > 0);
                assert_true(c->entries[i].transports != 0);
                assert_int_equal(catalog_find_entry(c, c->entries[i].id), (ssize_t) i);
        }
        for (size_t i = 0; i < c->n_products; i++)
                assert_int_equal(catalog_find_product(c, c->products[i].name), (ssize_t) i);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ports),
                cmocka_unit_test(test_columns),
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_lengths),
                cmocka_unit_test(test_products_bad),
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_protocol_short),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_file),
                cmocka_unit_test(test_default),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
