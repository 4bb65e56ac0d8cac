/*
 * ondcctl_load.c - a steady load of signed requests, one result line each.
 *
 *   ondcctl [--config C] load --url URL TEMPLATE.json [--rate R] [--seconds S]
 *       [--count N] [--key FILE --subscriber S --ukid K] [--bap-id ID]
 *       [--bap-uri URI] [--keep-txn] [--concurrency N] [--timeout-ms MS]
 *       [--out FILE]
 *
 * Each request is TEMPLATE with a fresh message_id (and transaction_id,
 * unless --keep-txn) and timestamp, bap_id/bap_uri if given, bpp_id/bpp_uri
 * from --config (as `ondcctl send` does), signed in-process with --key. They
 * go out at R per second for S seconds (or N requests) with libcurl multi,
 * at most --concurrency at once (a request that would pass that limit waits
 * its turn). One JSON line per request goes to --out (default stdout), in
 * the order the answers come:
 *
 *   {"i":0,"message_id":"..","transaction_id":"..","sent_ms":..,"ms":..,
 *    "http":200,"result":"ack"|"nack"|"refused"|"no_answer","code":"..","error":".."}
 *
 * "refused": the last try could not connect (the node was down; nothing
 * reached it, unless libcurl was re-sending, on a fresh connection, a
 * request whose kept-alive connection died under it); "no_answer": the
 * request may have reached the node but no HTTP answer came
 * back (the node died mid-request, or the timeout passed). A summary line
 * goes to stderr. The chaos test (tests/e2e/test_chaos.py) is the main user:
 * one process signs hundreds of requests a second, where a subprocess per
 * `ondcctl sign` could not.
 */
#include "ondcctl.h"

#include "ack.h"
#include "clock.h"
#include "context.h"
#include "reply.h"
#include "sign.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOAD_RESP_MAX 2048

typedef struct {
    long i;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    char message_id[64];
    char transaction_id[256];
    int64_t sent_ms;
    char resp[LOAD_RESP_MAX];
    size_t resp_len;
} s_req_t;

typedef struct {
    const char *url;
    json_t *tmpl;
    sign_key_t key;
    int have_key;
    long validity_s; /* expires - created of the signatures made */
    const char *subscriber, *ukid, *bap_id, *bap_uri, *bpp_id, *bpp_uri;
    int keep_txn;
    long timeout_ms;
    FILE *out;
    long n_sent, n_ack, n_nack, n_refused, n_no_answer;
} s_load_t;

static size_t s_on_body(char *ptr, size_t size, size_t n, void *arg)
{
    s_req_t *r = arg;
    size_t len = size * n, room = LOAD_RESP_MAX - 1 - r->resp_len;
    size_t take = len < room ? len : room;
    memcpy(r->resp + r->resp_len, ptr, take);
    r->resp_len += take;
    r->resp[r->resp_len] = '\0';
    return len;
}

/* s_make - request number I: fresh ids, signed, ready for curl. Caller
 * owns the result (s_free); NULL if out of memory. */
static s_req_t *s_make(s_load_t *l, long i)
{
    s_req_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->i = i;
    json_t *root = json_deep_copy(l->tmpl);
    json_t *ctx = json_object_get(root, "context");
    if (json_is_object(ctx)) {
        char id[37], ts[40];
        reply_uuid(id);
        json_object_set_new(ctx, "message_id", json_string(id));
        if (!l->keep_txn) {
            reply_uuid(id);
            json_object_set_new(ctx, "transaction_id", json_string(id));
        }
        context_format_time(clock_wall_ms(), ts, sizeof ts);
        json_object_set_new(ctx, "timestamp", json_string(ts));
        if (l->bap_id)
            json_object_set_new(ctx, "bap_id", json_string(l->bap_id));
        if (l->bap_uri)
            json_object_set_new(ctx, "bap_uri", json_string(l->bap_uri));
        if (l->bpp_id) {
            json_object_set_new(ctx, "bpp_id", json_string(l->bpp_id));
            json_object_set_new(ctx, "bpp_uri", json_string(l->bpp_uri));
        }
        const char *v;
        if ((v = context_str(ctx, "message_id")))
            snprintf(r->message_id, sizeof r->message_id, "%s", v);
        if ((v = context_str(ctx, "transaction_id")))
            snprintf(r->transaction_id, sizeof r->transaction_id, "%s", v);
    }
    r->body = json_dumps(root, JSON_COMPACT);
    const char *sub = l->subscriber ? l->subscriber : context_str(ctx, "bap_id");
    json_decref(root);
    if (!r->body) {
        free(r);
        return NULL;
    }
    r->headers = curl_slist_append(NULL, "Content-Type: application/json");
    r->headers = curl_slist_append(r->headers, "Expect:");
    if (l->have_key) {
        long now = (long)time(NULL);
        /* a request that cannot be signed goes unsigned: the node's answer
         * to it is what a load run records */
        (void)sign_auth_append(&r->headers, &l->key, sub ? sub : "", l->ukid, r->body,
                               strlen(r->body), now, now + l->validity_s);
    }
    r->easy = curl_easy_init();
    curl_easy_setopt(r->easy, CURLOPT_URL, l->url);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, l->timeout_ms);
    curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    r->sent_ms = clock_wall_ms();
    return r;
}

static void s_free(s_req_t *r)
{
    if (!r)
        return;
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r);
}

/* s_done - one answer (or none): classify, print its line. */
static void s_done(s_load_t *l, s_req_t *r, CURLcode res)
{
    long code = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    const char *result;
    char errcode[16] = "";
    if (res == CURLE_COULDNT_CONNECT) {
        result = "refused";
        l->n_refused++;
    } else if (res != CURLE_OK || code == 0) {
        result = "no_answer";
        l->n_no_answer++;
    } else if (code == 200 && ack_parse(r->resp, r->resp_len) == 1) {
        result = "ack";
        l->n_ack++;
    } else {
        result = "nack";
        l->n_nack++;
        json_t *a = json_loadb(r->resp, r->resp_len, 0, NULL);
        const char *c = json_string_value(json_object_get(json_object_get(a, "error"), "code"));
        snprintf(errcode, sizeof errcode, "%s", c ? c : "");
        json_decref(a);
    }
    json_t *line = json_pack(
        "{s:I,s:s,s:s,s:I,s:I,s:i,s:s,s:s,s:s}", "i", (json_int_t)r->i, "message_id", r->message_id,
        "transaction_id", r->transaction_id, "sent_ms", (json_int_t)r->sent_ms, "ms",
        (json_int_t)(clock_wall_ms() - r->sent_ms), "http", (int)code, "result", result, "code",
        errcode, "error", res == CURLE_OK ? "" : curl_easy_strerror(res));
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text) {
        fprintf(l->out, "%s\n", text);
        fflush(l->out);
    }
    free(text);
    json_decref(line);
}

int ctl_load(ctl_t *ctl, int argc, char **argv)
{
    static const char *const opts[] = {"url=",        "rate=",       "seconds=", "count=",
                                       "concurrency=", "timeout-ms=", "key=",     "subscriber=",
                                       "ukid=",        "bap-id=",     "bap-uri=", "keep-txn",
                                       "out=",         NULL};
    int arc = ctl_args("load", argc, argv, opts, 1, 1);
    if (arc)
        return arc;
    const char *tfile = ctl_positional(argc, argv, 0), *url = ctl_opt(argc, argv, "url");
    if (!tfile || !url) {
        fprintf(stderr, "usage: ondcctl [--config C] load --url URL TEMPLATE.json [--rate R] "
                        "[--seconds S] [--count N] [--key F --subscriber S --ukid K] "
                        "[--bap-id ID] [--bap-uri URI] [--keep-txn] [--concurrency N] "
                        "[--timeout-ms MS] [--out FILE]\n");
        return 64;
    }
    if (sign_init() < 0)
        return 1;
    s_load_t l;
    memset(&l, 0, sizeof l);
    l.url = url;
    json_error_t jerr;
    l.tmpl = json_load_file(tfile, 0, &jerr);
    if (!l.tmpl || !json_is_object(json_object_get(l.tmpl, "context"))) {
        fprintf(stderr, "ondcctl: %s: %s\n", tfile, l.tmpl ? "no context object" : jerr.text);
        json_decref(l.tmpl);
        return 1;
    }
    const char *v;
    double rate = (v = ctl_opt(argc, argv, "rate")) ? atof(v) : 50.0;
    double seconds = (v = ctl_opt(argc, argv, "seconds")) ? atof(v) : 10.0;
    long count = (v = ctl_opt(argc, argv, "count")) ? atol(v) : -1;
    long conc = (v = ctl_opt(argc, argv, "concurrency")) ? atol(v) : 64;
    l.timeout_ms = (v = ctl_opt(argc, argv, "timeout-ms")) ? atol(v) : 10000;
    if (rate <= 0 || conc < 1 || l.timeout_ms < 1) {
        fprintf(stderr, "ondcctl: --rate, --concurrency and --timeout-ms must be positive\n");
        json_decref(l.tmpl);
        return 64;
    }
    l.subscriber = ctl_opt(argc, argv, "subscriber");
    l.ukid = (v = ctl_opt(argc, argv, "ukid")) ? v : "k1";
    l.bap_id = ctl_opt(argc, argv, "bap-id");
    l.bap_uri = ctl_opt(argc, argv, "bap-uri");
    l.keep_txn = ctl_flag(argc, argv, "keep-txn");
    l.validity_s = 300;
    if (ctl->config_path) {
        cfg_t *cfg = ctl_need_config(ctl);
        l.validity_s = cfg->signature_validity_s;
        l.bpp_id = cfg->subscriber_id;
        l.bpp_uri = cfg->bpp_uri;
    }
    const char *keyf = ctl_opt(argc, argv, "key");
    if (keyf) {
        ondc_err_t err;
        if (sign_key_load_file(&l.key, keyf, &err) < 0) {
            fprintf(stderr, "ondcctl: %s\n", err.message);
            json_decref(l.tmpl);
            return 1;
        }
        l.have_key = 1;
    }
    const char *outf = ctl_opt(argc, argv, "out");
    l.out = outf ? fopen(outf, "w") : stdout;
    if (!l.out) {
        perror(outf);
        json_decref(l.tmpl);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, conc);
    int64_t t0 = clock_wall_ms(), end = t0 + (int64_t)(seconds * 1000.0);
    double gap = 1000.0 / rate;
    long next = 0, inflight = 0;
    for (;;) {
        int64_t now = clock_wall_ms();
        int more = (count < 0 || next < count) && (count >= 0 || now < end);
        /* start every request whose time has come, within the limit */
        while (more && inflight < conc && t0 + (int64_t)(next * gap) <= now) {
            s_req_t *r = s_make(&l, next);
            if (!r)
                break;
            curl_multi_add_handle(multi, r->easy);
            inflight++;
            l.n_sent++;
            next++;
            more = (count < 0 || next < count) && (count >= 0 || now < end);
        }
        if (!more && inflight == 0)
            break;
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            s_req_t *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            CURLcode res = msg->data.result;
            curl_multi_remove_handle(multi, r->easy);
            s_done(&l, r, res);
            s_free(r);
            inflight--;
        }
        int64_t wait = 100;
        if (more && inflight < conc) {
            int64_t due = t0 + (int64_t)(next * gap) - clock_wall_ms();
            wait = due < 0 ? 0 : due < wait ? due : wait;
        }
        curl_multi_poll(multi, NULL, 0, (int)wait, NULL);
    }
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    if (l.out != stdout)
        fclose(l.out);
    sodium_memzero(&l.key, sizeof l.key);
    json_decref(l.tmpl);
    fprintf(stderr, "load: sent %ld, ack %ld, nack %ld, no answer %ld, refused %ld in %.1f s\n",
            l.n_sent, l.n_ack, l.n_nack, l.n_no_answer, l.n_refused,
            (double)(clock_wall_ms() - t0) / 1000.0);
    return 0;
}
