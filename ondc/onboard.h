/*
 * onboard.h - the ONDC registry subscription challenge (/on_subscribe).
 *
 * The registry POSTs {"subscriber_id","challenge"}; we answer with the
 * plaintext of AES-256-ECB (PKCS#7) decryption of the base64 challenge under
 * the raw X25519 shared secret of our encryption private key and the
 * registry's public key.
 *
 * Keys are base64 DER as ONDC publishes them: X25519 SPKI public
 * ("MCowBQYDK2VuAyEA...", 44 bytes, raw key = last 32) and PKCS#8 private
 * (48 bytes, raw key = bytes 16..47). Plain base64 of the raw 32 bytes is
 * accepted too. The DER prefix is checked byte for byte, so an Ed25519 key
 * given by mistake is refused rather than used.
 *
 * Errors: a bad key is ours (config): 500 / ERR_INTERNAL / CORE-ERROR. A bad
 * challenge is the registry's input: 400 / ERR_INVALID_REQUEST / CORE-ERROR
 * with path "challenge". Messages never contain key material.
 *
 * Ownership: onboard_solve_challenge returns a string the caller owns.
 * Config keys: none read here.
 */
#ifndef ONDC_ONBOARD_H
#define ONDC_ONBOARD_H

#include "err.h"

#include <stddef.h>

/* Longest base64 challenge accepted. */
#define ONBOARD_CHALLENGE_MAX 4096

/* onboard_x25519_private_from_b64 - raw X25519 private key from base64
 * PKCS#8 DER or base64 of the raw 32 bytes (whitespace around allowed). */
int onboard_x25519_private_from_b64(unsigned char out[32], const char *b64, ondc_err_t *err);

/* onboard_x25519_public_from_b64 - raw X25519 public key from base64 SPKI
 * DER or base64 of the raw 32 bytes (whitespace around allowed). */
int onboard_x25519_public_from_b64(unsigned char out[32], const char *b64, ondc_err_t *err);

/* onboard_solve_challenge - the NUL-terminated plaintext of CHALLENGE_B64;
 * caller owns (free()). NULL on error: bad base64, not a whole number of AES
 * blocks, bad padding, a low-order peer key, or a plaintext with a NUL. */
char *onboard_solve_challenge(const unsigned char our_priv[32], const unsigned char their_pub[32],
                              const char *challenge_b64, ondc_err_t *err);

/* onboard_x25519_keygen - a new X25519 key pair as base64 DER (PKCS#8
 * private, SPKI public), NUL-terminated; buffers of 128 bytes are enough
 * (65 and 61 are the minimum). -1 if a buffer is too small. */
int onboard_x25519_keygen(char *priv_der_b64, size_t privlen, char *pub_der_b64, size_t publen);

#endif
