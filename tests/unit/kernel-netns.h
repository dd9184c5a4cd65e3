/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * For the unit tests that need the real kernel: a private network namespace
 * with lo up and an nftables ruleset loaded. Returns NULL when the tests can
 * run, or why they cannot (not root, no namespaces, no nft ...): the caller
 * skips them with that reason.
 */

const char *kernel_netns_enter(const char *ruleset);

/* One ICMP echo request to 127.0.0.1: 0 or a negative errno. */
int kernel_netns_ping(void);
