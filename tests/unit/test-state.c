/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "state.h"

struct fixture {
        struct catalog catalog;
        struct catalog_entry entries[3];
        struct catalog_product products[2];
};

static void fixture_init(struct fixture *x) {
        static const char *const ids[] = { "apns", "facetime-rtp", "apple-other" };
        static const char *const names[] = { "FaceTime", "APNs" };

        memset(x, 0, sizeof(*x));
        for (size_t i = 0; i < 3; i++)
                strcpy(x->entries[i].id, ids[i]);
        for (size_t i = 0; i < 2; i++)
                strcpy(x->products[i].name, names[i]);
        x->catalog.entries = x->entries;
        x->catalog.n_entries = 3;
        x->catalog.products = x->products;
        x->catalog.n_products = 2;
        x->catalog.apple_other = 2;
}

static void fill(struct stats *s) {
        for (size_t i = 0; i < s->n_entries; i++)
                s->entries[i].total = (struct stats_counters) {
                        .connections = 1000 + i,
                        .blocked = 2000 + i,
                        .bytes = UINT64_MAX - i,
                        .packets = 4000 + i,
                        .ended = 900 + i,
                        .unanswered = 90 + i,
                        .confidence = { 100 + i, 200 + i, 700 + i },
                };
        for (size_t i = 0; i < s->n_products; i++)
                s->products[i].total = (struct stats_counters) {
                        .connections = 10 + i,
                        .blocked = 20 + i,
                        .bytes = 30 + i,
                        .packets = 40 + i,
                };
}

static void assert_zero(const struct stats *s) {
        for (size_t i = 0; i < s->n_entries; i++)
                assert_int_equal(s->entries[i].total.connections + s->entries[i].total.blocked +
                                         s->entries[i].total.bytes + s->entries[i].total.packets,
                                 0);
        for (size_t i = 0; i < s->n_products; i++)
                assert_int_equal(s->products[i].total.connections + s->products[i].total.bytes, 0);
}

/* A saved buffer of a filled stats. */
static void saved(struct fixture *x, char **buf, size_t *len) {
        _cleanup_(stats_freep) struct stats *s = NULL;

        fixture_init(x);
        assert_int_equal(stats_new(&s, &x->catalog), 0);
        fill(s);
        assert_int_equal(state_format(s, buf, len), 0);
}

static void rechecksum(char *buf, size_t len) {
        uint32_t crc = state_crc32(buf, len - 4);

        for (unsigned i = 0; i < 4; i++)
                buf[len - 4 + i] = (char) (crc >> (8 * i));
}

static void test_crc32(void **state) {
        /* The standard check value. */
        assert_int_equal(state_crc32("123456789", 9), 0xcbf43926);
        assert_int_equal(state_crc32("", 0), 0);
}

static void test_round_trip(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        char err[STATE_ERROR_MAX] = "";

        saved(&x, &buf, &len);
        assert_memory_equal(buf, STATE_MAGIC, 8);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        assert_int_equal(state_parse(s, "t", buf, len, err, sizeof(err)), 5);
        assert_int_equal(s->entries[1].total.connections, 1001);
        assert_int_equal(s->entries[2].total.blocked, 2002);
        assert_true(s->entries[0].total.bytes == UINT64_MAX);
        assert_int_equal(s->entries[1].total.packets, 4001);
        assert_int_equal(s->products[1].total.packets, 41);
        assert_int_equal(s->entries[1].total.ended, 901);
        assert_int_equal(s->entries[2].total.unanswered, 92);
        assert_int_equal(s->entries[0].total.confidence[0], 100);
        assert_int_equal(s->entries[1].total.confidence[1], 201);
        assert_int_equal(s->entries[2].total.confidence[2], 702);
        /* The loaded totals are not a burst: marks follow them. */
        assert_int_equal(s->entries[1].mark[STATS_RATED_CONNECTIONS], 1001);
        assert_int_equal(s->entries[1].summary_mark.connections, 1001);
}

/* Records are keyed by name: a catalogue in another order, with an entry
 * gone and one new, gets what it still has. */
static void test_other_catalogue(void **state) {
        struct fixture x, y;
        _cleanup_(stats_freep) struct stats *s = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        char err[STATE_ERROR_MAX] = "";

        saved(&x, &buf, &len);
        fixture_init(&y);
        strcpy(y.entries[0].id, "facetime-rtp");
        strcpy(y.entries[1].id, "brand-new");
        strcpy(y.products[0].name, "APNs");
        y.catalog.n_products = 1;
        assert_int_equal(stats_new(&s, &y.catalog), 0);
        assert_int_equal(state_parse(s, "t", buf, len, err, sizeof(err)), 3);
        assert_int_equal(s->entries[0].total.connections, 1001);
        assert_int_equal(s->entries[1].total.connections, 0);
        assert_int_equal(s->entries[2].total.connections, 1002);
        assert_int_equal(s->products[0].total.connections, 11);
}

static void expect_refused(const char *buf, size_t len, const char *reason) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        char err[STATE_ERROR_MAX] = "";
        int r;

        fixture_init(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        r = state_parse(s, "stats.state", buf, len, err, sizeof(err));
        if (r >= 0)
                fail_msg("accepted (%s), len %zu", reason, len);
        assert_int_equal(r, -EBADMSG);
        assert_non_null(strstr(err, "stats.state: "));
        assert_zero(s);
}

static void test_truncated(void **state) {
        struct fixture x;
        _cleanup_free_ char *buf = NULL;
        size_t len;

        saved(&x, &buf, &len);
        for (size_t l = 0; l < len; l++) {
                _cleanup_free_ char *copy = malloc(l + 1);

                memcpy(copy, buf, l);
                expect_refused(copy, l, "truncated");
        }
}

static void test_corrupt(void **state) {
        struct fixture x;
        _cleanup_free_ char *buf = NULL;
        size_t len;

        saved(&x, &buf, &len);
        for (size_t i = 0; i < len; i++) {
                buf[i] ^= 0x5a;
                expect_refused(buf, len, "flipped byte");
                buf[i] ^= 0x5a;
        }
}

static void test_foreign_and_version(void **state) {
        struct fixture x;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        char text[] = "[Unit]\nDescription=not a state file at all\n";

        expect_refused(text, sizeof(text) - 1, "foreign");

        saved(&x, &buf, &len);
        memcpy(buf, "AFDSTATX", 8);
        rechecksum(buf, len);
        expect_refused(buf, len, "magic");
        memcpy(buf, STATE_MAGIC, 8);
        buf[8] = 3;
        rechecksum(buf, len);
        expect_refused(buf, len, "version");
        /* Version 1 has shorter records: these are not its own. */
        buf[8] = 1;
        rechecksum(buf, len);
        expect_refused(buf, len, "version 1 with version 2's records");
        buf[8] = 2;
        rechecksum(buf, len);
        {
                struct fixture y;
                _cleanup_(stats_freep) struct stats *s = NULL;

                fixture_init(&y);
                assert_int_equal(stats_new(&s, &y.catalog), 0);
                assert_int_equal(state_parse(s, "t", buf, len, NULL, 0), 5);
        }
}

/* buf (version 2) as version 1 wrote it: each record's first four
 * counters, no more. */
static size_t as_version_1(const char *buf, size_t len, char *out) {
        size_t in = 20, o = 20;

        memcpy(out, buf, 20);
        out[8] = 1;
        while (in < len - 4) {
                size_t klen = (uint8_t) buf[in];

                memcpy(out + o, buf + in, 1 + klen + 32);
                o += 1 + klen + 32;
                in += 1 + klen + 8 * STATE_COUNTERS;
        }
        o += 4;
        rechecksum(out, o);
        return o;
}

/* A file of version 1 (before ended, unanswered and confidence were kept)
 * keeps its totals on upgrade; what it did not hold starts from zero. */
static void test_version_1(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        _cleanup_free_ char *buf = NULL, *old = NULL;
        size_t len, old_len;
        char err[STATE_ERROR_MAX] = "";

        saved(&x, &buf, &len);
        old = malloc(len);
        old_len = as_version_1(buf, len, old);
        assert_int_equal(old_len, len - 5 * (3 + 2) * 8);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        assert_int_equal(state_parse(s, "t", old, old_len, err, sizeof(err)), 5);
        assert_int_equal(s->entries[1].total.connections, 1001);
        assert_true(s->entries[0].total.bytes == UINT64_MAX);
        assert_int_equal(s->products[1].total.packets, 41);
        assert_int_equal(s->entries[1].total.ended + s->entries[1].total.unanswered, 0);
        assert_int_equal(s->entries[2].total.confidence[2], 0);
        /* Saved again, it is version 2. */
        {
                _cleanup_free_ char *again = NULL;
                size_t again_len;

                assert_int_equal(state_format(s, &again, &again_len), 0);
                assert_int_equal(again[8], 2);
                assert_int_equal(again_len, len);
        }
        /* Truncated or with a byte flipped, it is refused like any file. */
        for (size_t l = 0; l < old_len; l++)
                expect_refused(old, l, "version 1 truncated");
        for (size_t i = 0; i < old_len; i++) {
                old[i] ^= 0x5a;
                expect_refused(old, old_len, "version 1 flipped byte");
                old[i] ^= 0x5a;
        }
}

/* Structural lies behind a valid checksum. */
static void test_bad_structure(void **state) {
        struct fixture x;
        _cleanup_free_ char *buf = NULL, *longer = NULL;
        size_t len;

        saved(&x, &buf, &len);

        buf[12] = 4; /* one entry more than there are */
        rechecksum(buf, len);
        expect_refused(buf, len, "count");
        buf[12] = 2; /* one less: bytes left over */
        rechecksum(buf, len);
        expect_refused(buf, len, "trailing");
        buf[12] = 3;
        buf[15] = 0x7f; /* absurd count */
        rechecksum(buf, len);
        expect_refused(buf, len, "huge count");
        buf[15] = 0;

        buf[20] = 0; /* empty key */
        rechecksum(buf, len);
        expect_refused(buf, len, "empty key");
        buf[20] = (char) 200; /* key longer than allowed */
        rechecksum(buf, len);
        expect_refused(buf, len, "long key");
        buf[20] = 4;
        buf[22] = 0; /* NUL inside "apns" */
        rechecksum(buf, len);
        expect_refused(buf, len, "NUL");
        buf[22] = 'p';
        rechecksum(buf, len);

        /* Bytes after the last record. */
        longer = malloc(len + 8);
        memcpy(longer, buf, len - 4);
        memset(longer + len - 4, 0, 8);
        rechecksum(longer, len + 8);
        expect_refused(longer, len + 8, "appended");
}

static void test_files(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL, *t = NULL;
        _cleanup_(state_freep) struct state *st = NULL, *st2 = NULL;
        char dir[] = "/tmp/test-state-XXXXXX", sub[64], path[96], err[STATE_ERROR_MAX] = "";
        struct stat sb;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        snprintf(sub, sizeof(sub), "%s/lib", dir);
        snprintf(path, sizeof(path), "%s/%s", sub, STATE_FILE_NAME);

        fixture_init(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        assert_int_equal(state_new(&st, s, sub), 0);
        assert_int_equal(state_load(st, err, sizeof(err)), -ENOENT);

        fill(s);
        assert_int_equal(state_save(st, err, sizeof(err)), 0);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0640);

        assert_int_equal(stats_new(&t, &x.catalog), 0);
        assert_int_equal(state_new(&st2, t, sub), 0);
        assert_int_equal(state_load(st2, err, sizeof(err)), 5);
        assert_int_equal(t->entries[2].total.packets, 4002);

        /* A corrupt file is reported with its path and leaves zeros. */
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("garbage", f);
        fclose(f);
        memset(t->entries, 0, sizeof(*t->entries) * t->n_entries);
        memset(t->products, 0, sizeof(*t->products) * t->n_products);
        assert_true(state_load(st2, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, path));
        assert_zero(t);

        /* Saving replaces it. */
        assert_int_equal(state_save(st, err, sizeof(err)), 0);
        assert_int_equal(state_load(st2, err, sizeof(err)), 5);

        /* A file too large is refused before it is read whole. */
        f = fopen(path, "w");
        assert_non_null(f);
        for (size_t i = 0; i <= STATE_FILE_MAX; i += 64)
                fputs("0123456789012345678901234567890123456789012345678901234567890123", f);
        fclose(f);
        assert_true(state_load(st2, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, "larger than"));

        /* Neither a FIFO (which would block the start) nor a symbolic link
         * is read. */
        unlink(path);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(state_load(st2, err, sizeof(err)), -EBADFD);
        assert_non_null(strstr(err, "not a regular file"));
        unlink(path);
        assert_int_equal(symlink("/etc/passwd", path), 0);
        assert_int_equal(state_load(st2, err, sizeof(err)), -ELOOP);
        assert_non_null(strstr(err, path));

        unlink(path);
        rmdir(sub);
        rmdir(dir);
}

/* The directory is made at start with the daemon's future owner; an existing
 * one is not touched. */
static void test_make_directory(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        _cleanup_(state_freep) struct state *st = NULL;
        char dir[] = "/tmp/test-state-XXXXXX", sub[64];
        uid_t owner = geteuid() == 0 ? 65534 : geteuid(); /* nobody when root */
        mode_t mask = umask(0);
        struct stat sb;

        umask(mask);

        assert_non_null(mkdtemp(dir));
        snprintf(sub, sizeof(sub), "%s/lib", dir);
        fixture_init(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        assert_int_equal(state_new(&st, s, sub), 0);

        assert_int_equal(state_make_directory(st, owner, (gid_t) owner), 0);
        assert_int_equal(stat(sub, &sb), 0);
        assert_true(S_ISDIR(sb.st_mode));
        assert_int_equal(sb.st_mode & 07777, 0750 & ~mask);
        assert_int_equal(sb.st_uid, owner);
        assert_int_equal(sb.st_gid, (gid_t) owner);

        /* Existing: left alone, even when another owner is asked for. */
        assert_int_equal(chmod(sub, 0700), 0);
        assert_int_equal(state_make_directory(st, (uid_t) -1, (gid_t) -1), 0);
        assert_int_equal(stat(sub, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0700);
        assert_int_equal(sb.st_uid, owner);

        /* A parent that does not exist is an error, not a crash. */
        st = state_free(st);
        assert_int_equal(state_new(&st, s, "/nonexistent-appleflowd/x"), 0);
        assert_int_equal(state_make_directory(st, (uid_t) -1, (gid_t) -1), -ENOENT);

        rmdir(sub);
        rmdir(dir);
}

/* One daemon per state directory: the second is refused and told who has it;
 * the lock goes with the first. */
static void test_lock(void **state) {
        struct fixture x;
        _cleanup_(stats_freep) struct stats *s = NULL;
        _cleanup_(state_freep) struct state *a = NULL, *b = NULL;
        char dir[] = "/tmp/test-state-XXXXXX", err[STATE_ERROR_MAX] = "", want[STATE_ERROR_MAX],
             lock[64];

        assert_non_null(mkdtemp(dir));
        fixture_init(&x);
        assert_int_equal(stats_new(&s, &x.catalog), 0);
        assert_int_equal(state_new(&a, s, dir), 0);
        assert_int_equal(state_new(&b, s, dir), 0);

        assert_int_equal(state_lock(a, err, sizeof(err)), 0);
        assert_int_equal(state_lock(a, err, sizeof(err)), 0); /* held already */
        assert_int_equal(state_lock(b, err, sizeof(err)), -EBUSY);
        snprintf(lock, sizeof(lock), "%s/lock", dir);
        snprintf(want, sizeof(want), "state directory %s is in use by pid %ld (test-state) (lock %s): "
                                     "stop that daemon, or give this one a state_directory of its own",
                 dir,
                 (long) getpid(), lock);
        assert_string_equal(err, want);

        a = state_free(a);
        assert_int_equal(state_lock(b, err, sizeof(err)), 0);
        b = state_free(b);

        /* No directory: an error naming the file. */
        assert_int_equal(state_new(&b, s, "/nonexistent-appleflowd"), 0);
        assert_int_equal(state_lock(b, err, sizeof(err)), -ENOENT);
        assert_string_equal(err, "/nonexistent-appleflowd/lock: No such file or directory");

        unlink(lock);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc32),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_other_catalogue),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_corrupt),
                cmocka_unit_test(test_foreign_and_version),
                cmocka_unit_test(test_version_1),
                cmocka_unit_test(test_bad_structure),
                cmocka_unit_test(test_files),
                cmocka_unit_test(test_make_directory),
                cmocka_unit_test(test_lock),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
