/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP: the configuration, catalogue, networks and domain list read
 * again beside the ones in force, and swapped in only when all of them
 * loaded; the reload entry names what changed, or why nothing did.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "daemon-internal.h"
#include "conntrack.h"
#include "local-addresses.h"
#include "message-id.h"
#include "queue.h"
#include "sysctl-check.h"

/* The tagger's notion of a client port; a warning when it must guess.
 * After every tagset_tagger(), which knows nothing of it. */
void daemon_read_ephemeral_range(struct daemon *d) {
        int r = sysctl_read_local_port_range(SYSCTL_LOCAL_PORT_RANGE_PATH, &d->ephemeral);

        d->tagger.local_ports = d->ephemeral;
        if (r < 0)
                daemon_submit(d, daemon_entry(d, MESSAGE_ID_STARTED_STR, 4,
                                              "Cannot read %s: %s; client ports are taken to be %u-%u",
                                              SYSCTL_LOCAL_PORT_RANGE_PATH, strerror(-r),
                                              d->ephemeral.first, d->ephemeral.last));
}

static void reload_failed(struct daemon *d, const char *what, const char *error) {
        struct entry *e = daemon_entry(d, MESSAGE_ID_RELOAD_FAILED_STR, 3,
                                       "Reload refused, the old %s stays in force: %s", what, error);

        if (e)
                (void) entry_add_field(e, "RELOAD_ERROR", "%s", error);
        daemon_submit(d, e);
}

/* What a reload changes, keys and files: "catalogue /etc/x.tsv changed (142 →
 * 143 entries); log_min_confidence medium → high", or "" when nothing does. */
static void describe_reload(const struct daemon *d, const struct config *next, const struct tagset *set,
                            char *buf, size_t size) {
        const struct catalog *a = d->tagset.catalog, *b = set->catalog;
        size_t n = 0;
        char keys[512];

        buf[0] = '\0';
        if (strcmp(a->source, b->source) != 0)
                n += (size_t) snprintf(buf + n, size - n, "catalogue %s in place of %s (%zu → %zu entries)",
                                       b->source, a->source, catalog_listed_entries(a), catalog_listed_entries(b));
        else if (a->digest != b->digest)
                n += (size_t) snprintf(buf + n, size - n, "catalogue %s changed (%zu → %zu entries)", b->source,
                                       catalog_listed_entries(a), catalog_listed_entries(b));
        if (n < size && (networks_digest(d->tagset.networks) != networks_digest(set->networks) ||
                         strcmp(networks_source(d->tagset.networks), networks_source(set->networks)) != 0))
                n += (size_t) snprintf(buf + n, size - n, "%snetworks %s changed (%zu → %zu prefixes)",
                                       n > 0 ? "; " : "", networks_source(set->networks),
                                       networks_count(d->tagset.networks), networks_count(set->networks));
        if (n < size && (domains_digest(d->tagset.domains) != domains_digest(set->domains) ||
                         strcmp(domains_source(d->tagset.domains), domains_source(set->domains)) != 0))
                n += (size_t) snprintf(buf + n, size - n, "%sdomains %s changed (%zu → %zu suffixes)",
                                       n > 0 ? "; " : "", domains_source(set->domains),
                                       domains_count(d->tagset.domains), domains_count(set->domains));
        config_reload_changes(d->config, next, keys, sizeof(keys));
        if (n < size && keys[0])
                snprintf(buf + n, size - n, "%s%s", n > 0 ? "; " : "", keys);
}

void daemon_reload(struct daemon *d) {
        _cleanup_(config_freep) struct config *next = NULL;
        struct tagset set = {}, old;
        char err[CONFIG_ERROR_MAX], restart[256], changes[1024];
        struct entry *e;
        int r;

        sd_notify(false, "RELOADING=1\nSTATUS=Reloading");

        r = config_load_all(d->options, &next, err, sizeof(err));
        if (r < 0) {
                reload_failed(d, "configuration", err);
                goto done;
        }
        r = tagset_load(&set, next->catalog, next->networks, next->domains, err, sizeof(err));
        if (r < 0) {
                reload_failed(d, "catalogue, networks and domains", err);
                goto done;
        }
        r = stats_reload(d->stats, set.catalog);
        if (r < 0) {
                tagset_done(&set);
                reload_failed(d, "catalogue", "out of memory");
                goto done;
        }

        describe_reload(d, next, &set, changes, sizeof(changes));

        /* Entries in the ring are preformatted: nothing else points into the
         * old catalogue, and this thread is the only one that tags. */
        old = d->tagset;
        d->tagset = set;
        d->tagger = tagset_tagger(&d->tagset);
        tagset_done(&old);

        config_restart_changes(d->config, next, restart, sizeof(restart));
        config_apply_reloadable(d->config, next);
        d->stats->attribute_min = d->config->attribute_min_confidence;
        local_addresses_set_exclusions(d->local, &d->config->exclude);
        daemon_read_ephemeral_range(d);
        daemon_read_timeouts(d);
        if (d->conntrack)
                (void) conntrack_input_set_rcvbuf(d->conntrack, d->config->receive_buffer,
                                                  d->config->receive_buffer_max);

        e = daemon_entry(d, MESSAGE_ID_RELOADED_STR, 5, "Reloaded: %s%s%s%s",
                         changes[0] ? changes : "nothing changed",
                         restart[0] ? "; changes to " : "", restart, restart[0] ? " take effect at restart" : "");
        if (e) {
                (void) entry_add_field(e, "CATALOG_SOURCE", "%s", d->tagset.catalog->source);
                (void) entry_add_field(e, "NETWORKS_SOURCE", "%s", networks_source(d->tagset.networks));
                (void) entry_add_field(e, "DOMAINS_SOURCE", "%s", domains_source(d->tagset.domains));
        }
        daemon_submit(d, e);
done:
        queue_flush(d->queue);
        daemon_notify_status(d, "READY=1\n");
}
