/* SPDX-License-Identifier: MIT */

/*
 * The journal files report reads, one by one: sd-journal over many files
 * at once looks into every file for each entry it returns (a collector's
 * month is dozens of files), while the files of a router, or of a
 * collector's router, hold their entries in time order anyway. Which files:
 * those given with --file; the ones in --directory and in its machine ID
 * folders (as sd_journal_open_directory() takes them); or the local
 * machine's, in /var/log/journal/MACHINE-ID and /run/log/journal/MACHINE-ID.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-id128.h>

#include "report.h"

#define FILES_MAX 100000u /* a limit on what a directory may hold */

struct list {
        char **paths;
        size_t n, allocated;
};

/* Analyzer: gcc 12 loses a path once list_add() stores it in the list (or
 * frees it on failure) and reports a leak where the list is used; the list
 * owns its paths, and list_done() or the caller frees them. */
#ifndef __clang__
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int list_add(struct list *l, char *path) {
        if (l->n >= FILES_MAX) {
                free(path);
                return -E2BIG;
        }
        if (l->n + 2 > l->allocated) {
                size_t n = l->allocated ? l->allocated * 2 : 32;
                char **p = reallocarray(l->paths, n, sizeof(char *));

                if (!p) {
                        free(path);
                        return -ENOMEM;
                }
                l->paths = p;
                l->allocated = n;
        }
        l->paths[l->n++] = path;
        l->paths[l->n] = NULL;
        return 0;
}

static void list_done(struct list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->paths[i]);
        free(l->paths);
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_machine_id(const char *s) {
        sd_id128_t id;

        return strlen(s) == 32 && sd_id128_from_string(s, &id) >= 0;
}

/* The journal files in dir (*.journal, and *.journal~ that journald set
 * aside); with subdirs, also those in its machine ID folders. A directory
 * that does not exist holds none when missing_ok. */
static int add_directory(struct list *l, const char *dir, bool subdirs, bool missing_ok) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        int q;

        if (!d) {
                if (missing_ok && errno == ENOENT)
                        return 0;
                q = -errno;
                fprintf(stderr, "appleflowctl: %s: cannot read the directory: %s\n", dir, strerror(-q));
                return q;
        }
        while ((errno = 0, de = readdir(d))) {
                char *path;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                if (subdirs && de->d_type == DT_DIR && is_machine_id(de->d_name)) {
                        q = add_directory(l, path, false, false);
                        free(path);
                } else if (de->d_type == DT_REG || de->d_type == DT_UNKNOWN) {
                        if (ends_with(de->d_name, ".journal") || ends_with(de->d_name, ".journal~"))
                                q = list_add(l, path);
                        else
                                free(path), q = 0;
                } else
                        free(path), q = 0;
                if (q < 0)
                        return q;
        }
        return errno > 0 ? -errno : 0;
}

static int cmp_paths(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int report_journal_files(const struct report_source *src, char ***ret, size_t *ret_n) {
        struct list l = {};
        int q = 0;

        if (src->directory)
                q = add_directory(&l, src->directory, true, false);
        else if (src->n_files > 0)
                for (size_t i = 0; i < src->n_files && q >= 0; i++) {
                        char *p = strdup(src->files[i]);

                        q = p ? list_add(&l, p) : -ENOMEM;
                }
        else {
                char mid[SD_ID128_STRING_MAX], dir[64];
                sd_id128_t id;

                q = sd_id128_get_machine(&id);
                if (q < 0)
                        fprintf(stderr, "appleflowctl: no machine ID: %s\n", strerror(-q));
                else
                        sd_id128_to_string(id, mid);
                if (q >= 0) {
                        snprintf(dir, sizeof(dir), "/var/log/journal/%s", mid);
                        q = add_directory(&l, dir, false, true);
                }
                if (q >= 0) {
                        snprintf(dir, sizeof(dir), "/run/log/journal/%s", mid);
                        q = add_directory(&l, dir, false, true);
                }
        }
        if (q < 0) {
                if (q == -E2BIG)
                        fprintf(stderr, "appleflowctl: more than %u journal files\n", FILES_MAX);
                list_done(&l);
                return q;
        }
        if (l.n > 0)
                qsort(l.paths, l.n, sizeof(char *), cmp_paths);
        else if (!(l.paths = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = l.paths;
        *ret_n = l.n;
        return 0;
}
#ifndef __clang__
#pragma GCC diagnostic pop
#endif
