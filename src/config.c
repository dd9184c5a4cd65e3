/* SPDX-License-Identifier: MIT */
/*
 * Configuration file parsing. inih splits the text into sections and
 * key=value pairs; every key is looked up by name in a table, every value is
 * checked, and the first problem is reported as "file:line: reason".
 */

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"

#define CONFIG_FILE_MAX (1024 * 1024)

int config_new(struct config **ret) {
        struct config *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;

        c->conntrack = true;
        c->families = INPUT_FAMILY_IPV4 | INPUT_FAMILY_IPV6;
        c->receive_buffer = 4u * 1024 * 1024;
        c->receive_buffer_max = 64u * 1024 * 1024;
        c->log_min_confidence = CONFIDENCE_MEDIUM;
        c->attribute_min_confidence = CONFIDENCE_MEDIUM;
        c->log_connection_end = true;
        c->exclude.router = true;
        c->dns_nflog_group = -1;
        c->dns_names_max = 50000;
        c->dns_names_max_bytes = 16u * 1024 * 1024;
        c->dns_ttl_min = 60;
        c->dns_ttl_max = 3600;
        c->output = OUTPUT_AUTO;
        c->queue_size = CONFIG_QUEUE_SIZE_DEFAULT;
        c->prometheus_interval = 15;
        c->summary_interval = 300;
        c->live_bytes_interval = 10;
        c->live_connections_max = 65536;
        c->save_interval = 300;
        c->state_directory = strdup("/var/lib/appleflowd");
        c->control_socket = strdup("/run/appleflowd/control");
        if (!c->state_directory || !c->control_socket) {
                config_free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

struct config *config_free(struct config *c) {
        if (!c)
                return NULL;
        free(c->source);
        free(c->catalog);
        free(c->domains);
        free(c->networks);
        free(c->state_directory);
        free(c->control_socket);
        free(c->control_group);
        free(c->prometheus_file);
        free(c->user);
        free(c);
        return NULL;
}

int config_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* Decimal digits only: strtoul would accept signs, spaces and hex. */
static int parse_decimal(const char **s, uint64_t max, uint64_t *ret) {
        const char *p = *s;
        uint64_t v = 0;

        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                v = v * 10 + (uint64_t) (*p - '0');
                if (v > max)
                        return -ERANGE;
        }
        *s = p;
        *ret = v;
        return 0;
}

int config_parse_size(const char *s, uint32_t min, uint32_t max, uint32_t *ret) {
        uint64_t v, factor = 1;
        int r;

        r = parse_decimal(&s, UINT32_MAX, &v);
        if (r < 0)
                return -EINVAL;
        switch (*s) {
        case '\0':
                break;
        case 'K':
        case 'k':
                factor = 1024;
                break;
        case 'M':
        case 'm':
                factor = 1024 * 1024;
                break;
        case 'G':
        case 'g':
                factor = 1024 * 1024 * 1024;
                break;
        default:
                return -EINVAL;
        }
        if (*s && s[1] != '\0')
                return -EINVAL;
        v *= factor;
        if (v < min || v > max)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int config_parse_seconds(const char *s, uint32_t max, uint32_t *ret) {
        uint64_t v, factor = 1;
        int r;

        r = parse_decimal(&s, UINT32_MAX, &v);
        if (r < 0)
                return -EINVAL;
        if (strcmp(s, "") == 0 || strcmp(s, "s") == 0)
                factor = 1;
        else if (strcmp(s, "min") == 0 || strcmp(s, "m") == 0)
                factor = 60;
        else if (strcmp(s, "h") == 0)
                factor = 3600;
        else
                return -EINVAL;
        v *= factor;
        if (v > max)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int config_parse_number(const char *s, uint32_t min, uint32_t max, uint32_t *ret) {
        unsigned long long v = 0;

        if (!s || !*s || strlen(s) > 10)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*p - '0');
        }
        if (v < min || v > max)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int config_parse_nflog_group(const char *s, uint16_t *ret) {
        uint64_t v;

        if (parse_decimal(&s, UINT16_MAX, &v) < 0 || *s != '\0')
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int config_add_nflog_group(struct config *c, uint16_t group) {
        for (unsigned i = 0; i < c->n_nflog_groups; i++)
                if (c->nflog_groups[i] == group)
                        return -EEXIST;
        if (c->n_nflog_groups >= CONFIG_NFLOG_GROUPS_MAX)
                return -E2BIG;
        c->nflog_groups[c->n_nflog_groups++] = group;
        return 0;
}

/* Splits s at spaces and tabs into a caller-provided buffer. */
static const char *next_word(const char **s, char *buf, size_t size) {
        const char *p = *s + strspn(*s, " \t");
        size_t n = strcspn(p, " \t");

        if (n == 0)
                return NULL;
        if (n >= size)
                n = size - 1; /* too long to be valid anyway: the parser rejects it */
        memcpy(buf, p, n);
        buf[n] = '\0';
        *s = p + strcspn(p, " \t");
        return buf;
}

int config_parse_families(const char *s, unsigned *ret) {
        char word[16];
        unsigned mask = 0;

        while (next_word(&s, word, sizeof(word))) {
                if (strcasecmp(word, "ipv4") == 0)
                        mask |= INPUT_FAMILY_IPV4;
                else if (strcasecmp(word, "ipv6") == 0)
                        mask |= INPUT_FAMILY_IPV6;
                else
                        return -EINVAL;
        }
        if (mask == 0)
                return -EINVAL;
        *ret = mask;
        return 0;
}

/* Analyzer: gcc 12 loses the copy once it is stored through field and reports
 * a leak; the struct that holds field owns it, and its _free() frees it. */
#ifndef __clang__
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
int config_set_string(char **field, const char *value) {
        char *copy = NULL;

        if (value && *value) {
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
        }
        free(*field);
        *field = copy;
        return 0;
}
#ifndef __clang__
#pragma GCC diagnostic pop
#endif

/* The parse state: inih calls the reader per line, then the handler for the
 * key on that line, so the reader's line count is the handler's line. */
struct parse_state {
        struct config *config;
        const char *name;
        const char *text;
        size_t len, pos;
        unsigned line;
        bool failed;
        unsigned error_line;
        char *err;
        size_t errlen;
};

_printf_(2, 3) static void parse_error(struct parse_state *s, const char *fmt, ...) {
        va_list ap;
        int n;

        if (s->failed)
                return; /* keep the first error: inih goes on to the end */
        s->failed = true;
        s->error_line = s->line;
        n = snprintf(s->err, s->errlen, "%s:%u: ", s->name, s->line);
        if (n < 0 || (size_t) n >= s->errlen)
                return;
        va_start(ap, fmt);
        vsnprintf(s->err + n, s->errlen - (size_t) n, fmt, ap);
        va_end(ap);
}

static const char *const sections[] = { "input", "tagging", "output", "stats", "daemon" };

static void check_section_line(struct parse_state *s, const char *line, size_t n) {
        const char *end;
        size_t len;

        while (n > 0 && isspace((unsigned char) *line)) {
                line++;
                n--;
        }
        if (n == 0 || *line != '[')
                return;
        end = memchr(line, ']', n);
        if (!end)
                return; /* inih reports the syntax error */
        len = (size_t) (end - line - 1);
        for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                if (strlen(sections[i]) == len && memcmp(line + 1, sections[i], len) == 0)
                        return;
        parse_error(s, "unknown section [%.*s]", (int) MIN(len, 64), line + 1);
}

static char *reader(char *str, int num, void *stream) {
        struct parse_state *s = stream;
        const char *start, *nl;
        size_t n, room;

        if (s->pos >= s->len || num < 2)
                return NULL;
        start = s->text + s->pos;
        nl = memchr(start, '\n', s->len - s->pos);
        n = nl ? (size_t) (nl - start) + 1 : s->len - s->pos;
        s->pos += n;
        s->line++;

        /* inih would read an indented line as more of the previous key's
         * value: a list would keep only its last line, an indented key would
         * become a value, and an inline comment would stay in the value.
         * Without its indentation the line is read like any other. */
        while (n > 0 && *start != '\n' && isspace((unsigned char) *start)) {
                start++;
                n--;
        }

        if (memchr(start, '\0', n)) {
                parse_error(s, "NUL byte in line");
                n = 0;
        }
        /* Hand inih whole lines only: a line cut in two would shift every
         * line number after it and let the tail pass as a line of its own. */
        room = (size_t) num - 1; /* the line with its newline, and inih's NUL */
        if (n > room) {
                parse_error(s, "line longer than %zu bytes", room - 1);
                n = 0;
        }
        check_section_line(s, start, n);
        memcpy(str, start, n);
        str[n] = '\0';
        return str;
}

enum key_type {
        KEY_BOOL,
        KEY_SIZE,
        KEY_SECONDS,
        KEY_PATH,
        KEY_STRING,
        KEY_FAMILIES,
        KEY_GROUPS,
        KEY_GROUP,
        KEY_NUMBER,
        KEY_CONFIDENCE,
        KEY_OUTPUT,
        KEY_NETWORKS,
        KEY_INTERFACES,
};

struct key {
        const char *section;
        const char *name;
        enum key_type type;
        size_t offset;
        uint32_t min, max;
};

#define K(sec, n, t, field, lo, hi) \
        { sec, n, t, offsetof(struct config, field), lo, hi }

static const struct key keys[] = {
        K("input", "conntrack", KEY_BOOL, conntrack, 0, 0),
        K("input", "families", KEY_FAMILIES, families, 0, 0),
        K("input", "nflog_groups", KEY_GROUPS, nflog_groups, 0, 0),
        K("input", "dns_nflog_group", KEY_GROUP, dns_nflog_group, 0, 0),
        K("input", "receive_buffer", KEY_SIZE, receive_buffer,
          CONFIG_RECEIVE_BUFFER_MIN, CONFIG_RECEIVE_BUFFER_LIMIT),
        K("input", "receive_buffer_max", KEY_SIZE, receive_buffer_max,
          CONFIG_RECEIVE_BUFFER_MIN, CONFIG_RECEIVE_BUFFER_LIMIT),
        K("tagging", "catalog", KEY_PATH, catalog, 0, 0),
        K("tagging", "networks", KEY_PATH, networks, 0, 0),
        K("tagging", "log_min_confidence", KEY_CONFIDENCE, log_min_confidence, 0, 0),
        K("tagging", "log_connection_end", KEY_BOOL, log_connection_end, 0, 0),
        K("tagging", "exclude_router", KEY_BOOL, exclude.router, 0, 0),
        K("tagging", "exclude_networks", KEY_NETWORKS, exclude, 0, 0),
        K("tagging", "exclude_interfaces", KEY_INTERFACES, exclude, 0, 0),
        K("tagging", "domains", KEY_PATH, domains, 0, 0),
        K("tagging", "dns_names_max", KEY_NUMBER, dns_names_max, 1, CONFIG_DNS_NAMES_MAX),
        K("tagging", "dns_names_max_bytes", KEY_SIZE, dns_names_max_bytes, CONFIG_DNS_BYTES_MIN,
          CONFIG_DNS_BYTES_MAX),
        K("tagging", "dns_ttl_min", KEY_SECONDS, dns_ttl_min, 0, CONFIG_DNS_TTL_MAX),
        K("tagging", "dns_ttl_max", KEY_SECONDS, dns_ttl_max, 1, CONFIG_DNS_TTL_MAX),
        K("output", "mode", KEY_OUTPUT, output, 0, 0),
        K("output", "queue_size", KEY_SIZE, queue_size, CONFIG_QUEUE_SIZE_MIN, CONFIG_QUEUE_SIZE_MAX),
        K("stats", "attribute_min_confidence", KEY_CONFIDENCE, attribute_min_confidence, 0, 0),
        K("stats", "state_directory", KEY_PATH, state_directory, 0, 0),
        K("stats", "control_socket", KEY_PATH, control_socket, 0, 0),
        K("stats", "control_group", KEY_STRING, control_group, 0, 0),
        K("stats", "prometheus_file", KEY_PATH, prometheus_file, 0, 0),
        K("stats", "prometheus_interval", KEY_SECONDS, prometheus_interval, 1, CONFIG_INTERVAL_MAX),
        K("stats", "summary_interval", KEY_SECONDS, summary_interval, 0, CONFIG_INTERVAL_MAX),
        K("stats", "save_interval", KEY_SECONDS, save_interval, 0, CONFIG_INTERVAL_MAX),
        K("stats", "live_bytes_interval", KEY_SECONDS, live_bytes_interval, 0, CONFIG_INTERVAL_MAX),
        K("stats", "live_connections_max", KEY_NUMBER, live_connections_max, 1, CONFIG_LIVE_CONNECTIONS_MAX),
        K("daemon", "user", KEY_STRING, user, 0, 0),
};

_Static_assert(ELEMENTSOF(keys) <= CONFIG_KEYS_MAX, "key_lines too small");

static ssize_t find_key(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i].name, name) == 0)
                        return (ssize_t) i;
        return -ENOENT;
}

unsigned config_key_line(const struct config *c, const char *key) {
        ssize_t i = find_key(key);

        return i < 0 ? 0 : c->key_lines[i];
}

void config_forget_key_line(struct config *c, const char *key) {
        ssize_t i = find_key(key);

        if (i >= 0)
                c->key_lines[i] = 0;
}

static int parse_groups(struct parse_state *s, const char *value) {
        struct config *c = s->config;
        char word[16];
        uint16_t g;
        int r;

        c->n_nflog_groups = 0; /* the key replaces earlier settings */
        while (next_word(&value, word, sizeof(word))) {
                if (config_parse_nflog_group(word, &g) < 0) {
                        parse_error(s, "invalid NFLOG group '%s' (0-65535)", word);
                        return 0;
                }
                r = config_add_nflog_group(c, g);
                if (r == -EEXIST) {
                        parse_error(s, "NFLOG group %u listed twice", g);
                        return 0;
                }
                if (r == -E2BIG) {
                        parse_error(s, "too many NFLOG groups (at most %d)", CONFIG_NFLOG_GROUPS_MAX);
                        return 0;
                }
        }
        return 1;
}

/* Each key replaces what earlier lines set. */
static void parse_networks(struct parse_state *s, struct local_exclusions *x, const char *value) {
        char word[64];

        x->n_networks = 0;
        while (next_word(&value, word, sizeof(word))) {
                struct ip_prefix p;

                if (ip_prefix_parse(word, &p) < 0) {
                        parse_error(s, "invalid network '%s' for exclude_networks "
                                       "(an address with a prefix length, host bits clear: 10.9.0.0/24, fd09::/48)",
                                    word);
                        return;
                }
                if (x->n_networks >= LOCAL_EXCLUDE_NETWORKS_MAX) {
                        parse_error(s, "too many networks in exclude_networks (at most %d)",
                                    LOCAL_EXCLUDE_NETWORKS_MAX);
                        return;
                }
                x->networks[x->n_networks++] = p;
        }
}

/* The kernel's rule for names (dev_valid_name()). */
static bool interface_name_valid(const char *name) {
        if (name[0] == 0 || strlen(name) >= IF_NAMESIZE || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (const char *p = name; *p; p++)
                if (*p == '/' || *p == ':' || isspace((unsigned char) *p))
                        return false;
        return true;
}

static void parse_interfaces(struct parse_state *s, struct local_exclusions *x, const char *value) {
        char word[64];

        x->n_interfaces = 0;
        while (next_word(&value, word, sizeof(word))) {
                if (!interface_name_valid(word)) {
                        parse_error(s, "invalid interface name '%s' for exclude_interfaces", word);
                        return;
                }
                for (unsigned i = 0; i < x->n_interfaces; i++)
                        if (strcmp(x->interfaces[i], word) == 0) {
                                parse_error(s, "interface %s listed twice", word);
                                return;
                        }
                if (x->n_interfaces >= LOCAL_EXCLUDE_INTERFACES_MAX) {
                        parse_error(s, "too many interfaces in exclude_interfaces (at most %d)",
                                    LOCAL_EXCLUDE_INTERFACES_MAX);
                        return;
                }
                strcpy(x->interfaces[x->n_interfaces++], word);
        }
}

static int parse_key(struct parse_state *s, const struct key *k, const char *value) {
        void *field = (uint8_t *) s->config + k->offset;
        int r;

        switch (k->type) {
        case KEY_BOOL:
                if (config_parse_bool(value, field) < 0)
                        parse_error(s, "invalid boolean '%s' for %s (yes, no)", value, k->name);
                break;
        case KEY_SIZE:
                r = config_parse_size(value, k->min, k->max, field);
                if (r == -ERANGE)
                        parse_error(s, "%s '%s' out of range (%uK-%uM)", k->name, value,
                                    k->min / 1024, k->max / (1024 * 1024));
                else if (r < 0)
                        parse_error(s, "invalid size '%s' for %s (a number with K, M or G)",
                                    value, k->name);
                break;
        case KEY_SECONDS: {
                uint32_t v;

                r = config_parse_seconds(value, k->max, &v);
                if (r == 0 && v < k->min)
                        r = -ERANGE;
                if (r == -ERANGE)
                        parse_error(s, "%s '%s' out of range (%u-%u)", k->name, value, k->min, k->max);
                else if (r < 0)
                        parse_error(s, "invalid duration '%s' for %s", value, k->name);
                else
                        *(uint32_t *) field = v;
                break;
        }
        case KEY_PATH:
        case KEY_STRING:
                if (strlen(value) >= PATH_MAX) {
                        parse_error(s, "%s too long", k->name);
                        break;
                }
                if (config_set_string(field, value) < 0)
                        return -ENOMEM;
                break;
        case KEY_FAMILIES:
                if (config_parse_families(value, field) < 0)
                        parse_error(s, "invalid families '%s' (ipv4, ipv6 or both)", value);
                break;
        case KEY_GROUPS:
                parse_groups(s, value);
                break;
        case KEY_GROUP: {
                uint16_t g;

                if (!*value)
                        *(int32_t *) field = -1;
                else if (config_parse_nflog_group(value, &g) < 0)
                        parse_error(s, "invalid NFLOG group '%s' for %s (0-65535, or empty for none)", value,
                                    k->name);
                else
                        *(int32_t *) field = g;
                break;
        }
        case KEY_NUMBER:
                r = config_parse_number(value, k->min, k->max, field);
                if (r == -ERANGE)
                        parse_error(s, "%s '%s' out of range (%u-%u)", k->name, value, k->min, k->max);
                else if (r < 0)
                        parse_error(s, "invalid number '%s' for %s", value, k->name);
                break;
        case KEY_CONFIDENCE: {
                enum confidence conf;

                if (confidence_from_string(value, &conf) < 0 || conf == CONFIDENCE_NONE)
                        parse_error(s, "invalid confidence '%s' for %s (low, medium, high)", value, k->name);
                else
                        *(enum confidence *) field = conf;
                break;
        }
        case KEY_OUTPUT:
                if (output_mode_from_string(value, field) < 0)
                        parse_error(s, "invalid output mode '%s' (auto, journal, console, json)", value);
                break;
        case KEY_NETWORKS:
                parse_networks(s, field, value);
                break;
        case KEY_INTERFACES:
                parse_interfaces(s, field, value);
                break;
        }
        return 0;
}

static int handler(void *userdata, const char *section, const char *name, const char *value) {
        struct parse_state *s = userdata;

        if (s->failed)
                return 1;
        if (!*section) {
                parse_error(s, "key '%s' outside of any section", name);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].name, name) != 0)
                        continue;
                if (parse_key(s, &keys[i], value) < 0) {
                        parse_error(s, "out of memory");
                        return 0;
                }
                s->config->key_lines[i] = s->line;
                return !s->failed;
        }
        for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                if (strcmp(sections[i], section) == 0) {
                        parse_error(s, "unknown key '%s' in section [%s]", name, section);
                        return 0;
                }
        parse_error(s, "unknown section [%s]", section);
        return 0;
}

int config_load_string(struct config *c, const char *name, const char *text, size_t len,
                       char *err, size_t errlen) {
        struct parse_state s = {
                .config = c,
                .name = name,
                .text = text,
                .len = len,
                .err = err,
                .errlen = errlen,
        };
        int r;

        if (len > CONFIG_FILE_MAX) {
                snprintf(err, errlen, "%s: larger than %d bytes", name, CONFIG_FILE_MAX);
                return -EFBIG;
        }
        r = ini_parse_stream(reader, &s, handler, &s);
        /* inih's syntax errors are known only now; the earlier line wins. */
        if (s.failed && !(r > 0 && (unsigned) r < s.error_line))
                return -EINVAL;
        if (r > 0) {
                snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", name, r);
                return -EINVAL;
        }
        if (r < 0) {
                snprintf(err, errlen, "%s: out of memory", name);
                return -ENOMEM;
        }
        return 0;
}

int config_load_file(struct config *c, const char *path, bool must_exist, char *err, size_t errlen) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n;
        int r;

        f = fopen(path, "re");
        if (!f) {
                r = -errno;
                if (r == -ENOENT && !must_exist)
                        return 0;
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
                snprintf(err, errlen, "%s: not a regular file", path);
                return -EINVAL;
        }
        buf = malloc(CONFIG_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
        if (ferror(f)) {
                snprintf(err, errlen, "%s: read error", path);
                return -EIO;
        }
        r = config_load_string(c, path, buf, n, err, errlen);
        if (r < 0)
                return r;
        return config_set_string(&c->source, path);
}

int config_validate(const struct config *c, char *err, size_t errlen) {
        const char *name = c->source ?: "configuration";

        if (c->receive_buffer > c->receive_buffer_max) {
                snprintf(err, errlen, "%s: receive_buffer (%u) is larger than receive_buffer_max (%u)",
                         name, c->receive_buffer, c->receive_buffer_max);
                return -EINVAL;
        }
        if (!c->conntrack && c->n_nflog_groups == 0) {
                snprintf(err, errlen, "%s: no input: conntrack is off and no nflog_groups are set", name);
                return -EINVAL;
        }
        if (!c->state_directory || c->state_directory[0] != '/') {
                snprintf(err, errlen, "%s: state_directory must be an absolute path", name);
                return -EINVAL;
        }
        if (!c->control_socket || c->control_socket[0] != '/') {
                snprintf(err, errlen, "%s: control_socket must be an absolute path", name);
                return -EINVAL;
        }
        /* sockaddr_un.sun_path holds 108 bytes including the NUL */
        if (strlen(c->control_socket) > 107) {
                snprintf(err, errlen, "%s: control_socket longer than 107 bytes", name);
                return -EINVAL;
        }
        if (c->dns_ttl_min > c->dns_ttl_max) {
                snprintf(err, errlen, "%s: dns_ttl_min (%u) is larger than dns_ttl_max (%u)", name,
                         c->dns_ttl_min, c->dns_ttl_max);
                return -EINVAL;
        }
        for (unsigned i = 0; i < c->n_nflog_groups; i++)
                if (c->nflog_groups[i] == c->dns_nflog_group) {
                        snprintf(err, errlen, "%s: NFLOG group %d is both in nflog_groups and dns_nflog_group",
                                 name, c->dns_nflog_group);
                        return -EINVAL;
                }
        if (c->prometheus_file && c->prometheus_file[0] != '/') {
                snprintf(err, errlen, "%s: prometheus_file must be an absolute path", name);
                return -EINVAL;
        }
        return 0;
}

void config_apply_reloadable(struct config *c, struct config *next) {
        char *t;

        t = c->catalog, c->catalog = next->catalog, next->catalog = t;
        t = c->networks, c->networks = next->networks, next->networks = t;
        t = c->domains, c->domains = next->domains, next->domains = t;
        t = c->source, c->source = next->source, next->source = t;
        c->log_min_confidence = next->log_min_confidence;
        c->log_connection_end = next->log_connection_end;
        c->exclude = next->exclude;
        c->attribute_min_confidence = next->attribute_min_confidence;
        c->receive_buffer_max = MAX(next->receive_buffer_max, c->receive_buffer);
        c->live_bytes_interval = next->live_bytes_interval;
}

static bool streq_ptr(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void append(char *buf, size_t size, const char *name) {
        size_t n = strlen(buf);

        snprintf(buf + n, size - n, "%s%s", n > 0 ? ", " : "", name);
}

void config_reload_changes(const struct config *a, const struct config *b, char *buf, size_t size) {
        char item[128];

        if (size == 0)
                return;
        buf[0] = '\0';
        /* catalog= and networks=: the caller compares the files by what they hold. */
        if (a->log_min_confidence != b->log_min_confidence) {
                snprintf(item, sizeof(item), "log_min_confidence %s → %s",
                         confidence_to_string(a->log_min_confidence),
                         confidence_to_string(b->log_min_confidence));
                append(buf, size, item);
        }
        if (a->log_connection_end != b->log_connection_end) {
                snprintf(item, sizeof(item), "log_connection_end %s → %s",
                         a->log_connection_end ? "yes" : "no", b->log_connection_end ? "yes" : "no");
                append(buf, size, item);
        }
        if (a->live_bytes_interval != b->live_bytes_interval) {
                snprintf(item, sizeof(item), "live_bytes_interval %u → %u", a->live_bytes_interval,
                         b->live_bytes_interval);
                append(buf, size, item);
        }
        if (MAX(b->receive_buffer_max, a->receive_buffer) != a->receive_buffer_max) {
                snprintf(item, sizeof(item), "receive_buffer_max %u → %u", a->receive_buffer_max,
                         MAX(b->receive_buffer_max, a->receive_buffer));
                append(buf, size, item);
        }
}

void config_restart_changes(const struct config *a, const struct config *b, char *buf, size_t size) {
        if (size == 0)
                return;
        buf[0] = '\0';
        if (a->conntrack != b->conntrack)
                append(buf, size, "conntrack");
        if (a->families != b->families)
                append(buf, size, "families");
        if (a->n_nflog_groups != b->n_nflog_groups ||
            memcmp(a->nflog_groups, b->nflog_groups, a->n_nflog_groups * sizeof(a->nflog_groups[0])) != 0)
                append(buf, size, "nflog_groups");
        if (a->dns_nflog_group != b->dns_nflog_group)
                append(buf, size, "dns_nflog_group");
        if (a->receive_buffer != b->receive_buffer)
                append(buf, size, "receive_buffer");
        if (a->dns_names_max != b->dns_names_max)
                append(buf, size, "dns_names_max");
        if (a->dns_names_max_bytes != b->dns_names_max_bytes)
                append(buf, size, "dns_names_max_bytes");
        if (a->dns_ttl_min != b->dns_ttl_min)
                append(buf, size, "dns_ttl_min");
        if (a->dns_ttl_max != b->dns_ttl_max)
                append(buf, size, "dns_ttl_max");
        if (a->output != b->output)
                append(buf, size, "mode");
        if (a->queue_size != b->queue_size)
                append(buf, size, "queue_size");
        if (a->live_connections_max != b->live_connections_max)
                append(buf, size, "live_connections_max");
        if (!streq_ptr(a->state_directory, b->state_directory))
                append(buf, size, "state_directory");
        if (!streq_ptr(a->control_socket, b->control_socket))
                append(buf, size, "control_socket");
        if (!streq_ptr(a->control_group, b->control_group))
                append(buf, size, "control_group");
        if (!streq_ptr(a->prometheus_file, b->prometheus_file))
                append(buf, size, "prometheus_file");
        if (a->prometheus_interval != b->prometheus_interval)
                append(buf, size, "prometheus_interval");
        if (a->summary_interval != b->summary_interval)
                append(buf, size, "summary_interval");
        if (a->save_interval != b->save_interval)
                append(buf, size, "save_interval");
        if (!streq_ptr(a->user, b->user))
                append(buf, size, "user");
}
