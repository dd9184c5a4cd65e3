/* SPDX-License-Identifier: MIT */
#pragma once

/* Small string helpers for the strict loaders. */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

/* s[0..len) equals the NUL-terminated lit. */
static inline bool memeq_str(const char *s, size_t len, const char *lit) {
        return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* The same, ASCII case-insensitive. */
static inline bool memcaseeq_str(const char *s, size_t len, const char *lit) {
        return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* Drops leading and trailing spaces and tabs from s[0..*len). */
static inline void trim(const char **s, size_t *len) {
        while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
                (*s)++;
                (*len)--;
        }
        while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
                (*len)--;
}

/* Writes the message to err (when err and errlen are set) and returns r:
 * return errorf(-EINVAL, err, errlen, "%s:%u: bad port", path, line); */
int errorf(int r, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Well-formed UTF-8: no overlong forms, no surrogates, at most U+10FFFF. */
bool utf8_valid(const char *s, size_t len);

/* Reads a regular file of at most max bytes into a new NUL-terminated buffer.
 * -EFBIG when larger, -EINVAL when not a regular file, other -errno. */
int read_small_file(const char *path, size_t max, char **ret, size_t *ret_len);
