/*
 * callback_deliver.c - ondc-callback: the transfers.
 *
 * Each on_* is POSTed, signed (Authorization, Ed25519 over BLAKE-512 of the
 * exact bytes sent), to the URL its worker wrote, with libcurl multi in the
 * process's loop: keep-alive connections, no "Expect: 100-continue",
 * timeouts. Curl handles are kept between transfers with the options they
 * all share. The buyer app's answer is recorded in the row's state:
 * DELIVERED on ACK, NACKED on NACK or a 4xx, and for connection errors,
 * timeouts, 408, 429 and 5xx a retry with exponential backoff and jitter
 * (backoff_wait) until the row's deadline (its TTL, capped by
 * callback.max_age_s), then DEAD: a dead letter, never dropped silently.
 *
 * A row in flight owns its curl handle, its headers and its answer buffer;
 * its body is borrowed by curl from the row's bytes until the transfer
 * ends.
 *
 * Config keys read: callback.timeout_ms, callback.connect_timeout_ms,
 * callback.backoff_ms, subscriber_id, unique_key_id, signature_validity_s.
 */
#include "callback.h"

#include "clock.h"

#include "ack.h"
#include "backoff.h"
#include "log.h"
#include "metrics.h"
#include "url.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* s_count - ondc_callbacks_total{action,outcome}: delivered, nacked,
 * retried, dead. */
static void s_count(const char *action, const char *outcome)
{
    char labels[96];
    snprintf(labels, sizeof labels, "action=\"%.32s\",outcome=\"%s\"", action, outcome);
    metrics_inc("ondc_callbacks_total", labels);
}

static size_t s_on_body(char *ptr, size_t size, size_t n, void *arg)
{
    callback_dl_t *d = arg;
    size_t len = size * n;
    size_t room = CALLBACK_RESP_MAX - 1 - d->resp_len;
    size_t take = len < room ? len : room;
    memcpy(d->resp + d->resp_len, ptr, take);
    d->resp_len += take;
    d->resp[d->resp_len] = '\0';
    return len;
}

/* s_open_socket - curl's socket for a transfer's connection: refused
 * (CURL_SOCKET_BAD, and the delivery marked) when the address is this
 * machine's or a private network's and callback.allow_private_addresses is
 * off. Checked on the address curl is about to connect to, after name
 * resolution, so a name that resolves inside is caught too. */
static curl_socket_t s_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    callback_dl_t *d = arg;
    if (purpose == CURLSOCKTYPE_IPCXN && d && !d->allow_private &&
        url_addr_internal(&a->addr)) {
        d->refused_address = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

/* s_easy_get - a curl handle with the options every transfer shares; the
 * caller sets the transfer's own (URL, body, headers, D) before each use,
 * so nothing of an earlier transfer is left in effect. NULL: no memory. */
static CURL *s_easy_get(callback_t *cb)
{
    if (cb->n_easy_idle > 0)
        return cb->easy_idle[--cb->n_easy_idle];
    const cfg_t *cfg = &cb->rt->cfg;
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)cfg->callback_timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->callback_connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ondc-gateway");
    /* a redirect is an answer (NACKed), never followed elsewhere */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, s_open_socket);
    return e;
}

/* s_easy_put - E's transfer is over (removed from the multi handle): keep
 * it for the next one, or free it when enough are kept. */
static void s_easy_put(callback_t *cb, CURL *e)
{
    if (!e)
        return;
    if (cb->n_easy_idle < CALLBACK_EASY_IDLE_MAX) {
        /* let go of what pointed into the finished transfer */
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, NULL);
        curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
        cb->easy_idle[cb->n_easy_idle++] = e;
        return;
    }
    curl_easy_cleanup(e);
}

void callback_easy_free(callback_t *cb)
{
    while (cb->n_easy_idle > 0)
        curl_easy_cleanup(cb->easy_idle[--cb->n_easy_idle]);
}

void callback_start(callback_t *cb, callback_dl_t *d)
{
    runtime_t *rt = cb->rt;
    if (callback_unpark(cb, d) < 0) {
        /* out of memory, or the row is gone: let go of it here */
        callback_drop(cb, d);
        return;
    }
    int64_t now = clock_wall_ms();
    if (cb->flush_fails) {
        /* the store refuses the states in hand: no more deliveries whose
         * outcome could not be recorded until it takes them */
        if (callback_wait(cb, d, cb->flush_retry_ms > now ? cb->flush_retry_ms : now + 1) == 0)
            callback_park(cb, d);
        return;
    }
    const outbox_row_t *row = &d->b->row;
    if (now >= d->st.deadline_ms) {
        d->st.status = OUTBOX_DEAD;
        snprintf(d->st.answer, sizeof d->st.answer, "deadline passed after %u attempts",
                 d->st.attempts);
        callback_update(cb, &d->st);
        cb->n_dead++;
        s_count(row->action, "dead");
        log_error("callback.dead", "action", row->action, "transaction_id", row->transaction_id,
                  "message_id", row->message_id, "url", row->url, NULL);
        callback_drop(cb, d);
        return;
    }
    d->easy = s_easy_get(cb);
    if (!d->resp)
        d->resp = malloc(CALLBACK_RESP_MAX);
    if (!d->easy || !d->resp) {
        /* out of memory: try again later, like a transport error */
        s_easy_put(cb, d->easy);
        d->easy = NULL;
        if (callback_wait(cb, d, now + rt->cfg.callback_backoff_ms) == 0)
            callback_park(cb, d);
        return;
    }
    d->resp_len = 0;
    d->resp[0] = '\0';
    d->headers = curl_slist_append(NULL, "Content-Type: application/json");
    d->headers = curl_slist_append(d->headers, "Expect:");
    /* signed as the role that sends it (callback_roles.c); a body that
     * cannot be signed goes unsigned: the answer to it is recorded like
     * any other */
    callback_sign_row(cb, row, &d->headers, (long)(now / 1000));
    curl_easy_setopt(d->easy, CURLOPT_URL, row->url);
    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDSIZE, (long)row->body_len);
    /* the body lives in D->raw until the transfer ends: no copy */
    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDS, row->body);
    curl_easy_setopt(d->easy, CURLOPT_HTTPHEADER, d->headers);
    curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(d->easy, CURLOPT_PRIVATE, d);
    d->refused_address = 0;
    /* a webhook's URL is the operator's own: it may be private */
    d->allow_private = rt->cfg.callback_allow_private_addresses || callback_row_trusted(row);
    curl_easy_setopt(d->easy, CURLOPT_OPENSOCKETDATA, d);
    d->started_ms = now;
    d->host->inflight++;
    curl_multi_add_handle(cb->multi, d->easy);
}

int callback_outcome(outbox_state_t *st, CURLcode res, long code, const char *resp, size_t resp_len)
{
    st->http_status = (int)code;
    if (res != CURLE_OK) {
        snprintf(st->answer, sizeof st->answer, "%s", curl_easy_strerror(res));
        return 1;
    }
    if (code >= 200 && code < 300) {
        int ack = ack_parse(resp, resp_len);
        st->status = ack == 0 ? OUTBOX_NACKED : OUTBOX_DELIVERED;
        snprintf(st->answer, sizeof st->answer, "%.*s", (int)(sizeof st->answer - 1), resp);
        return 0;
    }
    if (code == 408 || code == 429 || code >= 500) {
        snprintf(st->answer, sizeof st->answer, "HTTP %ld", code);
        return 1;
    }
    st->status = OUTBOX_NACKED;
    snprintf(st->answer, sizeof st->answer, "HTTP %ld %.*s", code, 150, resp);
    return 0;
}

/* callback.backoff_ms doubled for each attempt after the first (at most 16
 * times), no more than CALLBACK_RETRY_CAP_MS, somewhere in its upper half;
 * a wait that would pass the deadline becomes one last try just before it
 * (retries start from the 100 ms cron, hence the slack), rather than
 * giving up while time is left. */
int64_t callback_retry_wait(const cfg_t *cfg, uint32_t attempts, int64_t age_ms, int64_t ttl_ms,
                            uint32_t jitter)
{
    const backoff_t p = {.base_ms = cfg->callback_backoff_ms,
                         .cap_ms = CALLBACK_RETRY_CAP_MS,
                         .max_doublings = 16,
                         .ttl_slack_ms = CALLBACK_LAST_TRY_SLACK_MS,
                         .ttl_min_ms = CALLBACK_CLAMPED_TRY_MIN_MS};
    return backoff_wait(&p, attempts - 1, age_ms, ttl_ms, jitter);
}

void callback_finish(callback_t *cb, callback_dl_t *d, CURLcode res, long code)
{
    runtime_t *rt = cb->rt;
    curl_multi_remove_handle(cb->multi, d->easy);
    s_easy_put(cb, d->easy);
    curl_slist_free_all(d->headers);
    d->easy = NULL;
    d->headers = NULL;
    d->host->inflight--;

    outbox_state_t st = d->st;
    const outbox_row_t *row = &d->b->row;
    const char *action = row->action, *tid = row->transaction_id, *mid = row->message_id;
    int64_t deadline = st.deadline_ms, request_ms = row->request_ms;
    int64_t now = clock_wall_ms();
    st.attempts++;
    st.last_try_ms = now;
    int retry = callback_outcome(&st, res, code, d->resp, d->resp_len);
    if (d->refused_address) {
        /* final: the buyer app's address will not become allowed */
        st.status = OUTBOX_DEAD;
        snprintf(st.answer, sizeof st.answer,
                 "refused: the address is on this machine or a private network "
                 "(callback.allow_private_addresses is off)");
        retry = 0;
    }
    free(d->resp); /* not kept while the row waits */
    d->resp = NULL;
    char codebuf[16];
    snprintf(codebuf, sizeof codebuf, "%ld", code);
    callback_host_t *h = d->host;
    if (retry) {
        /* the row's age and TTL counted from its creation: what is left is
         * deadline - now */
        int64_t backoff = callback_retry_wait(&rt->cfg, st.attempts, now - row->created_ms,
                                              deadline - row->created_ms, randombytes_random());
        if (backoff == BACKOFF_GIVE_UP) {
            st.status = OUTBOX_DEAD;
            cb->n_dead++;
            s_count(action, "dead");
            log_error("callback.dead", "action", action, "transaction_id", tid, "message_id", mid,
                      "answer", st.answer, NULL);
        } else {
            st.next_try_ms = now + backoff;
            d->st = st;
            cb->n_retried++;
            s_count(action, "retried");
            log_warn("callback.retry", "action", action, "transaction_id", tid, "message_id", mid,
                     "status", codebuf, "answer", st.answer, NULL);
            callback_update(cb, &st);
            if (callback_wait(cb, d, st.next_try_ms) == 0)
                callback_park(cb, d); /* after the log lines that read its row */
            callback_start_next(cb, h);
            return;
        }
    } else if (st.status == OUTBOX_DEAD) {
        cb->n_dead++;
        s_count(action, "dead");
        log_error("callback.refused_address", "action", action, "transaction_id", tid,
                  "message_id", mid, "url", row->url, NULL);
    } else if (st.status == OUTBOX_DELIVERED) {
        cb->n_delivered++;
        s_count(action, "delivered");
        if (request_ms > 0) {
            char lab[64];
            snprintf(lab, sizeof lab, "action=\"%.32s\"", action);
            /* request received -> on_* accepted by the buyer app */
            metrics_observe("ondc_roundtrip_seconds", lab, (double)(clock_wall_ms() - request_ms));
        }
        log_info("callback.delivered", "action", action, "transaction_id", tid, "message_id", mid,
                 "status", codebuf, NULL);
    } else {
        cb->n_nacked++;
        s_count(action, "nacked");
        log_warn("callback.nacked", "action", action, "transaction_id", tid, "message_id", mid,
                 "status", codebuf, "answer", st.answer, NULL);
    }
    callback_update(cb, &st);
    callback_drop(cb, d);
    callback_start_next(cb, h);
}

void callback_done(CURL *easy, CURLcode res, void *arg)
{
    callback_dl_t *d = NULL;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&d);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    callback_finish(arg, d, res, code);
}

void callback_cancel(callback_t *cb, callback_dl_t *d)
{
    if (!d->easy)
        return;
    curl_multi_remove_handle(cb->multi, d->easy);
    curl_easy_cleanup(d->easy);
    curl_slist_free_all(d->headers);
    d->easy = NULL;
    d->headers = NULL;
}
