/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The MESSAGE_IDs of appleflowd's journal entries, made once with
 * `systemd-id128 new` and never changed: queries and SIEM rules depend on
 * them. data/appleflowd.catalog explains each one for `journalctl -x`.
 */

#include <systemd/sd-id128.h>

/* A tagged connection began (conntrack NEW) */
#define MESSAGE_ID_CONNECTION_STR "fd9fd13f564b4308be583094f3978cff"
#define MESSAGE_ID_CONNECTION SD_ID128_MAKE(fd, 9f, d1, 3f, 56, 4b, 43, 08, be, 58, 30, 94, f3, 97, 8c, ff)

/* A tagged connection ended (conntrack DESTROY) */
#define MESSAGE_ID_CONNECTION_END_STR "609e0dafbd8641ea883bbaffb24a6aae"
#define MESSAGE_ID_CONNECTION_END SD_ID128_MAKE(60, 9e, 0d, af, bd, 86, 41, ea, 88, 3b, ba, ff, b2, 4a, 6a, ae)

/* A firewall rule logged a tagged packet (NFLOG), e.g. blocked */
#define MESSAGE_ID_PACKET_LOGGED_STR "5e4dc41e3c774903b9cdc40510ca593e"
#define MESSAGE_ID_PACKET_LOGGED SD_ID128_MAKE(5e, 4d, c4, 1e, 3c, 77, 49, 03, b9, cd, c4, 05, 10, ca, 59, 3e)

/* Periodic per-service statistics */
#define MESSAGE_ID_SUMMARY_STR "11273cb38051456499d5af49d5e775b5"
#define MESSAGE_ID_SUMMARY SD_ID128_MAKE(11, 27, 3c, b3, 80, 51, 45, 64, 99, d5, af, 49, d5, e7, 75, b5)

/* The kernel dropped events (ENOBUFS) */
#define MESSAGE_ID_EVENTS_LOST_STR "e9c264b830524f16b0c467e2af19a306"
#define MESSAGE_ID_EVENTS_LOST SD_ID128_MAKE(e9, c2, 64, b8, 30, 52, 4f, 16, b0, c4, 67, e2, af, 19, a3, 06)

/* The conntrack table was full: the kernel refused new connections */
#define MESSAGE_ID_TABLE_FULL_STR "784e2a2504424e6e910806728429c999"
#define MESSAGE_ID_TABLE_FULL SD_ID128_MAKE(78, 4e, 2a, 25, 04, 42, 4e, 6e, 91, 08, 06, 72, 84, 29, c9, 99)

/* Entries dropped because the writer ring was full */
#define MESSAGE_ID_NOT_WRITTEN_STR "02fcd5ba42e44c618b4d842193060393"
#define MESSAGE_ID_NOT_WRITTEN SD_ID128_MAKE(02, fc, d5, ba, 42, e4, 4c, 61, 8b, 4d, 84, 21, 93, 06, 03, 93)

/* The daemon started */
#define MESSAGE_ID_STARTED_STR "a0dfc94da449407db46518fcf9847e20"
#define MESSAGE_ID_STARTED SD_ID128_MAKE(a0, df, c9, 4d, a4, 49, 40, 7d, b4, 65, 18, fc, f9, 84, 7e, 20)

/* Configuration and catalogue reloaded */
#define MESSAGE_ID_RELOADED_STR "5d06afb1490c4324bc4d7024e2230d52"
#define MESSAGE_ID_RELOADED SD_ID128_MAKE(5d, 06, af, b1, 49, 0c, 43, 24, bc, 4d, 70, 24, e2, 23, 0d, 52)

/* A reload was refused; the old configuration stays in force */
#define MESSAGE_ID_RELOAD_FAILED_STR "81941e6217f54b759e86a9f5f2a60c1a"
#define MESSAGE_ID_RELOAD_FAILED SD_ID128_MAKE(81, 94, 1e, 62, 17, f5, 4b, 75, 9e, 86, a9, f5, f2, a6, 0c, 1a)

/* The daemon is stopping */
#define MESSAGE_ID_STOPPING_STR "11db23dceb974990a2664afd312a16db"
#define MESSAGE_ID_STOPPING SD_ID128_MAKE(11, db, 23, dc, eb, 97, 49, 90, a2, 66, 4a, fd, 31, 2a, 16, db)
