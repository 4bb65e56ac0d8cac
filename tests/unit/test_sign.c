/*
 * test_sign.c - sign.{c,h}: ONDC known answers (ONDC.md "Signing"), header
 * build / parse / verify, the header line and its curl list entry, the
 * tolerant parser's refusals, time checks, key files and sign_init.
 *
 * Run with the working directory at the repository root: the body is read
 * from tests/fixtures/signing-body.json (496 bytes, trailing newline dropped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "sign.h"

#define BODY_PATH "tests/fixtures/signing-body.json"
#define BODY_LEN 496
#define CREATED 1641287875L
#define EXPIRES 1641291475L

#define PRIV_A                                                                                     \
    "lP3sHA+9gileOkXYJXh4Jg8tK0gEEMbf9yCPnFpbldhrAY+NErqL9WD+Vav7TE5tyVXGXBle9ONZi2W7o144eQ=="
#define PUB_A "awGPjRK6i/Vg/lWr+0xObclVxlwZXvTjWYtlu6NeOHk="
#define DIGEST                                                                                     \
    "b6lf6lRgOweajukcvcLsagQ2T60+85kRh/Rd2bdS+TG/5ALebOEgDJfyCrre/1+BMu5nA94o4DT3pTFXuUg7sw=="
#define SIG_A                                                                                      \
    "cjbhP0PFyrlSCNszJM1F/YmHDVAWsZqJUPzojnE/7TJU3fJ/rmIlgaUHEr5E0/2PIyf0tpSnWtT6cyNNlpmoAQ=="
#define PRIV_B                                                                                     \
    "G0Pme72u8Y1MwxHqvY4iBW+7VPtJ7dsX7SGs6zZ5yvVIzdRAyHR6YkwHG2ufOE+12lsbJRwBF4Hqd7dUEOZZkg=="
#define PUB_B "SM3UQMh0emJMBxtrnzhPtdpbGyUcAReB6ne3VBDmWZI="
#define SIG_B                                                                                      \
    "fKQWvXhln4UdyZdL87ViXQObdBme0dHnsclD2LvvnHoNxIgcvAwUZOmwAnH5QKi9Upg5tRaxpoGhCFGHD+d+Bw=="

/* base64 of 63 and 65 bytes: signatures of the wrong length */
#define SIG_63                                                                                     \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define SIG_65                                                                                     \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

static char s_body[BODY_LEN + 1];

static int s_setup(void **state)
{
    (void)state;
    if (sign_init() < 0)
        return -1;
    FILE *f = fopen(BODY_PATH, "rb");
    if (!f)
        return -1;
    char buf[BODY_LEN + 8];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (n != BODY_LEN)
        return -1;
    memcpy(s_body, buf, n);
    s_body[n] = '\0';
    return 0;
}

static void s_load(sign_key_t *key, const char *b64)
{
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(sign_key_from_base64(key, b64, &err), 0);
}

static void s_assert_sig_err(const ondc_err_t *err, const char *substr)
{
    assert_string_equal(err->code, "30016");
    assert_int_equal(err->http_status, 401);
    assert_int_equal(err->type, ERR_TYPE_POLICY);
    assert_string_equal(err->path, "");
    if (substr && !strstr(err->message, substr))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, substr);
}

/* ---- known answers ---------------------------------------------------- */

static void test_digest_known_answer(void **state)
{
    (void)state;
    char d[89];
    assert_int_equal(strlen(s_body), BODY_LEN);
    sign_digest_b64(s_body, BODY_LEN, d);
    assert_string_equal(d, DIGEST);
}

static void test_signing_string(void **state)
{
    (void)state;
    char s[256];
    const char *want = "(created): 1641287875\n(expires): 1641291475\ndigest: BLAKE-512=" DIGEST;
    assert_int_equal(sign_signing_string(s, sizeof s, CREATED, EXPIRES, DIGEST), strlen(want));
    assert_string_equal(s, want);
    assert_int_equal(sign_signing_string(s, strlen(want), CREATED, EXPIRES, DIGEST), -1);
    assert_int_equal(sign_signing_string(s, sizeof s, CREATED, EXPIRES, NULL), -1);
}

static const struct {
    const char *name, *priv, *pub, *sig;
} s_vectors[] = {
    {"key A", PRIV_A, PUB_A, SIG_A},
    {"key B", PRIV_B, PUB_B, SIG_B},
};

static void test_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_vectors / sizeof s_vectors[0]; i++) {
        sign_key_t key;
        char pub[45], d[89], sig[89], sstr[256];
        s_load(&key, s_vectors[i].priv);
        sign_pubkey_to_base64(key.pk, pub);
        assert_string_equal(pub, s_vectors[i].pub);
        sign_digest_b64(s_body, BODY_LEN, d);
        int n = sign_signing_string(sstr, sizeof sstr, CREATED, EXPIRES, d);
        assert_true(n > 0);
        sign_detached_b64(&key, sstr, (size_t)n, sig);
        assert_string_equal(sig, s_vectors[i].sig);

        /* and it verifies through the parser */
        char hdr[512];
        snprintf(hdr, sizeof hdr,
                 "Signature keyId=\"buyer.example|k1|ed25519\",algorithm=\"ed25519\","
                 "created=\"%ld\",expires=\"%ld\",headers=\"(created) (expires) digest\","
                 "signature=\"%s\"",
                 CREATED, EXPIRES, s_vectors[i].sig);
        sign_header_t h;
        unsigned char pk[32];
        ondc_err_t err;
        assert_int_equal(sign_header_parse(hdr, &h, &err), 0);
        assert_int_equal(sign_pubkey_from_base64(pk, s_vectors[i].pub), 0);
        assert_int_equal(sign_verify(&h, pk, s_body, BODY_LEN, CREATED + 60, 5, &err), 0);
    }
}

static void test_seed_form(void **state)
{
    (void)state;
    unsigned char raw[64];
    size_t rawlen;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, PRIV_A, strlen(PRIV_A), NULL, &rawlen, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(rawlen, 64);
    char seed_b64[64];
    sodium_bin2base64(seed_b64, sizeof seed_b64, raw, 32, sodium_base64_VARIANT_ORIGINAL);

    /* the seed, also with surrounding whitespace as a key file would have */
    char padded[80];
    snprintf(padded, sizeof padded, "  \t%s\r\n", seed_b64);
    const char *forms[] = {seed_b64, padded};
    for (size_t i = 0; i < 2; i++) {
        sign_key_t key, full;
        char pub[45], sig[89], d[89], sstr[256];
        s_load(&key, forms[i]);
        s_load(&full, PRIV_A);
        assert_memory_equal(key.sk, full.sk, 64);
        sign_pubkey_to_base64(key.pk, pub);
        assert_string_equal(pub, PUB_A);
        sign_digest_b64(s_body, BODY_LEN, d);
        int n = sign_signing_string(sstr, sizeof sstr, CREATED, EXPIRES, d);
        sign_detached_b64(&key, sstr, (size_t)n, sig);
        assert_string_equal(sig, SIG_A);
    }
}

static void test_key_from_base64_refusals(void **state)
{
    (void)state;
    /* key A's seed with key B's public half */
    unsigned char a[64], b[64];
    size_t n;
    sodium_base642bin(a, 64, PRIV_A, strlen(PRIV_A), NULL, &n, NULL,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_base642bin(b, 64, PRIV_B, strlen(PRIV_B), NULL, &n, NULL,
                      sodium_base64_VARIANT_ORIGINAL);
    memcpy(a + 32, b + 32, 32);
    char mixed[96], short48[96];
    sodium_bin2base64(mixed, sizeof mixed, a, 64, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(short48, sizeof short48, a, 48, sodium_base64_VARIANT_ORIGINAL);

    const char *bad[] = {mixed, short48, "", "   ", "not base64 at all!", (PUB_A "x"), NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sign_key_t key;
        ondc_err_t err;
        err_clear(&err);
        assert_int_equal(sign_key_from_base64(&key, bad[i], &err), -1);
        assert_string_equal(err.code, ERR_INTERNAL);
        assert_int_equal(err.http_status, 500);
    }
}

static void test_pubkey_base64(void **state)
{
    (void)state;
    static const struct {
        const char *b64;
        int ok;
    } cases[] = {
        {PUB_A, 0},   {" " PUB_A "\n", 0},
        {PUB_B, 0},   {"awGPjRK6i/Vg/lWr+0xObclVxlwZXvTjWYtlu6NeOA==", -1}, /* 31 bytes */
        {PRIV_A, -1}, {"awGPjRK6i/Vg/lWr+0xObclVxlwZXvTjWYtlu6NeOHk", -1},  /* unpadded */
        {"!!!", -1},  {"", -1},
        {NULL, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char pk[32];
        assert_int_equal(sign_pubkey_from_base64(pk, cases[i].b64), cases[i].ok);
        if (cases[i].ok == 0) {
            char back[45];
            sign_pubkey_to_base64(pk, back);
            assert_non_null(strstr(cases[i].b64, back));
        }
    }
}

/* ---- the header, built and parsed back --------------------------------- */

static void test_auth_header_golden_and_roundtrip(void **state)
{
    (void)state;
    sign_key_t key;
    s_load(&key, PRIV_A);
    char *hdr =
        sign_auth_header(&key, "buyer-app.ondc.org", "207", s_body, BODY_LEN, CREATED, EXPIRES);
    assert_non_null(hdr);
    assert_string_equal(hdr, "Signature keyId=\"buyer-app.ondc.org|207|ed25519\","
                             "algorithm=\"ed25519\",created=\"1641287875\","
                             "expires=\"1641291475\",headers=\"(created) (expires) digest\","
                             "signature=\"" SIG_A "\"");
    sign_header_t h;
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(sign_header_parse(hdr, &h, &err), 0);
    assert_string_equal(h.subscriber_id, "buyer-app.ondc.org");
    assert_string_equal(h.ukid, "207");
    assert_string_equal(h.algorithm, "ed25519");
    assert_int_equal(h.created, CREATED);
    assert_int_equal(h.expires, EXPIRES);
    assert_string_equal(h.headers, "(created) (expires) digest");
    assert_int_equal(sign_verify(&h, key.pk, s_body, BODY_LEN, CREATED + 1, 0, &err), 0);
    free(hdr);

    /* values the other side could not parse are refused at the source */
    const char *bad_ids[] = {"", "a|b", "a\"b", "a\nb", NULL};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        assert_null(sign_auth_header(&key, bad_ids[i], "k", "{}", 2, 1, 2));
        assert_null(sign_auth_header(&key, "s", bad_ids[i], "{}", 2, 1, 2));
    }
    char longid[300];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_null(sign_auth_header(&key, longid, "k", "{}", 2, 1, 2));
    assert_null(sign_auth_header(&key, "s", "k", "{}", 2, -1, 2));
}

/* sign_auth_line is "Authorization: " and the header value, nothing more */
static void test_auth_line(void **state)
{
    (void)state;
    sign_key_t key;
    s_load(&key, PRIV_A);
    char *line =
        sign_auth_line(&key, "buyer-app.ondc.org", "207", s_body, BODY_LEN, CREATED, EXPIRES);
    assert_non_null(line);
    assert_string_equal(line, "Authorization: Signature keyId=\"buyer-app.ondc.org|207|ed25519\","
                              "algorithm=\"ed25519\",created=\"1641287875\","
                              "expires=\"1641291475\",headers=\"(created) (expires) digest\","
                              "signature=\"" SIG_A "\"");
    /* what a receiver takes from the line verifies */
    sign_header_t h;
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(sign_header_parse(line + strlen("Authorization: "), &h, &err), 0);
    assert_int_equal(sign_verify(&h, key.pk, s_body, BODY_LEN, CREATED + 1, 0, &err), 0);
    free(line);
    /* refused where the header is */
    assert_null(sign_auth_line(&key, "a|b", "k", "{}", 2, 1, 2));
    assert_null(sign_auth_line(&key, "s", "", "{}", 2, 1, 2));
    assert_null(sign_auth_line(&key, "s", "k", "{}", 2, -1, 2));
    assert_null(sign_auth_line(NULL, "s", "k", "{}", 2, 1, 2));
}

static size_t s_count(const struct curl_slist *l)
{
    size_t n = 0;
    for (; l; l = l->next)
        n++;
    return n;
}

/* sign_auth_append adds the line at the end of a curl list, after what the
 * caller put there; a new list from NULL; on refusal the list is as it was */
static void test_auth_append(void **state)
{
    (void)state;
    sign_key_t key;
    s_load(&key, PRIV_A);
    char *want =
        sign_auth_line(&key, "buyer-app.ondc.org", "207", s_body, BODY_LEN, CREATED, EXPIRES);
    assert_non_null(want);

    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    l = curl_slist_append(l, "Expect:");
    assert_non_null(l);
    struct curl_slist *head = l;
    assert_int_equal(
        sign_auth_append(&l, &key, "buyer-app.ondc.org", "207", s_body, BODY_LEN, CREATED, EXPIRES),
        0);
    assert_ptr_equal(l, head);
    assert_int_equal(s_count(l), 3);
    assert_string_equal(l->data, "Content-Type: application/json");
    assert_string_equal(l->next->data, "Expect:");
    assert_string_equal(l->next->next->data, want);

    /* refused: nothing appended, the list unchanged */
    assert_int_equal(sign_auth_append(&l, &key, "a\"b", "207", s_body, BODY_LEN, CREATED, EXPIRES),
                     -1);
    assert_ptr_equal(l, head);
    assert_int_equal(s_count(l), 3);
    assert_int_equal(sign_auth_append(&l, &key, "s", "k", "{}", 2, -1, 2), -1);
    assert_int_equal(s_count(l), 3);
    curl_slist_free_all(l);

    /* from no list: a list of the one line */
    struct curl_slist *one = NULL;
    assert_int_equal(sign_auth_append(&one, &key, "buyer-app.ondc.org", "207", s_body, BODY_LEN,
                                      CREATED, EXPIRES),
                     0);
    assert_non_null(one);
    assert_int_equal(s_count(one), 1);
    assert_string_equal(one->data, want);
    curl_slist_free_all(one);
    /* refused from no list: still no list */
    struct curl_slist *none = NULL;
    assert_int_equal(sign_auth_append(&none, &key, "", "207", "{}", 2, 1, 2), -1);
    assert_null(none);
    free(want);
}

/* ---- the parser ---------------------------------------------------------- */

#define KEYID "keyId=\"bap.example.com|ukid-1|ed25519\""
#define ALG "algorithm=\"ed25519\""
#define CR "created=\"1641287875\""
#define EX "expires=\"1641291475\""
#define HD "headers=\"(created) (expires) digest\""
#define SG "signature=\"" SIG_A "\""

static const struct {
    const char *name, *value;
    const char *why; /* NULL: accepted (and verifies); else a word of the message */
} s_parse_cases[] = {
    {"canonical", "Signature " KEYID "," ALG "," CR "," EX "," HD "," SG, NULL},
    {"spaces after commas", "Signature " KEYID ", " ALG ", " CR ", " EX ", " HD ", " SG, NULL},
    {"tabs", "Signature\t" KEYID ",\t" ALG "\t,\t" CR ",\t\t" EX "," HD ",\t" SG "\t", NULL},
    {"other order", SG ", " EX ", " HD ", " KEYID ", " CR ", " ALG, NULL},
    {"no Signature prefix", KEYID "," ALG "," CR "," EX "," HD "," SG, NULL},
    {"spaces around =",
     "Signature keyId = \"bap.example.com|ukid-1|ed25519\" , algorithm= "
     "\"ed25519\",created =\"1641287875\"," EX "," HD "," SG,
     NULL},
    {"unknown field", "Signature " KEYID ",realm=\"x\"," ALG "," CR "," EX "," HD "," SG, NULL},
    {"no headers field", "Signature " KEYID "," ALG "," CR "," EX "," SG, NULL},
    {"bare numbers", "Signature " KEYID "," ALG ",created=1641287875,expires=1641291475," SG, NULL},
    {"trailing comma", "Signature " KEYID "," ALG "," CR "," EX "," HD "," SG ",", NULL},
    {"missing keyId", "Signature " ALG "," CR "," EX "," HD "," SG, "keyId"},
    {"missing signature", "Signature " KEYID "," ALG "," CR "," EX "," HD, "signature"},
    {"missing algorithm", "Signature " KEYID "," CR "," EX "," HD "," SG, "algorithm"},
    {"missing created", "Signature " KEYID "," ALG "," EX "," HD "," SG, "created"},
    {"missing expires", "Signature " KEYID "," ALG "," CR "," HD "," SG, "expires"},
    {"algorithm rsa", "Signature " KEYID ",algorithm=\"rsa-sha256\"," CR "," EX "," HD "," SG,
     "algorithm"},
    {"keyId alg rsa", "Signature keyId=\"a|b|rsa\"," ALG "," CR "," EX "," HD "," SG, "keyId"},
    {"keyId 2 parts",
     "Signature keyId=\"bap.example.com|ed25519\"," ALG "," CR "," EX "," HD "," SG, "keyId"},
    {"keyId 4 parts", "Signature keyId=\"a|b|c|ed25519\"," ALG "," CR "," EX "," HD "," SG,
     "keyId"},
    {"keyId empty ukid", "Signature keyId=\"a||ed25519\"," ALG "," CR "," EX "," HD "," SG,
     "keyId"},
    {"signature 63 bytes",
     "Signature " KEYID "," ALG "," CR "," EX "," HD ",signature=\"" SIG_63 "\"", "64 bytes"},
    {"signature 65 bytes",
     "Signature " KEYID "," ALG "," CR "," EX "," HD ",signature=\"" SIG_65 "\"", "64 bytes"},
    {"signature not base64", "Signature " KEYID "," ALG "," CR "," EX "," HD ",signature=\"%%%\"",
     "64 bytes"},
    {"created not a number", "Signature " KEYID "," ALG ",created=\"12a\"," EX "," HD "," SG,
     "created"},
    {"created negative", "Signature " KEYID "," ALG ",created=\"-5\"," EX "," HD "," SG, "created"},
    {"created huge",
     "Signature " KEYID "," ALG ",created=\"99999999999999999999999\"," EX "," HD "," SG,
     "created"},
    {"duplicate field", "Signature " KEYID "," KEYID "," ALG "," CR "," EX "," HD "," SG,
     "repeats"},
    {"unterminated quote", "Signature " KEYID "," ALG "," CR "," EX "," HD ",signature=\"" SIG_A,
     "unterminated"},
    {"no comma", "Signature " KEYID " " ALG "," CR "," EX "," HD "," SG, "','"},
    {"garbage", "garbage", "'='"},
    {"garbage 2", "=,,==\"", "name=\"value\""},
    {"empty string", "", "keyId"},
    {"only Signature", "Signature ", "keyId"},
    {"control char", "Signature keyId=\"a|b\x01|ed25519\"," ALG "," CR "," EX "," HD "," SG,
     "control"},
};

static void test_parse_table(void **state)
{
    (void)state;
    unsigned char pk[32];
    assert_int_equal(sign_pubkey_from_base64(pk, PUB_A), 0);
    for (size_t i = 0; i < sizeof s_parse_cases / sizeof s_parse_cases[0]; i++) {
        sign_header_t h;
        ondc_err_t err;
        err_clear(&err);
        int rc = sign_header_parse(s_parse_cases[i].value, &h, &err);
        if (!s_parse_cases[i].why) {
            if (rc != 0)
                fail_msg("%s: refused: %s", s_parse_cases[i].name, err.message);
            assert_string_equal(h.subscriber_id, "bap.example.com");
            assert_string_equal(h.ukid, "ukid-1");
            assert_int_equal(h.created, CREATED);
            assert_int_equal(h.expires, EXPIRES);
            if (sign_verify(&h, pk, s_body, BODY_LEN, CREATED + 10, 0, &err) != 0)
                fail_msg("%s: does not verify: %s", s_parse_cases[i].name, err.message);
        } else {
            if (rc != -1)
                fail_msg("%s: accepted", s_parse_cases[i].name);
            s_assert_sig_err(&err, s_parse_cases[i].why);
            /* nothing half-parsed is left behind */
            assert_int_equal(h.created, 0);
            assert_string_equal(h.subscriber_id, "");
        }
    }
    ondc_err_t err;
    sign_header_t h;
    assert_int_equal(sign_header_parse(NULL, &h, &err), -1);
    s_assert_sig_err(&err, "missing");
}

/* a valid header grown with an unknown field to exactly LEN bytes */
static char *s_padded_header(size_t len)
{
    const char *base = "Signature " KEYID "," ALG "," CR "," EX "," HD "," SG ",x=\"";
    size_t blen = strlen(base);
    assert_true(len > blen + 1);
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, base, blen);
    memset(s + blen, 'a', len - blen - 1);
    s[len - 1] = '"';
    s[len] = '\0';
    return s;
}

static void test_parse_length_limit(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        int rc;
    } cases[] = {{4096, 0}, {4097, -1}, {5000, -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = s_padded_header(cases[i].len);
        sign_header_t h;
        ondc_err_t err;
        err_clear(&err);
        assert_int_equal(strlen(s), cases[i].len);
        assert_int_equal(sign_header_parse(s, &h, &err), cases[i].rc);
        if (cases[i].rc)
            s_assert_sig_err(&err, "4096");
        free(s);
    }
}

/* ---- verify -------------------------------------------------------------- */

enum { V_NONE, V_FLIP_BODY, V_WRONG_PK, V_FLIP_SIG, V_EXTEND_EXPIRES, V_HEADERS };

static const struct {
    const char *name;
    long created, expires, now, skew;
    int mutation;
    const char *headers; /* for V_HEADERS */
    const char *why;     /* NULL: accepted */
} s_verify_cases[] = {
    {"in window", 1000, 2000, 1500, 0, V_NONE, NULL, NULL},
    {"at created", 1000, 2000, 1000, 0, V_NONE, NULL, NULL},
    {"at expires", 1000, 2000, 2000, 0, V_NONE, NULL, NULL},
    {"early within skew", 1000, 2000, 995, 5, V_NONE, NULL, NULL},
    {"late within skew", 1000, 2000, 2005, 5, V_NONE, NULL, NULL},
    {"created == expires", 1000, 1000, 1000, 0, V_NONE, NULL, NULL},
    {"expired", 1000, 2000, 2006, 5, V_NONE, NULL, "expired"},
    {"expired no skew", 1000, 2000, 2001, 0, V_NONE, NULL, "expired"},
    {"created in future", 1000, 2000, 994, 5, V_NONE, NULL, "future"},
    {"expires < created", 2000, 1000, 1500, 600, V_NONE, NULL, "expires before"},
    {"tampered body", 1000, 2000, 1500, 0, V_FLIP_BODY, NULL, "mismatch"},
    {"wrong public key", 1000, 2000, 1500, 0, V_WRONG_PK, NULL, "mismatch"},
    {"tampered signature", 1000, 2000, 1500, 0, V_FLIP_SIG, NULL, "mismatch"},
    {"expires extended", 1000, 2000, 2500, 0, V_EXTEND_EXPIRES, NULL, "mismatch"},
    {"headers extra spaces", 1000, 2000, 1500, 0, V_HEADERS, "  (created)   (expires)\tdigest ",
     NULL},
    {"headers missing digest", 1000, 2000, 1500, 0, V_HEADERS, "(created) (expires)", "headers"},
    {"headers reordered", 1000, 2000, 1500, 0, V_HEADERS, "(expires) (created) digest", "headers"},
    {"headers extra", 1000, 2000, 1500, 0, V_HEADERS, "(created) (expires) digest host", "headers"},
    {"headers other", 1000, 2000, 1500, 0, V_HEADERS, "date digest", "headers"},
};

static void test_verify_table(void **state)
{
    (void)state;
    sign_key_t a, b;
    s_load(&a, PRIV_A);
    s_load(&b, PRIV_B);
    for (size_t i = 0; i < sizeof s_verify_cases / sizeof s_verify_cases[0]; i++) {
        __typeof__(s_verify_cases[0]) *c = &s_verify_cases[i];
        char body[BODY_LEN];
        memcpy(body, s_body, BODY_LEN);
        char *hdr =
            sign_auth_header(&a, "bap.example.com", "k1", body, BODY_LEN, c->created, c->expires);
        assert_non_null(hdr);
        sign_header_t h;
        ondc_err_t err;
        err_clear(&err);
        assert_int_equal(sign_header_parse(hdr, &h, &err), 0);
        free(hdr);
        const unsigned char *pk = a.pk;
        switch (c->mutation) {
        case V_FLIP_BODY:
            body[BODY_LEN / 2] ^= 0x01;
            break;
        case V_WRONG_PK:
            pk = b.pk;
            break;
        case V_FLIP_SIG:
            h.signature[10] ^= 0x80;
            break;
        case V_EXTEND_EXPIRES:
            h.expires += 1000;
            break;
        case V_HEADERS:
            snprintf(h.headers, sizeof h.headers, "%s", c->headers);
            break;
        }
        int rc = sign_verify(&h, pk, body, BODY_LEN, c->now, c->skew, &err);
        if (!c->why) {
            if (rc != 0)
                fail_msg("%s: refused: %s", c->name, err.message);
        } else {
            if (rc != -1)
                fail_msg("%s: accepted", c->name);
            s_assert_sig_err(&err, c->why);
        }
    }
}

/* ---- key files ----------------------------------------------------------- */

static char *s_temp_key(const char *content, mode_t mode)
{
    char *path = strdup("/tmp/test_sign_keyXXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

static void test_key_file(void **state)
{
    (void)state;
    static const struct {
        const char *name, *content;
        mode_t mode;
        const char *why; /* NULL: loads */
    } cases[] = {
        {"0600", PRIV_A "\n", 0600, NULL},
        {"0400", "  " PRIV_A "  \n\n", 0400, NULL},
        {"0644", PRIV_A "\n", 0644, "mode"},
        {"0640", PRIV_A "\n", 0640, "mode"},
        {"0604", PRIV_A "\n", 0604, "mode"},
        {"0660", PRIV_A "\n", 0660, "group/others"},
        {"garbage", "this is not a key\n", 0600, "base64"},
        {"empty", "", 0600, "base64"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = s_temp_key(cases[i].content, cases[i].mode);
        sign_key_t key;
        ondc_err_t err;
        err_clear(&err);
        int rc = sign_key_load_file(&key, path, &err);
        if (!cases[i].why) {
            if (rc != 0)
                fail_msg("%s: refused: %s", cases[i].name, err.message);
            char pub[45];
            sign_pubkey_to_base64(key.pk, pub);
            assert_string_equal(pub, PUB_A);
        } else {
            if (rc != -1)
                fail_msg("%s: accepted", cases[i].name);
            assert_string_equal(err.code, ERR_INTERNAL);
            if (!strstr(err.message, cases[i].why))
                fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].name, err.message,
                         cases[i].why);
            /* the key never leaks into the message */
            assert_null(strstr(err.message, "lP3sHA"));
        }
        unlink(path);
        free(path);
    }

    sign_key_t key;
    ondc_err_t err;
    err_clear(&err);
    assert_int_equal(sign_key_load_file(&key, "/nonexistent/ondc/key.b64", &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/ondc/key.b64"));
    err_clear(&err);
    assert_int_equal(sign_key_load_file(&key, "/tmp", &err), -1);
    assert_non_null(strstr(err.message, "regular"));
    assert_int_equal(sign_key_load_file(&key, NULL, &err), -1);
}

/* sign_init readies libsodium, once: again it answers 0, and libsodium
 * itself says it is initialised already (sodium_init 1) */
static void test_init(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    assert_int_equal(sign_init(), 0);
    assert_int_equal(sodium_init(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_digest_known_answer),
        cmocka_unit_test(test_signing_string),
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_seed_form),
        cmocka_unit_test(test_key_from_base64_refusals),
        cmocka_unit_test(test_pubkey_base64),
        cmocka_unit_test(test_auth_header_golden_and_roundtrip),
        cmocka_unit_test(test_auth_line),
        cmocka_unit_test(test_auth_append),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_length_limit),
        cmocka_unit_test(test_verify_table),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, s_setup, NULL);
}
