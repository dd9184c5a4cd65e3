/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The control socket's protocol: one request line, a JSON object, answered by
 * one JSON object and the end of the connection.
 *
 *   {"command":"stats"}                       every active entry and product
 *   {"command":"stats","service":"apns"}      one entry (and its products)
 *   {"command":"stats","product":"FaceTime"}  the entries of one product
 *   {"command":"stats","all":true}            inactive ones too
 *   {"command":"ping"}                        {"pong":true}
 *
 * Anything else is answered with {"error":"reason"}. Requests come from
 * users with access to the socket; they are still parsed as hostile input.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define CONTROL_REQUEST_MAX 4096 /* bytes, including the newline */
#define CONTROL_NAME_MAX 64      /* service ids and product names, with the NUL */
#define CONTROL_ERROR_MAX 256

enum control_command {
        CONTROL_COMMAND_STATS,
        CONTROL_COMMAND_PING,
        _CONTROL_COMMAND_MAX,
};

struct control_request {
        enum control_command command;
        char service[CONTROL_NAME_MAX]; /* "" when not given */
        char product[CONTROL_NAME_MAX];
        bool all;
};

/* Parse one request (len bytes, need not be NUL-terminated; trailing
 * whitespace allowed). -EINVAL with a reason in err for anything else. */
int control_request_parse(const char *buf, size_t len, struct control_request *ret,
                          char *err, size_t errlen);

/* Replies, as malloc'd text ending in a newline. now_usec: CLOCK_MONOTONIC. */
int control_reply(const struct stats *s, const struct control_request *req, uint64_t now_usec,
                  char **ret, size_t *ret_len);
int control_reply_error(const char *message, char **ret, size_t *ret_len);
