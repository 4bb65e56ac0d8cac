/*
 * ondcctl_keys.c - keygen, sign, verify.
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
    const char *dir = ctl_opt(argc, argv, "dir");
    if (!dir)
        dir = ".";
    if (sodium_init() < 0)
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
    const char *keyf = ctl_opt(argc, argv, "key"), *sub = ctl_opt(argc, argv, "subscriber"),
               *ukid = ctl_opt(argc, argv, "ukid"), *file = ctl_positional(argc, argv, 0);
    if (!keyf || !sub || !ukid || !file) {
        fprintf(stderr, "usage: ondcctl sign --key FILE --subscriber S --ukid K BODYFILE\n");
        return 64;
    }
    sign_key_t key;
    ondc_err_t err;
    if (sign_key_load_file(&key, keyf, &err) < 0) {
        fprintf(stderr, "ondcctl: %s\n", err.message);
        return 1;
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

int ctl_verify(ctl_t *ctl, int argc, char **argv)
{
    (void)ctl;
    const char *pkb = ctl_opt(argc, argv, "public-key"), *reg = ctl_opt(argc, argv, "registry"),
               *hdr = ctl_opt(argc, argv, "header"), *file = ctl_positional(argc, argv, 0);
    if ((!pkb && !reg) || !hdr || !file) {
        fprintf(stderr, "usage: ondcctl verify (--public-key B64 | --registry FILE) --header VALUE BODYFILE\n");
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
        cfg_t cfg;
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
