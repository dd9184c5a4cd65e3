/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "catalog.h"
#include "corpus.h"
#include "tagger.h"

static bool parse_addr(const char *s, size_t len, struct corpus_endpoint *ret) {
        char buf[64];

        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = 0;
        ret->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
        return inet_pton(ret->family, buf, ret->addr) == 1;
}

/* ADDRESS:PORT or [ADDRESS]:PORT; PORT may be iphone or linux (a range). */
static bool parse_endpoint(const char *s, struct corpus_endpoint *ret) {
        const char *colon;
        char *end;
        long v;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':' || !parse_addr(s + 1, (size_t) (close - s - 1), ret))
                        return false;
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon || !parse_addr(s, (size_t) (colon - s), ret))
                        return false;
        }
        if (strcmp(colon + 1, "iphone") == 0) {
                ret->port = TAGGER_EPHEMERAL_IANA_LO;
                ret->port_last = TAGGER_EPHEMERAL_IANA_HI;
                return true;
        }
        if (strcmp(colon + 1, "linux") == 0) {
                ret->port = TAGGER_EPHEMERAL_LINUX_LO;
                ret->port_last = TAGGER_EPHEMERAL_LINUX_HI;
                return true;
        }
        v = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || v < 1 || v > 65535)
                return false;
        ret->port = ret->port_last = (uint16_t) v;
        return true;
}

static void copy(char *dst, size_t size, const char *src, const char *path, unsigned line) {
        if (strlen(src) >= size)
                fail_msg("%s:%u: '%s' too long", path, line, src);
        strcpy(dst, src);
}

void corpus_load(const char *path, struct corpus *c) {
        FILE *f = fopen(path, "re");
        char line[512];
        unsigned n = 0;

        if (!f)
                fail_msg("%s: cannot open", path);
        memset(c, 0, sizeof(*c));
        while (fgets(line, sizeof(line), f)) {
                char *tok[8], *save = NULL, *p = line;
                struct corpus_row *r;
                unsigned k = 0;

                n++;
                line[strcspn(line, "\n")] = 0;
                if (line[0] == '#' || line[strspn(line, " \t")] == 0)
                        continue;
                if (strncmp(line, "@router", 7) == 0) {
                        for (char *w = strtok_r(line + 7, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                                if (c->n_router >= CORPUS_ROUTER_MAX ||
                                    !parse_addr(w, strlen(w), &c->router[c->n_router]))
                                        fail_msg("%s:%u: bad router address '%s'", path, n, w);
                                c->n_router++;
                        }
                        continue;
                }
                for (; k < 7 && (tok[k] = strtok_r(p, " \t", &save)); k++)
                        p = NULL;
                tok[7] = strtok_r(NULL, "", &save);
                if (k < 7 || c->n_rows >= CORPUS_ROWS_MAX)
                        fail_msg("%s:%u: a row has 7 columns and a reason", path, n);
                r = &c->rows[c->n_rows++];
                r->line = n;
                if (strcmp(tok[0], "tcp") == 0)
                        r->transport = TRANSPORT_TCP;
                else if (strcmp(tok[0], "udp") == 0)
                        r->transport = TRANSPORT_UDP;
                else
                        fail_msg("%s:%u: transport '%s'", path, n, tok[0]);
                if (!parse_endpoint(tok[1], &r->src) || !parse_endpoint(tok[2], &r->dst) ||
                    r->dst.port != r->dst.port_last || r->src.family != r->dst.family)
                        fail_msg("%s:%u: bad source or destination", path, n);
                if (strcmp(tok[3], "-") != 0) {
                        if (!parse_endpoint(tok[3], &r->dnat) || r->dnat.family != r->src.family)
                                fail_msg("%s:%u: bad DNAT target", path, n);
                        r->has_dnat = true;
                }
                copy(r->service, sizeof(r->service), tok[4], path, n);
                copy(r->side, sizeof(r->side), tok[5], path, n);
                copy(r->confidence, sizeof(r->confidence), tok[6], path, n);
                snprintf(r->why, sizeof(r->why), "%s", tok[7] ? tok[7] + strspn(tok[7], " \t") : "");
        }
        fclose(f);
        if (c->n_rows < 40)
                fail_msg("%s: %u rows, the corpus has at least 40", path, c->n_rows);
}
