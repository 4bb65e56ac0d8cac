/*
 * fixture_worker.h - a worker family's handlers driven the way ondc-worker
 * drives them, without ZeroMQ: the request journaled as ingress journals
 * it, the envelope the dispatcher would send, then worker_process in one
 * write transaction (a read-only family, discovery: worker_prepare in a
 * read transaction and worker_finish in a write one, as the worker's batch
 * does), committed. What the handler wrote is then in the store: its
 * state change, the journal row marked done, and the on_* rows in the
 * outbox, which come back parsed.
 *
 * The handlers run with jansson's malloc (no arena scope): a value the
 * handler forgets to release is a leak the sanitizer or valgrind reports.
 *
 * Each reply is {"id": outbox id, "journal_id", "action": "on_init",
 * "url", "transaction_id", "message_id", "deadline_ms", "body": the
 * on_* as the callback process would POST it, parsed}. The fixture also
 * checks that each row's bytes handed to the callback process (the copy in
 * worker_out_t) are the bytes stored.
 */
#ifndef ONDC_FIXTURE_WORKER_H
#define ONDC_FIXTURE_WORKER_H

#include "fixture_store.h"
#include "worker.h"

#include <jansson.h>
#include <stdint.h>

/* fixture_worker_handle - REQ (a whole request, borrowed) handled by FAM
 * at NOW_MS. With *JID 0 the request is journaled first (received
 * NOW_MS - 1) and *JID gets its id; with *JID set, that journal row is
 * sent again (the dispatcher's re-dispatch). Returns the on_* rows the
 * batch wrote, in order (an empty array when none); caller owns. NULL on
 * a store failure or a mismatch (the reason on stderr). JID may be NULL. */
json_t *fixture_worker_handle(fixture_store_t *fx, const worker_family_t *fam, json_t *req,
                              int64_t now_ms, uint64_t *jid);

/* fixture_worker_request - a request for ACTION: a retail 1.2.0 context
 * (ONDC:RET10, std:080, bap_id buyer.example at https://buyer.example/ondc,
 * bpp_id and bpp_uri of the config, ttl PT30S) with transaction TXN,
 * message id MSG and timestamp TS, and MESSAGE (stolen; NULL for {}).
 * Caller owns. */
json_t *fixture_worker_request(const fixture_store_t *fx, const char *action, const char *txn,
                               const char *msg, const char *ts, json_t *message);

/* fixture_worker_cart - a request for ACTION (select, init, confirm) as
 * fixture_worker_request makes it, whose message is the seed init
 * request's (tests/fixtures/seed-init-request.json: billing, the Delivery
 * fulfillment to the seed's drop-off, payment ON-ORDER) with provider
 * PROVIDER and ITEMS (JSON text, an array of {"id", "quantity":
 * {"count"}}; each gets fulfillment_id "1" unless it has one). Caller
 * owns; NULL when the seed cannot be read. */
json_t *fixture_worker_cart(const fixture_store_t *fx, const char *action, const char *txn,
                            const char *msg, const char *ts, const char *provider,
                            const char *items);

/* fixture_worker_confirmed - an order made by the order family as a buyer
 * app makes one: init, then confirm with on_init's quote and payment and
 * order id OID, on transaction TXN (message ids TXN-init, TXN-confirm),
 * both at NOW_MS with timestamp TS. Returns on_confirm's message.order
 * (caller owns), or NULL (the reason on stderr) when either step failed or
 * was refused. */
json_t *fixture_worker_confirmed(fixture_store_t *fx, const char *txn, const char *oid,
                                 const char *provider, const char *items, const char *ts,
                                 int64_t now_ms);

/* fixture_assert_reply - cmocka assertions on REPLY (one of
 * fixture_worker_handle's rows) as the answer to REQ handled at NOW_MS:
 * action and URL on_{action} under the request's bap_uri, the context of
 * the request with action on_{action}, bpp_id / bpp_uri of the config, the
 * same transaction and message ids, timestamp NOW_MS; JID its journal row. */
void fixture_assert_reply(const fixture_store_t *fx, json_t *reply, json_t *req, int64_t now_ms,
                          uint64_t jid);

/* fixture_assert_error - cmocka assertions: REPLY's body carries the ONDC
 * error TYPE ("DOMAIN-ERROR"), CODE and PATH (NULL: no path), with a
 * message; prints the body when it does not. */
void fixture_assert_error(json_t *reply, const char *type, const char *code, const char *path);

/* fixture_golden - whether GOT equals the JSON in golden file PATH; with
 * ONDC_GOLDEN_UPDATE=1 in the environment, PATH is written from GOT
 * first (to make or renew it; review the change). On a difference both
 * are printed. 0 equal, -1 not (or unreadable). */
int fixture_golden(json_t *got, const char *path);

/* fixture_worker_load - the JSON file PATH (relative to the repository
 * root); caller owns; NULL (reason on stderr) when it cannot be read. */
json_t *fixture_worker_load(const char *path);

/* fixture_json_at - the value at dotted PATH in ROOT ("message.order.quote
 * .price.value"; "[n]" selects an array element: "breakup[2].price");
 * borrowed; NULL when absent. */
json_t *fixture_json_at(json_t *root, const char *path);

/* fixture_str_at - the string at PATH, or NULL when absent or not a string. */
const char *fixture_str_at(json_t *root, const char *path);

#endif
