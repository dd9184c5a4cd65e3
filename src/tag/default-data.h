/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Generated at build time from data/ by tools/embed-data.py. */
extern const char default_catalog_tsv[];
extern const size_t default_catalog_tsv_len;
extern const char default_networks_txt[];
extern const size_t default_networks_txt_len;
extern const char default_domains_tsv[];
extern const size_t default_domains_tsv_len;
