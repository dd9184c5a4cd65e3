/* SPDX-License-Identifier: MIT */

/*
 * report reads the journal file by file, on two threads when the machine
 * has two CPUs: each takes the next file not yet read, with its own
 * sd-journal, into its own groups, added together at the end.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "time-util.h"

struct files {
        char **paths;
        size_t n;
        _Atomic size_t next; /* the next file to read */
};

struct reader {
        struct report *report;
        struct files *files;
        const struct report_filter *filter;
        struct report_progress_line progress;
        int result;
};

static void reader_run_files(struct reader *rd) {
        size_t i;

        while ((i = atomic_fetch_add(&rd->files->next, 1)) < rd->files->n) {
                rd->result = report_read_file(rd->report, rd->files->paths[i], rd->filter, &rd->progress);
                if (rd->result < 0)
                        break;
        }
        report_progress_end(&rd->progress);
}

static void *reader_run(void *userdata) {
        reader_run_files(userdata);
        return NULL;
}

static void strv_free(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

int report_read(struct report *r, const struct report_source *src, const struct report_filter *f) {
        _cleanup_(report_freep) struct report *second = NULL;
        struct report_progress progress = {};
        struct files files = {};
        struct reader one, two;
        pthread_t thread;
        int q;

        q = report_journal_files(src, &files.paths, &files.n);
        if (q < 0)
                return q;
        progress.start_usec = clock_usec(CLOCK_MONOTONIC);
        one = (struct reader) {
                .report = r,
                .files = &files,
                .filter = f,
                .progress = { .shared = &progress, .print = isatty(STDERR_FILENO) == 1 },
        };

        if (files.n >= 2 && sysconf(_SC_NPROCESSORS_ONLN) >= 2 &&
            report_new(r->by, r->groups_max, &second) >= 0) {
                two = (struct reader) { .report = second, .files = &files, .filter = f, .progress = { .shared = &progress } };
                if (pthread_create(&thread, NULL, reader_run, &two) == 0) {
                        reader_run_files(&one);
                        pthread_join(thread, NULL);
                        q = one.result < 0 ? one.result : two.result < 0 ? two.result
                                                                         : report_merge(r, second);
                        strv_free(files.paths, files.n);
                        return q;
                }
        }
        reader_run_files(&one); /* one thread does it all */
        strv_free(files.paths, files.n);
        return one.result;
}
