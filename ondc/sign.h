/*
 * sign.h - ONDC request signing: the Authorization header, both directions.
 *
 * digest         = base64(BLAKE2b-512(body))            (standard, padded)
 * signing string = "(created): C\n(expires): E\ndigest: BLAKE-512=D"
 * signature      = base64(Ed25519(signing string))
 * header value   = Signature keyId="sub|ukid|ed25519",algorithm="ed25519",
 *                  created="C",expires="E",headers="(created) (expires) digest",
 *                  signature="S"
 *
 * Invariants: the body is signed and verified as the exact bytes sent or
 * received, never re-serialised. The verify path (sign_header_parse,
 * sign_verify) allocates nothing and never echoes header contents or keys in
 * its error messages. Every refusal of a peer's signature is 401 /
 * ERR_INVALID_SIGNATURE ("30016") / POLICY-ERROR with path "".
 * Key errors (our own key) are 500 / ERR_INTERNAL / CORE-ERROR.
 *
 * Ownership: sign_auth_header and sign_auth_line return a string the
 * caller owns (free()); sign_auth_append adds to the caller's curl list.
 * Everything else writes into caller buffers. sign_key_t holds secret
 * material; callers should sodium_memzero it when done.
 *
 * Config keys: none read here; the caller passes its clock skew allowance.
 * libsodium is initialised here, once (sign_init), by every function of
 * this file and of onboard.c on first use: not thread-safe on that first
 * call, so a process with threads calls sign_init before it starts them.
 */
#ifndef ONDC_SIGN_H
#define ONDC_SIGN_H

#include "err.h"

#include <stddef.h>

struct curl_slist;

/* Longest Authorization header value sign_header_parse accepts. */
#define SIGN_HEADER_MAX 4096

typedef struct {
    unsigned char sk[64]; /* libsodium form: seed || public */
    unsigned char pk[32];
} sign_key_t;

typedef struct {
    char subscriber_id[256];
    char ukid[256];
    char algorithm[32];
    long created, expires;
    char headers[128]; /* "" when the header had no headers field */
    unsigned char signature[64];
} sign_header_t;

/* sign_init - make libsodium ready, once (later calls only read a flag);
 * the one place it is initialised. 0, or -1 when libsodium cannot start
 * (no random source). */
int sign_init(void);

/* sign_key_from_base64 - load a private key from base64 of 64 bytes
 * (seed || public, libsodium form; the public half must match the seed) or
 * of a 32-byte seed. Whitespace around (and inside) the text is ignored. */
int sign_key_from_base64(sign_key_t *key, const char *b64, ondc_err_t *err);

/* sign_key_load_file - read a base64 private key from PATH. Refuses a file
 * that is not a regular file or whose mode lets group/others in (mode & 077). */
int sign_key_load_file(sign_key_t *key, const char *path, ondc_err_t *err);

/* sign_pubkey_from_base64 - decode base64 of a raw 32-byte Ed25519 public
 * key (surrounding whitespace allowed); 0, or -1 if it is not exactly that. */
int sign_pubkey_from_base64(unsigned char pk[32], const char *b64);

/* sign_pubkey_to_base64 - standard padded base64 of PK, NUL-terminated. */
void sign_pubkey_to_base64(const unsigned char pk[32], char out[45]);

/* sign_digest_b64 - standard padded base64 of BLAKE2b-512 (no key) of BODY. */
void sign_digest_b64(const void *body, size_t len, char out[89]);

/* sign_auth_header - the full Authorization header value (without
 * "Authorization: ") for BODY. Caller owns (free()). NULL if out of memory,
 * or if SUBSCRIBER_ID / UKID are empty, longer than 255 bytes or contain
 * '"', '|' or control characters, or CREATED < 0 - values the parser on the
 * other side would refuse. */
char *sign_auth_header(const sign_key_t *key, const char *subscriber_id, const char *ukid,
                       const void *body, size_t len, long created, long expires);

/* sign_auth_line - the whole header line for BODY, "Authorization: "
 * and sign_auth_header's value, without a line end: what a curl header
 * list or a raw HTTP request carries. Caller owns (free()). NULL where
 * sign_auth_header is NULL. */
char *sign_auth_line(const sign_key_t *key, const char *subscriber_id, const char *ukid,
                     const void *body, size_t len, long created, long expires);

/* sign_auth_append - sign BODY and append its Authorization line to the
 * curl header list *HEADERS (NULL: a new list), which the caller goes on
 * owning (curl_slist_free_all). 0, or -1 with *HEADERS as it was when the
 * line cannot be made (see sign_auth_header) or appended. */
int sign_auth_append(struct curl_slist **headers, const sign_key_t *key, const char *subscriber_id,
                     const char *ukid, const void *body, size_t len, long created, long expires);

/* sign_header_parse - parse an Authorization (or X-Gateway-Authorization)
 * value: optional leading "Signature ", fields in any order, spaces/tabs
 * around ',' and '=', quoted or bare values, unknown fields ignored, a
 * repeated known field refused. keyId ("sub|ukid|ed25519"), algorithm
 * ("ed25519"), created, expires and signature (base64 of 64 bytes) are
 * required; headers is optional. OUT is zeroed on failure. */
int sign_header_parse(const char *value, sign_header_t *out, ondc_err_t *err);

/* sign_verify - check H against PK and the raw BODY: headers (if present)
 * is "(created) (expires) digest", created <= expires, created <= now + skew,
 * now - skew <= expires, and the Ed25519 signature over the rebuilt signing
 * string. No allocation. */
int sign_verify(const sign_header_t *h, const unsigned char pk[32], const void *body, size_t len,
                long now, long skew, ondc_err_t *err);

/* sign_signing_string - write the signing string into OUT (NUL-terminated);
 * returns its length (without the NUL), or -1 if OUTLEN is too small or
 * DIGEST_B64 is NULL. 256 bytes always suffice. */
int sign_signing_string(char *out, size_t outlen, long created, long expires,
                        const char *digest_b64);

/* sign_detached_b64 - standard padded base64 of the Ed25519 signature of
 * MSG[0..LEN) with KEY, NUL-terminated. */
void sign_detached_b64(const sign_key_t *key, const char *msg, size_t len, char out[89]);

#endif
