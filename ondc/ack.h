/*
 * ack.h - the synchronous answer to every request: ACK, or NACK with the
 * ONDC error object, and the error object an on_* callback carries.
 */
#ifndef ONDC_ACK_H
#define ONDC_ACK_H

#include "err.h"

#include <jansson.h>

/* ACK body; static. */
#define ACK_BODY "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}"

/* ack_nack_body - the NACK body for ERR as compact JSON; caller owns. */
char *ack_nack_body(const ondc_err_t *err);

/* ack_error_object - {"type","code","path"?,"message"} for ERR; caller owns. */
json_t *ack_error_object(const ondc_err_t *err);

/* ack_parse - read a buyer app's answer to our callback: 1 ACK, 0 NACK,
 * -1 not an ACK/NACK body. */
int ack_parse(const char *body, size_t len);

#endif
