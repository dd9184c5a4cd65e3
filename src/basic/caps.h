/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Privileges. Once its sockets are open the daemon needs only CAP_NET_ADMIN
 * (to grow the netlink receive buffers past net.core.rmem_max). Started as
 * root outside systemd, it drops every other capability from all sets and
 * the bounding set, optionally becomes an unprivileged user while keeping
 * CAP_NET_ADMIN, and sets no_new_privs. Under systemd (DynamicUser,
 * AmbientCapabilities=CAP_NET_ADMIN) the same call finds nothing to drop.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct caps_result {
        bool changed_user;
        bool kept_net_admin;   /* CAP_NET_ADMIN is still effective */
        bool bounding_dropped; /* the bounding set was reduced (needs CAP_SETPCAP) */
};

/* user: a user name to switch to when running as root, or NULL to stay.
 * Returns 0 or a negative errno (-ESRCH: no such user). */
int caps_drop(const char *user, struct caps_result *ret);

/* The uid and gid of a user name. Returns 0 or a negative errno (-ESRCH:
 * no such user). */
int caps_lookup_user(const char *user, uid_t *ret_uid, gid_t *ret_gid);

/* Whether CAP_NET_ADMIN is in the effective set now. */
bool caps_have_net_admin(void);
