/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One journal entry, self-contained: every field is copied into its text as
 * "NAME=value" (journald's native form, NUL-terminated for the console and
 * JSON sinks), so an entry waiting in the ring never points into a catalogue
 * that a reload may free. Formatting never allocates; the text is sized for
 * the largest entry a valid catalogue can produce (checked at build time
 * below), and anything larger is refused with -ENOBUFS, never truncated.
 * docs/journal-fields.md lists every field.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <stdint.h>
#include <sys/uio.h>

#include "flow.h"
#include "catalog.h"
#include "macro.h"
#include "tagger.h"

enum entry_kind {
        ENTRY_CONNECTION_NEW,
        ENTRY_CONNECTION_END,
        ENTRY_PACKET_LOGGED,
        ENTRY_EVENTS_LOST,
        ENTRY_NOT_WRITTEN,
        ENTRY_MESSAGE, /* the daemon's own: started, reloaded, summary … */
        _ENTRY_KIND_MAX,
};

/* "NAME=" plus the longest value, for the bound below. */
#define ENTRY_F(name, value_max) (sizeof(name "=") - 1 + (value_max))
#define ENTRY_U16_MAX 5
#define ENTRY_U32_MAX 10
#define ENTRY_U64_MAX 20
#define ENTRY_IP_MAX (INET6_ADDRSTRLEN - 1)
#define ENTRY_ENDPOINT_MAX (1 + ENTRY_IP_MAX + 2 + ENTRY_U16_MAX) /* [addr]:port */
#define ENTRY_PRODUCT_FIELDS_MAX (CATALOG_ENTRY_PRODUCTS_MAX * (1 + CATALOG_PRODUCT_ALIASES_MAX))
#define ENTRY_NAME_MAX (CATALOG_PRODUCT_NAME_MAX - 1)

/* The MESSAGE value of a flow entry, piece by piece as entry.c writes it. */
#define ENTRY_FLOW_MESSAGE_MAX                                                                                        \
        (CATALOG_ENTRY_PRODUCTS_MAX * (ENTRY_NAME_MAX + 2)      /* "A, B" */                                          \
         + 2 + (CATALOG_PROTOCOL_MAX - 1) + 1                   /* " (proto " */                                      \
         + 2 * ENTRY_U16_MAX + 1 + 5 + 2                        /* "lo-hi/udp): " */                                  \
         + 17                                                   /* " ended unanswered" */                             \
         + 2 * ENTRY_ENDPOINT_MAX + 4                           /* "a -> b" */                                        \
         + 5 + ENTRY_ENDPOINT_MAX                               /* " via nat" */                                      \
         + 24 + ENTRY_U64_MAX + 6 + 2 * (2 + ENTRY_U64_MAX + 6) /* ", conntrack entry kept 1.5 s, N B out, N B in" */ \
         + 11 + (FLOW_PREFIX_MAX - 1) + 1                       /* ", prefix \"…\"" */                              \
         + 8 + ENTRY_U16_MAX + 2 * (6 + IF_NAMESIZE - 1))       /* ", group N, in X, out Y" */

#define ENTRY_FLOW_FIELDS_MAX (37 + ENTRY_PRODUCT_FIELDS_MAX)
#define ENTRY_FLOW_BYTES_MAX \
        (ENTRY_F("MESSAGE_ID", 32) + ENTRY_F("MESSAGE", ENTRY_FLOW_MESSAGE_MAX) + ENTRY_F("PRIORITY", 1) + ENTRY_F("SYSLOG_IDENTIFIER", 10) + ENTRY_F("EVENT_ACTION", 14) + ENTRY_F("APPLE_SERVICE", CATALOG_ID_MAX - 1) + ENTRY_PRODUCT_FIELDS_MAX * ENTRY_F("APPLE_PRODUCT", ENTRY_NAME_MAX) + ENTRY_F("APPLE_PRODUCTS", ENTRY_PRODUCT_FIELDS_MAX * (ENTRY_NAME_MAX + 1)) + ENTRY_F("APPLE_NETWORK", 1) + ENTRY_F("APPLE_CONFIDENCE", 6) + ENTRY_F("APPLE_MATCHED_PORT", ENTRY_U16_MAX) + ENTRY_F("APPLE_MATCHED_SIDE", 6) + ENTRY_F("APPLE_SIDE_FROM", 9) + ENTRY_F("NETWORK_TRANSPORT", 3) + ENTRY_F("NETWORK_TYPE", 4) + ENTRY_F("SOURCE_IP", ENTRY_IP_MAX) + ENTRY_F("SOURCE_PORT", ENTRY_U16_MAX) + ENTRY_F("DESTINATION_IP", ENTRY_IP_MAX) + ENTRY_F("DESTINATION_PORT", ENTRY_U16_MAX) + ENTRY_F("SOURCE_NAT_IP", ENTRY_IP_MAX) + ENTRY_F("SOURCE_NAT_PORT", ENTRY_U16_MAX) + ENTRY_F("DESTINATION_NAT_IP", ENTRY_IP_MAX) + ENTRY_F("DESTINATION_NAT_PORT", ENTRY_U16_MAX) + ENTRY_F("CT_ID", ENTRY_U32_MAX) + ENTRY_F("CT_MARK", ENTRY_U32_MAX) + ENTRY_F("CT_ZONE", ENTRY_U16_MAX) + ENTRY_F("NFLOG_GROUP", ENTRY_U16_MAX) + ENTRY_F("NFLOG_PREFIX", FLOW_PREFIX_MAX - 1) + ENTRY_F("IN_INTERFACE", IF_NAMESIZE - 1) + ENTRY_F("OUT_INTERFACE", IF_NAMESIZE - 1) + ENTRY_F("SOURCE_BYTES", ENTRY_U64_MAX) + ENTRY_F("SOURCE_PACKETS", ENTRY_U64_MAX) + ENTRY_F("DESTINATION_BYTES", ENTRY_U64_MAX) + ENTRY_F("DESTINATION_PACKETS", ENTRY_U64_MAX) + ENTRY_F("CONNTRACK_LIFETIME", ENTRY_U64_MAX) + ENTRY_F("EVENT_DURATION", ENTRY_U64_MAX) + ENTRY_F("CONNECTION_ANSWERED", 3) + ENTRY_F("TCP_STATE", 11) + ENTRY_FLOW_FIELDS_MAX) /* a NUL after each */

#define ENTRY_FIELDS_MAX 100
#define ENTRY_BUF_SIZE 9216

_Static_assert(ENTRY_FLOW_FIELDS_MAX <= ENTRY_FIELDS_MAX, "ENTRY_FIELDS_MAX too small for a flow");
_Static_assert(ENTRY_FLOW_BYTES_MAX <= ENTRY_BUF_SIZE, "ENTRY_BUF_SIZE too small for a flow");
_Static_assert(ENTRY_FIELDS_MAX <= UINT8_MAX && ENTRY_BUF_SIZE <= UINT16_MAX, "entry sizes");

struct entry_field {
        uint16_t off, len; /* "NAME=value" at data + off, len bytes, NUL after */
};

/*
 * data holds the text, the fields one after another, then the field table.
 * While an entry is formatted the table waits at its end (ENTRY_BUF_SIZE);
 * entry_pack() moves it to just after the text, so that a packed entry is
 * only the bytes it uses (entry_size()): that is what the queue to the
 * writer holds, a few hundred bytes for a connection. A packed entry is
 * read-only and may be only its used part: read it through the accessors
 * below, never copy it by value.
 */
struct entry {
        uint8_t n_fields;
        uint8_t kind;           /* enum entry_kind, for per-kind accounting */
        uint8_t priority;       /* syslog priority, also in the PRIORITY field */
        uint16_t len;           /* bytes of text in use */
        uint16_t table;         /* offset of the field table in data */
        uint64_t realtime_usec; /* when it was formatted (console and JSON sinks) */
        char data[ENTRY_BUF_SIZE + ENTRY_FIELDS_MAX * sizeof(struct entry_field)];
};

#define ENTRY_SIZE_MAX sizeof(struct entry)
_Static_assert(ENTRY_BUF_SIZE % _Alignof(struct entry_field) == 0, "the table is aligned");

/* Connection new/end or packet logged, from f->action. The tag's entry and
 * products are copied out of c. Returns 0, -EINVAL (untagged, bad entry index,
 * unknown family), -EPROTONOSUPPORT (not TCP/UDP), -ENOBUFS (cannot happen for
 * a valid catalogue; see the bound above). */
int entry_format_flow(struct entry *e, const struct flow *f, const struct tag *t,
                      const struct catalog *c);

/* Events the kernel dropped since the last report, because the receive
 * buffer of an input's socket was full. */
struct entry_loss {
        const char *source;      /* "conntrack", "nflog" */
        uint64_t events;         /* events dropped */
        bool at_least;           /* events is a lower bound (see socket-drops.h) */
        uint64_t overruns;       /* ENOBUFS reports */
        uint64_t receive_buffer; /* bytes now; 0: not said */
};
int entry_format_lost(struct entry *e, const struct entry_loss *l);

/* "N entries not written" since the last report, by reason; ENTRIES_DROPPED
 * is their sum. */
struct entry_unwritten {
        uint64_t queue_full; /* the ring was full, or the entry could not be formatted */
        uint64_t refused;    /* the journal refused them */
        uint64_t at_stop;    /* left in the ring when a stop timed out */
};
int entry_format_not_written(struct entry *e, const struct entry_unwritten *u);

/* The daemon's own entries: MESSAGE_ID (32 hex digits), MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER; add more fields with entry_add_field(). */
int entry_format_message(struct entry *e, const char *message_id, int priority,
                         const char *fmt, ...) _printf_(4, 5);

/* Appends NAME=value. name must be a valid journal field name (A-Z, 0-9, _,
 * not starting with _ or a digit, at most 64 bytes): -EINVAL otherwise.
 * -ENOBUFS when the entry is full or packed (the entry is left as it was). */
int entry_add_field(struct entry *e, const char *name, const char *fmt, ...) _printf_(3, 4);

/* Appends NAME=the values of fields first .. n_fields-1, in their order, joined
 * by CATALOG_PRODUCT_SEPARATOR: one field beside a repeated one, for readers
 * that keep only the last value of a repeated field (rsyslog's imjournal,
 * syslog-ng's systemd-journal()). Nothing when there is no field to join. */
int entry_add_joined(struct entry *e, const char *name, unsigned first);

/* Accessors, for entries being formatted and packed ones alike. */
static inline const struct entry_field *entry_field(const struct entry *e, unsigned i) {
        return (const struct entry_field *) (const void *) (e->data + e->table) + i;
}

static inline const char *entry_field_str(const struct entry *e, unsigned i) {
        return e->data + entry_field(e, i)->off;
}

/* Length of field i, "NAME=value" without the NUL. */
static inline size_t entry_field_len(const struct entry *e, unsigned i) {
        return entry_field(e, i)->len;
}

/* Length of the NAME part of field i (up to the '='). */
size_t entry_field_name_len(const struct entry *e, unsigned i);
/* The value of the first field named name, or NULL. */
const char *entry_get(const struct entry *e, const char *name);
/* Fill iov (at least e->n_fields long) for sd_journal_sendv(); returns n_fields. */
unsigned entry_to_iovec(const struct entry *e, struct iovec *iov);

/* Bytes the entry takes packed: the header, the text, the field table. */
size_t entry_size(const struct entry *e);
/* Moves the field table to just after the text; returns entry_size(e). */
size_t entry_pack(struct entry *e);
/* Copies only the used part of src into dst, packed; returns entry_size().
 * dst needs that many bytes, not a whole struct entry. */
size_t entry_copy(struct entry *dst, const struct entry *src);

const char *entry_kind_to_string(enum entry_kind k);
