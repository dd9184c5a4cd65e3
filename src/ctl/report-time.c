/* SPDX-License-Identifier: MIT */

/*
 * Times for report's --since and --until, in the subset of journalctl's
 * syntax (systemd.time(7)) that operators type, and the hour and day
 * buckets of --by hour|day. Local time, as journalctl shows it, unless the
 * time ends in " UTC".
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "text-util.h"

#define USEC_PER_SEC 1000000ull

static const struct {
        const char *name;
        uint64_t usec;
} units[] = {
        /* longest first where one is a prefix of another */
        { "seconds", USEC_PER_SEC },
        { "second", USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "minute", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "msec", 1000 },
        { "ms", 1000 },
        { "m", 60 * USEC_PER_SEC },
        { "usec", 1 },
        { "us", 1 },
        { "hours", 3600 * USEC_PER_SEC },
        { "hour", 3600 * USEC_PER_SEC },
        { "hr", 3600 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "days", 86400 * USEC_PER_SEC },
        { "day", 86400 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
        { "weeks", 7 * 86400 * USEC_PER_SEC },
        { "week", 7 * 86400 * USEC_PER_SEC },
        { "w", 7 * 86400 * USEC_PER_SEC },
        /* systemd's month and year: 30.44 and 365.25 days */
        { "months", 2629800 * USEC_PER_SEC },
        { "month", 2629800 * USEC_PER_SEC },
        { "M", 2629800 * USEC_PER_SEC },
        { "years", 31557600 * USEC_PER_SEC },
        { "year", 31557600 * USEC_PER_SEC },
        { "y", 31557600 * USEC_PER_SEC },
};

/* "1h30min", "2 days", "90" (seconds) into µs. */
static int parse_timespan(const char *s, uint64_t *ret) {
        uint64_t total = 0;
        bool any = false;

        for (;;) {
                uint64_t n = 0, unit = USEC_PER_SEC;
                size_t digits = 0, best = 0;

                while (*s == ' ')
                        s++;
                if (*s == 0)
                        break;
                for (; isdigit((unsigned char) *s); s++, digits++)
                        if (__builtin_mul_overflow(n, 10u, &n) ||
                            __builtin_add_overflow(n, (uint64_t) (*s - '0'), &n))
                                return -ERANGE;
                if (digits == 0)
                        return -EINVAL;
                while (*s == ' ')
                        s++;
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t len = strlen(units[i].name);

                        if (len > best && strncmp(s, units[i].name, len) == 0 && !isalpha((unsigned char) s[len])) {
                                best = len;
                                unit = units[i].usec;
                        }
                }
                if (best == 0 && isalpha((unsigned char) *s))
                        return -EINVAL;
                s += best;
                if (__builtin_mul_overflow(n, unit, &n) || __builtin_add_overflow(total, n, &total))
                        return -ERANGE;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

static int from_tm(struct tm *tm, bool utc, uint64_t *ret) {
        struct tm want = *tm;
        time_t t;

        tm->tm_isdst = -1;
        t = utc ? timegm(tm) : mktime(tm);
        /* mktime() normalises 2026-02-31 into March: refuse it instead */
        if (t == (time_t) -1 || t < 0 || tm->tm_mday != want.tm_mday || tm->tm_mon != want.tm_mon ||
            tm->tm_year != want.tm_year || tm->tm_hour != want.tm_hour || tm->tm_min != want.tm_min)
                return -EINVAL;
        *ret = (uint64_t) t * USEC_PER_SEC;
        return 0;
}

static int midnight(uint64_t now_usec, int days, uint64_t *ret) {
        time_t t = (time_t) (now_usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return -EINVAL;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday += days;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = (uint64_t) t * USEC_PER_SEC;
        return 0;
}

/* "YYYY-MM-DD[ HH:MM[:SS]]" or "HH:MM[:SS]", all of s. */
static int parse_absolute(const char *s, uint64_t now_usec, uint64_t *ret) {
        char buf[64];
        size_t len = strlen(s);
        bool utc = false;
        struct tm tm = {};
        int n = -1, y, mo, d, h, mi, sec = 0;

        if (len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len + 1);
        if (len > 4 && strcmp(buf + len - 4, " UTC") == 0) {
                buf[len - 4] = 0;
                utc = true;
        }

        if (sscanf(buf, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
                tm.tm_year = y - 1900;
                tm.tm_mon = mo - 1;
                tm.tm_mday = d;
                if (buf[n] == 0)
                        return from_tm(&tm, utc, ret);
                if (buf[n] != ' ' && buf[n] != 'T')
                        return -EINVAL;
                memmove(buf, buf + n + 1, strlen(buf + n + 1) + 1);
        } else {
                time_t t = (time_t) (now_usec / USEC_PER_SEC);

                if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)))
                        return -EINVAL;
        }

        n = -1;
        if (sscanf(buf, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
                return -EINVAL;
        if (buf[n] == ':') {
                int m = -1;

                if (sscanf(buf + n, ":%2d%n", &sec, &m) != 1 || m != 3)
                        return -EINVAL;
                n += m;
        }
        if (buf[n] != 0 || h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0)
                return -EINVAL;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        return from_tm(&tm, utc, ret);
}

int report_parse_time(const char *s, uint64_t now_usec, uint64_t *ret) {
        size_t len = strlen(s);
        uint64_t span;
        int r;

        if (streq(s, "now")) {
                *ret = now_usec;
                return 0;
        }
        if (streq(s, "today"))
                return midnight(now_usec, 0, ret);
        if (streq(s, "yesterday"))
                return midnight(now_usec, -1, ret);
        if (streq(s, "tomorrow"))
                return midnight(now_usec, 1, ret);
        if (s[0] == '@') {
                uint64_t sec;

                r = report_parse_count(s + 1, len - 1, &sec);
                if (r < 0)
                        return r;
                if (__builtin_mul_overflow(sec, USEC_PER_SEC, ret))
                        return -ERANGE;
                return 0;
        }
        if (s[0] == '-' || s[0] == '+') {
                r = parse_timespan(s + 1, &span);
                if (r < 0)
                        return r;
                if (s[0] == '+')
                        return __builtin_add_overflow(now_usec, span, ret) ? -ERANGE : 0;
                *ret = span > now_usec ? 0 : now_usec - span;
                return 0;
        }
        if (len > 4 && strcmp(s + len - 4, " ago") == 0) {
                char buf[64];

                if (len - 4 >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, s, len - 4);
                buf[len - 4] = 0;
                r = parse_timespan(buf, &span);
                if (r < 0)
                        return r;
                *ret = span > now_usec ? 0 : now_usec - span;
                return 0;
        }
        return parse_absolute(s, now_usec, ret);
}

const char *report_time_key(struct report_time_bucket *b, uint64_t usec, enum report_by by, size_t *ret_len) {
        time_t t = (time_t) (usec / USEC_PER_SEC), start, end;
        struct tm tm;

        if (b->end != 0 && usec >= b->start && usec < b->end) {
                *ret_len = b->len;
                return b->key;
        }
        if (!localtime_r(&t, &tm)) {
                *ret_len = 0;
                return "";
        }
        b->len = strftime(b->key, sizeof(b->key), by == REPORT_BY_DAY ? "%Y-%m-%d" : "%Y-%m-%d %H:00", &tm);
        tm.tm_min = tm.tm_sec = 0;
        if (by == REPORT_BY_DAY)
                tm.tm_hour = 0;
        tm.tm_isdst = -1;
        start = mktime(&tm);
        if (by == REPORT_BY_DAY)
                tm.tm_mday++;
        else
                tm.tm_hour++;
        tm.tm_isdst = -1;
        end = mktime(&tm);
        /* An hour that a clock change makes odd is simply not cached. */
        if (start == (time_t) -1 || end == (time_t) -1 || start < 0 || end <= start) {
                b->start = b->end = 0;
        } else {
                b->start = (uint64_t) start * USEC_PER_SEC;
                b->end = (uint64_t) end * USEC_PER_SEC;
        }
        *ret_len = b->len;
        return b->key;
}
