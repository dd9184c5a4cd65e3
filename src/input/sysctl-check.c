/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "sysctl-check.h"

static const struct {
        const char *file;
        const char *name;
        const char *lost;
} settings[_SYSCTL_SETTING_MAX] = {
        [SYSCTL_CONNTRACK_EVENTS] = {
                "nf_conntrack_events", "net.netfilter.nf_conntrack_events",
                "the kernel sends no connection events, so no connection is logged",
        },
        [SYSCTL_CONNTRACK_ACCT] = {
                "nf_conntrack_acct", "net.netfilter.nf_conntrack_acct",
                "connection-end entries and statistics carry no byte or packet counts",
        },
        [SYSCTL_CONNTRACK_TIMESTAMP] = {
                "nf_conntrack_timestamp", "net.netfilter.nf_conntrack_timestamp",
                "connection-end entries carry no duration",
        },
};

static int read_int(const char *dir, const char *file) {
        char path[256];
        _cleanup_fclose_ FILE *f = NULL;
        int v;

        if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (fscanf(f, "%d", &v) != 1 || v < 0)
                return -EINVAL;
        return v;
}

void sysctl_read(const char *dir, struct sysctl_state *ret) {
        for (unsigned i = 0; i < _SYSCTL_SETTING_MAX; i++)
                ret->value[i] = read_int(dir, settings[i].file);
}

const char *sysctl_setting_name(enum sysctl_setting s) {
        return (unsigned) s < _SYSCTL_SETTING_MAX ? settings[s].name : NULL;
}

const char *sysctl_advice(enum sysctl_setting s, int value, char *buf, size_t size) {
        if ((unsigned) s >= _SYSCTL_SETTING_MAX)
                return NULL;
        /* nf_conntrack_events: 1 on, 2 on while someone listens (Linux 5.19+) */
        if (value > 0)
                return NULL;
        if (value == 0)
                snprintf(buf, size, "%s is 0: %s. Set it with: sysctl -w %s=1",
                         settings[s].name, settings[s].lost, settings[s].name);
        else if (value == -ENOENT)
                snprintf(buf, size, "%s cannot be read (nf_conntrack is not loaded in this network namespace); "
                         "if it is 0, %s. Check it with: sysctl %s",
                         settings[s].name, settings[s].lost, settings[s].name);
        else
                snprintf(buf, size, "%s cannot be read (%s); if it is 0, %s. Check it with: sysctl %s",
                         settings[s].name, strerror(-value), settings[s].lost, settings[s].name);
        return buf;
}
