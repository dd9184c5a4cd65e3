/* SPDX-License-Identifier: MIT */
/* libFuzzer target: networks_load_buffer() on arbitrary bytes; on success a
 * few addresses are matched and the answers checked for sanity. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "networks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct networks *n = NULL;
        char err[512] = "";
        char *copy;
        int r;

        copy = fuzz_copy(data, size);
        if (!copy)
                return 0;

        r = networks_load_buffer("fuzz", copy, size, &n, err, sizeof(err));
        if (r < 0) {
                if (n || strncmp(err, "fuzz:", 5) != 0)
                        abort();
                free(copy);
                return 0;
        }

        /* Addresses taken from the input itself hit prefixes now and then. */
        for (size_t off = 0; off < 64; off += 4) {
                uint8_t a[16] = {};
                const char *text = NULL;

                size_t o = size > off ? off : 0;

                memcpy(a, copy + o, MIN(size - o, sizeof(a)));
                r = networks_match(n, AF_INET, a, &text);
                if (r > 32 || r < -1 || (r >= 0 && !text))
                        abort();
                r = networks_match(n, AF_INET6, a, &text);
                if (r > 128 || r < -1 || (r >= 0 && !text))
                        abort();
        }
        networks_free(n);
        free(copy);
        return 0;
}
