/* SPDX-License-Identifier: MIT */
/* libFuzzer target: packet_parse() on arbitrary bytes, as NFLOG would hand
 * them over. */

#include "fuzz.h"
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct flow f = {};
        uint8_t *copy = fuzz_copy(data, size);
        int r;

        if (!copy)
                return 0;

        r = packet_parse(copy, size, &f);
        if (r < PACKET_TRUNCATED || r > PACKET_OK)
                abort();
        /* ports only come with a parsed TCP/UDP header */
        if (r != PACKET_OK && (f.src_port != 0 || f.dst_port != 0))
                abort();
        if (r == PACKET_OK && f.l4proto != 6 && f.l4proto != 17)
                abort();

        free(copy);
        return 0;
}
