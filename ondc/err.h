/*
 * err.h - the ONDC error a function reports when it refuses or fails.
 *
 * Every function that can fail for a reason the buyer app must hear about
 * returns 0/-1 (or NULL) and fills an ondc_err_t: the ONDC error code
 * ("30016"), its type (CONTEXT-ERROR ...), the JSON path at fault and a
 * human message. Ingress turns it into a NACK, a worker into an on_* that
 * carries the error. The struct is plain data with fixed buffers so that it
 * can live on the stack and never needs freeing.
 */
#ifndef ONDC_ERR_H
#define ONDC_ERR_H

#include <stddef.h>

typedef enum {
    ERR_TYPE_NONE = 0,
    ERR_TYPE_CONTEXT,     /* CONTEXT-ERROR */
    ERR_TYPE_CORE,        /* CORE-ERROR */
    ERR_TYPE_DOMAIN,      /* DOMAIN-ERROR */
    ERR_TYPE_POLICY,      /* POLICY-ERROR */
    ERR_TYPE_JSON_SCHEMA, /* JSON-SCHEMA-ERROR */
} err_type_t;

/* ONDC seller-side error codes (ONDC.md, "ACK / NACK"). */
#define ERR_INVALID_REQUEST "30000"
#define ERR_PROVIDER_NOT_FOUND "30001"
#define ERR_LOCATION_NOT_FOUND "30002"
#define ERR_ITEM_NOT_FOUND "30004"
#define ERR_NOT_SERVICEABLE "30009"
#define ERR_INVALID_CANCEL_REASON "30012"
#define ERR_INVALID_SIGNATURE "30016"
#define ERR_ORDER_NOT_FOUND "30018"
#define ERR_STALE_REQUEST "30022"
#define ERR_MIN_ORDER_VALUE "30023"
#define ERR_INTERNAL "31001"
#define ERR_QTY_UNAVAILABLE "40002"
#define ERR_PAYMENT_NOT_SUPPORTED "40004"
#define ERR_TRACKING_NOT_ENABLED "40005"
#define ERR_MAX_QTY_EXCEEDED "40009"
#define ERR_CANCEL_NOT_POSSIBLE "50001"
#define ERR_UPDATE_NOT_POSSIBLE "50002"
#define ERR_RATING_CATEGORY "50003"
#define ERR_SUPPORT_UNAVAILABLE "50004"

typedef struct {
    err_type_t type;
    int http_status;  /* HTTP status for a NACK: 400, 401, 404, 413, 429, 503 */
    char code[8];     /* ONDC code, e.g. "30000" */
    char path[128];   /* JSON path at fault, e.g. "context.bap_uri"; may be "" */
    char message[256];
} ondc_err_t;

/* err_set - fill ERR (which may be NULL) and return -1, so callers can write
 * `return err_set(err, ...)`. MESSAGE is a printf format. */
int err_set(ondc_err_t *err, err_type_t type, int http_status, const char *code,
            const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* err_field - a JSON-SCHEMA-ERROR (HTTP 400, ERR_INVALID_REQUEST) about
 * the field at PATH, its message "PATH: " then FMT. Returns -1. */
int err_field(ondc_err_t *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* err_clear - reset ERR to "no error". */
void err_clear(ondc_err_t *err);

/* err_type_name - the ONDC spelling of TYPE ("CONTEXT-ERROR"). Static. */
const char *err_type_name(err_type_t type);

/* err_type_parse - the inverse of err_type_name; ERR_TYPE_NONE if unknown. */
err_type_t err_type_parse(const char *name);

#endif
