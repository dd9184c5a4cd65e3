/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "batch-io.h"

struct batch_io {
        sd_event_source *io;    /* on while idle */
        sd_event_source *timer; /* armed while busy */
        batch_io_read_t read;
        void *userdata;
};

static void after_read(struct batch_io *b, int r) {
        if (r < 0) {
                (void) sd_event_source_set_enabled(b->io, SD_EVENT_OFF);
                (void) sd_event_source_set_enabled(b->timer, SD_EVENT_OFF);
        } else if (r > 0) {
                /* Busy: more will come; let it gather in the socket, unless the
                 * read stopped short of the end (a burst): then go on at once,
                 * after whatever else is waiting in the loop. */
                struct pollfd p = { .fd = sd_event_source_get_io_fd(b->io), .events = POLLIN };
                uint64_t delay = poll(&p, 1, 0) > 0 ? 0 : BATCH_IO_INTERVAL_USEC;

                (void) sd_event_source_set_enabled(b->io, SD_EVENT_OFF);
                if (sd_event_source_set_time_relative(b->timer, delay) < 0 ||
                    sd_event_source_set_enabled(b->timer, SD_EVENT_ONESHOT) < 0)
                        (void) sd_event_source_set_enabled(b->io, SD_EVENT_ON);
        } else {
                /* Nothing came in an interval: wait for the socket again. */
                (void) sd_event_source_set_enabled(b->timer, SD_EVENT_OFF);
                (void) sd_event_source_set_enabled(b->io, SD_EVENT_ON);
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct batch_io *b = userdata;

        after_read(b, b->read(b->userdata));
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct batch_io *b = userdata;

        after_read(b, b->read(b->userdata));
        return 0;
}

int batch_io_new(struct batch_io **ret, sd_event *event, int fd, batch_io_read_t read, void *userdata) {
        _cleanup_(batch_io_freep) struct batch_io *b = NULL;
        int r;

        if (!ret || !event || fd < 0 || !read)
                return -EINVAL;
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->read = read;
        b->userdata = userdata;

        r = sd_event_add_io(event, &b->io, fd, EPOLLIN, on_io, b);
        if (r < 0)
                return r;
        /* Accuracy 1 µs: the default (250 ms) would let the socket overflow. */
        r = sd_event_add_time_relative(event, &b->timer, CLOCK_MONOTONIC, BATCH_IO_INTERVAL_USEC, 1,
                                       on_timer, b);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(b->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;

        *ret = b;
        b = NULL;
        return 0;
}

struct batch_io *batch_io_free(struct batch_io *b) {
        if (!b)
                return NULL;
        sd_event_source_disable_unref(b->io);
        sd_event_source_disable_unref(b->timer);
        free(b);
        return NULL;
}
