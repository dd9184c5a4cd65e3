/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "config-check.h"

struct report {
        const struct config *config;
        const char *name; /* the configuration file, for every line */
        char *out;
        size_t size, len;
        unsigned n;
};

/* "FILE:LINE: key value: reason"; the key is the format's first word. */
_printf_(2, 3) static void problem(struct report *r, const char *fmt, ...) {
        char key[CONFIG_ERROR_MAX] = "";
        unsigned line;
        va_list ap;
        int k;

        r->n++;
        if (r->len >= r->size)
                return;
        va_start(ap, fmt);
        vsnprintf(key, sizeof(key), fmt, ap);
        va_end(ap);
        key[strcspn(key, " ")] = '\0';
        line = config_key_line(r->config, key);
        if (line > 0)
                k = snprintf(r->out + r->len, r->size - r->len, "%s:%u: ", r->name, line);
        else
                k = snprintf(r->out + r->len, r->size - r->len, "%s: ", r->name);
        if (k > 0)
                r->len = MIN(r->len + (size_t) k, r->size - 1);
        va_start(ap, fmt);
        k = vsnprintf(r->out + r->len, r->size - r->len, fmt, ap);
        va_end(ap);
        if (k > 0)
                r->len = MIN(r->len + (size_t) k, r->size - 1);
        if (r->len + 1 < r->size) {
                r->out[r->len++] = '\n';
                r->out[r->len] = '\0';
        }
}

/* The directory a file goes to must exist and take new files. */
static void check_directory_of(struct report *r, const char *key, const char *path) {
        char copy[PATH_MAX];
        struct stat st;
        const char *dir;

        snprintf(copy, sizeof(copy), "%s", path);
        dir = dirname(copy);
        if (stat(dir, &st) < 0)
                problem(r, "%s %s: directory %s: %s; create it, or choose another path", key, path, dir,
                        strerror(errno));
        else if (!S_ISDIR(st.st_mode))
                problem(r, "%s %s: %s is not a directory", key, path, dir);
        else if (access(dir, W_OK | X_OK) < 0)
                problem(r, "%s %s: directory %s: %s (for uid %u)", key, path, dir, strerror(errno),
                        (unsigned) geteuid());
}

/* A directory the daemon creates when missing (one level, not its parents). */
static void check_creatable(struct report *r, const char *key, const char *value, const char *dir) {
        struct stat st;

        if (stat(dir, &st) < 0) {
                if (errno == ENOENT)
                        check_directory_of(r, key, dir);
                else
                        problem(r, "%s %s: %s: %s", key, value, dir, strerror(errno));
        } else if (!S_ISDIR(st.st_mode))
                problem(r, "%s %s: %s is not a directory", key, value, dir);
}

static void check_user(struct report *r, const char *user) {
        uid_t uid;
        gid_t gid;
        int k = caps_lookup_user(user, &uid, &gid);

        if (k == -ESRCH)
                problem(r, "user %s: no such user; create it (useradd --system %s) or remove the key", user,
                        user);
        else if (k < 0)
                problem(r, "user %s: cannot look it up: %s", user, strerror(-k));
}

static void check_group(struct report *r, const char *group) {
        struct group gr, *result = NULL;
        char buf[4096];
        int k = getgrnam_r(group, &gr, buf, sizeof(buf), &result);

        if (k != 0)
                problem(r, "control_group %s: cannot look it up: %s", group, strerror(k));
        else if (!result)
                problem(r, "control_group %s: no such group; the control socket would stay root's "
                           "only (groupadd --system %s)",
                        group, group);
}

unsigned config_check_system(const struct config *c, char *out, size_t size) {
        struct report r = { .config = c, .name = c->source ?: "configuration", .out = out, .size = size };

        if (size > 0)
                out[0] = '\0';
        if (c->user)
                check_user(&r, c->user);
        if (c->control_group)
                check_group(&r, c->control_group);
        if (c->prometheus_file)
                check_directory_of(&r, "prometheus_file", c->prometheus_file);
        check_creatable(&r, "state_directory", c->state_directory, c->state_directory);
        if (c->control_socket) {
                char copy[PATH_MAX];

                snprintf(copy, sizeof(copy), "%s", c->control_socket);
                check_creatable(&r, "control_socket", c->control_socket, dirname(copy));
        }
        return r.n;
}
