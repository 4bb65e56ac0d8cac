/*
 * test_onboard.c - onboard.{c,h}: the registry challenge known answer
 * (ONDC.md "Registry"), key decoding and its refusals, and keygen output
 * cross-checked with OpenSSL (DER parse, derived public key, a challenge
 * encrypted by OpenSSL and solved by us).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "onboard.h"
#include "sign.h"

#define KAT_PRIV "MC4CAQAwBQYDK2VuBCIEIOgl3rf3arbk1PvIe0C9TZp7ImR71NSQdvuSu+zzY6xo"
#define KAT_PUB "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8="
#define KAT_CHALLENGE "CrwN248HS4CIYsUvxtrK0pWCBaoyZh4LnWtGqeH7Mpc="
#define KAT_ANSWER "ONDC is a Great Initiative!"

#define B64 sodium_base64_VARIANT_ORIGINAL

static int s_setup(void **state)
{
    (void)state;
    return sign_init();
}

static size_t s_unb64(unsigned char *bin, size_t max, const char *b64)
{
    size_t n = 0;
    assert_int_equal(sodium_base642bin(bin, max, b64, strlen(b64), NULL, &n, NULL, B64), 0);
    return n;
}

static void test_known_answer(void **state)
{
    (void)state;
    unsigned char priv[32], pub[32];
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(onboard_x25519_private_from_b64(priv, KAT_PRIV, &err), 0);
    assert_int_equal(onboard_x25519_public_from_b64(pub, " " KAT_PUB "\n", &err), 0);
    char *answer = onboard_solve_challenge(priv, pub, KAT_CHALLENGE, &err);
    assert_non_null(answer);
    assert_string_equal(answer, KAT_ANSWER);
    free(answer);

    /* the raw 32-byte forms of the same keys */
    char rawpriv[64], rawpub[64];
    sodium_bin2base64(rawpriv, sizeof rawpriv, priv, 32, B64);
    sodium_bin2base64(rawpub, sizeof rawpub, pub, 32, B64);
    unsigned char priv2[32], pub2[32];
    assert_int_equal(onboard_x25519_private_from_b64(priv2, rawpriv, &err), 0);
    assert_int_equal(onboard_x25519_public_from_b64(pub2, rawpub, &err), 0);
    assert_memory_equal(priv, priv2, 32);
    assert_memory_equal(pub, pub2, 32);

    /* the raw key really is the DER's tail */
    unsigned char der[64];
    assert_int_equal(s_unb64(der, sizeof der, KAT_PRIV), 48);
    assert_memory_equal(der + 16, priv, 32);
    assert_int_equal(s_unb64(der, sizeof der, KAT_PUB), 44);
    assert_memory_equal(der + 12, pub, 32);
}

static void test_key_refusals(void **state)
{
    (void)state;
    /* an Ed25519 SPKI (OID 1.3.101.112) and PKCS#8 of the right length */
    unsigned char der[64];
    char ed_pub[96], ed_priv[96];
    assert_int_equal(s_unb64(der, sizeof der, KAT_PUB), 44);
    der[8] = 0x70;
    sodium_bin2base64(ed_pub, sizeof ed_pub, der, 44, B64);
    assert_int_equal(s_unb64(der, sizeof der, KAT_PRIV), 48);
    der[11] = 0x70;
    sodium_bin2base64(ed_priv, sizeof ed_priv, der, 48, B64);

    static const char *const garbage[] = {
        "",
        "   ",
        "not base64!",
        "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8",
        "AAAA",
        (KAT_PUB "AAAA"), /* a good key with bytes after it */
        NULL,
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        unsigned char out[32];
        ondc_err_t err;
        err_clear(&err);
        assert_int_equal(onboard_x25519_public_from_b64(out, garbage[i], &err), -1);
        assert_string_equal(err.code, ERR_INTERNAL);
        err_clear(&err);
        assert_int_equal(onboard_x25519_private_from_b64(out, garbage[i], &err), -1);
        assert_string_equal(err.code, ERR_INTERNAL);
        assert_int_equal(err.http_status, 500);
    }
    unsigned char out[32];
    ondc_err_t err;
    assert_int_equal(onboard_x25519_public_from_b64(out, ed_pub, &err), -1);
    assert_int_equal(onboard_x25519_private_from_b64(out, ed_priv, &err), -1);
    /* a public key is not a private key, and the other way round */
    assert_int_equal(onboard_x25519_private_from_b64(out, KAT_PUB, &err), -1);
    assert_int_equal(onboard_x25519_public_from_b64(out, KAT_PRIV, &err), -1);
}

static void test_challenge_refusals(void **state)
{
    (void)state;
    unsigned char priv[32], pub[32], other[32] = {9}; /* the X25519 base point */
    ondc_err_t err;
    assert_int_equal(onboard_x25519_private_from_b64(priv, KAT_PRIV, &err), 0);
    assert_int_equal(onboard_x25519_public_from_b64(pub, KAT_PUB, &err), 0);

    char *big = malloc(ONBOARD_CHALLENGE_MAX + 5);
    assert_non_null(big);
    memset(big, 'A', ONBOARD_CHALLENGE_MAX + 4);
    big[ONBOARD_CHALLENGE_MAX + 4] = '\0';

    static const unsigned char zero[32];
    const struct {
        const char *name, *challenge;
        const unsigned char *peer;
        int http;
    } cases[] = {
        {"not base64", "this is not base64!", pub, 400},
        {"empty", "", pub, 400},
        {"not whole blocks", "AAAAAAAAAAAAAAAAAAAAAAAA", pub, 400}, /* 18 bytes */
        {"unpadded", "CrwN248HS4CIYsUvxtrK0pWCBaoyZh4LnWtGqeH7Mpc", pub, 400},
        {"too long", big, pub, 400},
        {"NULL", NULL, pub, 400},
        {"wrong key", KAT_CHALLENGE, other, 400},
        {"low-order peer key", KAT_CHALLENGE, zero, 500},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err_clear(&err);
        char *answer = onboard_solve_challenge(priv, cases[i].peer, cases[i].challenge, &err);
        if (answer) {
            free(answer);
            fail_msg("%s: accepted", cases[i].name);
        }
        if (err.http_status != cases[i].http)
            fail_msg("%s: http %d: %s", cases[i].name, err.http_status, err.message);
        if (cases[i].http == 400) {
            assert_string_equal(err.code, ERR_INVALID_REQUEST);
            assert_string_equal(err.path, "challenge");
        }
    }
    free(big);
}

/* s_pkey - OpenSSL's reading of our base64 DER: private (PKCS#8) or SPKI. */
static EVP_PKEY *s_pkey(const char *b64, int private)
{
    unsigned char der[128];
    size_t n = s_unb64(der, sizeof der, b64);
    const unsigned char *p = der;
    EVP_PKEY *k = private ? d2i_AutoPrivateKey(NULL, &p, (long)n) : d2i_PUBKEY(NULL, &p, (long)n);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_get_id(k), EVP_PKEY_X25519);
    return k;
}

/* s_openssl_challenge - what the registry does: X25519 with OpenSSL, then
 * AES-256-ECB (PKCS#7) of PLAIN, base64. */
static void s_openssl_challenge(EVP_PKEY *priv, EVP_PKEY *peer, const char *plain, char *out,
                                size_t outlen)
{
    unsigned char secret[64], ct[256];
    size_t slen = sizeof secret;
    EVP_PKEY_CTX *dctx = EVP_PKEY_CTX_new(priv, NULL);
    assert_non_null(dctx);
    assert_int_equal(EVP_PKEY_derive_init(dctx), 1);
    assert_int_equal(EVP_PKEY_derive_set_peer(dctx, peer), 1);
    assert_int_equal(EVP_PKEY_derive(dctx, secret, &slen), 1);
    assert_int_equal(slen, 32);
    EVP_PKEY_CTX_free(dctx);

    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, secret, NULL), 1);
    assert_int_equal(
        EVP_EncryptUpdate(c, ct, &n1, (const unsigned char *)plain, (int)strlen(plain)), 1);
    assert_int_equal(EVP_EncryptFinal_ex(c, ct + n1, &n2), 1);
    EVP_CIPHER_CTX_free(c);
    sodium_bin2base64(out, outlen, ct, (size_t)n1 + (size_t)n2, B64);
}

static void test_keygen_roundtrip(void **state)
{
    (void)state;
    char apriv[128], apub[128], bpriv[128], bpub[128];
    assert_int_equal(onboard_x25519_keygen(apriv, sizeof apriv, apub, sizeof apub), 0);
    assert_int_equal(onboard_x25519_keygen(bpriv, sizeof bpriv, bpub, sizeof bpub), 0);
    assert_string_not_equal(apriv, bpriv);
    assert_int_equal(strncmp(apub, "MCowBQYDK2VuAyEA", 16), 0);
    assert_int_equal(strncmp(apriv, "MC4CAQAwBQYDK2VuBCIEI", 21), 0);

    /* OpenSSL reads both DERs; the public it derives from ours is ours */
    EVP_PKEY *ka = s_pkey(apriv, 1), *kapub = s_pkey(apub, 0);
    EVP_PKEY *kb = s_pkey(bpriv, 1), *kbpub = s_pkey(bpub, 0);
    unsigned char derived[32], mine[32], priv_a[32], priv_b[32], pub_a[32], pub_b[32];
    size_t dlen = sizeof derived;
    ondc_err_t err;
    assert_int_equal(EVP_PKEY_get_raw_public_key(ka, derived, &dlen), 1);
    assert_int_equal(onboard_x25519_public_from_b64(mine, apub, &err), 0);
    assert_memory_equal(derived, mine, 32);
    assert_int_equal(onboard_x25519_private_from_b64(priv_a, apriv, &err), 0);
    assert_int_equal(onboard_x25519_private_from_b64(priv_b, bpriv, &err), 0);
    assert_int_equal(onboard_x25519_public_from_b64(pub_a, apub, &err), 0);
    assert_int_equal(onboard_x25519_public_from_b64(pub_b, bpub, &err), 0);
    unsigned char fromsodium[32];
    assert_int_equal(crypto_scalarmult_base(fromsodium, priv_b), 0);
    assert_memory_equal(fromsodium, pub_b, 32);

    /* the "registry" (A, OpenSSL) encrypts, we (B) solve: every length
     * around the block size, including an empty answer */
    static const char *const plains[] = {
        "",
        "x",
        "fifteen bytes!!",
        "sixteen bytes!!!",
        "seventeen bytes!!",
        "a rather longer challenge string, spanning several AES blocks of sixteen bytes",
    };
    for (size_t i = 0; i < sizeof plains / sizeof plains[0]; i++) {
        char challenge[512];
        s_openssl_challenge(ka, kbpub, plains[i], challenge, sizeof challenge);
        char *answer = onboard_solve_challenge(priv_b, pub_a, challenge, &err);
        if (!answer)
            fail_msg("\"%s\": %s", plains[i], err.message);
        assert_string_equal(answer, plains[i]);
        free(answer);
        /* the other direction too */
        s_openssl_challenge(kb, kapub, plains[i], challenge, sizeof challenge);
        answer = onboard_solve_challenge(priv_a, pub_b, challenge, &err);
        assert_non_null(answer);
        assert_string_equal(answer, plains[i]);
        free(answer);
    }
    EVP_PKEY_free(ka);
    EVP_PKEY_free(kapub);
    EVP_PKEY_free(kb);
    EVP_PKEY_free(kbpub);

    /* buffers too small */
    assert_int_equal(onboard_x25519_keygen(apriv, 64, apub, sizeof apub), -1);
    assert_int_equal(onboard_x25519_keygen(apriv, sizeof apriv, apub, 60), -1);
    assert_int_equal(onboard_x25519_keygen(apriv, 65, apub, 61), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_key_refusals),
        cmocka_unit_test(test_challenge_refusals),
        cmocka_unit_test(test_keygen_roundtrip),
    };
    return cmocka_run_group_tests(tests, s_setup, NULL);
}
