/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <inttypes.h>
#include <time.h>

#include "output.h"
#include "watch.h"

/* "2026-12-05T09:15:02.123Z" and the same instant in microseconds. */
static void now_utc(char *buf, size_t size, int64_t *ret_usec) {
        struct timespec ts;
        struct tm tm;
        size_t n;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
        *ret_usec = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void watch_text_header(FILE *f, bool tty, unsigned interval_sec) {
        char stamp[64];
        time_t t = time(NULL);
        struct tm tm;

        if (tty)
                fputs("\033[H\033[2J", f);
        localtime_r(&t, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S %Z", &tm);
        fprintf(f, "%s, every %u s%s\n\n", stamp, interval_sec, tty ? " (Ctrl-C to stop)" : "");
}

void watch_text_separator(FILE *f, bool tty) {
        if (!tty)
                fputc('\n', f);
}

int watch_json_line(struct json_object *o, FILE *f) {
        char stamp[64];
        int64_t usec;
        const char *s;

        now_utc(stamp, sizeof(stamp), &usec);
        if (json_add_string(o, "time", stamp) < 0 || json_add_int(o, "time_usec", usec) < 0)
                return -ENOMEM;
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || fprintf(f, "%s\n", s) < 0)
                return -EIO;
        return 0;
}
