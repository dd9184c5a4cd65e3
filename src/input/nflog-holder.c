/* SPDX-License-Identifier: MIT */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "nflog-holder.h"

#define NETLINK_NETFILTER_PROTO 12

/* The port id bound to group, from lines "group portid qlen mode range timeout refcnt". */
static int find_group(const char *proc, uint16_t group, uint32_t *ret_portid) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[256], line[256];

        snprintf(path, sizeof(path), "%s/net/netfilter/nfnetlink_log", proc);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned g;
                uint32_t portid;

                if (sscanf(line, "%u %" SCNu32, &g, &portid) == 2 && g == group) {
                        *ret_portid = portid;
                        return 1;
                }
        }
        return 0;
}

/* The inode of the NETLINK_NETFILTER socket with this port id. */
static int find_inode(const char *proc, uint32_t portid, unsigned long *ret_inode) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[256], line[512];

        snprintf(path, sizeof(path), "%s/net/netlink", proc);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned proto;
                uint32_t pid;
                unsigned long inode;

                /* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
                if (sscanf(line, "%*s %u %" SCNu32 " %*s %*s %*s %*s %*s %*s %lu", &proto, &pid, &inode) == 3 &&
                    proto == NETLINK_NETFILTER_PROTO && pid == portid) {
                        *ret_inode = inode;
                        return 1;
                }
        }
        return 0;
}

static bool process_has_socket(const char *proc, long pid, const char *want) {
        char path[300], target[64];
        struct dirent *fd;
        DIR *d;
        bool found = false;

        snprintf(path, sizeof(path), "%s/%ld/fd", proc, pid);
        d = opendir(path);
        if (!d)
                return false;
        while (!found && (fd = readdir(d))) {
                ssize_t n = readlinkat(dirfd(d), fd->d_name, target, sizeof(target) - 1);

                if (n <= 0)
                        continue;
                target[n] = '\0';
                found = strcmp(target, want) == 0;
        }
        closedir(d);
        return found;
}

/* "pid 1234 (ulogd)" for the process that has socket:[inode] open. */
static bool find_process(const char *proc, unsigned long inode, char *buf, size_t size) {
        char want[64], comm[64] = "", path[300];
        struct dirent *p;
        DIR *d = opendir(proc);
        bool found = false;

        if (!d)
                return false;
        snprintf(want, sizeof(want), "socket:[%lu]", inode);
        while (!found && (p = readdir(d))) {
                _cleanup_fclose_ FILE *f = NULL;
                char *end;
                long pid = strtol(p->d_name, &end, 10);

                if (pid <= 0 || *end || !process_has_socket(proc, pid, want))
                        continue;
                snprintf(path, sizeof(path), "%s/%ld/comm", proc, pid);
                f = fopen(path, "re");
                if (f && fgets(comm, sizeof(comm), f))
                        comm[strcspn(comm, "\n")] = '\0';
                snprintf(buf, size, "pid %ld (%s)", pid, comm[0] ? comm : "?");
                found = true;
        }
        closedir(d);
        return found;
}

int nflog_group_holder(const char *proc, const uint16_t *groups, size_t n_groups, char *buf, size_t size) {
        for (size_t i = 0; i < n_groups; i++) {
                char process[128] = "";
                unsigned long inode = 0;
                uint32_t portid = 0;
                int r = find_group(proc, groups[i], &portid);

                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (find_inode(proc, portid, &inode) > 0 && find_process(proc, inode, process, sizeof(process)))
                        snprintf(buf, size, "group %u is in use by netlink port %" PRIu32 ", %s",
                                 groups[i], portid, process);
                else
                        snprintf(buf, size, "group %u is in use by netlink port %" PRIu32 " (a process this one cannot see)", groups[i], portid);
                return 1;
        }
        return 0;
}
