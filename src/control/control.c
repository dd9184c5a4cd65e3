/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <libgen.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "control.h"

struct control_client {
        struct control *control;
        unsigned slot;
        int fd;
        sd_event_source *io, *timer;
        size_t in_len;
        char in[CONTROL_REQUEST_MAX];
        char *out;
        size_t out_len, out_off;
        bool draining; /* reply sent, reading to the peer's end */
};

static void client_free(struct control_client *cl) {
        if (!cl)
                return;
        cl->control->clients[cl->slot] = NULL;
        cl->control->n_clients--;
        sd_event_source_disable_unref(cl->io);
        sd_event_source_disable_unref(cl->timer);
        if (cl->fd >= 0)
                close(cl->fd);
        free(cl->out);
        free(cl);
}

/* Write what the socket takes; 1 when all is written, 0 for more later. */
static int client_flush(struct control_client *cl) {
        while (cl->out_off < cl->out_len) {
                ssize_t k = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                cl->out_off += (size_t) k;
        }
        return 1;
}

/* The reply is out. Closing a Unix socket with unread input resets the
 * connection, and the peer may lose the reply; so when input is left,
 * half-close and read it away until the peer closes (or the deadline). */
static void client_done(struct control_client *cl) {
        char c;

        cl->control->n_served++;
        if (recv(cl->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0 &&
            shutdown(cl->fd, SHUT_WR) >= 0 &&
            sd_event_source_set_io_events(cl->io, EPOLLIN) >= 0) {
                cl->draining = true;
                return;
        }
        client_free(cl);
}

static void client_drain(struct control_client *cl) {
        char buf[4096];

        for (unsigned i = 0; i < 16; i++) {
                ssize_t k = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (k > 0)
                        continue;
                if (k < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                break;
        }
        client_free(cl);
}

static void client_reply(struct control_client *cl, const char *req, size_t len) {
        struct control *c = cl->control;
        struct control_request r;
        char err[CONTROL_ERROR_MAX];
        int k;

        if (control_request_parse(req, len, &r, err, sizeof(err)) < 0) {
                c->n_bad_requests++;
                k = control_reply_error(err, &cl->out, &cl->out_len);
        } else {
                uint64_t now = 0;

                (void) sd_event_now(c->event, CLOCK_MONOTONIC, &now);
                stats_refresh(c->stats);
                k = control_reply(c->stats, &r, now, &cl->out, &cl->out_len);
                if (k >= 0 && cl->out_len > CONTROL_REPLY_MAX) {
                        free(cl->out);
                        cl->out = NULL;
                        k = control_reply_error("reply too large; ask for one service or product",
                                                &cl->out, &cl->out_len);
                }
        }
        if (k < 0) {
                /* Out of memory: a fixed reply that needs none. */
                static const char oom[] = "{\"error\":\"out of memory\"}\n";

                free(cl->out);
                cl->out = strdup(oom);
                cl->out_len = cl->out ? sizeof(oom) - 1 : 0;
        }
        cl->out_off = 0;
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct control_client *cl = userdata;
        char *nl;
        int r;

        if (cl->draining) {
                client_drain(cl);
                return 0;
        }
        if (cl->out) {
                /* Writing the reply. */
                r = client_flush(cl);
                if (r > 0)
                        client_done(cl);
                else if (r < 0)
                        client_free(cl);
                return 0;
        }

        if (revents & EPOLLIN) {
                ssize_t k;

                k = recv(fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        client_free(cl);
                        return 0;
                }
                if (k == 0) {
                        /* The peer closed its side: what came so far is the request. */
                        if (cl->in_len == 0) {
                                client_free(cl);
                                return 0;
                        }
                        client_reply(cl, cl->in, cl->in_len);
                } else {
                        nl = memchr(cl->in + cl->in_len, '\n', (size_t) k);
                        cl->in_len += (size_t) k;
                        if (nl)
                                client_reply(cl, cl->in, (size_t) (nl - cl->in));
                        else if (cl->in_len >= sizeof(cl->in)) {
                                char msg[64];

                                cl->control->n_bad_requests++;
                                snprintf(msg, sizeof(msg), "request longer than %d bytes",
                                         CONTROL_REQUEST_MAX);
                                if (control_reply_error(msg, &cl->out, &cl->out_len) < 0) {
                                        client_free(cl);
                                        return 0;
                                }
                        } else
                                return 0;
                }
        } else if (revents & (EPOLLHUP | EPOLLERR)) {
                client_free(cl);
                return 0;
        }

        if (!cl->out)
                return 0;
        r = client_flush(cl);
        if (r > 0) {
                client_done(cl);
                return 0;
        }
        if (r < 0) {
                client_free(cl);
                return 0;
        }
        /* The rest when the peer reads. */
        if (sd_event_source_set_io_events(cl->io, EPOLLOUT) < 0)
                client_free(cl);
        return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct control_client *cl = userdata;

        cl->control->n_timed_out++;
        client_free(cl);
        return 0;
}

static void refuse(struct control *c, int fd) {
        static const char msg[] = "{\"error\":\"too many clients, try again\"}\n";

        c->n_refused++;
        (void) send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        close(fd);
}

static int client_new(struct control *c, int fd) {
        struct control_client *cl;
        uint64_t now;
        unsigned slot;
        int r;

        for (slot = 0; slot < CONTROL_CLIENTS_MAX; slot++)
                if (!c->clients[slot])
                        break;
        if (slot >= CONTROL_CLIENTS_MAX) {
                refuse(c, fd);
                return 0;
        }

        cl = calloc(1, sizeof(*cl));
        if (!cl) {
                close(fd);
                return -ENOMEM;
        }
        cl->control = c;
        cl->slot = slot;
        cl->fd = fd;
        c->clients[slot] = cl;
        c->n_clients++;

        r = sd_event_add_io(c->event, &cl->io, fd, EPOLLIN, on_client, cl);
        if (r < 0)
                goto fail;
        r = sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                goto fail;
        r = sd_event_add_time(c->event, &cl->timer, CLOCK_MONOTONIC, now + c->timeout_usec, 0,
                              on_client_timeout, cl);
        if (r < 0)
                goto fail;
        return 0;

fail:
        client_free(cl);
        return r;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct control *c = userdata;

        /* A bounded batch per wakeup, so a flood cannot starve the netlink sockets. */
        for (unsigned i = 0; i < 2 * CONTROL_CLIENTS_MAX; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (cfd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        /* EAGAIN: done. EMFILE and the like: the next wakeup retries. */
                        break;
                }
                (void) client_new(c, cfd);
        }
        return 0;
}

static int prepare_path(const char *path, const struct sockaddr_un *sa, socklen_t salen) {
        _cleanup_free_ char *dir = NULL;
        struct stat st;

        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST)
                return -errno;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;

        /* A socket is there: another daemon, or one left behind. */
        {
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (fd < 0)
                        return -errno;
                if (connect(fd, (const struct sockaddr *) sa, salen) == 0)
                        return -EADDRINUSE;
        }
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static int lookup_group(const char *name, gid_t *ret) {
        /* A group with many members needs a larger buffer: grow it, bounded. */
        for (size_t size = 4096; size <= 1024 * 1024; size *= 4) {
                _cleanup_free_ char *buf = malloc(size);
                struct group grp, *result = NULL;
                int r;

                if (!buf)
                        return -ENOMEM;
                r = getgrnam_r(name, &grp, buf, size, &result);
                if (r == ERANGE)
                        continue;
                if (r != 0)
                        return -r;
                if (!result)
                        return -ENOENT;
                *ret = result->gr_gid;
                return 0;
        }
        return -E2BIG;
}

int control_new(struct control **ret, sd_event *e, struct stats *s, const char *path) {
        _cleanup_(control_freep) struct control *c = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t salen;
        mode_t old_umask;
        int r;

        if (!ret || !e || !s)
                return -EINVAL;
        if (!path)
                path = CONTROL_SOCKET_DEFAULT;
        if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, strlen(path));
        salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = -EBADF;
        c->event = sd_event_ref(e);
        c->stats = s;
        c->timeout_usec = CONTROL_TIMEOUT_USEC;

        r = prepare_path(path, &sa, salen);
        if (r < 0)
                return r;

        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return -errno;
        /* Created without any access for others: the owner and root only,
         * until control_set_group opens it to a group. */
        old_umask = umask(0177);
        r = bind(c->fd, (struct sockaddr *) &sa, salen);
        umask(old_umask);
        if (r < 0)
                return -errno;
        c->path = strdup(path);
        if (!c->path)
                return -ENOMEM;
        if (listen(c->fd, SOMAXCONN) < 0)
                return -errno;

        r = sd_event_add_io(e, &c->io, c->fd, EPOLLIN, on_listen, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->io, "control");

        *ret = c;
        c = NULL;
        return 0;
}

int control_set_group(struct control *c, const char *group) {
        struct stat st;
        gid_t gid = (gid_t) -1;
        int r;

        if (!group || !*group)
                return -EINVAL;
        r = lookup_group(group, &gid);
        if (r < 0)
                return r;
        /* The group first, then the mode: never open to the wrong group. */
        if (chown(c->path, (uid_t) -1, gid) < 0 || chmod(c->path, 0660) < 0) {
                r = -errno;
                goto fail;
        }
        /* Some file systems accept either and ignore it. */
        if (lstat(c->path, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (!S_ISSOCK(st.st_mode) || st.st_gid != gid || (st.st_mode & 07777) != 0660) {
                r = -EIO;
                goto fail;
        }
        return 0;

fail:
        (void) chmod(c->path, 0600);
        return r;
}

struct control *control_free(struct control *c) {
        if (!c)
                return NULL;
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++)
                client_free(c->clients[i]);
        sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        if (c->path)
                (void) unlink(c->path);
        free(c->path);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

void control_set_timeout(struct control *c, uint64_t usec) {
        c->timeout_usec = usec;
}
