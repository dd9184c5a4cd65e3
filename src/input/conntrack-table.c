/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conntrack-table.h"
#include "macro.h"
#include "text-util.h"

struct conntrack_table {
        int stat_fd, max_fd;
        char *buf; /* CONNTRACK_TABLE_BUF_SIZE */
        struct conntrack_table_sample last, now;
        uint64_t refused;
};

/* Splits one line (no newline) at spaces into at most max words. */
static int split(const char *line, size_t len, const char *words[], size_t lens[], unsigned max) {
        unsigned n = 0;
        size_t i = 0;

        while (i < len) {
                size_t start;

                while (i < len && line[i] == ' ')
                        i++;
                if (i == len)
                        break;
                if (n == max)
                        return -E2BIG;
                start = i;
                while (i < len && line[i] != ' ')
                        i++;
                words[n] = line + start;
                lens[n++] = i - start;
        }
        return (int) n;
}

static int parse_hex(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > 16)
                return -ERANGE;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                unsigned d;

                if (c >= '0' && c <= '9')
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned) (c - 'A' + 10);
                else
                        return -EINVAL;
                v = v << 4 | d;
        }
        *ret = v;
        return 0;
}

int conntrack_table_parse(const char *buf, size_t len, struct conntrack_table_sample *ret,
                          char *err, size_t err_size) {
        const char *words[CONNTRACK_TABLE_COLUMNS_MAX];
        size_t lens[CONNTRACK_TABLE_COLUMNS_MAX];
        int columns = -1, entries_col = -1, drop_col = -1;
        unsigned line = 0;
        size_t pos = 0;

        ret->entries = 0;
        ret->n_cpus = 0;
        while (pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - (buf + pos)) : len - pos;
                int w;

                line++;
                if (n > CONNTRACK_TABLE_LINE_MAX)
                        return errorf(-EBADMSG, err, err_size,
                                      "line %u: longer than %u bytes", line, CONNTRACK_TABLE_LINE_MAX);
                if (memchr(buf + pos, '\0', n))
                        return errorf(-EBADMSG, err, err_size, "line %u: a NUL byte", line);
                w = split(buf + pos, n, words, lens, CONNTRACK_TABLE_COLUMNS_MAX);
                if (w < 0)
                        return errorf(-EBADMSG, err, err_size,
                                      "line %u: more than %u columns", line, CONNTRACK_TABLE_COLUMNS_MAX);
                pos += n + (nl ? 1 : 0);

                if (columns < 0) {
                        columns = w;
                        for (int i = 0; i < w; i++) {
                                if (memeq_str(words[i], lens[i], "entries") && entries_col < 0)
                                        entries_col = i;
                                else if (memeq_str(words[i], lens[i], "drop") && drop_col < 0)
                                        drop_col = i;
                        }
                        if (entries_col < 0 || drop_col < 0)
                                return errorf(-EBADMSG, err, err_size,
                                              "line %u: no \"entries\" or \"drop\" column in the header", line);
                        continue;
                }
                if (w == 0 && !nl && pos == len)
                        break; /* nothing after the last newline */
                if (w != columns)
                        return errorf(-EBADMSG, err, err_size,
                                      "line %u: %d columns, the header has %d", line, w, columns);
                if (ret->n_cpus == CONNTRACK_TABLE_CPUS_MAX)
                        return errorf(-EBADMSG, err, err_size,
                                      "line %u: more than %u CPUs", line, CONNTRACK_TABLE_CPUS_MAX);
                for (int i = 0; i < w; i++) {
                        uint64_t v;

                        if (parse_hex(words[i], lens[i], &v) < 0)
                                return errorf(-EBADMSG, err, err_size,
                                              "line %u: column %d is not a hexadecimal number", line, i + 1);
                        if (i == entries_col)
                                ret->entries = MAX(ret->entries, v); /* the same in every row */
                        else if (i == drop_col) {
                                if (v > UINT32_MAX)
                                        return errorf(-EBADMSG, err, err_size,
                                                      "line %u: \"drop\" is wider than 32 bits", line);
                                ret->drop[ret->n_cpus] = (uint32_t) v;
                        }
                }
                ret->n_cpus++;
        }
        if (columns < 0)
                return errorf(-EBADMSG, err, err_size, "line %u: empty", line);
        if (ret->n_cpus == 0)
                return errorf(-EBADMSG, err, err_size, "line %u: no CPU rows", line);
        return 0;
}

static ssize_t read_all(int fd, char *buf, size_t size) {
        size_t n = 0;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        while (n < size) {
                ssize_t r = read(fd, buf + n, size - n);

                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return (ssize_t) n;
                n += (size_t) r;
        }
        return -EFBIG; /* filled the buffer: the end may be missing */
}

static int read_max(struct conntrack_table *t, uint64_t *ret) {
        char buf[32], *end;
        ssize_t n = read_all(t->max_fd, buf, sizeof(buf) - 1);
        unsigned long long v;

        if (n < 0)
                return (int) n;
        buf[n] = 0;
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\n' && *end != 0) || buf[0] == '-')
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int sample(struct conntrack_table *t, struct conntrack_table_sample *s) {
        ssize_t n = read_all(t->stat_fd, t->buf, CONNTRACK_TABLE_BUF_SIZE);

        if (n < 0)
                return (int) n;
        return conntrack_table_parse(t->buf, (size_t) n, s, NULL, 0);
}

int conntrack_table_open(struct conntrack_table **ret, const char *stat_path, const char *max_path) {
        struct conntrack_table *t;
        int r;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->stat_fd = t->max_fd = -1;
        t->buf = malloc(CONNTRACK_TABLE_BUF_SIZE);
        if (!t->buf) {
                conntrack_table_free(t);
                return -ENOMEM;
        }
        t->stat_fd = open(stat_path ?: CONNTRACK_TABLE_STAT_PATH, O_RDONLY | O_CLOEXEC);
        /* Without the limit the table is still watched; max is then 0. */
        t->max_fd = open(max_path ?: CONNTRACK_TABLE_MAX_PATH, O_RDONLY | O_CLOEXEC);
        r = t->stat_fd < 0 ? -errno : sample(t, &t->last);
        if (r < 0) {
                conntrack_table_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

struct conntrack_table *conntrack_table_free(struct conntrack_table *t) {
        if (!t)
                return NULL;
        if (t->stat_fd >= 0)
                close(t->stat_fd);
        if (t->max_fd >= 0)
                close(t->max_fd);
        free(t->buf);
        free(t);
        return NULL;
}

int conntrack_table_read(struct conntrack_table *t, struct conntrack_table_stats *ret) {
        uint64_t max = 0;
        int r;

        r = sample(t, &t->now);
        if (r < 0)
                return r;
        /* CPUs that came online since start from 0; those gone keep their share. */
        for (unsigned i = 0; i < t->now.n_cpus; i++)
                t->refused += (uint32_t) (t->now.drop[i] - (i < t->last.n_cpus ? t->last.drop[i] : 0));
        for (unsigned i = t->now.n_cpus; i < t->last.n_cpus; i++)
                t->now.drop[i] = t->last.drop[i];
        t->now.n_cpus = MAX(t->now.n_cpus, t->last.n_cpus);
        t->last = t->now;

        if (t->max_fd >= 0)
                (void) read_max(t, &max);
        *ret = (struct conntrack_table_stats) {
                .entries = t->now.entries,
                .max = max,
                .refused = t->refused,
        };
        return 0;
}
