/*
 * fuzz_auth_header.c - the Authorization / X-Gateway-Authorization header
 * parser (sign_header_parse), then a verification of whatever parsed
 * against a fixed key and body.
 */
#include "sign.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    sign_header_t h;
    ondc_err_t err;
    if (sign_header_parse(s, &h, &err) == 0) {
        static const unsigned char pk[32] = {1, 2, 3};
        sign_verify(&h, pk, "{}", 2, 1700000000, 120, &err);
    }
    free(s);
    return 0;
}
