/* SPDX-License-Identifier: MIT */
#pragma once

/* The verbs, one file each; main.c lists them in its verb table. */

#include "ctl.h"

int verb_lookup(struct ctl *ctl, int argc, char **argv);
int verb_list(struct ctl *ctl, int argc, char **argv);
int verb_products(struct ctl *ctl, int argc, char **argv);
int verb_rules(struct ctl *ctl, int argc, char **argv);
int verb_check(struct ctl *ctl, int argc, char **argv);
int verb_stats(struct ctl *ctl, int argc, char **argv);
int verb_report(struct ctl *ctl, int argc, char **argv);

/* Apple's domain list (domains.c): lookup NAME, list --suffixes. */
bool domains_query_is_name(const char *arg);
int domains_lookup(struct ctl *ctl, const char *name);
int domains_list(struct ctl *ctl);
