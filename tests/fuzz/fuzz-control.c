/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a control-socket request, handled as the server does
 * (the bytes up to the first newline, parsed, then answered). Every answer
 * must be one JSON object on one line: the parser's reason for a refused
 * request, or the reply to an accepted one, which names the service or
 * product asked for. An accepted request, written back as JSON, parses to
 * the same request. */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "control-protocol.h"
#include "fuzz.h"

static struct stats *fixture_stats(void) {
        static struct stats *s;

        if (!s) {
                if (stats_new(&s, fuzz_small_catalog()) < 0)
                        abort();
                /* Some active, some not, so both filters have work. */
                s->entries[0].total.connections = 3;
                s->entries[3].total.blocked = UINT64_MAX;
                s->products[1].total.bytes = 1;
        }
        return s;
}

/* The reply, parsed; it must be exactly one object followed by "\n". */
static json_object *parse_reply(const char *reply, size_t len) {
        json_object *o;

        fuzz_assert(len >= 3 && reply[len - 1] == '\n' && reply[len] == 0);
        fuzz_assert(memchr(reply, '\n', len) == reply + len - 1 && strlen(reply) == len);
        o = json_tokener_parse(reply);
        fuzz_assert(o && json_object_is_type(o, json_type_object));
        return o;
}

static const char *get_string(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static void check_request_round_trip(const struct control_request *req) {
        json_object *o = json_object_new_object();
        struct control_request again;
        char err[CONTROL_ERROR_MAX];
        const char *text;
        size_t len;

        if (!o)
                return;
        json_object_object_add(o, "command", json_object_new_string(req->command == CONTROL_COMMAND_PING ? "ping" : "stats"));
        if (req->service[0])
                json_object_object_add(o, "service", json_object_new_string(req->service));
        if (req->product[0])
                json_object_object_add(o, "product", json_object_new_string(req->product));
        json_object_object_add(o, "all", json_object_new_boolean(req->all));
        text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        if (text) {
                fuzz_assert(control_request_parse(text, len, &again, err, sizeof(err)) == 0);
                fuzz_assert(memcmp(&again, req, sizeof(again)) == 0);
        }
        json_object_put(o);
}

static void check_reply(const struct stats *s, const struct control_request *req,
                        json_object *o) {
        const char *error = get_string(o, "error");
        json_object *list;

        if (req->command == CONTROL_COMMAND_PING) {
                fuzz_assert(json_object_object_get_ex(o, "pong", NULL) && json_object_object_length(o) == 1);
                return;
        }
        if (error) {
                /* Only a name the catalogue does not know is refused. */
                fuzz_assert(json_object_object_length(o) == 1);
                fuzz_assert((req->service[0] && catalog_find_entry(s->catalog, req->service) < 0) ||
                            (req->product[0] && catalog_find_product(s->catalog, req->product) < 0));
                return;
        }
        fuzz_assert(json_object_object_get_ex(o, "services", &list) &&
                    json_object_is_type(list, json_type_array));
        if (req->service[0]) {
                const char *id;

                fuzz_assert(json_object_array_length(list) <= 1);
                if (json_object_array_length(list) == 1) {
                        id = get_string(json_object_array_get_idx(list, 0), "service");
                        fuzz_assert(id && strcmp(id, req->service) == 0);
                }
        }
        fuzz_assert(json_object_object_get_ex(o, "products", &list) &&
                    json_object_is_type(list, json_type_array));
        if (req->product[0]) {
                ssize_t want = catalog_find_product(s->catalog, req->product);
                const char *name;

                fuzz_assert(want >= 0 && json_object_array_length(list) <= 1);
                if (json_object_array_length(list) == 1) {
                        name = get_string(json_object_array_get_idx(list, 0), "product");
                        fuzz_assert(name && strcmp(name, s->catalog->products[want].name) == 0);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct stats *s = fixture_stats();
        _cleanup_free_ char *buf = fuzz_copy(data, size);
        _cleanup_free_ char *reply = NULL;
        struct control_request req;
        char err[CONTROL_ERROR_MAX] = "";
        const char *nl;
        size_t len = size, reply_len = 0;
        json_object *o;
        int r;

        if (!buf)
                return 0;
        /* The server answers at the first newline, or at the peer's end. */
        nl = memchr(buf, '\n', size);
        if (nl)
                len = (size_t) (nl - buf);

        r = control_request_parse(buf, len, &req, err, sizeof(err));
        if (r < 0) {
                fuzz_assert(r == -EINVAL || r == -ENOMEM);
                if (r == -ENOMEM)
                        return 0;
                fuzz_assert(err[0] != 0 && memchr(err, 0, sizeof(err)));
                if (control_reply_error(err, &reply, &reply_len) < 0)
                        return 0;
                o = parse_reply(reply, reply_len);
                fuzz_assert(json_object_object_length(o) == 1);
                fuzz_assert(get_string(o, "error") && strcmp(get_string(o, "error"), err) == 0);
                json_object_put(o);
                return 0;
        }
        fuzz_assert(req.command < _CONTROL_COMMAND_MAX);
        fuzz_assert(memchr(req.service, 0, sizeof(req.service)) && memchr(req.product, 0, sizeof(req.product)));
        check_request_round_trip(&req);

        if (control_reply(s, &req, 1, &reply, &reply_len) < 0)
                return 0;
        o = parse_reply(reply, reply_len);
        check_reply(s, &req, o);
        json_object_put(o);
        return 0;
}
