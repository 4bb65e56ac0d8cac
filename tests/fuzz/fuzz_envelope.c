/*
 * fuzz_envelope.c - the versioned envelope decoder (every frame a stage
 * reads from ZeroMQ); what decodes must encode back to the same bytes.
 */
#include "envelope.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_t e;
    if (envelope_decode(&e, data, size) == 0) {
        unsigned char buf[1024];
        int n = envelope_encode(&e, buf, sizeof buf);
        envelope_t again;
        if (n > 0 && (envelope_decode(&again, buf, (size_t)n) != 0 || again.id != e.id ||
                      again.kind != e.kind))
            abort(); /* decode(encode(x)) must give x back */
    }
    return 0;
}
