/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "text-util.h"

#define HEADER_SIZE 20

uint32_t state_crc32(const void *buf, size_t len) {
        const uint8_t *p = buf;
        uint32_t crc = 0xffffffffu;

        for (size_t i = 0; i < len; i++) {
                crc ^= p[i];
                for (unsigned k = 0; k < 8; k++)
                        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
        return ~crc;
}

static void put_u32(uint8_t *p, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
        for (unsigned i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
        uint32_t v = 0;

        for (unsigned i = 0; i < 4; i++)
                v |= (uint32_t) p[i] << (8 * i);
        return v;
}

static uint64_t get_u64(const uint8_t *p) {
        uint64_t v = 0;

        for (unsigned i = 0; i < 8; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

/* Where a record's counters are in struct stats_counters, in file order;
 * version 1 has the first STATE_COUNTERS_1. */
static const size_t record_counters[STATE_COUNTERS] = {
        offsetof(struct stats_counters, connections),
        offsetof(struct stats_counters, blocked),
        offsetof(struct stats_counters, bytes),
        offsetof(struct stats_counters, packets),
        offsetof(struct stats_counters, ended),
        offsetof(struct stats_counters, unanswered),
        offsetof(struct stats_counters, confidence[0]),
        offsetof(struct stats_counters, confidence[1]),
        offsetof(struct stats_counters, confidence[2]),
};
static_assert(_STATS_CONFIDENCE_MAX == 3, "the file holds three confidence counts");

static uint64_t counter_get(const struct stats_counters *c, size_t i) {
        uint64_t v;

        memcpy(&v, (const char *) c + record_counters[i], sizeof(v));
        return v;
}

static void counter_set(struct stats_counters *c, size_t i, uint64_t v) {
        memcpy((char *) c + record_counters[i], &v, sizeof(v));
}

static size_t put_record(uint8_t *p, const char *key, const struct stats_counters *c) {
        size_t n = strnlen(key, STATE_KEY_MAX);

        p[0] = (uint8_t) n;
        memcpy(p + 1, key, n);
        p += 1 + n;
        for (size_t i = 0; i < STATE_COUNTERS; i++)
                put_u64(p + 8 * i, counter_get(c, i));
        return 1 + n + 8 * STATE_COUNTERS;
}

int state_format(const struct stats *s, char **ret, size_t *ret_len) {
        size_t n_entries = MIN(s->n_entries, (size_t) CATALOG_ENTRIES_MAX);
        size_t n_products = MIN(s->n_products, (size_t) CATALOG_PRODUCTS_MAX);
        size_t size = HEADER_SIZE + (n_entries + n_products) * STATE_RECORD_MAX + 4, off;
        uint8_t *buf;

        buf = malloc(size);
        if (!buf)
                return -ENOMEM;

        memcpy(buf, STATE_MAGIC, 8);
        put_u32(buf + 8, STATE_VERSION);
        put_u32(buf + 12, (uint32_t) n_entries);
        put_u32(buf + 16, (uint32_t) n_products);
        off = HEADER_SIZE;
        for (size_t i = 0; i < n_entries; i++)
                off += put_record(buf + off, s->catalog->entries[i].id, &s->entries[i].total);
        for (size_t i = 0; i < n_products; i++)
                off += put_record(buf + off, s->catalog->products[i].name, &s->products[i].total);
        put_u32(buf + off, state_crc32(buf, off));
        off += 4;

        *ret = (char *) buf;
        *ret_len = off;
        return 0;
}

struct record {
        char key[STATE_KEY_MAX + 1];
        struct stats_counters c;
};

int state_parse(struct stats *s, const char *name, const void *data, size_t len,
                char *err, size_t errlen) {
        _cleanup_free_ struct record *records = NULL;
        const uint8_t *buf = data;
        uint32_t version, n_entries, n_products, crc;
        size_t off, n, counters, applied = 0;

        if (len < HEADER_SIZE + 4)
                return errorf(-EBADMSG, err, errlen, "%s: truncated: %zu bytes", name, len);
        if (len > STATE_FILE_MAX)
                return errorf(-EBADMSG, err, errlen, "%s: too large: %zu bytes", name, len);
        if (memcmp(buf, STATE_MAGIC, 8) != 0)
                return errorf(-EBADMSG, err, errlen, "%s: not a statistics state file", name);
        version = get_u32(buf + 8);
        if (version != STATE_VERSION && version != STATE_VERSION_1)
                return errorf(-EBADMSG, err, errlen, "%s: version %u, expected %u or %u", name, version,
                              STATE_VERSION_1, STATE_VERSION);
        counters = version == STATE_VERSION_1 ? STATE_COUNTERS_1 : STATE_COUNTERS;
        crc = get_u32(buf + len - 4);
        if (crc != state_crc32(buf, len - 4))
                return errorf(-EBADMSG, err, errlen, "%s: checksum mismatch (truncated or corrupt)", name);
        n_entries = get_u32(buf + 12);
        n_products = get_u32(buf + 16);
        if (n_entries > CATALOG_ENTRIES_MAX || n_products > CATALOG_PRODUCTS_MAX)
                return errorf(-EBADMSG, err, errlen, "%s: %u entries, %u products: too many", name,
                              n_entries, n_products);

        n = (size_t) n_entries + n_products;
        records = calloc(n + 1, sizeof(*records));
        if (!records)
                return -ENOMEM;

        /* Everything is checked before anything is applied. */
        off = HEADER_SIZE;
        for (size_t i = 0; i < n; i++) {
                size_t klen;

                if (len - 4 - off < 1)
                        return errorf(-EBADMSG, err, errlen,
                                      "%s: offset %zu: record %zu missing", name, off, i);
                klen = buf[off];
                if (klen == 0 || klen > STATE_KEY_MAX)
                        return errorf(-EBADMSG, err, errlen,
                                      "%s: offset %zu: key length %zu", name, off, klen);
                if (len - 4 - off < 1 + klen + 8 * counters)
                        return errorf(-EBADMSG, err, errlen,
                                      "%s: offset %zu: record %zu truncated", name, off, i);
                if (memchr(buf + off + 1, 0, klen))
                        return errorf(-EBADMSG, err, errlen, "%s: offset %zu: NUL in key", name, off);
                memcpy(records[i].key, buf + off + 1, klen);
                records[i].key[klen] = 0;
                off += 1 + klen;
                for (size_t j = 0; j < counters; j++)
                        counter_set(&records[i].c, j, get_u64(buf + off + 8 * j));
                off += 8 * counters;
        }
        if (off != len - 4)
                return errorf(-EBADMSG, err, errlen,
                              "%s: %zu bytes after the last record", name, len - 4 - off);

        /* Keys the catalogue no longer has are dropped. */
        for (size_t i = 0; i < n; i++) {
                ssize_t k;

                if (i < n_entries) {
                        k = catalog_find_entry(s->catalog, records[i].key);
                        if (k < 0 || (size_t) k >= s->n_entries)
                                continue;
                        s->entries[k].total = records[i].c;
                } else {
                        k = catalog_find_product(s->catalog, records[i].key);
                        if (k < 0 || (size_t) k >= s->n_products)
                                continue;
                        s->products[k].total = records[i].c;
                }
                applied++;
        }
        stats_reset_marks(s);
        return (int) applied;
}

static int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;

        /* O_NONBLOCK: a FIFO put in the file's place must not hang the start. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        /* Read one byte more than allowed, to see a file that is too long. */
        while (len <= max) {
                ssize_t k = read(fd, buf + len, max + 1 - len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        if (len > max)
                return -EFBIG;

        *ret = buf;
        *ret_len = len;
        buf = NULL;
        return 0;
}

int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, bool durable) {
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        const char *p = buf;
        int r;

        if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        while (len > 0) {
                ssize_t k = write(fd, p, len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                p += k;
                len -= (size_t) k;
        }
        if (fchmod(fd, mode) < 0 || (durable && fsync(fd) < 0)) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        if (!durable)
                return 0;

        /* Make the rename itself durable. */
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;

fail:
        (void) unlink(tmp);
        return r;
}

int state_new(struct state **ret, struct stats *s, const char *directory) {
        _cleanup_(state_freep) struct state *st = NULL;

        if (!ret || !s || !directory || !*directory)
                return -EINVAL;

        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        st->stats = s;
        st->lock_fd = -EBADF;
        st->directory = strdup(directory);
        if (!st->directory || asprintf(&st->path, "%s/%s", directory, STATE_FILE_NAME) < 0)
                return -ENOMEM;

        *ret = st;
        st = NULL;
        return 0;
}

struct state *state_free(struct state *st) {
        if (!st)
                return NULL;
        sd_event_source_disable_unref(st->timer);
        if (st->lock_fd >= 0)
                close(st->lock_fd); /* releases the lock */
        free(st->path);
        free(st->directory);
        free(st);
        return NULL;
}

int state_load(struct state *st, char *err, size_t errlen) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = read_file_bounded(st->path, STATE_FILE_MAX, &buf, &len);
        if (r == -ENOENT)
                return r;
        if (r == -EFBIG)
                return errorf(-EBADMSG, err, errlen,
                              "%s: larger than %zu bytes", st->path, (size_t) STATE_FILE_MAX);
        if (r == -EBADFD || r == -ELOOP) {
                if (err && errlen > 0)
                        snprintf(err, errlen, "%s: not a regular file", st->path);
                return r;
        }
        if (r < 0) {
                if (err && errlen > 0)
                        snprintf(err, errlen, "%s: %s", st->path, strerror(-r));
                return r;
        }
        return state_parse(st->stats, st->path, buf, len, err, errlen);
}

/* "pid 1234 (appleflowd)" from the pid the holder wrote into the lock file. */
static void describe_holder(int fd, char *buf, size_t size) {
        char text[32] = "", comm[64] = "", path[64];
        ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
        _cleanup_fclose_ FILE *f = NULL;
        long pid;

        if (n <= 0 || sscanf(text, "%ld", &pid) != 1 || pid <= 0) {
                snprintf(buf, size, "another process");
                return;
        }
        snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
        f = fopen(path, "re");
        if (f && fgets(comm, sizeof(comm), f))
                comm[strcspn(comm, "\n")] = '\0';
        snprintf(buf, size, "pid %ld%s%s%s", pid, comm[0] ? " (" : "", comm, comm[0] ? ")" : "");
}

int state_lock(struct state *st, char *err, size_t errlen) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char holder[128], pid[32];
        int n;

        if (st->lock_fd >= 0)
                return 0;
        if (asprintf(&path, "%s/%s", st->directory, STATE_LOCK_NAME) < 0)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0640);
        if (fd < 0)
                return errorf(-errno, err, errlen, "%s: %s", path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return errorf(-errno, err, errlen, "%s: %s", path, strerror(errno));
                describe_holder(fd, holder, sizeof(holder));
                return errorf(-EBUSY, err, errlen, "state directory %s is in use by %s (lock %s): "
                                                   "stop that daemon, or give this one a state_directory of its own",
                              st->directory, holder, path);
        }
        /* Who holds it, for the next one to say. */
        n = snprintf(pid, sizeof(pid), "%ld\n", (long) getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t) n, 0) != n)
                return errorf(-errno, err, errlen, "%s: %s", path, strerror(errno));
        st->lock_fd = fd;
        fd = -EBADF;
        return 0;
}

int state_make_directory(struct state *st, uid_t uid, gid_t gid) {
        if (mkdir(st->directory, 0750) < 0)
                return errno == EEXIST ? 0 : -errno;
        if ((uid != (uid_t) -1 || gid != (gid_t) -1) && chown(st->directory, uid, gid) < 0)
                return -errno;
        return 0;
}

int state_save(struct state *st, char *err, size_t errlen) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        if (mkdir(st->directory, 0750) < 0 && errno != EEXIST) {
                r = -errno;
                goto fail;
        }
        r = state_format(st->stats, &buf, &len);
        if (r < 0)
                goto fail;
        r = write_file_atomic(st->path, buf, len, 0640, true);
        if (r < 0)
                goto fail;
        return 0;

fail:
        if (err && errlen > 0)
                snprintf(err, errlen, "%s: %s", st->path, strerror(-r));
        return r;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        struct state *st = userdata;
        char err[STATE_ERROR_MAX];
        int r;

        r = state_save(st, err, sizeof(err));
        /* Log a failure once, and the recovery, not every interval. */
        if (r < 0 && r != st->last_error)
                fprintf(stderr, "<4>Failed to save statistics: %s, will retry\n", err);
        else if (r >= 0 && st->last_error < 0)
                fprintf(stderr, "<5>Statistics saved again to %s\n", st->path);
        st->last_error = r < 0 ? r : 0;

        r = sd_event_source_set_time(source, usec + st->interval_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

int state_attach_event(struct state *st, sd_event *e, uint64_t interval_usec) {
        uint64_t now;
        int r;

        if (interval_usec == 0)
                return 0;
        if (st->timer)
                return -EBUSY;

        r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        st->interval_usec = interval_usec;
        r = sd_event_add_time(e, &st->timer, CLOCK_MONOTONIC, now + interval_usec,
                              1000000 /* accuracy: 1 s */, on_timer, st);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(st->timer, "stats-save");
        return 0;
}
