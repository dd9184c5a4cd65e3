/* SPDX-License-Identifier: MIT */

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "journal-send.h"

int journal_socket_open(struct journal_socket *j, const char *path) {
        size_t n = strlen(path);
        int size = JOURNAL_SEND_BUFFER;

        *j = (struct journal_socket) { .fd = -1 };
        if (n == 0 || n >= sizeof(j->addr.sun_path))
                return -ENAMETOOLONG;
        j->addr.sun_family = AF_UNIX;
        memcpy(j->addr.sun_path, path, n);
        j->addr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);

        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (j->fd < 0)
                return -errno;
        /* Datagrams in journald's queue are charged to the sender: a small
         * send buffer would block long before journald's queue is full. */
        if (setsockopt(j->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(j->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        return 0;
}

void journal_socket_close(struct journal_socket *j) {
        closep(&j->fd);
        j->fd = -1;
}

int journal_socket_set_timeout(struct journal_socket *j, uint64_t usec) {
        struct timeval tv = { .tv_sec = (time_t) (usec / 1000000u), .tv_usec = (suseconds_t) (usec % 1000000u) };

        if (setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        return 0;
}

int journal_socket_send(struct journal_socket *j, const struct entry *e) {
        char *p = j->datagram, *end = j->datagram + sizeof(j->datagram);

        for (unsigned i = 0; i < e->n_fields && i < ENTRY_FIELDS_MAX; i++) {
                const char *f = entry_field_str(e, i);
                size_t len = entry_field_len(e, i), name = entry_field_name_len(e, i);

                if (name >= len)
                        return -EINVAL; /* no '=': cannot happen for a formatted entry */
                if ((size_t) (end - p) < len + 9)
                        return -EMSGSIZE; /* cannot happen either: see JOURNAL_DATAGRAM_MAX */
                if (memchr(f + name + 1, '\n', len - name - 1)) {
                        uint64_t len_le = htole64(len - name - 1);

                        p = mempcpy(p, f, name);
                        *p++ = '\n';
                        p = mempcpy(p, &len_le, sizeof(len_le));
                        p = mempcpy(p, f + name + 1, len - name - 1);
                } else
                        p = mempcpy(p, f, len);
                *p++ = '\n';
        }
        if (sendto(j->fd, j->datagram, (size_t) (p - j->datagram), MSG_NOSIGNAL,
                   (const struct sockaddr *) &j->addr, j->addr_len) < 0)
                return -errno;
        return 0;
}
