/* SPDX-License-Identifier: MIT */
/* libFuzzer target: config_load_string() on arbitrary bytes, as
 * config_load_file() hands over a file's contents. A failure must name the
 * input and a line that exists. A success must leave every value within the
 * limits the parser promises, parse the same way twice, survive a round trip
 * through a file written back from it, and go through validation, reload and
 * restart comparison against the defaults without a fault. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

static unsigned count_lines(const char *s, size_t len) {
        unsigned n = 1;

        for (const char *p = s; (p = memchr(p, '\n', len - (size_t) (p - s))); p++)
                n++;
        return n;
}

static bool streq_ptr(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool exclusions_equal(const struct local_exclusions *a, const struct local_exclusions *b) {
        if (a->router != b->router || a->n_networks != b->n_networks || a->n_interfaces != b->n_interfaces)
                return false;
        for (unsigned i = 0; i < a->n_networks; i++)
                if (a->networks[i].family != b->networks[i].family || a->networks[i].len != b->networks[i].len ||
                    memcmp(&a->networks[i].addr, &b->networks[i].addr, sizeof(a->networks[i].addr)) != 0)
                        return false;
        for (unsigned i = 0; i < a->n_interfaces; i++)
                if (strcmp(a->interfaces[i], b->interfaces[i]) != 0)
                        return false;
        return true;
}

static bool config_equal(const struct config *a, const struct config *b) {
        return exclusions_equal(&a->exclude, &b->exclude) && a->conntrack == b->conntrack && a->families == b->families &&
               a->n_nflog_groups == b->n_nflog_groups &&
               memcmp(a->nflog_groups, b->nflog_groups, a->n_nflog_groups * sizeof(a->nflog_groups[0])) == 0 &&
               a->receive_buffer == b->receive_buffer && a->receive_buffer_max == b->receive_buffer_max &&
               streq_ptr(a->catalog, b->catalog) && streq_ptr(a->networks, b->networks) &&
               a->log_min_confidence == b->log_min_confidence &&
               a->log_connection_end == b->log_connection_end && a->output == b->output &&
               a->queue_size == b->queue_size && streq_ptr(a->state_directory, b->state_directory) &&
               streq_ptr(a->control_socket, b->control_socket) &&
               streq_ptr(a->control_group, b->control_group) &&
               streq_ptr(a->prometheus_file, b->prometheus_file) &&
               a->prometheus_interval == b->prometheus_interval &&
               a->summary_interval == b->summary_interval && a->save_interval == b->save_interval &&
               streq_ptr(a->user, b->user);
}

static void check_string(const char *s) {
        /* NULL or a non-empty string inih has trimmed */
        fuzz_assert(!s || (*s && strlen(s) < PATH_MAX && s[0] != ' ' && s[0] != '\t'));
}

/* What the parser promises about any configuration it accepted. */
static void check_limits(const struct config *c) {
        fuzz_assert(c->families != 0 && (c->families & ~(unsigned) (INPUT_FAMILY_IPV4 | INPUT_FAMILY_IPV6)) == 0);
        fuzz_assert(c->n_nflog_groups <= CONFIG_NFLOG_GROUPS_MAX);
        for (unsigned i = 0; i < c->n_nflog_groups; i++)
                for (unsigned j = 0; j < i; j++)
                        fuzz_assert(c->nflog_groups[i] != c->nflog_groups[j]);
        fuzz_assert(c->receive_buffer >= CONFIG_RECEIVE_BUFFER_MIN &&
                    c->receive_buffer <= CONFIG_RECEIVE_BUFFER_LIMIT);
        fuzz_assert(c->receive_buffer_max >= CONFIG_RECEIVE_BUFFER_MIN &&
                    c->receive_buffer_max <= CONFIG_RECEIVE_BUFFER_LIMIT);
        fuzz_assert(c->log_min_confidence > CONFIDENCE_NONE && c->log_min_confidence <= CONFIDENCE_HIGH);
        fuzz_assert(c->output < _OUTPUT_MODE_MAX);
        fuzz_assert(c->queue_size >= CONFIG_QUEUE_SIZE_MIN && c->queue_size <= CONFIG_QUEUE_SIZE_MAX);
        fuzz_assert(c->prometheus_interval >= 1 && c->prometheus_interval <= CONFIG_INTERVAL_MAX);
        fuzz_assert(c->summary_interval <= CONFIG_INTERVAL_MAX);
        fuzz_assert(c->save_interval <= CONFIG_INTERVAL_MAX);
        check_string(c->catalog);
        check_string(c->networks);
        check_string(c->state_directory);
        check_string(c->control_socket);
        check_string(c->control_group);
        check_string(c->prometheus_file);
        check_string(c->user);

        fuzz_assert(c->exclude.n_networks <= LOCAL_EXCLUDE_NETWORKS_MAX);
        for (unsigned i = 0; i < c->exclude.n_networks; i++) {
                const struct ip_prefix *p = &c->exclude.networks[i];
                size_t size = ip_prefix_addr_size(p->family);

                fuzz_assert(p->family == AF_INET || p->family == AF_INET6);
                fuzz_assert(p->len <= size * 8);
                /* host bits clear, and nothing past the family's bytes */
                for (size_t bit = p->len; bit < sizeof(p->addr.bytes) * 8; bit++)
                        fuzz_assert(!(p->addr.bytes[bit / 8] & (0x80 >> (bit % 8))));
        }
        fuzz_assert(c->exclude.n_interfaces <= LOCAL_EXCLUDE_INTERFACES_MAX);
        for (unsigned i = 0; i < c->exclude.n_interfaces; i++) {
                const char *name = c->exclude.interfaces[i];

                fuzz_assert(name[0] && strnlen(name, IF_NAMESIZE) < IF_NAMESIZE);
                fuzz_assert(!strpbrk(name, "/: \t\n"));
                for (unsigned j = 0; j < i; j++)
                        fuzz_assert(strcmp(name, c->exclude.interfaces[j]) != 0);
        }
}

/* The exclusion keys, exclude_networks last (see check_round_trip()); a
 * full-length prefix as a bare address, as it may have been given. */
static void put_exclusions(FILE *f, const struct local_exclusions *x) {
        fprintf(f, "exclude_router=%s\nexclude_interfaces=", x->router ? "yes" : "no");
        for (unsigned i = 0; i < x->n_interfaces; i++)
                fprintf(f, "%s%s", i ? " " : "", x->interfaces[i]);
        fputs("\nexclude_networks=", f);
        for (unsigned i = 0; i < x->n_networks; i++) {
                const struct ip_prefix *p = &x->networks[i];
                char text[INET6_ADDRSTRLEN];

                if (!inet_ntop(p->family, p->addr.bytes, text, sizeof(text)))
                        abort();
                fprintf(f, "%s%s", i ? " " : "", text);
                if (p->len != ip_prefix_addr_size(p->family) * 8)
                        fprintf(f, "/%u", p->len);
        }
        fputs("\n", f);
}

static void put_string(FILE *f, const char *key, const char *value) {
        fprintf(f, "%s=%s\n", key, value ?: "");
}

/* c written back as a configuration file, every key on one line. */
static char *format_config(const struct config *c, size_t *len) {
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);

        if (!f)
                return NULL;
        fprintf(f, "[input]\nconntrack=%s\nfamilies=%s%s\nnflog_groups=",
                c->conntrack ? "yes" : "no",
                c->families & INPUT_FAMILY_IPV4 ? "ipv4 " : "",
                c->families & INPUT_FAMILY_IPV6 ? "ipv6" : "");
        for (unsigned i = 0; i < c->n_nflog_groups; i++)
                fprintf(f, "%s%u", i ? " " : "", c->nflog_groups[i]);
        fprintf(f, "\nreceive_buffer=%" PRIu32 "\nreceive_buffer_max=%" PRIu32 "\n[tagging]\n",
                c->receive_buffer, c->receive_buffer_max);
        put_string(f, "catalog", c->catalog);
        put_string(f, "networks", c->networks);
        fprintf(f, "log_min_confidence=%s\nlog_connection_end=%s\n[output]\nmode=%s\nqueue_size=%" PRIu32 "\n", confidence_to_string(c->log_min_confidence),
                c->log_connection_end ? "yes" : "no", output_mode_to_string(c->output), c->queue_size);
        fputs("[stats]\n", f);
        put_string(f, "state_directory", c->state_directory);
        put_string(f, "control_socket", c->control_socket);
        put_string(f, "control_group", c->control_group);
        put_string(f, "prometheus_file", c->prometheus_file);
        fprintf(f, "prometheus_interval=%" PRIu32 "\nsummary_interval=%" PRIu32 "\nsave_interval=%" PRIu32 "\n[daemon]\n", c->prometheus_interval, c->summary_interval, c->save_interval);
        put_string(f, "user", c->user);
        fputs("[tagging]\n", f);
        put_exclusions(f, &c->exclude);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static void check_round_trip(const struct config *c) {
        _cleanup_(config_freep) struct config *again = NULL;
        char err[CONFIG_ERROR_MAX] = "";
        size_t len = 0;
        char *text;
        int r;

        text = format_config(c, &len);
        if (!text || config_new(&again) < 0) {
                free(text);
                return;
        }
        r = config_load_string(again, "again", text, len, err, sizeof(err));
        /* An address written back in its canonical form may be longer than
         * it was given, and the last line, exclude_networks, may then pass
         * the limit: everything before it was read back. */
        if (r == -EINVAL && strstr(err, "line longer than")) {
                r = 0;
                memcpy(again->exclude.networks, c->exclude.networks, sizeof(c->exclude.networks));
                again->exclude.n_networks = c->exclude.n_networks;
        }
        if (r < 0 && r != -ENOMEM)
                fprintf(stderr, "written back:\n%s\nrefused: %s\n", text, err);
        fuzz_assert(r == 0 || r == -ENOMEM);
        fuzz_assert(r < 0 || config_equal(c, again));
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(config_freep) struct config *c = NULL, *twice = NULL, *defaults = NULL;
        char err[CONFIG_ERROR_MAX] = "", buf[512];
        _cleanup_free_ char *text = fuzz_copy(data, size);
        unsigned line;
        int r;

        if (!text || config_new(&c) < 0 || config_new(&twice) < 0 || config_new(&defaults) < 0)
                return 0;

        r = config_load_string(c, "fuzz", text, size, err, sizeof(err));
        if (r < 0) {
                fuzz_assert(r == -EINVAL || r == -EFBIG || r == -ENOMEM);
                fuzz_assert(strncmp(err, "fuzz:", 5) == 0 && memchr(err, 0, sizeof(err)));
                if (sscanf(err, "fuzz:%u:", &line) == 1)
                        fuzz_assert(line >= 1 && line <= count_lines(text, size));
                return 0;
        }
        fuzz_assert(err[0] == 0);
        check_limits(c);

        /* Every key replaces what was there: loading twice changes nothing. */
        fuzz_assert(config_load_string(twice, "fuzz", text, size, err, sizeof(err)) == 0);
        fuzz_assert(config_load_string(twice, "fuzz", text, size, err, sizeof(err)) == 0);
        fuzz_assert(config_equal(c, twice));

        check_round_trip(c);

        r = config_validate(c, err, sizeof(err));
        fuzz_assert(r == 0 || (r == -EINVAL && strncmp(err, "configuration: ", 15) == 0));

        config_restart_changes(c, twice, buf, sizeof(buf));
        fuzz_assert(buf[0] == 0);
        config_restart_changes(defaults, c, buf, sizeof(buf));
        fuzz_assert(memchr(buf, 0, sizeof(buf)));

        /* A reload swaps strings both ways: both must still free cleanly. */
        config_apply_reloadable(defaults, c);
        fuzz_assert(streq_ptr(defaults->catalog, twice->catalog) &&
                    streq_ptr(defaults->networks, twice->networks));
        fuzz_assert(exclusions_equal(&defaults->exclude, &twice->exclude));
        fuzz_assert(defaults->receive_buffer_max >= defaults->receive_buffer);
        return 0;
}
