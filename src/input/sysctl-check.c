/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
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
                "nf_conntrack_events",
                "net.netfilter.nf_conntrack_events",
                "the kernel sends no connection events, so no connection is logged",
        },
        [SYSCTL_CONNTRACK_ACCT] = {
                "nf_conntrack_acct",
                "net.netfilter.nf_conntrack_acct",
                "connection-end entries and statistics carry no byte or packet counts",
        },
        [SYSCTL_CONNTRACK_TIMESTAMP] = {
                "nf_conntrack_timestamp",
                "net.netfilter.nf_conntrack_timestamp",
                "connection-end entries carry no duration",
        },
};

int sysctl_read_int(const char *dir, const char *file) {
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
                ret->value[i] = sysctl_read_int(dir, settings[i].file);
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

/* One decimal port 1..65535 at *p, then whitespace; advances *p. */
static int parse_port(const char **p, uint16_t *ret) {
        char *end;
        unsigned long v;

        if (**p < '0' || **p > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno != 0 || v == 0 || v > UINT16_MAX)
                return -EINVAL;
        *ret = (uint16_t) v;
        *p = end;
        while (**p == ' ' || **p == '\t' || **p == '\n')
                (*p)++;
        return 0;
}

int sysctl_read_local_port_range(const char *path, struct ephemeral_range *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[64];
        const char *p = line;
        uint16_t first, last;

        *ret = EPHEMERAL_RANGE_DEFAULT;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(line, sizeof(line), f))
                return ferror(f) ? -EIO : -EINVAL;
        if (parse_port(&p, &first) < 0 || parse_port(&p, &last) < 0 || *p != 0 || first > last)
                return -EINVAL;
        *ret = (struct ephemeral_range) { first, last, true };
        return 0;
}
