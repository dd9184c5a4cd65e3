/* SPDX-License-Identifier: MIT */
/*
 * Direct system calls (capget/capset, prctl) rather than libcap: the whole
 * job is a handful of bit masks.
 */

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "macro.h"

#define CAP_WORDS _LINUX_CAPABILITY_U32S_3
#define CAP_BIT(c) (1u << ((unsigned) (c) % 32u))
#define CAP_WORD(c) ((c) >> 5)

static int caps_get(struct __user_cap_data_struct data[CAP_WORDS]) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        return 0;
}

static int caps_set(struct __user_cap_data_struct data[CAP_WORDS]) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

        if (syscall(SYS_capset, &hdr, data) < 0)
                return -errno;
        return 0;
}

static bool cap_in(const struct __user_cap_data_struct data[CAP_WORDS], unsigned cap, bool effective) {
        uint32_t set = effective ? data[CAP_WORD(cap)].effective : data[CAP_WORD(cap)].permitted;
        return set & CAP_BIT(cap);
}

bool caps_have_net_admin(void) {
        struct __user_cap_data_struct data[CAP_WORDS] = {};

        return caps_get(data) >= 0 && cap_in(data, CAP_NET_ADMIN, true);
}

static bool only_net_admin(const struct __user_cap_data_struct data[CAP_WORDS]) {
        for (unsigned w = 0; w < CAP_WORDS; w++) {
                uint32_t allowed = w == CAP_WORD(CAP_NET_ADMIN) ? CAP_BIT(CAP_NET_ADMIN) : 0;

                if ((data[w].permitted | data[w].effective) & ~allowed)
                        return false;
        }
        return true;
}

static unsigned cap_last(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        unsigned v;

        if (f && fscanf(f, "%u", &v) == 1 && v < 64)
                return v;
        return CAP_LAST_CAP;
}

int caps_lookup_user(const char *user, uid_t *ret_uid, gid_t *ret_gid) {
        struct passwd pw, *result = NULL;
        char buf[4096];
        int r;

        r = getpwnam_r(user, &pw, buf, sizeof(buf), &result);
        if (r != 0)
                return -r;
        if (!result)
                return -ESRCH;
        *ret_uid = pw.pw_uid;
        *ret_gid = pw.pw_gid;
        return 0;
}

static int switch_user(const char *user) {
        uid_t uid;
        gid_t gid;
        int r;

        r = caps_lookup_user(user, &uid, &gid);
        if (r < 0)
                return r;

        /* Keep the permitted set across the change of uid; the effective
         * set is cleared by it and raised again by capset below. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        if (setgroups(1, &gid) < 0)
                return -errno;
        if (setresgid(gid, gid, gid) < 0)
                return -errno;
        if (setresuid(uid, uid, uid) < 0)
                return -errno;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

int caps_drop(const char *user, struct caps_result *ret) {
        struct __user_cap_data_struct data[CAP_WORDS] = {};
        struct caps_result res = {};
        bool net_admin;
        int r;

        r = caps_get(data);
        if (r < 0)
                return r;
        net_admin = cap_in(data, CAP_NET_ADMIN, false);

        /* The bounding set first: dropping from it needs CAP_SETPCAP, which
         * the capset below gives up. */
        if (cap_in(data, CAP_SETPCAP, true)) {
                unsigned last = cap_last();

                for (unsigned c = 0; c <= last; c++) {
                        if (c == CAP_NET_ADMIN)
                                continue;
                        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                                return -errno;
                }
                res.bounding_dropped = true;
        }

        if (user && geteuid() == 0) {
                r = switch_user(user);
                if (r < 0)
                        return r;
                res.changed_user = true;
        }

        /* Under systemd (AmbientCapabilities=CAP_NET_ADMIN, DynamicUser)
         * there is nothing left to drop, and the unit's system call filter
         * refuses capset: leave the sets alone. */
        if (!res.changed_user && only_net_admin(data))
                goto done;

        memset(data, 0, sizeof(data));
        if (net_admin) {
                data[CAP_WORD(CAP_NET_ADMIN)].effective = CAP_BIT(CAP_NET_ADMIN);
                data[CAP_WORD(CAP_NET_ADMIN)].permitted = CAP_BIT(CAP_NET_ADMIN);
        }
        r = caps_set(data);
        if (r < 0)
                return r;

done:
        /* Nothing is executed, but nothing should be inherited either. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;

        res.kept_net_admin = caps_have_net_admin();
        if (ret)
                *ret = res;
        return 0;
}
