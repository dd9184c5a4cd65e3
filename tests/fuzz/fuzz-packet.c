/* SPDX-License-Identifier: MIT */
/* libFuzzer target: packet_parse() on arbitrary bytes, as NFLOG would hand
 * them over. The input is copied to an exactly sized heap buffer so that
 * AddressSanitizer catches a read of even one byte past the end. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct flow f = {};
        uint8_t *copy;
        int r;

        copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

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
