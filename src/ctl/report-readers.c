/* SPDX-License-Identifier: MIT */

/*
 * report reads the journal on two threads when the machine has two CPUs:
 * sd_journal_next() is most of the cost, and each kind of entry is a pass
 * of its own, so one thread takes the connections and the other the
 * connection ends and the rest (a connection has one of each), each with
 * its own sd-journal and its own groups, added together at the end.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

#define KIND(k) (1u << (k))
#define KINDS_ALL (KIND(_REPORT_KIND_MAX) - 1)
/* The second thread's share: everything but the connections. */
#define KINDS_SECOND (KINDS_ALL & ~KIND(REPORT_KIND_CONNECTION))

struct reader {
        struct report *report;
        const struct report_source *src;
        const struct report_filter *filter;
        struct report_progress *progress;
        int result;
};

static void *reader_run(void *userdata) {
        struct reader *rd = userdata;

        rd->result = report_read_kinds(rd->report, rd->src, rd->filter, KINDS_SECOND, rd->progress, false);
        return NULL;
}

static bool two_threads(const struct report_filter *f) {
        return sysconf(_SC_NPROCESSORS_ONLN) >= 2 && report_kind_wanted(REPORT_KIND_CONNECTION, f);
}

int report_read(struct report *r, const struct report_source *src, const struct report_filter *f) {
        _cleanup_(report_freep) struct report *second = NULL;
        struct report_progress progress = {};
        bool print = isatty(STDERR_FILENO) == 1;
        struct reader rd;
        struct timespec ts;
        pthread_t thread;
        int q;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        progress.start_usec = (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000;

        if (!two_threads(f))
                return report_read_kinds(r, src, f, KINDS_ALL, &progress, print);

        q = report_new(r->by, r->groups_max, &second);
        if (q < 0)
                return q;
        rd = (struct reader) { .report = second, .src = src, .filter = f, .progress = &progress };
        q = pthread_create(&thread, NULL, reader_run, &rd);
        if (q != 0) { /* one thread does it all */
                fprintf(stderr, "appleflowctl: no second thread (%s), reading on one\n", strerror(q));
                return report_read_kinds(r, src, f, KINDS_ALL, &progress, print);
        }
        q = report_read_kinds(r, src, f, KIND(REPORT_KIND_CONNECTION), &progress, print);
        pthread_join(thread, NULL);
        if (q < 0)
                return q;
        if (rd.result < 0)
                return rd.result;
        return report_merge(r, second);
}
