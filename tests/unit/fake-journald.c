/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-journald.h"

void fake_journald_init(struct fake_journald *j) {
        strcpy(j->dir, "/tmp/fake-journald.XXXXXX");
        assert_non_null(mkdtemp(j->dir));
        snprintf(j->path, sizeof(j->path), "%s/socket", j->dir);
        j->fd = -1;
}

void fake_journald_bind(struct fake_journald *j) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        strcpy(sa.sun_path, j->path);
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(j->fd >= 0);
        assert_int_equal(bind(j->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
}

void fake_journald_close(struct fake_journald *j) {
        if (j->fd >= 0)
                close(j->fd);
        j->fd = -1;
}

long fake_journald_recv(struct fake_journald *j, char *buf, size_t size) {
        ssize_t n = recv(j->fd, buf, size - 1, 0);

        if (n < 0) {
                assert_int_equal(errno, EAGAIN);
                return -1;
        }
        buf[n] = '\0';
        return (long) n;
}

char *fake_journald_recv_field(struct fake_journald *j, const char *name, char *value, size_t size) {
        char buf[16384], *p, *line;
        size_t len = strlen(name);

        if (fake_journald_recv(j, buf, sizeof(buf)) < 0)
                return NULL;
        value[0] = '\0';
        for (p = buf; (line = strsep(&p, "\n"));)
                if (strncmp(line, name, len) == 0 && line[len] == '=') {
                        snprintf(value, size, "%s", line + len + 1);
                        break;
                }
        return value;
}

void fake_journald_done(struct fake_journald *j) {
        fake_journald_close(j);
        unlink(j->path);
        rmdir(j->dir);
}
