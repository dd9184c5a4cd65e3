/* SPDX-License-Identifier: MIT */

/*
 * The short name of a catalogue entry's protocol column, for one-line
 * messages: "Real-Time Transport Protocol (RTP), Real-Time Control Protocol
 * (RTCP)" is "RTP/RTCP", "File Transfer Protocol (FTP) data" is "FTP data".
 * Every protocol the column lists is named: the port is for all of them.
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"

/* The item s[0..len) shortened into buf: the abbreviation in its first
 * parentheses when it is one (a single word starting like the name), with
 * what follows the parentheses; the whole item otherwise. */
static size_t short_item(const char *s, size_t len, char *buf, size_t size) {
        const char *open = memchr(s, '(', len), *close, *end = s + len;
        size_t word;

        if (open && open > s && (close = memchr(open, ')', (size_t) (end - open)))) {
                word = strcspn(open + 1, ",)");
                if (word > 0 && !memchr(open + 1, ' ', word) &&
                    tolower((unsigned char) open[1]) == tolower((unsigned char) s[0]))
                        return (size_t) snprintf(buf, size, "%.*s%.*s", (int) word, open + 1,
                                                 (int) (end - close - 1), close + 1);
        }
        return (size_t) snprintf(buf, size, "%.*s", (int) len, s);
}

size_t catalog_protocol_short(const char *protocol, char *buf, size_t size) {
        size_t n = 0;
        int depth = 0;
        const char *item = protocol;

        if (size == 0)
                return 0;
        buf[0] = '\0';
        if (strcmp(protocol, "-") == 0) /* none, as the file writes it */
                return 0;
        for (const char *p = protocol;; p++) {
                if (*p == '(')
                        depth++;
                else if (*p == ')' && depth > 0)
                        depth--;
                if (*p != '\0' && !(*p == ',' && depth == 0))
                        continue;
                /* One item, without the spaces around it. */
                while (*item == ' ')
                        item++;
                if (p > item && n + 1 < size) {
                        if (n > 0)
                                buf[n++] = '/';
                        n += short_item(item, (size_t) (p - item), buf + n, size - n);
                        n = n < size ? n : size - 1;
                }
                if (*p == '\0')
                        break;
                item = p + 1;
        }
        return n;
}
