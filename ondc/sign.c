/*
 * sign.c - ONDC request signing and verification. See sign.h.
 *
 * The parser works on slices of the caller's string and copies only into the
 * fixed buffers of sign_header_t, so the verify path never allocates.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define S_B64 sodium_base64_VARIANT_ORIGINAL
#define S_WS " \t\r\n"
/* Largest key file we read: a base64 key is 88 characters. */
#define S_KEYFILE_MAX 1024
/* More digits than this is not a unix time (and would overflow long). */
#define S_TIME_DIGITS_MAX 15
/* Bounds that keep the time arithmetic in sign_verify free of overflow. */
#define S_TIME_MAX 999999999999999L
#define S_SKEW_MAX 1000000000L

static int s_sodium_ready;

int sign_init(void)
{
    if (s_sodium_ready)
        return 0;
    if (sodium_init() < 0)
        return -1;
    s_sodium_ready = 1;
    return 0;
}

/* s_init - libsodium, for this file's functions: it fails only when it
 * cannot open the random source; nothing here can work then, so this is a
 * broken invariant, not bad input */
static void s_init(void)
{
    if (sign_init() < 0)
        abort();
}

static int s_key_err(ondc_err_t *err, const char *msg)
{
    return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "%s", msg);
}

static int s_sig_err(ondc_err_t *err, const char *msg)
{
    return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "", "%s", msg);
}

/* s_trim - the slice of S without leading and trailing whitespace. */
static const char *s_trim(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && strchr(S_WS, *s)) {
        s++;
        n--;
    }
    while (n > 0 && strchr(S_WS, s[n - 1]))
        n--;
    *len = n;
    return s;
}

/* s_b64_decode - decode B64[0..LEN) (standard, padded; IGNORE chars skipped)
 * into BIN; the whole input must be consumed. Returns the byte count or -1. */
static long s_b64_decode(unsigned char *bin, size_t binmax, const char *b64, size_t len,
                         const char *ignore)
{
    size_t binlen = 0;
    const char *end = NULL;
    if (sodium_base642bin(bin, binmax, b64, len, ignore, &binlen, &end, S_B64) != 0)
        return -1;
    if (end != b64 + len)
        return -1;
    return (long)binlen;
}

int sign_key_from_base64(sign_key_t *key, const char *b64, ondc_err_t *err)
{
    s_init();
    unsigned char raw[64];
    unsigned char pk[32], sk[64];
    int rc = -1;
    if (!key || !b64) {
        s_key_err(err, "private key missing");
        goto fail;
    }
    size_t len;
    const char *p = s_trim(b64, &len);
    /* a key file may wrap its base64, so whitespace inside is ignored too */
    long n = s_b64_decode(raw, sizeof raw, p, len, S_WS);
    if (n == 32) {
        crypto_sign_seed_keypair(pk, sk, raw);
    } else if (n == 64) {
        crypto_sign_seed_keypair(pk, sk, raw);
        /* a 64-byte key whose public half is not its seed's would sign with
         * one key and announce another: refuse it rather than guess */
        if (sodium_memcmp(pk, raw + 32, 32) != 0) {
            s_key_err(err, "private key: public half does not match the seed");
            goto fail;
        }
    } else {
        s_key_err(err, "private key is not base64 of 32 or 64 bytes");
        goto fail;
    }
    memcpy(key->sk, sk, sizeof key->sk);
    memcpy(key->pk, pk, sizeof key->pk);
    rc = 0;
fail:
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

int sign_key_load_file(sign_key_t *key, const char *path, ondc_err_t *err)
{
    char buf[S_KEYFILE_MAX + 1];
    size_t got = 0;
    int rc = -1;
    int fd = -1;
    if (!path) {
        s_key_err(err, "key file path missing");
        goto fail;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "key file %s: %s", path,
                strerror(errno));
        goto fail;
    }
    struct stat st;
    /* fstat on the open fd: the mode checked is the mode of what we read */
    if (fstat(fd, &st) < 0) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "key file %s: %s", path,
                strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "key file %s is not a regular file",
                path);
        goto fail;
    }
    if (st.st_mode & 077) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "",
                "key file %s has mode %04o: group/others may access it (chmod 600)", path,
                (unsigned)(st.st_mode & 07777));
        goto fail;
    }
    for (;;) {
        ssize_t r = read(fd, buf + got, sizeof buf - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "key file %s: %s", path,
                    strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got == sizeof buf) {
            err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "key file %s is too large", path);
            goto fail;
        }
    }
    buf[got] = '\0';
    if (strlen(buf) != got) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "key file %s is not base64 text", path);
        goto fail;
    }
    if (sign_key_from_base64(key, buf, err) < 0) {
        /* keep the reason, add the file; never the content */
        char why[sizeof err->message];
        if (err) {
            snprintf(why, sizeof why, "%s", err->message);
            err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "key file %s: %s", path, why);
        }
        goto fail;
    }
    rc = 0;
fail:
    if (fd >= 0)
        close(fd);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int sign_pubkey_from_base64(unsigned char pk[32], const char *b64)
{
    s_init();
    unsigned char raw[32];
    if (!b64)
        return -1;
    size_t len;
    const char *p = s_trim(b64, &len);
    if (s_b64_decode(raw, sizeof raw, p, len, NULL) != 32)
        return -1;
    memcpy(pk, raw, 32);
    return 0;
}

void sign_pubkey_to_base64(const unsigned char pk[32], char out[45])
{
    s_init();
    sodium_bin2base64(out, 45, pk, 32, S_B64);
}

void sign_digest_b64(const void *body, size_t len, char out[89])
{
    s_init();
    unsigned char h[crypto_generichash_BYTES_MAX];
    crypto_generichash(h, sizeof h, body, len, NULL, 0);
    sodium_bin2base64(out, 89, h, sizeof h, S_B64);
}

int sign_signing_string(char *out, size_t outlen, long created, long expires,
                        const char *digest_b64)
{
    if (!out || !digest_b64)
        return -1;
    int n = snprintf(out, outlen, "(created): %ld\n(expires): %ld\ndigest: BLAKE-512=%s", created,
                     expires, digest_b64);
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    return n;
}

void sign_detached_b64(const sign_key_t *key, const char *msg, size_t len, char out[89])
{
    s_init();
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, len, key->sk);
    sodium_bin2base64(out, 89, sig, sizeof sig, S_B64);
}

/* s_id_ok - S can stand inside keyId="sub|ukid|alg": non-empty, < 256 bytes,
 * no quote, bar or control character. */
static int s_id_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '|')
            return 0;
    }
    return n < 256;
}

char *sign_auth_header(const sign_key_t *key, const char *subscriber_id, const char *ukid,
                       const void *body, size_t len, long created, long expires)
{
    static const char fmt[] = "Signature keyId=\"%s|%s|ed25519\",algorithm=\"ed25519\","
                              "created=\"%ld\",expires=\"%ld\","
                              "headers=\"(created) (expires) digest\",signature=\"%s\"";
    char digest[89], sstr[256], sig[89];
    if (!key || !s_id_ok(subscriber_id) || !s_id_ok(ukid) || created < 0)
        return NULL;
    sign_digest_b64(body, len, digest);
    int n = sign_signing_string(sstr, sizeof sstr, created, expires, digest);
    if (n < 0)
        return NULL;
    sign_detached_b64(key, sstr, (size_t)n, sig);
    int need = snprintf(NULL, 0, fmt, subscriber_id, ukid, created, expires, sig);
    if (need < 0)
        return NULL;
    char *out = malloc((size_t)need + 1);
    if (!out)
        return NULL;
    snprintf(out, (size_t)need + 1, fmt, subscriber_id, ukid, created, expires, sig);
    return out;
}

char *sign_auth_line(const sign_key_t *key, const char *subscriber_id, const char *ukid,
                     const void *body, size_t len, long created, long expires)
{
    static const char name[] = "Authorization: ";
    char *value = sign_auth_header(key, subscriber_id, ukid, body, len, created, expires);
    if (!value)
        return NULL;
    size_t n = sizeof name + strlen(value);
    char *line = malloc(n);
    if (line)
        snprintf(line, n, "%s%s", name, value);
    free(value);
    return line;
}

/* ---- parsing ---------------------------------------------------------- */

enum { S_F_KEYID, S_F_ALGORITHM, S_F_CREATED, S_F_EXPIRES, S_F_HEADERS, S_F_SIGNATURE, S_F_N };

static const char *const s_field_names[S_F_N] = {
    [S_F_KEYID] = "keyId",     [S_F_ALGORITHM] = "algorithm", [S_F_CREATED] = "created",
    [S_F_EXPIRES] = "expires", [S_F_HEADERS] = "headers",     [S_F_SIGNATURE] = "signature",
};

typedef struct {
    const char *p;
    size_t n;
    int seen;
} s_slice_t;

static int s_is_sp(char c)
{
    return c == ' ' || c == '\t';
}

static const char *s_skip_sp(const char *p, const char *end)
{
    while (p < end && s_is_sp(*p))
        p++;
    return p;
}

static int s_is_token(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* s_field_index - which known field NAME[0..N) is (case-insensitive), or -1. */
static int s_field_index(const char *name, size_t n)
{
    for (int i = 0; i < S_F_N; i++)
        if (strlen(s_field_names[i]) == n && strncasecmp(name, s_field_names[i], n) == 0)
            return i;
    return -1;
}

static int s_slice_is(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* s_parse_time - a non-negative decimal number of at most S_TIME_DIGITS_MAX
 * digits, nothing else. */
static int s_parse_time(const s_slice_t *s, long *out)
{
    if (s->n == 0 || s->n > S_TIME_DIGITS_MAX)
        return -1;
    long v = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->p[i] < '0' || s->p[i] > '9')
            return -1;
        v = v * 10 + (s->p[i] - '0');
    }
    *out = v;
    return 0;
}

/* s_split_keyid - fill OUT's subscriber_id and ukid from "sub|ukid|ed25519";
 * NULL, or why not. */
static const char *s_split_keyid(const s_slice_t *k, sign_header_t *out)
{
    const char *end = k->p + k->n;
    const char *b1 = memchr(k->p, '|', k->n);
    const char *b2 = b1 ? memchr(b1 + 1, '|', (size_t)(end - b1 - 1)) : NULL;
    if (!b2 || memchr(b2 + 1, '|', (size_t)(end - b2 - 1)))
        return "keyId must be subscriber_id|unique_key_id|ed25519";
    size_t sublen = (size_t)(b1 - k->p), uklen = (size_t)(b2 - b1 - 1);
    if (sublen == 0 || uklen == 0)
        return "keyId has an empty subscriber_id or unique_key_id";
    if (sublen >= sizeof out->subscriber_id || uklen >= sizeof out->ukid)
        return "keyId subscriber_id or unique_key_id too long";
    if (!s_slice_is(b2 + 1, (size_t)(end - b2 - 1), "ed25519"))
        return "keyId algorithm must be ed25519";
    memcpy(out->subscriber_id, k->p, sublen);
    out->subscriber_id[sublen] = '\0';
    memcpy(out->ukid, b1 + 1, uklen);
    out->ukid[uklen] = '\0';
    return NULL;
}

int sign_header_parse(const char *value, sign_header_t *out, ondc_err_t *err)
{
    s_init();
    s_slice_t f[S_F_N];
    const char *why = NULL;
    memset(f, 0, sizeof f);
    memset(out, 0, sizeof *out);
    if (!value) {
        why = "Authorization header missing";
        goto fail;
    }
    size_t len = strnlen(value, SIGN_HEADER_MAX + 1);
    if (len > SIGN_HEADER_MAX) {
        why = "Authorization header longer than 4096 bytes";
        goto fail;
    }
    const char *p = value, *end = value + len;
    p = s_skip_sp(p, end);
    if (end - p >= 9 && strncasecmp(p, "Signature", 9) == 0 && (p + 9 == end || s_is_sp(p[9])))
        p += 9;
    for (;;) {
        p = s_skip_sp(p, end);
        if (p == end)
            break;
        const char *name = p;
        while (p < end && s_is_token(*p))
            p++;
        size_t nlen = (size_t)(p - name);
        if (nlen == 0) {
            why = "Authorization header is not a list of name=\"value\" fields";
            goto fail;
        }
        p = s_skip_sp(p, end);
        if (p == end || *p != '=') {
            why = "Authorization header field without '='";
            goto fail;
        }
        p = s_skip_sp(p + 1, end);
        const char *v = p;
        if (p < end && *p == '"') {
            v = ++p;
            while (p < end && *p != '"') {
                unsigned char c = (unsigned char)*p;
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    why = "Authorization header has a control character in a value";
                    goto fail;
                }
                p++;
            }
            if (p == end) {
                why = "Authorization header has an unterminated quoted value";
                goto fail;
            }
        } else {
            while (p < end && *p != ',' && !s_is_sp(*p) && *p != '"')
                p++;
        }
        size_t vlen = (size_t)(p - v);
        if (p < end && *p == '"')
            p++;
        p = s_skip_sp(p, end);
        if (p < end) {
            if (*p != ',') {
                why = "Authorization header fields must be separated by ','";
                goto fail;
            }
            p++;
        }
        int i = s_field_index(name, nlen);
        if (i < 0)
            continue; /* unknown fields are ignored */
        if (f[i].seen) {
            why = "Authorization header repeats a field";
            goto fail;
        }
        f[i] = (s_slice_t){.p = v, .n = vlen, .seen = 1};
    }

    if (!f[S_F_KEYID].seen) {
        why = "Authorization header missing keyId";
        goto fail;
    }
    if ((why = s_split_keyid(&f[S_F_KEYID], out)))
        goto fail;
    if (!f[S_F_ALGORITHM].seen) {
        why = "Authorization header missing algorithm";
        goto fail;
    }
    if (!s_slice_is(f[S_F_ALGORITHM].p, f[S_F_ALGORITHM].n, "ed25519")) {
        why = "algorithm must be ed25519";
        goto fail;
    }
    snprintf(out->algorithm, sizeof out->algorithm, "ed25519");
    if (!f[S_F_CREATED].seen || !f[S_F_EXPIRES].seen) {
        why = "Authorization header missing created or expires";
        goto fail;
    }
    if (s_parse_time(&f[S_F_CREATED], &out->created) < 0) {
        why = "created is not a decimal unix time";
        goto fail;
    }
    if (s_parse_time(&f[S_F_EXPIRES], &out->expires) < 0) {
        why = "expires is not a decimal unix time";
        goto fail;
    }
    if (f[S_F_HEADERS].seen) {
        if (f[S_F_HEADERS].n >= sizeof out->headers) {
            why = "headers field too long";
            goto fail;
        }
        memcpy(out->headers, f[S_F_HEADERS].p, f[S_F_HEADERS].n);
        out->headers[f[S_F_HEADERS].n] = '\0';
    }
    if (!f[S_F_SIGNATURE].seen) {
        why = "Authorization header missing signature";
        goto fail;
    }
    if (s_b64_decode(out->signature, sizeof out->signature, f[S_F_SIGNATURE].p, f[S_F_SIGNATURE].n,
                     NULL) != (long)sizeof out->signature) {
        why = "signature is not base64 of 64 bytes";
        goto fail;
    }
    return 0;
fail:
    memset(out, 0, sizeof *out);
    return s_sig_err(err, why);
}

/* s_headers_ok - HEADERS lists exactly "(created) (expires) digest", in that
 * order, separated by any run of spaces or tabs. */
static int s_headers_ok(const char *headers)
{
    static const char *const want[] = {"(created)", "(expires)", "digest"};
    const char *p = headers, *end = headers + strlen(headers);
    size_t i = 0;
    for (;;) {
        p = s_skip_sp(p, end);
        if (p == end)
            break;
        const char *w = p;
        while (p < end && !s_is_sp(*p))
            p++;
        if (i == sizeof want / sizeof want[0] || !s_slice_is(w, (size_t)(p - w), want[i]))
            return 0;
        i++;
    }
    return i == sizeof want / sizeof want[0];
}

int sign_verify(const sign_header_t *h, const unsigned char pk[32], const void *body, size_t len,
                long now, long skew, ondc_err_t *err)
{
    s_init();
    char digest[89], sstr[256];
    if (skew < 0)
        skew = 0;
    if (skew > S_SKEW_MAX)
        skew = S_SKEW_MAX;
    if (strcmp(h->algorithm, "ed25519") != 0)
        return s_sig_err(err, "algorithm must be ed25519");
    if (h->headers[0] && !s_headers_ok(h->headers))
        return s_sig_err(err, "headers must be \"(created) (expires) digest\"");
    if (h->created < 0 || h->expires > S_TIME_MAX)
        return s_sig_err(err, "created or expires out of range");
    if (h->expires < h->created)
        return s_sig_err(err, "signature expires before it is created");
    /* written so that only bounded values are added to or subtracted from */
    if (h->created - skew > now)
        return s_sig_err(err, "signature created in the future");
    if (h->expires + skew < now)
        return s_sig_err(err, "signature expired");
    sign_digest_b64(body, len, digest);
    int n = sign_signing_string(sstr, sizeof sstr, h->created, h->expires, digest);
    if (n < 0)
        return s_sig_err(err, "signature mismatch");
    if (crypto_sign_verify_detached(h->signature, (const unsigned char *)sstr, (size_t)n, pk) != 0)
        return s_sig_err(err, "signature mismatch");
    return 0;
}
