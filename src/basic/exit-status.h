/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The exit statuses of appleflowd and appleflowctl, one set for both
 * (EXIT STATUS in appleflowd(8) and appleflowctl(1)). 1, 2, 4, 6 and 7 are
 * the LSB codes that systemd names in `systemctl status` (FAILURE,
 * INVALIDARGUMENT, NOPERMISSION, NOTCONFIGURED, NOTRUNNING).
 */

#define EXIT_STATUS_OK 0            /* found, valid, done */
#define EXIT_STATUS_FAILURE 1       /* failed while running: out of memory, output, ... */
#define EXIT_STATUS_USAGE 2         /* bad option, argument or value on the command line */
#define EXIT_STATUS_NO_MATCH 3      /* appleflowctl: the query matched nothing */
#define EXIT_STATUS_NO_PERMISSION 4 /* needs root or CAP_NET_ADMIN, or the socket's group */
#define EXIT_STATUS_INVALID_DATA 6  /* configuration, catalogue or networks file invalid */
#define EXIT_STATUS_NOT_RUNNING 7   /* appleflowctl: no daemon answers on the socket */
