/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The frames of a command that repeats (stats --watch): on a terminal the
 * screen is redrawn, elsewhere the frames follow each other as plain text;
 * with --json each frame is one compact line (NDJSON). Every frame carries
 * the time it was taken.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/* Before a text frame: clears the screen on a terminal (tty), and prints
 * the time and the refresh interval. */
void watch_text_header(FILE *f, bool tty, unsigned interval_sec);
/* Between text frames that are not redrawn: a blank line. */
void watch_text_separator(FILE *f, bool tty);
/* One frame as one line of JSON, with "time" (RFC 3339, UTC) and
 * "time_usec" (microseconds since the epoch) added. 0 or -EIO/-ENOMEM. */
int watch_json_line(struct json_object *o, FILE *f);
