/* SPDX-License-Identifier: MIT */
/* libFuzzer target: dns_parse_answer() on arbitrary bytes, as the DNS NFLOG
 * group would hand them over, and what it finds stored in a small name
 * table under the built-in domain list. */

#include "dns-parse.h"
#include "fuzz.h"
#include "name-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct dns_parser *parser;
        static struct name_table *table;
        static struct domains *domains;
        static struct dns_answer answer;
        static uint64_t now;
        uint8_t *copy;
        int r;

        if (!parser) {
                const struct name_table_config c = {
                        .max_entries = 16,
                        .max_bytes = 64 * 1024,
                        .ttl_min = 1,
                        .ttl_max = 60,
                };
                char err[512];

                fuzz_assert(dns_parser_new(&parser) == 0);
                fuzz_assert(name_table_new(&table, &c) == 0);
                fuzz_assert(domains_load_default(&domains, err, sizeof(err)) == 0);
        }
        copy = fuzz_copy(data, size);
        if (!copy)
                return 0;

        r = dns_parse_answer(parser, copy, size, &answer);
        fuzz_assert(r == DNS_OK || r == DNS_NOT_ANSWER || r == DNS_MALFORMED);
        fuzz_assert(answer.n_chain <= DNS_CHAIN_MAX && answer.n_addrs <= DNS_ADDRS_MAX);
        if (r != DNS_OK)
                fuzz_assert(answer.n_addrs == 0);
        for (unsigned i = 0; i < answer.n_chain; i++) {
                const struct dns_name *n = &answer.chain[i];

                fuzz_assert(n->len < DNS_NAME_TEXT_MAX && strlen(n->text) == n->len);
        }
        for (unsigned i = 0; i < answer.n_addrs; i++)
                fuzz_assert(answer.addrs[i].ttl <= 0x7fffffffu);

        now++;
        if (r == DNS_OK && name_table_add(table, domains, &answer, now) > 0) {
                const struct dns_address *a = &answer.addrs[answer.n_addrs - 1];
                const char *name = name_table_lookup(table, a->family, &a->addr, now);

                fuzz_assert(name && domains_match(domains, name, strlen(name)));
        }
        free(copy);
        return 0;
}
