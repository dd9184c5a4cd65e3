/* SPDX-License-Identifier: MIT */
/* libFuzzer target: state_parse() on arbitrary bytes, as state_load() reads
 * them from stats.state. Each input is tried twice: as it is, and with its
 * last four bytes replaced by the right checksum, so that the fuzzer gets
 * past the CRC to the records. A refused file must leave the statistics
 * untouched; an accepted one, formatted again and parsed into fresh
 * statistics, must give the same counters and the same bytes. */

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "state.h"

static bool same_totals(const struct stats *a, const struct stats *b) {
        for (size_t i = 0; i < a->n_entries; i++)
                if (memcmp(&a->entries[i].total, &b->entries[i].total, sizeof(struct stats_counters)) != 0)
                        return false;
        for (size_t i = 0; i < a->n_products; i++)
                if (memcmp(&a->products[i].total, &b->products[i].total, sizeof(struct stats_counters)) != 0)
                        return false;
        return true;
}

static bool all_zero(const struct stats *s) {
        static const struct stats_counters zero;

        for (size_t i = 0; i < s->n_entries; i++)
                if (memcmp(&s->entries[i].total, &zero, sizeof(zero)) != 0)
                        return false;
        for (size_t i = 0; i < s->n_products; i++)
                if (memcmp(&s->products[i].total, &zero, sizeof(zero)) != 0)
                        return false;
        return true;
}

static void check_marks(const struct stats *s) {
        for (size_t i = 0; i < s->n_entries; i++)
                fuzz_assert(memcmp(&s->entries[i].summary_mark, &s->entries[i].total,
                                   sizeof(struct stats_counters)) == 0);
}

static void check_round_trip(const struct stats *s) {
        _cleanup_(stats_freep) struct stats *again = NULL;
        _cleanup_free_ char *buf = NULL, *buf2 = NULL;
        size_t len, len2;
        char err[STATE_ERROR_MAX];
        int r;

        if (state_format(s, &buf, &len) < 0 || stats_new(&again, s->catalog) < 0)
                return;
        r = state_parse(again, "again", buf, len, err, sizeof(err));
        if (r == -ENOMEM)
                return;
        /* Every key is the catalogue's own: every record applies. */
        fuzz_assert(r >= 0 && (size_t) r == s->n_entries + s->n_products);
        fuzz_assert(same_totals(s, again));
        if (state_format(again, &buf2, &len2) < 0)
                return;
        fuzz_assert(len2 == len && memcmp(buf, buf2, len) == 0);
}

static void parse_one(const char *buf, size_t len) {
        _cleanup_(stats_freep) struct stats *s = NULL;
        char err[STATE_ERROR_MAX] = "";
        int r;

        if (stats_new(&s, fuzz_small_catalog()) < 0)
                return;
        r = state_parse(s, "fuzz", buf, len, err, sizeof(err));
        if (r < 0) {
                fuzz_assert(r == -EBADMSG || r == -ENOMEM);
                if (r == -EBADMSG)
                        fuzz_assert(strncmp(err, "fuzz: ", 6) == 0 && memchr(err, 0, sizeof(err)));
                /* refused as a whole */
                fuzz_assert(all_zero(s));
                return;
        }
        fuzz_assert((size_t) r <= s->n_entries + s->n_products && (size_t) r <= len / (1 + 1 + 32));
        check_marks(s);
        check_round_trip(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *buf = fuzz_copy(data, size);
        uint32_t crc;

        if (!buf)
                return 0;
        parse_one(buf, size);
        if (size >= 4) {
                crc = state_crc32(buf, size - 4);
                for (unsigned i = 0; i < 4; i++)
                        buf[size - 4 + i] = (char) (crc >> (8 * i));
                if (memcmp(buf, data, size) != 0)
                        parse_one(buf, size);
        }
        return 0;
}
