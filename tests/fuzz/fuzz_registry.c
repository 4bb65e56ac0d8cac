/*
 * fuzz_registry.c - the answer of a registry /lookup (any status, any
 * body), as ingress reads it before trusting a key.
 */
#include "fuzz_common.h"
#include "registry.h"

#include <stdint.h>

static registry_t *g_reg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_cfg();
    g_reg = registry_new(&g_cfg, NULL);
    if (!g_reg)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    registry_record_t rec;
    ondc_err_t err;
    long status = size ? (data[0] & 1 ? 200 : 404) : 200;
    registry_lookup_answer(g_reg, "buyer.example", "k1", status, (const char *)data, size,
                           1700000000000LL, &rec, &err);
    return 0;
}
