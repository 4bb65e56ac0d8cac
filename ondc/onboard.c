/*
 * onboard.c - registry subscription challenge. See onboard.h.
 *
 * X25519 is libsodium's crypto_scalarmult (it clamps the scalar exactly as
 * RFC 7748 and OpenSSL do); AES-256-ECB is OpenSSL EVP, the only use of
 * OpenSSL here.
 */
#include "onboard.h"
#include "sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#define S_B64 sodium_base64_VARIANT_ORIGINAL
#define S_WS " \t\r\n"

/* DER headers of X25519 keys (OID 1.3.101.110). */
static const unsigned char s_spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};
static const unsigned char s_pkcs8_prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                                 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20};

/* s_b64_decode - decode B64 (whitespace around allowed) into BIN; the whole
 * text must be consumed. Returns the byte count or -1. */
static long s_b64_decode(unsigned char *bin, size_t binmax, const char *b64)
{
    size_t n = strlen(b64), binlen = 0;
    const char *end = NULL;
    while (n > 0 && strchr(S_WS, *b64)) {
        b64++;
        n--;
    }
    while (n > 0 && strchr(S_WS, b64[n - 1]))
        n--;
    if (n == 0)
        return -1;
    if (sodium_base642bin(bin, binmax, b64, n, NULL, &binlen, &end, S_B64) != 0)
        return -1;
    if (end != b64 + n)
        return -1;
    return (long)binlen;
}

/* s_key_from_b64 - raw key from base64 of PREFIX||key or of the key alone. */
static int s_key_from_b64(unsigned char out[32], const char *b64, const unsigned char *prefix,
                          size_t prefixlen, const char *what, ondc_err_t *err)
{
    unsigned char der[64];
    int rc = -1;
    long n = b64 ? s_b64_decode(der, sizeof der, b64) : -1;
    if (n == 32) {
        memcpy(out, der, 32);
    } else if (n == (long)(prefixlen + 32) && memcmp(der, prefix, prefixlen) == 0) {
        memcpy(out, der + prefixlen, 32);
    } else {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "",
                "X25519 %s key is not base64 DER (%s) or of 32 raw bytes", what,
                prefixlen == sizeof s_spki_prefix ? "SPKI" : "PKCS#8");
        goto fail;
    }
    rc = 0;
fail:
    sodium_memzero(der, sizeof der);
    return rc;
}

int onboard_x25519_private_from_b64(unsigned char out[32], const char *b64, ondc_err_t *err)
{
    if (sign_init() < 0) /* no random source: a broken invariant */
        abort();
    return s_key_from_b64(out, b64, s_pkcs8_prefix, sizeof s_pkcs8_prefix, "private", err);
}

int onboard_x25519_public_from_b64(unsigned char out[32], const char *b64, ondc_err_t *err)
{
    if (sign_init() < 0) /* no random source: a broken invariant */
        abort();
    return s_key_from_b64(out, b64, s_spki_prefix, sizeof s_spki_prefix, "public", err);
}

char *onboard_solve_challenge(const unsigned char our_priv[32], const unsigned char their_pub[32],
                              const char *challenge_b64, ondc_err_t *err)
{
    if (sign_init() < 0) /* no random source: a broken invariant */
        abort();
    unsigned char shared[crypto_scalarmult_BYTES];
    unsigned char *ct = NULL;
    char *pt = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    size_t maxct = (size_t)ONBOARD_CHALLENGE_MAX / 4 * 3;
    int n1 = 0, n2 = 0;

    if (!challenge_b64 ||
        strnlen(challenge_b64, ONBOARD_CHALLENGE_MAX + 1) > ONBOARD_CHALLENGE_MAX) {
        err_set(err, ERR_TYPE_CORE, 400, ERR_INVALID_REQUEST, "challenge",
                "challenge missing or longer than %d bytes", ONBOARD_CHALLENGE_MAX);
        goto fail;
    }
    ct = malloc(maxct);
    if (!ct) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
        goto fail;
    }
    long ctlen = s_b64_decode(ct, maxct, challenge_b64);
    if (ctlen <= 0 || ctlen % 16 != 0) {
        err_set(err, ERR_TYPE_CORE, 400, ERR_INVALID_REQUEST, "challenge",
                "challenge is not base64 of whole AES blocks");
        goto fail;
    }
    /* -1 when the peer key is a low-order point (all-zero secret) */
    if (crypto_scalarmult(shared, our_priv, their_pub) != 0) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "",
                "registry X25519 public key gives no shared secret");
        goto fail;
    }
    pt = malloc((size_t)ctlen + 16 + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!pt || !ctx) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
        goto fail;
    }
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_ecb(), NULL, shared, NULL) != 1 ||
        EVP_DecryptUpdate(ctx, (unsigned char *)pt, &n1, ct, (int)ctlen) != 1 ||
        EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + n1, &n2) != 1) {
        /* a wrong key shows up here, as bad padding */
        err_set(err, ERR_TYPE_CORE, 400, ERR_INVALID_REQUEST, "challenge",
                "challenge does not decrypt with our key (bad padding)");
        goto fail;
    }
    pt[n1 + n2] = '\0';
    if (memchr(pt, '\0', (size_t)n1 + (size_t)n2)) {
        err_set(err, ERR_TYPE_CORE, 400, ERR_INVALID_REQUEST, "challenge",
                "challenge plaintext contains a NUL byte");
        goto fail;
    }
    EVP_CIPHER_CTX_free(ctx);
    free(ct);
    sodium_memzero(shared, sizeof shared);
    return pt;
fail:
    EVP_CIPHER_CTX_free(ctx);
    free(ct);
    free(pt);
    sodium_memzero(shared, sizeof shared);
    return NULL;
}

int onboard_x25519_keygen(char *priv_der_b64, size_t privlen, char *pub_der_b64, size_t publen)
{
    if (sign_init() < 0) /* no random source: a broken invariant */
        abort();
    unsigned char priv[sizeof s_pkcs8_prefix + 32], pub[sizeof s_spki_prefix + 32];
    int rc = -1;
    if (!priv_der_b64 || !pub_der_b64 || privlen < sodium_base64_ENCODED_LEN(sizeof priv, S_B64) ||
        publen < sodium_base64_ENCODED_LEN(sizeof pub, S_B64))
        goto fail;
    memcpy(priv, s_pkcs8_prefix, sizeof s_pkcs8_prefix);
    memcpy(pub, s_spki_prefix, sizeof s_spki_prefix);
    /* stored unclamped, as OpenSSL does; scalarmult clamps on use */
    randombytes_buf(priv + sizeof s_pkcs8_prefix, 32);
    if (crypto_scalarmult_base(pub + sizeof s_spki_prefix, priv + sizeof s_pkcs8_prefix) != 0)
        goto fail;
    sodium_bin2base64(priv_der_b64, privlen, priv, sizeof priv, S_B64);
    sodium_bin2base64(pub_der_b64, publen, pub, sizeof pub, S_B64);
    rc = 0;
fail:
    sodium_memzero(priv, sizeof priv);
    return rc;
}
