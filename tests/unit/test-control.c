/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "control.h"

#define N_ENTRIES 4000 /* "all" then gives a reply larger than a socket buffer */

struct fixture {
        struct catalog catalog;
        struct catalog_entry entries[N_ENTRIES];
        struct catalog_product products[2];
        struct stats *stats;
        sd_event *event;
        struct control *control;
        char dir[64], path[96];
};

static struct fixture *fixture_new(const char *group) {
        struct fixture *x = calloc(1, sizeof(*x));

        assert_non_null(x);
        for (size_t i = 0; i < N_ENTRIES; i++) {
                snprintf(x->entries[i].id, sizeof(x->entries[i].id), "e%04zu", i);
                strcpy(x->entries[i].protocol, "Some protocol with a long name");
                x->entries[i].n_ports = 1;
                x->entries[i].ports[0] = (struct port_range) { (uint16_t) i, (uint16_t) i };
                x->entries[i].transports = TRANSPORT_TCP;
        }
        strcpy(x->entries[0].id, "apns");
        x->entries[0].products[0] = 1;
        x->entries[0].n_products = 1;
        strcpy(x->entries[1].id, "facetime");
        x->entries[1].products[0] = 0;
        x->entries[1].n_products = 1;
        strcpy(x->products[0].name, "FaceTime");
        strcpy(x->products[1].name, "APNs");
        x->catalog.entries = x->entries;
        x->catalog.n_entries = N_ENTRIES;
        x->catalog.products = x->products;
        x->catalog.n_products = 2;
        x->catalog.apple_other = N_ENTRIES - 1;
        strcpy(x->catalog.source, "test-catalogue");
        assert_int_equal(stats_new(&x->stats, &x->catalog), 0);
        x->stats->entries[0].total.connections = 42;
        x->stats->products[1].total.connections = 42;
        x->stats->entries[1].total.blocked = 3;
        x->stats->daemon.events_received[STATS_SOURCE_CONNTRACK] = 77;

        strcpy(x->dir, "/tmp/test-control-XXXXXX");
        assert_non_null(mkdtemp(x->dir));
        snprintf(x->path, sizeof(x->path), "%s/run/control", x->dir);
        assert_int_equal(sd_event_new(&x->event), 0);
        assert_int_equal(control_new(&x->control, x->event, x->stats, x->path), 0);
        if (group)
                assert_int_equal(control_set_group(x->control, group), 0);
        return x;
}

static void fixture_free(struct fixture *x) {
        char sub[128];

        control_free(x->control);
        /* The socket is gone with the server. */
        assert_int_equal(access(x->path, F_OK), -1);
        sd_event_unref(x->event);
        stats_free(x->stats);
        snprintf(sub, sizeof(sub), "%s/run", x->dir);
        rmdir(sub);
        rmdir(x->dir);
        free(x);
}

static int client(const struct fixture *x) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, x->path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

static void send_all(int fd, const char *buf, size_t len) {
        assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t) len);
}

/* Run the loop until the server closes fd; returns what it sent. */
static char *read_reply(struct fixture *x, int fd) {
        size_t len = 0, size = 1 << 16;
        char *buf = malloc(size);

        assert_non_null(buf);
        for (unsigned i = 0; i < 100000; i++) {
                ssize_t k;

                if (len + 1 >= size) {
                        size *= 2;
                        buf = realloc(buf, size);
                        assert_non_null(buf);
                }
                k = recv(fd, buf + len, size - len - 1, MSG_DONTWAIT);
                if (k == 0) {
                        buf[len] = 0;
                        close(fd);
                        return buf;
                }
                if (k > 0) {
                        len += (size_t) k;
                        continue;
                }
                assert_int_equal(errno, EAGAIN);
                assert_true(sd_event_run(x->event, 10000) >= 0);
        }
        fail_msg("no reply");
        return NULL;
}

/* Run the loop until the server has let go of every connection. */
static void settle(struct fixture *x) {
        for (unsigned i = 0; i < 100000 && x->control->n_clients > 0; i++)
                assert_true(sd_event_run(x->event, 10000) >= 0);
        assert_int_equal(x->control->n_clients, 0);
}

static json_object *ask(struct fixture *x, const char *request) {
        int fd = client(x);
        char *reply;
        json_object *o;

        send_all(fd, request, strlen(request));
        reply = read_reply(x, fd);
        o = json_tokener_parse(reply);
        if (!o)
                fail_msg("reply is not JSON: %s", reply);
        assert_int_equal(reply[strlen(reply) - 1], '\n');
        free(reply);
        return o;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        return json_object_get_string(v);
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

static void test_parse(void **state) {
        struct control_request r;
        char err[CONTROL_ERROR_MAX];
        static const char *const bad[] = {
                "",
                "hello",
                "{}",
                "[1]",
                "1",
                "\"stats\"",
                "null",
                "{\"command\":\"nope\"}",
                "{\"command\":1}",
                "{\"command\":null}",
                "{\"command\":\"stats\",\"x\":1}",
                "{\"command\":\"stats\"} trailing",
                "{\"command\":\"stats\"}{}",
                "{\"command\":\"stats\",\"service\":5}",
                "{\"command\":\"stats\",\"service\":\"\"}",
                "{\"command\":\"stats\",\"product\":\"\\u0000x\"}",
                "{\"command\":\"stats\",\"all\":\"yes\"}",
                "{\"command\":\"stats\",\"service\":{\"a\":{\"b\":1}}}",
                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]",
                "{\"command\":\"stats\"",
                "{\"command\":\"stats\",\"service\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                err[0] = 0;
                if (control_request_parse(bad[i], strlen(bad[i]), &r, err, sizeof(err)) != -EINVAL)
                        fail_msg("accepted: %s", bad[i]);
                assert_true(err[0] != 0);
        }
        assert_int_equal(control_request_parse("{\"command\":\"stats\"}\0", 20, &r, err, sizeof(err)), -EINVAL);

        assert_int_equal(control_request_parse("{\"command\":\"stats\"}", 19, &r, err, sizeof(err)), 0);
        assert_int_equal(r.command, CONTROL_COMMAND_STATS);
        assert_string_equal(r.service, "");
        assert_false(r.all);
        assert_int_equal(control_request_parse(" {\"all\":true,\"product\":\"FaceTime\",\"command\":\"stats\",\"service\":\"apns\"}\r\n",
                                               strlen(" {\"all\":true,\"product\":\"FaceTime\",\"command\":\"stats\",\"service\":\"apns\"}\r\n"),
                                               &r, err, sizeof(err)),
                         0);
        assert_string_equal(r.product, "FaceTime");
        assert_string_equal(r.service, "apns");
        assert_true(r.all);
        assert_int_equal(control_request_parse("{\"command\":\"ping\"}", 18, &r, err, sizeof(err)), 0);
        assert_int_equal(r.command, CONTROL_COMMAND_PING);
}

static void test_stats_reply(void **state) {
        struct fixture *x = fixture_new(NULL);
        json_object *o, *services, *products;
        struct stat st;

        /* Root only without a group. */
        assert_int_equal(stat(x->path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);

        o = ask(x, "{\"command\":\"stats\"}\n");
        assert_null(get_str(o, "error"));
        assert_string_equal(get_str(get(o, "catalog"), "source"), "test-catalogue");
        assert_int_equal(json_object_get_uint64(get(get(get(o, "daemon"), "events_received"), "conntrack")), 77);
        services = get(o, "services");
        assert_int_equal(json_object_array_length(services), 2); /* the active ones */
        assert_string_equal(get_str(json_object_array_get_idx(services, 0), "service"), "apns");
        assert_int_equal(json_object_get_uint64(get(json_object_array_get_idx(services, 0), "connections")), 42);
        assert_string_equal(get_str(json_object_array_get_idx(services, 0), "ports"), "0");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(
                                    get(json_object_array_get_idx(services, 0), "products"), 0)),
                            "APNs");
        assert_non_null(get(get(json_object_array_get_idx(services, 1), "connection_rate"), "15m"));
        products = get(o, "products");
        assert_int_equal(json_object_array_length(products), 1);
        assert_string_equal(get_str(json_object_array_get_idx(products, 0), "product"), "APNs");
        json_object_put(o);

        /* Filters; without a newline, ended by shutdown. */
        {
                int fd = client(x);
                char *reply;

                send_all(fd, "{\"command\":\"stats\",\"product\":\"facetime\"}", 40);
                shutdown(fd, SHUT_WR);
                reply = read_reply(x, fd);
                o = json_tokener_parse(reply);
                free(reply);
        }
        assert_non_null(o);
        assert_int_equal(json_object_array_length(get(o, "services")), 1);
        assert_string_equal(get_str(json_object_array_get_idx(get(o, "services"), 0), "service"), "facetime");
        assert_string_equal(get_str(json_object_array_get_idx(get(o, "products"), 0), "product"), "FaceTime");
        json_object_put(o);

        o = ask(x, "{\"command\":\"stats\",\"service\":\"e0100\"}\n");
        assert_int_equal(json_object_array_length(get(o, "services")), 1);
        json_object_put(o);

        o = ask(x, "{\"command\":\"stats\",\"service\":\"nope\"}\n");
        assert_string_equal(get_str(o, "error"), "unknown service \"nope\"");
        json_object_put(o);

        o = ask(x, "{\"command\":\"ping\"}\n");
        assert_true(json_object_get_boolean(get(o, "pong")));
        json_object_put(o);

        assert_int_equal(x->control->n_served, 5);
        assert_int_equal(x->control->n_clients, 0);
        fixture_free(x);
}

static void test_malformed(void **state) {
        struct fixture *x = fixture_new(NULL);
        static const char *const bad[] = {
                "hello\n",
                "{}\n",
                "{\"command\":\"rm -rf\"}\n",
                "\n",
                "{\"command\":\"stats\"\0garbage\n",
                "\xff\xfe\n",
                "{\"command\":\"stats\",\"product\":\"Nope\"}\n",
        };
        static const size_t lens[] = { 6, 3, 21, 1, 28, 3, 38 };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int fd = client(x);
                char *reply;
                json_object *o;

                send_all(fd, bad[i], lens[i]);
                reply = read_reply(x, fd);
                o = json_tokener_parse(reply);
                if (!o || !get_str(o, "error"))
                        fail_msg("request %zu: reply %s", i, reply);
                json_object_put(o);
                free(reply);
        }
        assert_int_equal(x->control->n_bad_requests, ELEMENTSOF(bad) - 1);
        fixture_free(x);
}

static void test_oversized(void **state) {
        struct fixture *x = fixture_new(NULL);
        char big[CONTROL_REQUEST_MAX + 100];
        int fd = client(x);
        char *reply;

        memset(big, ' ', sizeof(big));
        send_all(fd, big, sizeof(big));
        reply = read_reply(x, fd);
        assert_non_null(strstr(reply, "\"error\":\"request longer than 4096 bytes\""));
        free(reply);
        settle(x);
        fixture_free(x);
}

static void test_many_clients(void **state) {
        struct fixture *x = fixture_new(NULL);
        int fds[CONTROL_CLIENTS_MAX + 4];

        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                fds[i] = client(x);
        for (unsigned i = 0; i < 1000 && x->control->n_clients + x->control->n_refused < ELEMENTSOF(fds); i++)
                assert_true(sd_event_run(x->event, 10000) >= 0);
        assert_int_equal(x->control->n_clients, CONTROL_CLIENTS_MAX);
        assert_int_equal(x->control->n_refused, 4);

        /* The ones beyond the limit are told so and closed. */
        for (size_t i = CONTROL_CLIENTS_MAX; i < ELEMENTSOF(fds); i++) {
                char *reply = read_reply(x, fds[i]);

                assert_non_null(strstr(reply, "too many clients"));
                free(reply);
        }
        /* The others are all served. */
        for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
                send_all(fds[i], "{\"command\":\"stats\"}\n", 20);
        for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
                char *reply = read_reply(x, fds[i]);

                assert_non_null(strstr(reply, "\"services\""));
                free(reply);
        }
        assert_int_equal(x->control->n_served, CONTROL_CLIENTS_MAX);
        assert_int_equal(x->control->n_clients, 0);
        fixture_free(x);
}

/* A client that never sends and one that never reads a large reply are both
 * dropped at the deadline; the server stays usable. */
static void test_stuck_clients(void **state) {
        struct fixture *x = fixture_new(NULL);
        int silent, deaf;
        char c;
        json_object *o;

        control_set_timeout(x->control, 50000);
        silent = client(x);
        deaf = client(x);
        send_all(deaf, "{\"command\":\"stats\",\"all\":true}\n", 31);
        for (unsigned i = 0; i < 100000 && x->control->n_timed_out < 2; i++)
                assert_true(sd_event_run(x->event, 10000) >= 0);
        assert_int_equal(x->control->n_timed_out, 2);
        assert_int_equal(x->control->n_clients, 0);
        assert_int_equal(recv(silent, &c, 1, MSG_DONTWAIT), 0);
        close(silent);
        close(deaf);

        control_set_timeout(x->control, CONTROL_TIMEOUT_USEC);
        o = ask(x, "{\"command\":\"stats\",\"all\":true}\n");
        assert_int_equal(json_object_array_length(get(o, "services")), N_ENTRIES);
        json_object_put(o);
        fixture_free(x);
}

/* A client that asks for a reply larger than the socket buffers and does
 * not read it blocks no one: others are answered meanwhile. When it reads at
 * last, it gets the whole reply. */
static void test_deaf_client_blocks_no_one(void **state) {
        struct fixture *x = fixture_new(NULL);
        json_object *o;
        char *reply;
        int deaf, queued = 0;

        deaf = client(x);
        send_all(deaf, "{\"command\":\"stats\",\"all\":true}\n", 31);
        /* Until the server has filled the socket and waits for the reader. */
        for (unsigned i = 0; i < 100000 && queued == 0; i++) {
                assert_true(sd_event_run(x->event, 1000) >= 0);
                assert_int_equal(ioctl(deaf, FIONREAD, &queued), 0);
        }
        assert_true(queued > 0);
        assert_int_equal(x->control->n_served, 0);

        for (unsigned i = 0; i < 3; i++) {
                o = ask(x, "{\"command\":\"stats\"}\n");
                assert_int_equal(json_object_array_length(get(o, "services")), 2);
                json_object_put(o);
        }
        assert_int_equal(x->control->n_served, 3);
        assert_int_equal(x->control->n_clients, 1); /* still there, still waiting */

        reply = read_reply(x, deaf);
        o = json_tokener_parse(reply);
        assert_non_null(o);
        assert_int_equal(json_object_array_length(get(o, "services")), N_ENTRIES);
        assert_true(strlen(reply) > (size_t) queued);
        json_object_put(o);
        free(reply);
        settle(x);
        assert_int_equal(x->control->n_served, 4);
        assert_int_equal(x->control->n_timed_out, 0);
        fixture_free(x);
}

/* A request in single bytes, and one whose sender is gone before the reply. */
static void test_slow_and_vanishing_clients(void **state) {
        struct fixture *x = fixture_new(NULL);
        static const char req[] = "{\"command\":\"stats\",\"service\":\"apns\"}\n";
        json_object *o;
        char *reply;
        int fd;

        fd = client(x);
        for (size_t i = 0; i < sizeof(req) - 1; i++) {
                send_all(fd, req + i, 1);
                assert_true(sd_event_run(x->event, 0) >= 0);
        }
        reply = read_reply(x, fd);
        o = json_tokener_parse(reply);
        assert_non_null(o);
        assert_int_equal(json_object_get_uint64(get(json_object_array_get_idx(get(o, "services"), 0),
                                                    "connections")),
                         42);
        json_object_put(o);
        free(reply);

        /* Gone before the reply: no SIGPIPE, no leak, the next one is served. */
        for (unsigned i = 0; i < 50; i++) {
                fd = client(x);
                for (unsigned k = 0; k < 100000 && x->control->n_clients == 0; k++)
                        assert_true(sd_event_run(x->event, 1000) >= 0);
                send_all(fd, "{\"command\":\"stats\",\"all\":true}\n", 31);
                close(fd);
                settle(x);
        }
        o = ask(x, "{\"command\":\"ping\"}\n");
        assert_true(json_object_get_boolean(get(o, "pong")));
        json_object_put(o);
        assert_int_equal(x->control->n_clients, 0);
        fixture_free(x);
}

static void test_group_and_stale(void **state) {
        struct group *g = getgrgid(getgid());
        struct fixture *x;
        struct control *other = NULL;
        struct stat st;

        assert_non_null(g);
        x = fixture_new(g->gr_name);
        assert_int_equal(stat(x->path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0660);
        assert_int_equal(st.st_gid, getgid());

        /* An unknown group is refused and leaves the socket closed to others. */
        assert_int_equal(control_set_group(x->control, "no-such-group-appleflowd"), -ENOENT);
        assert_int_equal(control_set_group(x->control, ""), -EINVAL);

        /* A live daemon on the path is not replaced. */
        assert_int_equal(control_new(&other, x->event, x->stats, x->path), -EADDRINUSE);
        /* Relative and overlong paths are refused. */
        assert_int_equal(control_new(&other, x->event, x->stats, "run/control"), -EINVAL);

        /* A stale socket (no one listening) is replaced. */
        {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                char stale[128];
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);

                snprintf(stale, sizeof(stale), "%s/stale", x->dir);
                strcpy(sa.sun_path, stale);
                assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
                close(fd);
                assert_int_equal(control_new(&other, x->event, x->stats, stale), 0);
                assert_int_equal(stat(stale, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0600);
                control_free(other);
                other = NULL;

                /* Something that is not a socket is left alone. */
                fd = open(stale, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
                close(fd);
                assert_int_equal(control_new(&other, x->event, x->stats, stale), -EEXIST);
                unlink(stale);
        }
        fixture_free(x);
}

/* The first group the process is not in, or NULL. */
static const char *foreign_group(void) {
        static char name[256];
        gid_t groups[256];
        struct group *g;
        int n;

        n = getgroups(ELEMENTSOF(groups), groups);
        if (n < 0)
                return NULL;
        setgrent();
        while ((g = getgrent())) {
                bool member = g->gr_gid == getegid();

                for (int i = 0; i < n; i++)
                        member = member || groups[i] == g->gr_gid;
                if (!member && strlen(g->gr_name) < sizeof(name)) {
                        strcpy(name, g->gr_name);
                        break;
                }
        }
        endgrent();
        return g ? name : NULL;
}

/* As the service's DynamicUser: an unprivileged user that may not give its
 * files to a group it is not in gets -EPERM, and the socket stays 0600. Run
 * in a child, which drops to nobody when the test runs as root. */
static void test_group_not_permitted(void **state) {
        int status;
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct control *c = NULL;
                struct stats *s = NULL;
                sd_event *e = NULL;
                char dir[] = "/tmp/test-control-XXXXXX", path[64];
                const char *group;
                struct stat st;
                struct catalog catalog = { .source = "test" };

                if (geteuid() == 0 &&
                    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                     setresuid(65534, 65534, 65534) < 0))
                        _exit(10);
                group = foreign_group();
                if (!group)
                        _exit(77);
                if (!mkdtemp(dir))
                        _exit(11);
                snprintf(path, sizeof(path), "%s/control", dir);
                if (stats_new(&s, &catalog) < 0 || sd_event_new(&e) < 0 ||
                    control_new(&c, e, s, path) < 0)
                        _exit(12);
                if (control_set_group(c, group) != -EPERM)
                        _exit(13);
                if (stat(path, &st) < 0 || (st.st_mode & 07777) != 0600)
                        _exit(14);
                control_free(c);
                rmdir(dir);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
                fprintf(stderr, "a member of every group\n");
                skip();
        }
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_stats_reply),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_many_clients),
                cmocka_unit_test(test_stuck_clients),
                cmocka_unit_test(test_deaf_client_blocks_no_one),
                cmocka_unit_test(test_slow_and_vanishing_clients),
                cmocka_unit_test(test_group_and_stale),
                cmocka_unit_test(test_group_not_permitted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
