/*
 * ondcctl_keys.c - keygen, sign, verify.
 *
 *   sign --key F --subscriber S --ukid K [--created T] [--expires T] BODYFILE
 *       prints the Authorization header value for the body's exact bytes;
 *   sign --key F --message TEXT
 *       prints the detached Ed25519 signature (base64) of TEXT - the
 *       site verification page's content for a request_id;
 *   verify (--public-key B64 | --registry FILE) --header VALUE [--now T] BODYFILE
 *       checks an Authorization header (created/expires against --now,
 *       120 s of skew) and prints "ok sub|ukid" or "invalid: why";
 *   verify --public-key B64 --signature B64 (--message TEXT | FILE)
 *       checks a detached signature (the site verification page).
 *
 * Exit codes: 0 ok, 1 invalid or error, 64 usage.
 */
#include "ondcctl.h"

#include "onboard.h"
#include "registry.h"
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* s_write_secret - create PATH with mode 0600 holding TEXT; refuses to
 * overwrite an existing file. */
static int s_write_secret(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        fprintf(stderr, "ondcctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
    close(fd);
    return ok ? 0 : -1;
}

int ctl_keygen(ctl_t *ctl, int argc, char **argv)
{
    (void)ctl;
    static const char *const opts[] = {"dir=", NULL};
    int arc = ctl_args("keygen", argc, argv, opts, 0, 0);
    if (arc)
        return arc;
    const char *dir = ctl_opt(argc, argv, "dir");
    if (!dir)
        dir = ".";
    if (sign_init() < 0)
        return 1;
    mkdir(dir, 0700);
    unsigned char pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    char sk_b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    char pk_b64[45];
    sodium_bin2base64(sk_b64, sizeof sk_b64, sk, 64, sodium_base64_VARIANT_ORIGINAL);
    sign_pubkey_to_base64(pk, pk_b64);
    char epriv[128], epub[128];
    if (onboard_x25519_keygen(epriv, sizeof epriv, epub, sizeof epub) < 0)
        return 1;
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/signing.key", dir);
    snprintf(p2, sizeof p2, "%s/encryption.key", dir);
    int rc = s_write_secret(p1, sk_b64) || s_write_secret(p2, epriv);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(sk_b64, sizeof sk_b64);
    if (rc)
        return 1;
    printf("{\"signing_public_key\":\"%s\",\"encr_public_key\":\"%s\",\"signing_private_key_file\":"
           "\"%s\",\"encryption_private_key_file\":\"%s\"}\n",
           pk_b64, epub, p1, p2);
    return 0;
}

int ctl_sign(ctl_t *ctl, int argc, char **argv)
{
    (void)ctl;
    static const char *const opts[] = {"key=",     "subscriber=", "ukid=", "created=",
                                       "expires=", "message=",    NULL};
    int arc = ctl_args("sign", argc, argv, opts, 0, 1);
    if (arc)
        return arc;
    const char *keyf = ctl_opt(argc, argv, "key"), *sub = ctl_opt(argc, argv, "subscriber"),
               *ukid = ctl_opt(argc, argv, "ukid"), *file = ctl_positional(argc, argv, 0),
               *msg = ctl_opt(argc, argv, "message");
    if (!keyf || (!msg && (!sub || !ukid || !file))) {
        fprintf(stderr, "usage: ondcctl sign --key FILE --subscriber S --ukid K BODYFILE\n"
                        "       ondcctl sign --key FILE --message TEXT\n");
        return 64;
    }
    sign_key_t key;
    ondc_err_t err;
    if (sign_key_load_file(&key, keyf, &err) < 0) {
        fprintf(stderr, "ondcctl: %s\n", err.message);
        return 1;
    }
    if (msg) {
        char sig[89];
        sign_detached_b64(&key, msg, strlen(msg), sig);
        sodium_memzero(&key, sizeof key);
        printf("%s\n", sig);
        return 0;
    }
    size_t len;
    char *body = ctl_read_file(file, &len);
    if (!body) {
        fprintf(stderr, "ondcctl: cannot read %s\n", file);
        return 1;
    }
    long created = ctl_opt(argc, argv, "created") ? atol(ctl_opt(argc, argv, "created")) : (long)time(NULL);
    long expires = ctl_opt(argc, argv, "expires") ? atol(ctl_opt(argc, argv, "expires")) : created + 300;
    char *h = sign_auth_header(&key, sub, ukid, body, len, created, expires);
    sodium_memzero(&key, sizeof key);
    free(body);
    if (!h)
        return 1;
    printf("%s\n", h);
    free(h);
    return 0;
}

/* s_verify_detached - verify --signature over --message TEXT or FILE's bytes. */
static int s_verify_detached(const char *pkb, const char *sigb, const char *msg, const char *file)
{
    unsigned char pk[32], sig[64];
    size_t n = 0;
    if (sign_init() < 0)
        return 1;
    if (!pkb || (!msg && !file)) {
        fprintf(stderr, "usage: ondcctl verify --public-key B64 --signature B64 "
                        "(--message TEXT | FILE)\n");
        return 64;
    }
    if (sign_pubkey_from_base64(pk, pkb) < 0) {
        printf("invalid: bad public key\n");
        return 1;
    }
    if (sodium_base642bin(sig, sizeof sig, sigb, strlen(sigb), " \t\r\n", &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || n != sizeof sig) {
        printf("invalid: the signature is not base64 of 64 bytes\n");
        return 1;
    }
    size_t len = msg ? strlen(msg) : 0;
    char *body = msg ? NULL : ctl_read_file(file, &len);
    if (!msg && !body) {
        fprintf(stderr, "ondcctl: cannot read %s\n", file);
        return 1;
    }
    const unsigned char *m = (const unsigned char *)(msg ? msg : body);
    int ok = crypto_sign_verify_detached(sig, m, len, pk) == 0;
    free(body);
    printf(ok ? "ok\n" : "invalid: signature mismatch\n");
    return ok ? 0 : 1;
}

int ctl_verify(ctl_t *ctl, int argc, char **argv)
{
    (void)ctl;
    static const char *const opts[] = {"public-key=", "registry=", "header=", "now=",
                                       "signature=",  "message=",  NULL};
    int arc = ctl_args("verify", argc, argv, opts, 0, 1);
    if (arc)
        return arc;
    if (ctl_opt(argc, argv, "signature"))
        return s_verify_detached(ctl_opt(argc, argv, "public-key"),
                                 ctl_opt(argc, argv, "signature"), ctl_opt(argc, argv, "message"),
                                 ctl_positional(argc, argv, 0));
    const char *pkb = ctl_opt(argc, argv, "public-key"), *reg = ctl_opt(argc, argv, "registry"),
               *hdr = ctl_opt(argc, argv, "header"), *file = ctl_positional(argc, argv, 0);
    if ((!pkb && !reg) || !hdr || !file) {
        fprintf(stderr, "usage: ondcctl verify (--public-key B64 | --registry FILE) "
                        "--header VALUE [--now T] BODYFILE\n"
                        "       ondcctl verify --public-key B64 --signature B64 "
                        "(--message TEXT | FILE)\n");
        return 64;
    }
    ondc_err_t err;
    sign_header_t h;
    if (sign_header_parse(hdr, &h, &err) < 0) {
        printf("invalid: %s\n", err.message);
        return 1;
    }
    unsigned char pk[32];
    long now = ctl_opt(argc, argv, "now") ? atol(ctl_opt(argc, argv, "now")) : (long)time(NULL);
    if (pkb) {
        if (sign_pubkey_from_base64(pk, pkb) < 0) {
            printf("invalid: bad public key\n");
            return 1;
        }
    } else {
        cfg_t cfg = {0};
        cfg_defaults(&cfg);
        snprintf(cfg.registry_file, sizeof cfg.registry_file, "%s", reg);
        registry_t *r = registry_new(&cfg, NULL);
        registry_record_t rec;
        int rc = r ? registry_lookup(r, h.subscriber_id, h.ukid, (int64_t)now * 1000, &rec, &err) : -1;
        registry_destroy(&r);
        if (rc < 0) {
            printf("invalid: %s\n", r ? err.message : "registry file unreadable");
            return 1;
        }
        memcpy(pk, rec.signing_pk, 32);
    }
    size_t len;
    char *body = ctl_read_file(file, &len);
    if (!body)
        return 1;
    int rc = sign_verify(&h, pk, body, len, now, 120, &err);
    free(body);
    if (rc < 0) {
        printf("invalid: %s\n", err.message);
        return 1;
    }
    printf("ok %s|%s\n", h.subscriber_id, h.ukid);
    return 0;
}

int ctl_console_user(ctl_t *ctl, int argc, char **argv)
{
    (void)ctl;
    if (argc != 1 || !argv[0][0] || strchr(argv[0], ':') || strpbrk(argv[0], " \t\r\n")) {
        fprintf(stderr, "usage: ondcctl console-user NAME  (the password on standard input)\n");
        return 64;
    }
    if (sodium_init() < 0)
        return 1;
    char pw[512];
    if (!fgets(pw, sizeof pw, stdin)) {
        fprintf(stderr, "ondcctl console-user: no password on standard input\n");
        return 64;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    if (strlen(pw) < 8) {
        sodium_memzero(pw, sizeof pw);
        fprintf(stderr, "ondcctl console-user: the password must be at least 8 characters\n");
        return 64;
    }
    char hash[crypto_pwhash_STRBYTES];
    int rc = crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    sodium_memzero(pw, sizeof pw);
    if (rc != 0) {
        fprintf(stderr, "ondcctl console-user: out of memory for Argon2id\n");
        return 1;
    }
    printf("%s:%s\n", argv[0], hash);
    return 0;
}
