/* SPDX-License-Identifier: MIT */

/*
 * appleflowctl stats: ask the running daemon over its control socket for
 * the per-service counters and rates, and print them as a table sorted by
 * rate (busiest first) or as the daemon's JSON.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conntrack-quiet.h"
#include "output.h"
#include "verbs.h"
#include "watch.h"

#define STATS_SOCKET_DEFAULT "/run/appleflowd/control"
#define STATS_REPLY_MAX (16u * 1024 * 1024)
#define STATS_TIMEOUT_MS 5000

enum {
        ARG_WATCH = CTL_ARG_VERB,
        ARG_PRODUCT,
        ARG_SERVICE,
        ARG_SOCKET,
        ARG_ALL,
};

struct stats_args {
        const char *socket;
        const char *product;
        const char *service;
        bool watch;
        bool all;
        bool tty; /* stdout is a terminal: --watch redraws the screen */
};

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline; -ETIMEDOUT after it. */
static int wait_fd(int fd, short events, int64_t deadline) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int64_t left = deadline - now_ms();
                int r;

                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r > 0)
                        return 0;
        }
}

/* Why nothing answers, and what to do about it. */
static int connect_error(const char *socket) {
        int e = errno;

        if (e == ENOENT || e == ECONNREFUSED) {
                ctl_error("%s: %s: appleflowd is not running, or listens elsewhere (control_socket "
                          "in appleflowd.conf(5), --socket here)",
                          socket, strerror(e));
                return EXIT_STATUS_NOT_RUNNING;
        }
        if (e == EACCES || e == EPERM) {
                ctl_error("%s: %s: run as root or as a member of the daemon's control_group",
                          socket, strerror(e));
                return EXIT_STATUS_NO_PERMISSION;
        }
        return ctl_error("cannot reach the daemon at %s: %s", socket, strerror(e));
}

static char *request_text(const struct stats_args *a) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        const char *s;

        if (!o || json_add_string(o, "command", "stats") < 0 ||
            (a->product && json_add_string(o, "product", a->product) < 0) ||
            (a->service && json_add_string(o, "service", a->service) < 0) ||
            (a->all && json_add_bool(o, "all", true) < 0))
                return NULL;
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return NULL;
        char *t = malloc(strlen(s) + 2);
        if (t)
                sprintf(t, "%s\n", s);
        return t;
}

/* One request, one reply. Errors are printed; returns 0 or an exit status. */
static int query(const struct stats_args *a, struct json_object **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *req = NULL, *buf = NULL;
        size_t len = 0, size = 0, off = 0, req_len;
        int64_t deadline = now_ms() + STATS_TIMEOUT_MS;
        struct json_object *o;
        json_tokener *tok;
        int r;

        if (strlen(a->socket) >= sizeof(sa.sun_path))
                return ctl_error("%s: socket path too long", a->socket);
        strcpy(sa.sun_path, a->socket);

        req = request_text(a);
        if (!req)
                return ctl_error("out of memory");
        req_len = strlen(req);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return ctl_error("socket: %m");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return connect_error(a->socket);

        while (off < req_len) {
                ssize_t k = send(fd, req + off, req_len - off, MSG_NOSIGNAL);

                if (k < 0 && errno == EAGAIN)
                        r = wait_fd(fd, POLLOUT, deadline);
                else if (k < 0 && errno != EINTR)
                        r = -errno;
                else {
                        off += k > 0 ? (size_t) k : 0;
                        r = 0;
                }
                if (r < 0)
                        return ctl_error("%s: sending the request: %s", a->socket, strerror(-r));
        }

        for (;;) {
                ssize_t k;

                if (len + 4096 > size) {
                        char *n;

                        if (size >= STATS_REPLY_MAX)
                                return ctl_error("%s: reply larger than %u bytes", a->socket,
                                                 STATS_REPLY_MAX);
                        size = size ? size * 2 : 65536;
                        n = realloc(buf, size);
                        if (!n)
                                return ctl_error("out of memory");
                        buf = n;
                }
                k = recv(fd, buf + len, size - len - 1, 0);
                if (k > 0) {
                        len += (size_t) k;
                        continue;
                }
                if (k == 0)
                        break;
                if (errno == EINTR)
                        continue;
                /* A reset after the reply is the end of it, too. */
                if (errno == ECONNRESET && len > 0)
                        break;
                if (errno != EAGAIN)
                        return ctl_error("%s: reading the reply: %m", a->socket);
                r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return ctl_error("%s: no reply from the daemon: %s", a->socket, strerror(-r));
        }
        if (len == 0)
                return ctl_error("%s: the daemon closed the connection without a reply", a->socket);

        tok = json_tokener_new();
        if (!tok)
                return ctl_error("out of memory");
        o = json_tokener_parse_ex(tok, buf, (int) len);
        json_tokener_free(tok);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return ctl_error("%s: the reply is not a JSON object", a->socket);
        }
        *ret = o;
        return 0;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static uint64_t get_u64(json_object *o, const char *key) {
        json_object *v = get(o, key);

        return v ? json_object_get_uint64(v) : 0;
}

static double get_rate(json_object *o, const char *kind, const char *window) {
        json_object *v = get(get(o, kind), window);

        return v ? json_object_get_double(v) : 0;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v = get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* Busiest first: by the 1 minute rate, then 10 s, then 15 m, then the total. */
static int compare_rate(const void *pa, const void *pb) {
        json_object *a = *(json_object *const *) pa, *b = *(json_object *const *) pb;
        static const char *const order[] = { "1m", "10s", "5m", "15m" };

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                double x = get_rate(a, "connection_rate", order[i]);
                double y = get_rate(b, "connection_rate", order[i]);

                if (x != y)
                        return x < y ? 1 : -1;
        }
        if (get_u64(a, "connections") != get_u64(b, "connections"))
                return get_u64(a, "connections") < get_u64(b, "connections") ? 1 : -1;
        if (get_u64(a, "blocked_packets") != get_u64(b, "blocked_packets"))
                return get_u64(a, "blocked_packets") < get_u64(b, "blocked_packets") ? 1 : -1;
        return 0;
}

static char *format_bytes(uint64_t v, char *buf, size_t size) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double d = (double) v;
        size_t u = 0;

        if (v < 1024) {
                snprintf(buf, size, "%" PRIu64 " B", v);
                return buf;
        }
        while (d >= 1024 && u + 1 < ELEMENTSOF(units)) {
                d /= 1024;
                u++;
        }
        snprintf(buf, size, "%.1f %s", d, units[u]);
        return buf;
}

static void join_products(json_object *arr, char *buf, size_t size) {
        size_t off = 0, n = arr ? json_object_array_length(arr) : 0;

        buf[0] = 0;
        for (size_t i = 0; i < n; i++) {
                const char *p = json_object_get_string(json_object_array_get_idx(arr, i));
                int k = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", p ? p : "");

                if (k < 0 || (size_t) k >= size - off) {
                        /* Cut with an ellipsis rather than overflow. */
                        if (size > 4)
                                strcpy(buf + size - 4, "...");
                        return;
                }
                off += (size_t) k;
        }
        if (n == 0)
                snprintf(buf, size, "-");
}

/* Rows sorted by rate; kind is "services" or "products". */
static int print_rows(json_object *reply, const char *kind) {
        json_object *arr = get(reply, kind);
        size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
        _cleanup_free_ json_object **rows = NULL;
        bool services = strcmp(kind, "services") == 0;
        int name_w = services ? 7 : 7, products_w = 8;
        char products[160], bytes[32];

        if (n == 0)
                return 0;
        rows = calloc(n, sizeof(*rows));
        if (!rows)
                return -ENOMEM;
        size_t kept = 0;

        for (size_t k = 0; k < n; k++) {
                json_object *r = json_object_array_get_idx(arr, k);

                /* A product with nothing attributed has no row: what it was
                 * named for is in "Not attributed". */
                if (!services && get_u64(r, "connections") == 0 && get_u64(r, "blocked_packets") == 0 &&
                    get_u64(r, "bytes") == 0)
                        continue;
                rows[kept++] = r;
                name_w = MAX(name_w, (int) strlen(get_str(r, services ? "service" : "product")));
                if (services) {
                        join_products(get(r, "products"), products, 41);
                        products_w = MAX(products_w, (int) strlen(products));
                }
        }
        if (kept == 0)
                return 0;
        n = kept;
        qsort(rows, n, sizeof(*rows), compare_rate);

        if (services)
                printf("%-*s  %-*s", name_w, "SERVICE", products_w, "PRODUCTS");
        else
                printf("%-*s", name_w, "PRODUCT");
        printf("  %11s  %10s  %8s %8s %8s %8s  %9s  %10s\n", "CONNECTIONS", "UNANSWERED", "RATE/10S",
               "RATE/1M", "RATE/5M", "RATE/15M", "BLOCKED", "BYTES");
        for (size_t i = 0; i < n; i++) {
                json_object *r = rows[i];

                if (services) {
                        join_products(get(r, "products"), products, 41);
                        printf("%-*s  %-*s", name_w, get_str(r, "service"), products_w, products);
                } else
                        printf("%-*s", name_w, get_str(r, "product"));
                /* Three decimals: a service seen once a minute is 0.017/s. */
                printf("  %11" PRIu64 "  %10" PRIu64 "  %8.3f %8.3f %8.3f %8.3f  %9" PRIu64 "  %10s\n",
                       get_u64(r, "connections"), get_u64(r, "unanswered"),
                       get_rate(r, "connection_rate", "10s"), get_rate(r, "connection_rate", "1m"),
                       get_rate(r, "connection_rate", "5m"), get_rate(r, "connection_rate", "15m"),
                       get_u64(r, "blocked_packets"),
                       format_bytes(get_u64(r, "bytes"), bytes, sizeof(bytes)));
        }
        return 0;
}

/* The services' matches below the attribution confidence: counted as
 * themselves, not added to any product. */
static void print_not_attributed(json_object *reply) {
        json_object *arr = get(reply, "services");
        size_t n = arr ? json_object_array_length(arr) : 0;
        bool first = true;

        for (size_t i = 0; i < n; i++) {
                json_object *r = json_object_array_get_idx(arr, i);
                uint64_t k = get_u64(r, "not_attributed");

                if (k == 0)
                        continue;
                if (first)
                        printf("Not attributed:   below %s confidence, in no product:",
                               get_str(reply, "attribute_min_confidence"));
                printf("%s %s %" PRIu64, first ? "" : ",", get_str(r, "service"), k);
                first = false;
        }
        if (!first)
                putchar('\n');
}

/* The daemon has heard no conntrack event for a while: say why, as it does. */
static void print_idle_warning(json_object *reply) {
        json_object *d = get(reply, "daemon"), *table = get(d, "conntrack_table");
        uint64_t quiet = get_u64(d, "conntrack_quiet_sec");
        char advice[512];

        if (quiet == 0)
                return;
        conntrack_quiet_advice(quiet, table ? (int64_t) get_u64(table, "entries") : -1, advice,
                               sizeof(advice));
        printf("\nWarning: %s.\n", advice);
}

/* "icloud 3, software-update 2": the connections an Apple name tagged, as the daemon counted them. */
static void print_name_counts(const char *label, json_object *counts) {
        bool first = true;

        if (!counts || !json_object_is_type(counts, json_type_object))
                return;
        printf("%s", label);
        json_object_object_foreach(counts, key, value) {
                printf("%s%s %" PRIu64, first ? "" : ", ", key, (uint64_t) json_object_get_uint64(value));
                first = false;
        }
        printf("%s\n", first ? "none" : "");
}

static void print_dns(json_object *d) {
        json_object *dns = get(d, "dns"), *a = get(dns, "answers"), *t = get(dns, "table");

        if (!dns || !json_object_get_boolean(get(dns, "enabled")))
                return;
        printf("DNS answers:      %" PRIu64 " with an Apple name, %" PRIu64 " without (dropped), %" PRIu64
               " not answers, %" PRIu64 " malformed, %" PRIu64 " skipped, %" PRIu64 " lost\n",
               get_u64(a, "apple"), get_u64(a, "other"), get_u64(a, "not_answers"), get_u64(a, "malformed"),
               get_u64(a, "skipped"), get_u64(a, "lost"));
        printf("Apple names:      %" PRIu64 " of %" PRIu64 " (%" PRIu64 " KiB); %" PRIu64 " hits, %" PRIu64
               " misses, %" PRIu64 " evicted, %" PRIu64 " expired\n",
               get_u64(t, "names"), get_u64(t, "capacity"), get_u64(t, "bytes") / 1024, get_u64(t, "hits"),
               get_u64(t, "misses"), get_u64(t, "evicted"), get_u64(t, "expired"));
        print_name_counts("Named services:   ", get(dns, "services"));
        print_name_counts("Named suffixes:   ", get(dns, "suffixes"));
}

static void print_daemon(json_object *reply) {
        json_object *d = get(reply, "daemon");
        json_object *recv = get(d, "events_received"), *lost = get(d, "events_lost");
        /* Absent from a daemon older than this appleflowctl. */
        json_object *table = get(d, "conntrack_table");
        uint64_t up = get_u64(reply, "uptime_sec"), n;

        printf("Events received:  conntrack %" PRIu64 ", nflog %" PRIu64 "\n",
               get_u64(recv, "conntrack"), get_u64(recv, "nflog"));
        n = get_u64(lost, "nflog");
        printf("Kernel losses:    conntrack %" PRIu64 ", nflog %" PRIu64 " %s (receive buffer full)\n",
               get_u64(lost, "conntrack"), n, plural(n, "event", "events"));
        json_object *conn = get(d, "connections"), *by = get(d, "unmatched_by_transport");

        /* Absent from a daemon older than this appleflowctl. */
        if (conn)
                printf("Connections:      %" PRIu64 " seen = %" PRIu64 " tagged + %" PRIu64 " unmatched + %" PRIu64 " excluded (the router's own), since start\n",
                       get_u64(conn, "seen"), get_u64(conn, "tagged"), get_u64(conn, "unmatched"),
                       get_u64(conn, "excluded"));
        n = get_u64(d, "unmatched_connections");
        printf("Unmatched:        %" PRIu64 " %s", n, plural(n, "connection", "connections"));
        if (by)
                printf(" (tcp %" PRIu64 ", udp %" PRIu64 ")",
                       get_u64(get(by, "tcp"), "other") + get_u64(get(by, "tcp"), "apple_network"),
                       get_u64(get(by, "udp"), "other") + get_u64(get(by, "udp"), "apple_network"));
        n = get_u64(d, "unmatched_packets");
        printf(", %" PRIu64 " %s; ", n, plural(n, "packet", "packets"));
        printf("%" PRIu64 " below the logging threshold; %" PRIu64 " malformed\n",
               get_u64(d, "below_threshold"), get_u64(d, "malformed_packets"));
        if (table) {
                n = get_u64(table, "entries");
                printf("Conntrack table:  %" PRIu64, n);
                if (get_u64(table, "max") > 0)
                        printf(" of %" PRIu64, get_u64(table, "max"));
                printf(" %s; ", plural(get_u64(table, "max") ?: n, "entry", "entries"));
                n = get_u64(table, "refused");
                printf("%" PRIu64 " new %s refused because it was full\n", n,
                       plural(n, "connection", "connections"));
        }
        print_dns(d);
        /* "Entries": they go to the journal, the console or JSON (mode=). */
        n = get_u64(d, "write_errors");
        printf("Entries:          %" PRIu64 " written, %" PRIu64 " dropped, %" PRIu64 " %s\n",
               get_u64(d, "entries_written"), get_u64(d, "entries_dropped"), n,
               plural(n, "write error", "write errors"));
        n = get_u64(get(reply, "catalog"), "entries");
        printf("Daemon:           appleflowd %s, up %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
               ", catalogue %s (%" PRIu64 " %s)\n",
               get_str(reply, "version"), up / 86400, up / 3600 % 24, up / 60 % 60, up % 60,
               get_str(get(reply, "catalog"), "source"), n, plural(n, "entry", "entries"));
        print_idle_warning(reply);
}

/* One JSON document, or with --watch one line of it per frame. */
static int print_json_frame(const struct stats_args *a, json_object *reply) {
        int r = a->watch ? watch_json_line(reply, stdout) : json_print(reply, stdout);

        return r < 0 ? ctl_error("failed to print JSON: %s", strerror(-r)) : CTL_EXIT_OK;
}

static int show(struct ctl *ctl, const struct stats_args *a) {
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *err;
        int r;

        r = query(a, &reply);
        if (r != 0)
                return r;
        err = get(reply, "error");
        if (err) {
                /* An unknown --service or --product: the arguments were wrong. */
                ctl_error("the daemon refused the request: %s", json_object_get_string(err));
                return CTL_EXIT_USAGE;
        }

        if (ctl->json)
                return print_json_frame(a, reply);
        if (a->watch)
                watch_text_header(stdout, a->tty, 1);

        if (json_object_array_length(get(reply, "services")) == 0)
                printf("No connections counted yet.\n");
        else if (print_rows(reply, "services") < 0)
                return ctl_error("out of memory");
        if (json_object_array_length(get(reply, "products")) > 0) {
                putchar('\n');
                if (print_rows(reply, "products") < 0)
                        return ctl_error("out of memory");
        }
        putchar('\n');
        print_not_attributed(reply);
        print_daemon(reply);
        return CTL_EXIT_OK;
}

int verb_stats(struct ctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                CTL_OPTIONS_COMMON,
                { "watch", no_argument, NULL, ARG_WATCH },
                { "product", required_argument, NULL, ARG_PRODUCT },
                { "service", required_argument, NULL, ARG_SERVICE },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "all", no_argument, NULL, ARG_ALL },
                {}
        };
        struct stats_args a = { .socket = STATS_SOCKET_DEFAULT };
        int c, r;

        while ((c = getopt_long(argc, argv, CTL_SHORT_OPTIONS, options, NULL)) >= 0) {
                switch (c) {
                case ARG_WATCH:
                        a.watch = true;
                        break;
                case ARG_PRODUCT:
                        if (a.product)
                                return ctl_usage_error(ctl, "--product may be given once");
                        a.product = optarg;
                        break;
                case ARG_SERVICE:
                        if (a.service)
                                return ctl_usage_error(ctl, "--service may be given once");
                        a.service = optarg;
                        break;
                case ARG_SOCKET:
                        a.socket = optarg;
                        break;
                case ARG_ALL:
                        a.all = true;
                        break;
                default:
                        r = ctl_common_option(ctl, c, optarg);
                        if (r != CTL_CONTINUE)
                                return r;
                }
        }
        if (optind < argc)
                return ctl_usage_error(ctl, "unexpected argument '%s'", argv[optind]);

        a.tty = isatty(STDOUT_FILENO);
        for (;;) {
                r = show(ctl, &a);
                if (r != CTL_EXIT_OK || !a.watch)
                        return r;
                if (!ctl->json)
                        watch_text_separator(stdout, a.tty);
                if (fflush(stdout) != 0)
                        return ctl_error("failed to write the output");
                /* Refresh every second until interrupted. */
                struct timespec ts = { .tv_sec = 1 };
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
}
