/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <json-c/json.h>

#include "control-protocol.h"
#include "text-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);

static int get_name(json_object *v, const char *key, char *dst, char *err, size_t errlen) {
        const char *s;
        int len;

        if (!json_object_is_type(v, json_type_string))
                return errorf(-EINVAL, err, errlen, "\"%s\" must be a string", key);
        s = json_object_get_string(v);
        len = json_object_get_string_len(v);
        if (len <= 0 || len >= CONTROL_NAME_MAX)
                return errorf(-EINVAL, err, errlen,
                              "\"%s\" must be 1 to %d bytes", key, CONTROL_NAME_MAX - 1);
        if (memchr(s, 0, (size_t) len))
                return errorf(-EINVAL, err, errlen, "\"%s\" contains a NUL", key);
        memcpy(dst, s, (size_t) len);
        dst[len] = 0;
        return 0;
}

int control_request_parse(const char *buf, size_t len, struct control_request *ret,
                          char *err, size_t errlen) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL;
        struct control_request req = {};
        bool have_command = false;
        size_t end;
        int r;

        if (len == 0)
                return errorf(-EINVAL, err, errlen, "empty request");
        if (len > CONTROL_REQUEST_MAX)
                return errorf(-EINVAL, err, errlen, "request longer than %d bytes", CONTROL_REQUEST_MAX);
        if (memchr(buf, 0, len))
                return errorf(-EINVAL, err, errlen, "NUL in request");

        /* A request is one flat object: depth 2 is enough, deeper is refused. */
        tok = json_tokener_new_ex(2);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, buf, (int) len);
        if (!root) {
                enum json_tokener_error e = json_tokener_get_error(tok);

                if (e == json_tokener_continue)
                        return errorf(-EINVAL, err, errlen, "incomplete JSON");
                return errorf(-EINVAL, err, errlen, "not JSON: %s", json_tokener_error_desc(e));
        }
        end = json_tokener_get_parse_end(tok);
        for (; end < len; end++)
                if (!strchr(" \t\r\n", buf[end]))
                        return errorf(-EINVAL, err, errlen, "text after the JSON object");
        if (!json_object_is_type(root, json_type_object))
                return errorf(-EINVAL, err, errlen, "the request must be a JSON object");

        json_object_object_foreach(root, key, val) {
                if (strcmp(key, "command") == 0) {
                        const char *c;

                        if (!json_object_is_type(val, json_type_string))
                                return errorf(-EINVAL, err, errlen, "\"command\" must be a string");
                        c = json_object_get_string(val);
                        if (strcmp(c, "stats") == 0)
                                req.command = CONTROL_COMMAND_STATS;
                        else if (strcmp(c, "ping") == 0)
                                req.command = CONTROL_COMMAND_PING;
                        else
                                return errorf(-EINVAL, err, errlen, "unknown command");
                        have_command = true;
                } else if (strcmp(key, "service") == 0) {
                        r = get_name(val, key, req.service, err, errlen);
                        if (r < 0)
                                return r;
                } else if (strcmp(key, "product") == 0) {
                        r = get_name(val, key, req.product, err, errlen);
                        if (r < 0)
                                return r;
                } else if (strcmp(key, "all") == 0) {
                        if (!json_object_is_type(val, json_type_boolean))
                                return errorf(-EINVAL, err, errlen, "\"all\" must be true or false");
                        req.all = json_object_get_boolean(val);
                } else
                        /* The key is not echoed: it may be anything. */
                        return errorf(-EINVAL, err, errlen, "unknown key in request");
        }
        if (!have_command)
                return errorf(-EINVAL, err, errlen, "\"command\" missing");

        *ret = req;
        return 0;
}

static int finish(json_object *root, char **ret, size_t *ret_len) {
        const char *text;
        size_t len;
        char *buf;

        text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (!text)
                return -ENOMEM;
        buf = malloc(len + 2);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, text, len);
        buf[len] = '\n';
        buf[len + 1] = 0;
        *ret = buf;
        *ret_len = len + 1;
        return 0;
}

int control_reply_error(const char *message, char **ret, size_t *ret_len) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();

        if (!root || json_object_object_add(root, "error", json_object_new_string(message)) < 0)
                return -ENOMEM;
        return finish(root, ret, ret_len);
}

/* json-c's object_add takes ownership even of NULL; a failed allocation
 * shows up as a missing member, checked once at the end via ok. */
static void add(json_object *o, const char *key, json_object *v, bool *ok) {
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                *ok = false;
        }
}

static json_object *new_rate(double v) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%.6f", v);
        return json_object_new_double_s(v, buf);
}

/* low, medium, high: connections by the confidence of their match. */
static json_object *confidence_json(const struct stats_counters *c, bool *ok) {
        json_object *o = json_object_new_object();

        if (o)
                for (enum confidence k = CONFIDENCE_LOW; k < _CONFIDENCE_MAX; k++)
                        add(o, confidence_to_string(k),
                            json_object_new_uint64(c->confidence[STATS_CONFIDENCE_INDEX(k)]), ok);
        return o;
}

static json_object *item_json(const struct stats *s, const struct stats_item *it, bool *ok) {
        json_object *o = json_object_new_object();

        if (!o) {
                *ok = false;
                return NULL;
        }
        add(o, "connections", json_object_new_uint64(it->total.connections), ok);
        add(o, "confidence", confidence_json(&it->total, ok), ok);
        add(o, "not_attributed", json_object_new_uint64(stats_confidence_below(&it->total, s->attribute_min)), ok);
        add(o, "blocked_packets", json_object_new_uint64(it->total.blocked), ok);
        add(o, "bytes", json_object_new_uint64(it->total.bytes), ok);
        add(o, "packets", json_object_new_uint64(it->total.packets), ok);
        add(o, "ended", json_object_new_uint64(it->total.ended), ok);
        add(o, "unanswered", json_object_new_uint64(it->total.unanswered), ok);
        for (enum stats_rated r = 0; r < _STATS_RATED_MAX; r++) {
                json_object *rates = json_object_new_object();

                if (rates)
                        for (enum rate_window w = 0; w < _RATE_WINDOW_MAX; w++)
                                add(rates, rate_window_to_string(w), new_rate(it->rate[r][w]), ok);
                add(o, r == STATS_RATED_CONNECTIONS ? "connection_rate" : "blocked_rate", rates, ok);
        }
        return o;
}

static json_object *per_source(const uint64_t *v, bool *ok) {
        json_object *o = json_object_new_object();

        if (o)
                for (enum stats_source src = 0; src < _STATS_SOURCE_MAX; src++)
                        add(o, stats_source_to_string(src), json_object_new_uint64(v[src]), ok);
        return o;
}

static json_object *conntrack_table_json(const struct stats_daemon *d, bool *ok) {
        json_object *o = json_object_new_object();

        if (o) {
                add(o, "entries", json_object_new_uint64(d->conntrack_table_entries), ok);
                add(o, "max", json_object_new_uint64(d->conntrack_table_max), ok);
                add(o, "refused", json_object_new_uint64(d->conntrack_refused), ok);
        }
        return o;
}

static json_object *account_json(const struct stats_account *a, bool *ok) {
        json_object *o = json_object_new_object();

        if (o) {
                add(o, "seen", json_object_new_uint64(a->seen), ok);
                add(o, "tagged", json_object_new_uint64(a->tagged), ok);
                add(o, "unmatched", json_object_new_uint64(a->unmatched), ok);
                add(o, "excluded", json_object_new_uint64(a->excluded), ok);
        }
        return o;
}

static json_object *unmatched_json(const struct stats *s, bool *ok) {
        json_object *o = json_object_new_object();

        for (unsigned udp = 0; o && udp < 2; udp++) {
                json_object *t = json_object_new_object();

                if (t) {
                        add(t, "apple_network", json_object_new_uint64(s->unmatched_by[udp][1]), ok);
                        add(t, "other", json_object_new_uint64(s->unmatched_by[udp][0]), ok);
                }
                add(o, udp ? "udp" : "tcp", t, ok);
        }
        return o;
}

static json_object *router_addresses_json(const struct stats_daemon *d, bool *ok) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        add(o, "known", json_object_new_uint64(d->router_addresses), ok);
        add(o, "overflow", json_object_new_uint64(d->router_addresses_overflow), ok);
        add(o, "resyncs", json_object_new_uint64(d->router_addresses_resyncs), ok);
        add(o, "malformed", json_object_new_uint64(d->router_addresses_malformed), ok);
        return o;
}

static json_object *name_counts_json(const struct name_stats_table *t, bool *ok) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                add(o, t->rows[i].key, json_object_new_uint64(t->rows[i].connections), ok);
        if (t->overflow > 0)
                add(o, "other", json_object_new_uint64(t->overflow), ok);
        return o;
}

/* The DNS names: the answers read, the table, and the connections they tagged. */
static json_object *dns_json(const struct stats *s, bool *ok) {
        const struct stats_dns *d = &s->daemon.dns;
        json_object *o = json_object_new_object(), *answers, *table;

        if (!o)
                return NULL;
        add(o, "enabled", json_object_new_boolean(d->enabled), ok);
        answers = json_object_new_object();
        if (answers) {
                add(answers, "packets", json_object_new_uint64(d->packets), ok);
                add(answers, "apple", json_object_new_uint64(d->answers_apple), ok);
                add(answers, "other", json_object_new_uint64(d->answers_other), ok);
                add(answers, "without_address", json_object_new_uint64(d->answers - MIN(d->answers, d->answers_apple + d->answers_other)), ok);
                add(answers, "not_answers", json_object_new_uint64(d->not_answers), ok);
                add(answers, "malformed", json_object_new_uint64(d->malformed), ok);
                add(answers, "skipped", json_object_new_uint64(d->skipped), ok);
                add(answers, "tcp_without_data", json_object_new_uint64(d->empty), ok);
                add(answers, "not_dns", json_object_new_uint64(d->other), ok);
                add(answers, "lost", json_object_new_uint64(d->lost), ok);
        }
        add(o, "answers", answers, ok);
        table = json_object_new_object();
        if (table) {
                add(table, "names", json_object_new_uint64(d->names), ok);
                add(table, "capacity", json_object_new_uint64(d->capacity), ok);
                add(table, "bytes", json_object_new_uint64(d->bytes), ok);
                add(table, "hits", json_object_new_uint64(d->hits), ok);
                add(table, "misses", json_object_new_uint64(d->misses), ok);
                add(table, "evicted", json_object_new_uint64(d->evicted), ok);
                add(table, "expired", json_object_new_uint64(d->expired), ok);
        }
        add(o, "table", table, ok);
        if (s->names) {
                add(o, "services", name_counts_json(&s->names->services, ok), ok);
                add(o, "suffixes", name_counts_json(&s->names->suffixes, ok), ok);
        }
        return o;
}

static json_object *live_json(const struct stats_daemon *d, bool *ok) {
        json_object *o = json_object_new_object();

        if (!o) {
                *ok = false;
                return NULL;
        }
        add(o, "interval_sec", json_object_new_uint64(d->live_interval_sec), ok);
        add(o, "open", json_object_new_uint64(d->live.open), ok);
        add(o, "capacity", json_object_new_uint64(d->live.capacity), ok);
        add(o, "untracked", json_object_new_uint64(d->live.untracked), ok);
        add(o, "stale", json_object_new_uint64(d->live.stale), ok);
        add(o, "reads", json_object_new_uint64(d->live.reads), ok);
        add(o, "reads_incomplete", json_object_new_uint64(d->live.reads_incomplete), ok);
        add(o, "reads_skipped", json_object_new_uint64(d->live_reads_skipped), ok);
        add(o, "table_entries_read", json_object_new_uint64(d->live.read_entries), ok);
        return o;
}

static json_object *daemon_json(const struct stats *s, bool *ok) {
        const struct stats_daemon *d = &s->daemon;
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        add(o, "events_received", per_source(d->events_received, ok), ok);
        add(o, "events_lost", per_source(d->events_lost, ok), ok);
        add(o, "malformed_packets", json_object_new_uint64(d->malformed), ok);
        add(o, "entries_written", json_object_new_uint64(d->entries_written), ok);
        add(o, "entries_dropped", json_object_new_uint64(d->entries_dropped), ok);
        add(o, "write_errors", json_object_new_uint64(d->write_errors), ok);
        add(o, "below_threshold", json_object_new_uint64(d->below_threshold), ok);
        add(o, "unmatched_connections", json_object_new_uint64(s->unmatched_connections), ok);
        add(o, "unmatched_packets", json_object_new_uint64(s->unmatched_packets), ok);
        add(o, "unmatched_by_transport", unmatched_json(s, ok), ok);
        add(o, "excluded_connections", json_object_new_uint64(s->excluded_connections), ok);
        add(o, "excluded_packets", json_object_new_uint64(s->excluded_packets), ok);
        add(o, "connections", account_json(&s->connections, ok), ok);
        add(o, "packets", account_json(&s->packets, ok), ok);
        add(o, "router_addresses", router_addresses_json(d, ok), ok);
        add(o, "nflog_conntrack_unparsed", json_object_new_uint64(d->nflog_conntrack_unparsed), ok);
        add(o, "conntrack_table", conntrack_table_json(d, ok), ok);
        add(o, "conntrack_quiet_sec", json_object_new_uint64(d->conntrack_quiet_sec), ok);
        add(o, "live_bytes", live_json(d, ok), ok);
        add(o, "dns", dns_json(s, ok), ok);
        return o;
}

static json_object *ports_json(const struct catalog_entry *e) {
        char buf[CATALOG_PORT_RANGES_MAX * 13 + 1] = "";
        size_t off = 0;

        for (unsigned i = 0; i < e->n_ports && i < CATALOG_PORT_RANGES_MAX; i++) {
                const struct port_range *p = &e->ports[i];
                int k;

                if (p->lo == p->hi)
                        k = snprintf(buf + off, sizeof(buf) - off, "%s%u", i ? "," : "", p->lo);
                else
                        k = snprintf(buf + off, sizeof(buf) - off, "%s%u-%u", i ? "," : "", p->lo, p->hi);
                if (k < 0 || (size_t) k >= sizeof(buf) - off)
                        break;
                off += (size_t) k;
        }
        return json_object_new_string(buf);
}

static json_object *service_json(const struct stats *s, size_t i, bool *ok) {
        const struct catalog_entry *e = &s->catalog->entries[i];
        json_object *o = item_json(s, &s->entries[i], ok), *products;

        if (!o)
                return NULL;
        add(o, "service", json_object_new_string(e->id), ok);
        add(o, "protocol", json_object_new_string(e->protocol), ok);
        add(o, "transport", json_object_new_string(transport_to_string(e->transports, e->transport_unspecified)), ok);
        add(o, "ports", ports_json(e), ok);
        add(o, "scope", json_object_new_string(catalog_scope_to_string(e->scope)), ok);
        products = json_object_new_array();
        if (products)
                for (unsigned j = 0; j < e->n_products && j < CATALOG_ENTRY_PRODUCTS_MAX; j++)
                        if (e->products[j] < s->n_products &&
                            json_object_array_add(products, json_object_new_string(
                                                                    s->catalog->products[e->products[j]].name)) < 0)
                                *ok = false;
        add(o, "products", products, ok);
        return o;
}

int control_reply(const struct stats *s, const struct control_request *req, uint64_t now_usec,
                  char **ret, size_t *ret_len) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        json_object *catalog, *services, *products;
        ssize_t service = -1, product = -1;
        bool ok = true;
        char msg[CONTROL_ERROR_MAX];

        if (!root)
                return -ENOMEM;
        if (req->command == CONTROL_COMMAND_PING) {
                add(root, "pong", json_object_new_boolean(true), &ok);
                return ok ? finish(root, ret, ret_len) : -ENOMEM;
        }

        if (req->service[0]) {
                service = catalog_find_entry(s->catalog, req->service);
                if (service < 0 || (size_t) service >= s->n_entries) {
                        snprintf(msg, sizeof(msg), "unknown service \"%s\"", req->service);
                        return control_reply_error(msg, ret, ret_len);
                }
        }
        if (req->product[0]) {
                product = catalog_find_product(s->catalog, req->product);
                if (product < 0 || (size_t) product >= s->n_products) {
                        snprintf(msg, sizeof(msg), "unknown product \"%s\"", req->product);
                        return control_reply_error(msg, ret, ret_len);
                }
        }

        add(root, "version", json_object_new_string(PACKAGE_VERSION), &ok);
        add(root, "uptime_sec", json_object_new_uint64(now_usec > s->started_usec ? (now_usec - s->started_usec) / 1000000 : 0), &ok);
        add(root, "started_usec", json_object_new_uint64(s->started_realtime_usec), &ok);
        catalog = json_object_new_object();
        if (catalog) {
                add(catalog, "source", json_object_new_string(s->catalog->source), &ok);
                add(catalog, "entries", json_object_new_uint64(catalog_listed_entries(s->catalog)), &ok);
                add(catalog, "products", json_object_new_uint64(s->n_products), &ok);
        }
        add(root, "catalog", catalog, &ok);
        add(root, "daemon", daemon_json(s, &ok), &ok);
        add(root, "attribute_min_confidence", json_object_new_string(confidence_to_string(s->attribute_min)), &ok);

        services = json_object_new_array();
        for (size_t i = 0; services && i < s->n_entries; i++) {
                if (service >= 0 && (size_t) service != i)
                        continue;
                if (product >= 0 && !catalog_entry_has_product(&s->catalog->entries[i], (size_t) product))
                        continue;
                if (service < 0 && !req->all && !stats_item_active(&s->entries[i]))
                        continue;
                if (json_object_array_add(services, service_json(s, i, &ok)) < 0)
                        ok = false;
        }
        add(root, "services", services, &ok);

        products = json_object_new_array();
        for (size_t i = 0; products && i < s->n_products; i++) {
                json_object *p;

                if (product >= 0 && (size_t) product != i)
                        continue;
                if (service >= 0 && !catalog_entry_has_product(&s->catalog->entries[service], i))
                        continue;
                if (product < 0 && service < 0 && !req->all && !stats_item_active(&s->products[i]))
                        continue;
                p = item_json(s, &s->products[i], &ok);
                if (p)
                        add(p, "product", json_object_new_string(s->catalog->products[i].name), &ok);
                if (json_object_array_add(products, p) < 0)
                        ok = false;
        }
        add(root, "products", products, &ok);

        if (!ok)
                return -ENOMEM;
        return finish(root, ret, ret_len);
}
