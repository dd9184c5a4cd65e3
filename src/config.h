/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The daemon's configuration: SYSCONFDIR/appleflowd/appleflowd.conf (INI, parsed
 * with inih), then the command line on top. A struct config is immutable once
 * validated; a reload parses into a new one and swaps it in only when valid.
 * There is no global configuration.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"           /* enum input_family */
#include "local-addresses.h" /* struct local_exclusions */
#include "macro.h"
#include "ring.h" /* RING_SIZE_MAX */
#include "tagger.h"
#include "writer.h" /* enum output_mode */

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define CONFIG_DEFAULT_PATH SYSCONFDIR "/appleflowd/appleflowd.conf"
#define CONFIG_NFLOG_GROUPS_MAX 32
#define CONFIG_ERROR_MAX 512
#define CONFIG_RECEIVE_BUFFER_MIN (64u * 1024)
#define CONFIG_RECEIVE_BUFFER_LIMIT (1024u * 1024 * 1024) /* SO_RCVBUF takes an int, doubled */
/* Bytes of the queue to the writer: some 650 bytes a connection entry. */
#define CONFIG_QUEUE_SIZE_DEFAULT (16u * 1024 * 1024)
#define CONFIG_QUEUE_SIZE_MIN (256u * 1024)
#define CONFIG_QUEUE_SIZE_MAX RING_SIZE_MAX /* what ring_new() accepts */
#define CONFIG_INTERVAL_MAX (7 * 24 * 3600)
#define CONFIG_KEYS_MAX 40
#define CONFIG_DNS_NAMES_MAX 10000000u
#define CONFIG_LIVE_CONNECTIONS_MAX 4194304u
#define CONFIG_DNS_BYTES_MIN (64u * 1024)
#define CONFIG_DNS_BYTES_MAX (1024u * 1024 * 1024)
#define CONFIG_DNS_TTL_MAX (7 * 24 * 3600)


struct config {
        char *source; /* the file read, or NULL when only defaults apply */

        /* [input] */
        bool conntrack;
        unsigned families; /* INPUT_FAMILY_* mask, never 0 */
        uint16_t nflog_groups[CONFIG_NFLOG_GROUPS_MAX];
        unsigned n_nflog_groups;
        uint32_t receive_buffer, receive_buffer_max; /* bytes */
        int32_t dns_nflog_group;                     /* the group logging DNS answers; -1: none */

        /* [tagging] */
        char *catalog;  /* NULL: the built-in catalogue */
        char *networks; /* NULL: the built-in list of Apple's networks */
        enum confidence log_min_confidence;
        bool log_connection_end;
        struct local_exclusions exclude; /* exclude_router, _networks, _interfaces */
        char *domains;                   /* NULL: the built-in list of Apple's domains */
        uint32_t dns_names_max;          /* records of the address -> name table */
        uint32_t dns_names_max_bytes;
        uint32_t dns_ttl_min, dns_ttl_max; /* seconds */

        /* [output] */
        enum output_mode output;
        uint32_t queue_size; /* bytes of the writer ring */

        /* [stats] */
        enum confidence attribute_min_confidence; /* products count matches from here up */
        char *state_directory;
        char *control_socket;
        char *control_group;           /* NULL: root only */
        char *prometheus_file;         /* NULL: off */
        uint32_t prometheus_interval;  /* seconds */
        uint32_t summary_interval;     /* seconds, 0 = off */
        uint32_t save_interval;        /* seconds, 0 = only at stop */
        uint32_t live_bytes_interval;  /* seconds between reads of open connections' counters, 0 = off */
        uint32_t live_connections_max; /* open tagged connections followed; fixed at start */

        /* [daemon] */
        char *user; /* NULL: keep the user we were started as */

        /* The line of the file each key was set on (0: default or command
         * line), by key name through config_key_line(), for messages. */
        unsigned key_lines[CONFIG_KEYS_MAX];
};

/* A configuration holding every default. */
int config_new(struct config **ret);
struct config *config_free(struct config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct config *, config_free);

/* Parse INI text into c, on top of what it holds. name is used in errors,
 * which read "name:line: reason". Returns 0 or a negative errno (-EINVAL for
 * bad input) with err filled. */
int config_load_string(struct config *c, const char *name, const char *text, size_t len,
                       char *err, size_t errlen);
/* Parse a file. When must_exist is false, a missing file leaves c as is. */
int config_load_file(struct config *c, const char *path, bool must_exist, char *err, size_t errlen);

/* Checks that need every key (sizes against each other, paths). */
int config_validate(const struct config *c, char *err, size_t errlen);

/* A reload applies what can change while running (catalog, networks, domains,
 * log_min_confidence, log_connection_end, the exclusions, attribute_min_confidence,
 * receive_buffer_max) from next into
 * c; next is left with c's old strings, for freeing. */
void config_apply_reloadable(struct config *c, struct config *next);
/* Names the keys that differ between a and b and take effect at a reload,
 * with both values ("log_min_confidence medium → high"), or writes "" when
 * none do. catalog= and networks= are not among them: what matters is
 * whether the files' contents changed. */
void config_reload_changes(const struct config *a, const struct config *b, char *buf, size_t size);
/* Names the keys that differ between a and b and take effect only at a
 * restart ("nflog_groups, mode"), or writes "" when none do. */
void config_restart_changes(const struct config *a, const struct config *b, char *buf, size_t size);

/* The line of c->source that set key, or 0 (a default, or the command line). */
unsigned config_key_line(const struct config *c, const char *key);
/* The command line set key: messages must not point into the file. */
void config_forget_key_line(struct config *c, const char *key);

/* Value parsers, shared with the command line. Return 0 or -EINVAL. */
int config_parse_bool(const char *s, bool *ret);
int config_parse_size(const char *s, uint32_t min, uint32_t max, uint32_t *ret);
int config_parse_seconds(const char *s, uint32_t max, uint32_t *ret);
int config_parse_nflog_group(const char *s, uint16_t *ret);
int config_parse_number(const char *s, uint32_t min, uint32_t max, uint32_t *ret); /* -ERANGE */
int config_parse_families(const char *s, unsigned *ret);
int config_add_nflog_group(struct config *c, uint16_t group); /* -EEXIST, -E2BIG */
int config_set_string(char **field, const char *value);       /* "" sets NULL */
