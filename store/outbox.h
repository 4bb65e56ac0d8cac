/*
 * outbox.h - on_* messages waiting for delivery, and their fate.
 *
 * A worker writes the outbox row (URL, action, ids, exact body) in the same
 * LMDB transaction as its state change; the row never changes afterwards.
 * Its delivery state lives beside it in "ostate" (small, rewritten on each
 * attempt): PENDING with attempts and the next try time, then DELIVERED
 * (buyer app ACKed), NACKED (buyer app answered NACK or 4xx) or DEAD (not
 * delivered before its deadline; a dead letter, kept for `ondcctl dead`).
 * Pointers into LMDB are borrowed until the transaction ends.
 */
#ifndef ONDC_OUTBOX_H
#define ONDC_OUTBOX_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    OUTBOX_PENDING = 0,
    OUTBOX_DELIVERED = 1,
    OUTBOX_NACKED = 2,
    OUTBOX_DEAD = 3,
} outbox_status_t;

typedef struct {
    uint64_t id;
    uint64_t journal_id; /* 0 for unsolicited messages */
    int64_t created_ms;
    int64_t deadline_ms;
    int64_t request_ms; /* when the request that caused it was received (latency) */
    char action[32];    /* "on_init" */
    char transaction_id[256];
    char message_id[256];
    const char *url; /* borrowed; NUL-terminated */
    const char *headers; /* further request headers, "Name: value" lines each
                          * ending in '\n' (a gateway's copy of a search
                          * carries the buyer app's Authorization), or NULL;
                          * borrowed, stored after the url's NUL */
    const char *body; /* borrowed (or in owned); body_len bytes */
    size_t body_len;
    char *owned; /* a read row's body expanded from its compressed form, or NULL */
} outbox_row_t;

/* bodies this long or longer are stored compressed when that pays */
#define OUTBOX_PACK_MIN 512

typedef struct {
    uint64_t id;
    int status;
    uint32_t attempts;
    int http_status;
    int64_t next_try_ms;
    int64_t last_try_ms;
    int64_t deadline_ms;
    char answer[200]; /* buyer app's answer or the transport error, short */
} outbox_state_t;

/* outbox_put - write ROW (id assigned into *ID) with a PENDING state due now. */
int outbox_put(store_t *s, MDB_txn *txn, const outbox_row_t *row, uint64_t *id);

/* outbox_get - read row ID (release it with outbox_row_clear). 0,
 * MDB_NOTFOUND, MDB_CORRUPTED or ENOMEM. */
int outbox_get(store_t *s, MDB_txn *txn, uint64_t id, outbox_row_t *out);

/* outbox_raw - the stored bytes of row ID (valid while TXN lives): a worker
 * hands them to the callback process with its notice. 0 or MDB_NOTFOUND. */
int outbox_raw(store_t *s, MDB_txn *txn, uint64_t id, MDB_val *out);

/* outbox_decode - OUT from stored bytes DATA/SIZE of row ID: OUT's url
 * points into DATA, and so does its body unless the body was stored
 * compressed (then it is expanded into OUT->owned). Release OUT with
 * outbox_row_clear. 0, MDB_CORRUPTED or ENOMEM. */
int outbox_decode(uint64_t id, const void *data, size_t size, outbox_row_t *out);

/* outbox_row_clear - free what a decoded row owns (its expanded body). */
void outbox_row_clear(outbox_row_t *row);

/* outbox_state_get / outbox_state_put - the delivery state of row ID. */
int outbox_state_get(store_t *s, MDB_txn *txn, uint64_t id, outbox_state_t *out);
int outbox_state_put(store_t *s, MDB_txn *txn, const outbox_state_t *st);

typedef int(outbox_state_fn)(const outbox_state_t *st, void *arg);

/* outbox_state_each - call FN for each state row (oldest first) until it
 * returns non-zero; STATUS -1 = every status (scan_each). 0 or an LMDB
 * error. */
int outbox_state_each(store_t *s, MDB_txn *txn, int status, outbox_state_fn *fn, void *arg);

/* outbox_status_name - "pending", "delivered", "nacked", "dead". */
const char *outbox_status_name(int status);

/* outbox_prune - delete finished rows created before BEFORE_MS (dead
 * letters too), at most LIMIT; returns how many. */
int outbox_prune(store_t *s, MDB_txn *txn, int64_t before_ms, int limit);

#endif
