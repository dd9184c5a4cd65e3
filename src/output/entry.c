/* SPDX-License-Identifier: MIT */

/*
 * Formats entries in place. Every write is bounded by the entry's buffer; a
 * field that does not fit is not added and the call fails with -ENOBUFS.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "entry.h"
#include "message-id.h"
#include "tcp-state.h"
#include "time-util.h"

#define FIELD_NAME_MAX 64

/* A bounded string builder over the free part of an entry's buffer. */
struct sb {
        char *buf;
        size_t len, size;
        bool overflow;
};

static void sb_putn(struct sb *s, const char *p, size_t n) {
        if (s->overflow || n > s->size - s->len) {
                s->overflow = true;
                return;
        }
        memcpy(s->buf + s->len, p, n);
        s->len += n;
}

static void sb_puts(struct sb *s, const char *p) {
        sb_putn(s, p, strlen(p));
}

static void sb_putc(struct sb *s, char c) {
        sb_putn(s, &c, 1);
}

static void sb_u64(struct sb *s, uint64_t v) {
        char tmp[ENTRY_U64_MAX];
        size_t i = sizeof(tmp);

        do {
                tmp[--i] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        sb_putn(s, tmp + i, sizeof(tmp) - i);
}

_printf_(2, 0) static void sb_vprintf(struct sb *s, const char *fmt, va_list ap) {
        int n;

        if (s->overflow)
                return;
        n = vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
        if (n < 0 || (size_t) n >= s->size - s->len) {
                s->overflow = true;
                return;
        }
        s->len += (size_t) n;
}

/* Text from outside (NFLOG prefixes, interface names): at most max bytes,
 * control characters replaced, so a line stays a line. */
static void sb_clean(struct sb *s, const char *p, size_t max) {
        size_t n = strnlen(p, max);

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) p[i];
                sb_putc(s, c < 0x20 || c == 0x7f ? '?' : (char) c);
        }
}

static void sb_ip(struct sb *s, int family, const union flow_addr *a) {
        char tmp[INET6_ADDRSTRLEN];

        if (!inet_ntop(family, a->bytes, tmp, sizeof(tmp))) {
                s->overflow = true;
                return;
        }
        sb_puts(s, tmp);
}

static void sb_endpoint(struct sb *s, int family, const union flow_addr *a, uint16_t port) {
        if (family == AF_INET6)
                sb_putc(s, '[');
        sb_ip(s, family, a);
        if (family == AF_INET6)
                sb_putc(s, ']');
        sb_putc(s, ':');
        sb_u64(s, port);
}

static struct entry_field *table(struct entry *e) {
        return (struct entry_field *) (void *) (e->data + e->table);
}

static bool packed(const struct entry *e) {
        return e->table != ENTRY_BUF_SIZE;
}

static void field_open(struct entry *e, const char *name, struct sb *s) {
        *s = (struct sb) {
                .buf = e->data + e->len,
                .size = ENTRY_BUF_SIZE - e->len,
                /* A packed entry's table ends its bytes: nothing more fits. */
                .overflow = e->n_fields >= ENTRY_FIELDS_MAX || packed(e),
        };
        sb_puts(s, name);
        sb_putc(s, '=');
}

static int field_close(struct entry *e, struct sb *s) {
        if (s->overflow || s->len >= s->size) /* room for the NUL too */
                return -ENOBUFS;
        s->buf[s->len] = '\0';
        table(e)[e->n_fields++] = (struct entry_field) { .off = e->len, .len = (uint16_t) s->len };
        e->len = (uint16_t) (e->len + s->len + 1);
        return 0;
}

static int add_str(struct entry *e, const char *name, const char *value) {
        struct sb s;

        field_open(e, name, &s);
        sb_puts(&s, value);
        return field_close(e, &s);
}

static int add_u64(struct entry *e, const char *name, uint64_t value) {
        struct sb s;

        field_open(e, name, &s);
        sb_u64(&s, value);
        return field_close(e, &s);
}

static int add_clean(struct entry *e, const char *name, const char *value, size_t max) {
        struct sb s;

        field_open(e, name, &s);
        sb_clean(&s, value, max);
        return field_close(e, &s);
}

static int add_ip(struct entry *e, const char *name, int family, const union flow_addr *a) {
        struct sb s;

        field_open(e, name, &s);
        sb_ip(&s, family, a);
        return field_close(e, &s);
}

/* MESSAGE_ID, MESSAGE (left for the caller to add), PRIORITY, SYSLOG_IDENTIFIER. */
static void entry_reset(struct entry *e, enum entry_kind kind, int priority) {
        e->n_fields = 0;
        e->len = 0;
        e->table = ENTRY_BUF_SIZE;
        e->kind = (uint8_t) kind;
        e->priority = (uint8_t) priority;
        e->realtime_usec = clock_usec(CLOCK_REALTIME);
}

static int add_header_tail(struct entry *e) {
        int r;

        r = add_u64(e, "PRIORITY", e->priority);
        if (r < 0)
                return r;
        return add_str(e, "SYSLOG_IDENTIFIER", "appleflowd");
}

static void sb_label(struct sb *s, const struct flow *f, const struct tag *t,
                     const struct catalog *c, const struct catalog_entry *ce) {
        /* Every protocol the entry's port is for, short: "RTP/RTCP", "SSH/SFTP/scp". */
        char short_name[CATALOG_PROTOCOL_MAX];
        size_t proto_len = catalog_protocol_short(ce->protocol, short_name, sizeof(short_name));
        const char *proto = proto_len > 0 ? short_name : NULL;
        uint16_t lo = t->port, hi = t->port;

        for (unsigned i = 0; i < ce->n_products; i++) {
                if (i > 0)
                        sb_puts(s, ", ");
                sb_clean(s, c->products[ce->products[i]].name, CATALOG_PRODUCT_NAME_MAX);
        }

        if (ce->n_products == 0) {
                /* Nothing better to call it by than the protocol or the slug. */
                if (proto)
                        sb_putn(s, proto, proto_len);
                else
                        sb_clean(s, ce->id, CATALOG_ID_MAX);
                sb_puts(s, " (");
        } else {
                sb_puts(s, " (");
                if (proto) {
                        sb_putn(s, proto, proto_len);
                        sb_putc(s, ' ');
                }
        }

        for (unsigned i = 0; i < ce->n_ports && i < CATALOG_PORT_RANGES_MAX; i++)
                if (ce->ports[i].lo <= t->port && t->port <= ce->ports[i].hi) {
                        lo = ce->ports[i].lo;
                        hi = ce->ports[i].hi;
                        break;
                }
        sb_u64(s, lo);
        if (hi != lo) {
                sb_putc(s, '-');
                sb_u64(s, hi);
        }
        sb_puts(s, f->l4proto == IPPROTO_TCP ? "/tcp)" : "/udp)");
}

/* "1.250 s" from nanoseconds, milliseconds precision. */
static void sb_duration(struct sb *s, uint64_t ns) {
        uint64_t ms = ns / 1000000u;
        char frac[4] = { (char) ('0' + ms / 100 % 10), (char) ('0' + ms / 10 % 10),
                         (char) ('0' + ms % 10), 0 };

        sb_u64(s, ms / 1000);
        sb_putc(s, '.');
        sb_puts(s, frac);
        sb_puts(s, " s");
}

/* "iCloud (www.icloud.com, 443/tcp)": the name's service, the name, the port. */
static void sb_name_label(struct sb *s, const struct flow *f, const struct tag *t) {
        const struct domain_rule *r = t->name_rule;

        for (unsigned i = 0; i < r->n_products && i < DOMAINS_PRODUCTS_MAX; i++) {
                if (i > 0)
                        sb_puts(s, ", ");
                sb_clean(s, r->products[i], DOMAINS_PRODUCT_MAX);
        }
        if (r->n_products == 0)
                sb_clean(s, r->service, DOMAINS_SERVICE_MAX);
        sb_puts(s, " (");
        sb_clean(s, t->domain, DOMAINS_NAME_MAX);
        sb_puts(s, ", ");
        sb_u64(s, t->port);
        sb_puts(s, f->l4proto == IPPROTO_TCP ? "/tcp)" : "/udp)");
}

static int add_flow_message(struct entry *e, const struct flow *f, const struct tag *t,
                            const struct catalog *c, const struct catalog_entry *ce) {
        struct sb s;

        field_open(e, "MESSAGE", &s);
        if (t->by_name)
                sb_name_label(&s, f, t);
        else
                sb_label(&s, f, t, c, ce);
        if (f->action == FLOW_CONNECTION_END)
                sb_puts(&s, flow_answered(f) ? " ended" : " ended unanswered");
        else if (f->action == FLOW_PACKET_LOGGED)
                sb_puts(&s, " packet logged");
        sb_puts(&s, ": ");
        sb_endpoint(&s, f->family, &f->src, f->src_port);
        sb_puts(&s, " -> ");
        sb_endpoint(&s, f->family, &f->dst, f->dst_port);
        if (t->domain && !t->by_name) {
                sb_puts(&s, " (");
                sb_clean(&s, t->domain, DOMAINS_NAME_MAX);
                sb_putc(&s, ')');
        }
        if (f->has_snat) {
                sb_puts(&s, " via ");
                sb_endpoint(&s, f->family, &f->snat, f->snat_port);
        }

        if (f->action == FLOW_CONNECTION_END) {
                if (f->has_duration) {
                        sb_puts(&s, ", lasted ");
                        sb_duration(&s, f->duration_ns);
                } else if (f->has_timestamps && f->stop_ns >= f->start_ns) {
                        sb_puts(&s, ", conntrack entry kept ");
                        sb_duration(&s, f->stop_ns - f->start_ns);
                }
                if (f->has_counters) {
                        sb_puts(&s, ", ");
                        sb_u64(&s, f->orig_bytes);
                        sb_puts(&s, " B out, ");
                        sb_u64(&s, f->reply_bytes);
                        sb_puts(&s, " B in");
                }
        } else if (f->action == FLOW_PACKET_LOGGED && f->has_nflog) {
                if (f->nflog_prefix[0]) {
                        sb_puts(&s, ", prefix \"");
                        sb_clean(&s, f->nflog_prefix, FLOW_PREFIX_MAX);
                        sb_putc(&s, '"');
                }
                sb_puts(&s, ", group ");
                sb_u64(&s, f->nflog_group);
                if (f->in_interface[0]) {
                        sb_puts(&s, ", in ");
                        sb_clean(&s, f->in_interface, IF_NAMESIZE);
                }
                if (f->out_interface[0]) {
                        sb_puts(&s, ", out ");
                        sb_clean(&s, f->out_interface, IF_NAMESIZE);
                }
        }
        return field_close(e, &s);
}

static bool has_product_value(const struct entry *e, unsigned first, const char *name) {
        for (unsigned i = first; i < e->n_fields; i++)
                if (strcmp(entry_field_str(e, i) + strlen("APPLE_PRODUCT="), name) == 0)
                        return true;
        return false;
}

/* Every product and every alias, each value once, so that a search by an old
 * name (APPLE_PRODUCT=iChat) finds the renamed product. */
static int add_products(struct entry *e, const struct catalog *c, const struct catalog_entry *ce) {
        unsigned first = e->n_fields;
        int r;

        for (unsigned i = 0; i < ce->n_products; i++) {
                const struct catalog_product *p = &c->products[ce->products[i]];

                for (unsigned a = 0; a <= p->n_aliases && a <= CATALOG_PRODUCT_ALIASES_MAX; a++) {
                        const char *name = a == 0 ? p->name : p->aliases[a - 1];

                        if (has_product_value(e, first, name))
                                continue;
                        r = add_clean(e, "APPLE_PRODUCT", name, CATALOG_PRODUCT_NAME_MAX);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int add_name_products(struct entry *e, const struct domain_rule *r) {
        int k;

        for (unsigned i = 0; i < r->n_products && i < DOMAINS_PRODUCTS_MAX; i++)
                if ((k = add_clean(e, "APPLE_PRODUCT", r->products[i], DOMAINS_PRODUCT_MAX)) < 0)
                        return k;
        return 0;
}

int entry_format_flow(struct entry *e, const struct flow *f, const struct tag *t,
                      const struct catalog *c) {
        static const struct {
                enum entry_kind kind;
                const char *id, *action;
                int priority;
        } kinds[] = {
                [FLOW_CONNECTION_NEW] = { ENTRY_CONNECTION_NEW, MESSAGE_ID_CONNECTION_STR, "connection-new", 6 },
                [FLOW_CONNECTION_END] = { ENTRY_CONNECTION_END, MESSAGE_ID_CONNECTION_END_STR, "connection-end", 6 },
                [FLOW_PACKET_LOGGED] = { ENTRY_PACKET_LOGGED, MESSAGE_ID_PACKET_LOGGED_STR, "packet-logged", 5 },
        };
        const struct catalog_entry *ce;
        unsigned products;
        int r;

        if ((unsigned) f->action >= ELEMENTSOF(kinds) || t->confidence == CONFIDENCE_NONE ||
            t->entry >= c->n_entries || ((t->by_name || t->domain) && (!t->name_rule || !t->domain)))
                return -EINVAL;
        if (f->family != AF_INET && f->family != AF_INET6)
                return -EINVAL;
        if (f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP)
                return -EPROTONOSUPPORT;
        ce = &c->entries[t->entry];
        if (ce->n_products > CATALOG_ENTRY_PRODUCTS_MAX)
                return -EINVAL;
        for (unsigned i = 0; i < ce->n_products; i++)
                if (ce->products[i] >= c->n_products)
                        return -EINVAL;

        entry_reset(e, kinds[f->action].kind, kinds[f->action].priority);
        if ((r = add_str(e, "MESSAGE_ID", kinds[f->action].id)) < 0 ||
            (r = add_flow_message(e, f, t, c, ce)) < 0 ||
            (r = add_header_tail(e)) < 0 ||
            (r = add_str(e, "EVENT_ACTION", kinds[f->action].action)) < 0 ||
            (r = add_clean(e, "APPLE_SERVICE", t->by_name ? t->name_rule->service : ce->id,
                           t->by_name ? DOMAINS_SERVICE_MAX : CATALOG_ID_MAX)) < 0)
                return r;
        products = e->n_fields;
        if ((r = t->by_name ? add_name_products(e, t->name_rule) : add_products(e, c, ce)) < 0 ||
            (r = entry_add_joined(e, "APPLE_PRODUCTS", products)) < 0 ||
            (r = add_str(e, "APPLE_NETWORK", t->apple_network ? "1" : "0")) < 0 ||
            (r = add_str(e, "APPLE_CONFIDENCE", confidence_to_string(t->confidence))) < 0 ||
            (r = add_str(e, "APPLE_MATCHED_SIDE", tag_side_to_string(t->side))) < 0 ||
            (r = add_str(e, "NETWORK_TRANSPORT", f->l4proto == IPPROTO_TCP ? "tcp" : "udp")) < 0 ||
            (r = add_str(e, "NETWORK_TYPE", f->family == AF_INET ? "ipv4" : "ipv6")) < 0 ||
            (r = add_ip(e, "SOURCE_IP", f->family, &f->src)) < 0 ||
            (r = add_u64(e, "SOURCE_PORT", f->src_port)) < 0 ||
            (r = add_ip(e, "DESTINATION_IP", f->family, &f->dst)) < 0 ||
            (r = add_u64(e, "DESTINATION_PORT", f->dst_port)) < 0)
                return r;
        if (t->domain && (r = add_clean(e, "DESTINATION_DOMAIN", t->domain, DOMAINS_NAME_MAX)) < 0)
                return r;

        if (t->side != TAG_SIDE_NONE && (r = add_u64(e, "APPLE_MATCHED_PORT", t->port)) < 0)
                return r;
        /* A packet's side: from its conntrack state, or the rule alone. */
        if (f->action == FLOW_PACKET_LOGGED &&
            (r = add_str(e, "APPLE_SIDE_FROM", t->side_guessed ? "rule" : "conntrack")) < 0)
                return r;

        if (f->has_snat)
                if ((r = add_ip(e, "SOURCE_NAT_IP", f->family, &f->snat)) < 0 ||
                    (r = add_u64(e, "SOURCE_NAT_PORT", f->snat_port)) < 0)
                        return r;

        if (f->has_dnat)
                if ((r = add_ip(e, "DESTINATION_NAT_IP", f->family, &f->dnat)) < 0 ||
                    (r = add_u64(e, "DESTINATION_NAT_PORT", f->dnat_port)) < 0)
                        return r;

        if (f->has_ct)
                if ((r = add_u64(e, "CT_ID", f->ct_id)) < 0 ||
                    (r = add_u64(e, "CT_MARK", f->ct_mark)) < 0 ||
                    (r = add_u64(e, "CT_ZONE", f->ct_zone)) < 0)
                        return r;

        if (f->has_nflog) {
                if ((r = add_u64(e, "NFLOG_GROUP", f->nflog_group)) < 0)
                        return r;
                if (f->nflog_prefix[0] &&
                    (r = add_clean(e, "NFLOG_PREFIX", f->nflog_prefix, FLOW_PREFIX_MAX)) < 0)
                        return r;
                if (f->in_interface[0] &&
                    (r = add_clean(e, "IN_INTERFACE", f->in_interface, IF_NAMESIZE)) < 0)
                        return r;
                if (f->out_interface[0] &&
                    (r = add_clean(e, "OUT_INTERFACE", f->out_interface, IF_NAMESIZE)) < 0)
                        return r;
        }

        if (f->action == FLOW_CONNECTION_END) {
                if (f->has_counters)
                        if ((r = add_u64(e, "SOURCE_BYTES", f->orig_bytes)) < 0 ||
                            (r = add_u64(e, "SOURCE_PACKETS", f->orig_packets)) < 0 ||
                            (r = add_u64(e, "DESTINATION_BYTES", f->reply_bytes)) < 0 ||
                            (r = add_u64(e, "DESTINATION_PACKETS", f->reply_packets)) < 0)
                                return r;
                if (f->has_timestamps && f->stop_ns >= f->start_ns)
                        if ((r = add_u64(e, "CONNTRACK_LIFETIME", f->stop_ns - f->start_ns)) < 0)
                                return r;
                if (f->has_duration && (r = add_u64(e, "EVENT_DURATION", f->duration_ns)) < 0)
                        return r;
                if (f->has_status &&
                    (r = add_str(e, "CONNECTION_ANSWERED", flow_answered(f) ? "yes" : "no")) < 0)
                        return r;
                if (f->has_tcp_state && tcp_state_name(f->tcp_state) &&
                    (r = add_str(e, "TCP_STATE", tcp_state_name(f->tcp_state))) < 0)
                        return r;
        }
        return 0;
}

int entry_format_lost(struct entry *e, const struct entry_loss *l) {
        struct sb s;
        int r;

        entry_reset(e, ENTRY_EVENTS_LOST, 4);
        if ((r = add_str(e, "MESSAGE_ID", MESSAGE_ID_EVENTS_LOST_STR)) < 0)
                return r;
        field_open(e, "MESSAGE", &s);
        sb_clean(&s, l->source, 32);
        sb_puts(&s, l->at_least ? ": the kernel dropped at least " : ": the kernel dropped ");
        sb_u64(&s, l->events);
        sb_puts(&s, l->events == 1 ? " event" : " events");
        sb_puts(&s, ", the receive buffer was full");
        if (l->overruns > 0) {
                sb_puts(&s, " (");
                sb_u64(&s, l->overruns);
                sb_puts(&s, l->overruns == 1 ? " overrun)" : " overruns)");
        }
        if (l->receive_buffer > 0) {
                sb_puts(&s, "; receive buffer now ");
                sb_u64(&s, l->receive_buffer);
                sb_puts(&s, " bytes");
        }
        if ((r = field_close(e, &s)) < 0 ||
            (r = add_header_tail(e)) < 0 ||
            (r = add_str(e, "EVENT_ACTION", "events-lost")) < 0 ||
            (r = add_clean(e, "EVENT_PROVIDER", l->source, 32)) < 0 ||
            (r = add_u64(e, "EVENTS_LOST", l->events)) < 0 ||
            (r = add_u64(e, "RECEIVE_BUFFER_OVERRUNS", l->overruns)) < 0)
                return r;
        if (l->receive_buffer > 0 && (r = add_u64(e, "RECEIVE_BUFFER", l->receive_buffer)) < 0)
                return r;
        return 0;
}

int entry_format_not_written(struct entry *e, const struct entry_unwritten *u) {
        static const char *const why[] = {
                " because the queue to the journal was full",
                " refused by the journal",
                " still queued when the daemon stopped",
        };
        uint64_t part[] = { u->queue_full, u->refused, u->at_stop };
        uint64_t n = u->queue_full + u->refused + u->at_stop;
        const char *sep = ": ";
        struct sb s;
        int r;

        entry_reset(e, ENTRY_NOT_WRITTEN, 4);
        if ((r = add_str(e, "MESSAGE_ID", MESSAGE_ID_NOT_WRITTEN_STR)) < 0)
                return r;
        field_open(e, "MESSAGE", &s);
        sb_u64(&s, n);
        sb_puts(&s, n == 1 ? " entry not written" : " entries not written");
        for (size_t i = 0; i < ELEMENTSOF(part); i++) {
                if (part[i] == 0)
                        continue;
                sb_puts(&s, sep);
                sb_u64(&s, part[i]);
                sb_puts(&s, why[i]);
                sep = ", ";
        }
        if ((r = field_close(e, &s)) < 0 ||
            (r = add_header_tail(e)) < 0 ||
            (r = add_str(e, "EVENT_ACTION", "entries-not-written")) < 0 ||
            (r = add_u64(e, "ENTRIES_DROPPED", n)) < 0)
                return r;
        return 0;
}

static bool message_id_valid(const char *id) {
        size_t n = strnlen(id, 33);

        if (n != 32)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
                        return false;
        return true;
}

int entry_format_message(struct entry *e, const char *message_id, int priority,
                         const char *fmt, ...) {
        struct sb s;
        va_list ap;
        int r;

        if (!message_id_valid(message_id) || priority < 0 || priority > 7)
                return -EINVAL;
        entry_reset(e, ENTRY_MESSAGE, priority);
        if ((r = add_str(e, "MESSAGE_ID", message_id)) < 0)
                return r;
        field_open(e, "MESSAGE", &s);
        va_start(ap, fmt);
        sb_vprintf(&s, fmt, ap);
        va_end(ap);
        if ((r = field_close(e, &s)) < 0)
                return r;
        return add_header_tail(e);
}

static bool field_name_valid(const char *name) {
        size_t n = strnlen(name, FIELD_NAME_MAX + 1);

        if (n == 0 || n > FIELD_NAME_MAX || name[0] == '_' || (name[0] >= '0' && name[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9') ||
                      name[i] == '_'))
                        return false;
        return true;
}

int entry_add_field(struct entry *e, const char *name, const char *fmt, ...) {
        struct sb s;
        va_list ap;

        if (!field_name_valid(name))
                return -EINVAL;
        field_open(e, name, &s);
        va_start(ap, fmt);
        sb_vprintf(&s, fmt, ap);
        va_end(ap);
        return field_close(e, &s);
}

int entry_add_joined(struct entry *e, const char *name, unsigned first) {
        unsigned end = e->n_fields;
        struct sb s;

        if (!field_name_valid(name) || first > end)
                return -EINVAL;
        if (first == end)
                return 0;
        field_open(e, name, &s);
        for (unsigned i = first; i < end; i++) {
                size_t skip = entry_field_name_len(e, i) + 1;

                if (i > first)
                        sb_putc(&s, CATALOG_PRODUCT_SEPARATOR);
                if (skip <= entry_field_len(e, i))
                        sb_putn(&s, entry_field_str(e, i) + skip, entry_field_len(e, i) - skip);
        }
        return field_close(e, &s);
}

size_t entry_field_name_len(const struct entry *e, unsigned i) {
        const char *p = entry_field_str(e, i);
        const char *eq = memchr(p, '=', entry_field_len(e, i));

        return eq ? (size_t) (eq - p) : entry_field_len(e, i);
}

const char *entry_get(const struct entry *e, const char *name) {
        size_t n = strlen(name);

        for (unsigned i = 0; i < e->n_fields; i++) {
                const char *p = entry_field_str(e, i);

                if (entry_field_len(e, i) > n && memcmp(p, name, n) == 0 && p[n] == '=')
                        return p + n + 1;
        }
        return NULL;
}

unsigned entry_to_iovec(const struct entry *e, struct iovec *iov) {
        for (unsigned i = 0; i < e->n_fields; i++)
                iov[i] = (struct iovec) {
                        .iov_base = (void *) entry_field_str(e, i),
                        .iov_len = entry_field_len(e, i),
                };
        return e->n_fields;
}

/* Where the table of a packed entry starts: just after the text, aligned. */
static size_t packed_table(const struct entry *e) {
        size_t align = _Alignof(struct entry_field);

        return (e->len + align - 1) & ~(align - 1);
}

size_t entry_size(const struct entry *e) {
        return offsetof(struct entry, data) + packed_table(e) +
               e->n_fields * sizeof(struct entry_field);
}

size_t entry_pack(struct entry *e) {
        size_t to = packed_table(e);

        /* May overlap when the text is nearly ENTRY_BUF_SIZE long. */
        memmove(e->data + to, e->data + e->table, e->n_fields * sizeof(struct entry_field));
        e->table = (uint16_t) to;
        return entry_size(e);
}

size_t entry_copy(struct entry *dst, const struct entry *src) {
        dst->n_fields = src->n_fields;
        dst->kind = src->kind;
        dst->priority = src->priority;
        dst->len = src->len;
        dst->realtime_usec = src->realtime_usec;
        dst->table = (uint16_t) packed_table(src);
        memcpy(dst->data, src->data, src->len);
        memcpy(dst->data + dst->table, src->data + src->table,
               src->n_fields * sizeof(struct entry_field));
        return entry_size(dst);
}

const char *entry_kind_to_string(enum entry_kind k) {
        static const char *const names[_ENTRY_KIND_MAX] = {
                [ENTRY_CONNECTION_NEW] = "connection-new",
                [ENTRY_CONNECTION_END] = "connection-end",
                [ENTRY_PACKET_LOGGED] = "packet-logged",
                [ENTRY_EVENTS_LOST] = "events-lost",
                [ENTRY_NOT_WRITTEN] = "entries-not-written",
                [ENTRY_MESSAGE] = "message",
        };

        return (unsigned) k < _ENTRY_KIND_MAX ? names[k] : NULL;
}
