/*
 * context.h - Beckn/ONDC actions and the context rules (ONDC.md, "Context
 * rules").
 *
 * The action table maps each of the buyer actions (the ten of retail, and
 * IGM's issue and issue_status) to its worker family and its callback name. context_check validates a parsed request against
 * the rules and this node's config, and reports the first fault with its
 * JSON path. context_reply builds the context of an on_* from a request's.
 */
#ifndef ONDC_CONTEXT_H
#define ONDC_CONTEXT_H

#include "cfg.h"
#include "err.h"

#include <jansson.h>
#include <stdint.h>

/* the ttl of a request that names none (retail uses PT30S) */
#define CONTEXT_DEFAULT_TTL_S 30

typedef enum {
    ACT_SEARCH = 0,
    ACT_SELECT,
    ACT_INIT,
    ACT_CONFIRM,
    ACT_STATUS,
    ACT_TRACK,
    ACT_CANCEL,
    ACT_UPDATE,
    ACT_RATING,
    ACT_SUPPORT,
    ACT_ISSUE,        /* IGM 1.0.0 and 2.0.0 (issue and grievance management) */
    ACT_ISSUE_STATUS,
    ACT_COUNT
} action_t;

/* Actions of the other roles, in journal rows and envelopes beside the
 * buyer actions (ACT_COUNT is still the count of those): an on_{action}
 * received by the buyer role is ACT_ON_BASE + action ("on_init"), a search
 * received by the gateway role to multicast is ACT_GW_SEARCH ("gw_search").
 * A journal row's action is one byte: both stay below 256. */
#define ACT_ON_BASE 64
#define ACT_GW_SEARCH 128

/* context_any_action_parse - context_action_parse, and "on_{action}" to
 * ACT_ON_BASE + action, "gw_search" to ACT_GW_SEARCH; -1 if none. */
int context_any_action_parse(const char *name);

/* context_action_parse - "init" to ACT_INIT; -1 if not a buyer action. */
int context_action_parse(const char *name);

/* context_action_name - "init" (and "on_init", "gw_search"); static. */
const char *context_action_name(action_t a);

/* context_action_family - the worker family that handles A. */
family_t context_action_family(action_t a);

/* context_check - validate ROOT (a parsed request) for ACTION under CFG.
 * Returns 0, or -1 with ERR (CONTEXT-ERROR / JSON-SCHEMA-ERROR, http 400,
 * code 30000 unless a more specific one applies, path such as
 * "context.bap_uri"). NOW_MS is the wall clock: a request whose timestamp +
 * ttl (+ signature_skew_s) has passed is stale (30022). */
int context_check(const cfg_t *cfg, json_t *root, action_t action, int64_t now_ms,
                  ondc_err_t *err);

/* context_parse_time - RFC 3339 UTC timestamp ("2022-11-17T12:36:04.230Z")
 * to milliseconds since the epoch; -1 if malformed. */
int64_t context_parse_time(const char *s);

/* context_format_time - ms since the epoch to "YYYY-MM-DDTHH:MM:SS.mmmZ"
 * in OUT (>= 25 bytes). */
void context_format_time(int64_t ms, char *out, size_t outlen);

/* context_parse_duration - ISO 8601 duration ("PT30S", "P1D") to seconds;
 * -1 if malformed. Months count 30 days, years 365. */
long context_parse_duration(const char *s);

/* context_reply - the context of the on_* for request context REQ: action
 * "on_" + its action, bpp_id/bpp_uri ours, same ids, and a timestamp later
 * than the request's (NOW_MS, or the request's + 1 ms if the clock is
 * behind). Caller owns the result. */
json_t *context_reply(const cfg_t *cfg, json_t *req, int64_t now_ms);

/* context_callback_url - "{bap_uri}/on_{action}" with exactly one slash
 * between them. Caller owns the result (free()). */
char *context_callback_url(const char *bap_uri, const char *action);

/* context_request_url - "{uri}/{action}" with exactly one slash between
 * them: where a request goes (a seller's bpp_uri, a gateway). Caller owns
 * the result (free()). */
char *context_request_url(const char *uri, const char *action);

/* context_str - borrowed string at CTX.key, or NULL. */
const char *context_str(json_t *ctx, const char *key);

#endif
