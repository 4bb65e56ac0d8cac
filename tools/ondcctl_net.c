/*
 * ondcctl_net.c - send (post a payload as a buyer app would) and listen
 * (a buyer-app callback endpoint that prints what arrives).
 */
#include "ondcctl.h"

#include "clock.h"
#include "context.h"
#include "registry.h"
#include "reply.h"
#include "sign.h"
#include "url.h"

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <jansson.h>
#include <microhttpd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static size_t s_collect(char *ptr, size_t size, size_t n, void *arg)
{
    FILE *f = arg;
    fwrite(ptr, size, n, f);
    return size * n;
}

int ctl_send(ctl_t *ctl, int argc, char **argv)
{
    static const char *const opts[] = {"key=",    "subscriber=", "ukid=",     "bap-id=",
                                       "bap-uri=", "keep-ids",    "keep-txn", NULL};
    int arc = ctl_args("send", argc, argv, opts, 2, 2);
    if (arc)
        return arc;
    const char *file = ctl_positional(argc, argv, 0), *url = ctl_positional(argc, argv, 1);
    if (!file || !url) {
        fprintf(stderr, "usage: ondcctl send FILE URL [--key F --subscriber S --ukid K] ...\n");
        return 64;
    }
    if (sign_init() < 0)
        return 1;
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr);
    if (!root) {
        fprintf(stderr, "ondcctl: %s:%d: %s\n", file, jerr.line, jerr.text);
        return 1;
    }
    json_t *ctx = json_object_get(root, "context");
    if (json_is_object(ctx)) {
        char id[37], ts[40];
        if (!ctl_flag(argc, argv, "keep-ids")) {
            reply_uuid(id);
            json_object_set_new(ctx, "message_id", json_string(id));
            if (!ctl_flag(argc, argv, "keep-txn")) {
                reply_uuid(id);
                json_object_set_new(ctx, "transaction_id", json_string(id));
            }
            context_format_time(clock_wall_ms(), ts, sizeof ts);
            json_object_set_new(ctx, "timestamp", json_string(ts));
        }
        const char *v;
        if ((v = ctl_opt(argc, argv, "bap-id")))
            json_object_set_new(ctx, "bap_id", json_string(v));
        if ((v = ctl_opt(argc, argv, "bap-uri")))
            json_object_set_new(ctx, "bap_uri", json_string(v));
        if (ctl->config_path) {
            cfg_t *cfg = ctl_need_config(ctl);
            if (json_object_get(ctx, "bpp_id") || strcmp(context_str(ctx, "action") ? context_str(ctx, "action") : "", "search") != 0) {
                json_object_set_new(ctx, "bpp_id", json_string(cfg->subscriber_id));
                json_object_set_new(ctx, "bpp_uri", json_string(cfg->bpp_uri));
            }
        }
    }
    char *body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    const char *keyf = ctl_opt(argc, argv, "key");
    if (keyf) {
        sign_key_t key;
        ondc_err_t err;
        if (sign_key_load_file(&key, keyf, &err) < 0) {
            fprintf(stderr, "ondcctl: %s\n", err.message);
            free(body);
            return 1;
        }
        json_t *parsed = json_loads(body, 0, NULL);
        const char *sub = ctl_opt(argc, argv, "subscriber");
        if (!sub)
            sub = context_str(json_object_get(parsed, "context"), "bap_id");
        const char *ukid = ctl_opt(argc, argv, "ukid");
        long now = (long)time(NULL);
        /* unsigned when it cannot be signed: the node's NACK says why */
        (void)sign_auth_append(&hdrs, &key, sub ? sub : "", ukid ? ukid : "k1", body, strlen(body),
                               now, now + 300);
        json_decref(parsed);
        sodium_memzero(&key, sizeof key);
    }
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    char *resp = NULL;
    size_t resp_len = 0;
    FILE *mem = open_memstream(&resp, &resp_len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    fclose(mem);
    int ret = 0;
    if (rc != CURLE_OK) {
        fprintf(stderr, "ondcctl: %s\n", curl_easy_strerror(rc));
        ret = 1;
    } else {
        printf("HTTP %ld %s\n", code, resp ? resp : "");
        ret = code == 200 ? 0 : 2;
    }
    free(resp);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(body);
    return ret;
}

/* ---- listen ---- */

typedef struct {
    FILE *out;
    registry_t *registry;
} s_listen_t;

typedef struct {
    char *buf;
    size_t len;
} s_body_t;

static enum MHD_Result s_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version, const char *upload,
                                    size_t *upload_size, void **con_cls)
{
    (void)version;
    s_listen_t *l = cls;
    s_body_t *b = *con_cls;
    if (!b) {
        *con_cls = calloc(1, sizeof(s_body_t));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        char *nb = realloc(b->buf, b->len + *upload_size + 1);
        if (!nb)
            return MHD_NO;
        b->buf = nb;
        memcpy(b->buf + b->len, upload, *upload_size);
        b->len += *upload_size;
        b->buf[b->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *verified = "null";
    char why[300] = "";
    if (l->registry) {
        sign_header_t h;
        ondc_err_t err;
        registry_record_t rec;
        if (!auth)
            snprintf(why, sizeof why, "no Authorization header");
        else if (sign_header_parse(auth, &h, &err) < 0 ||
                 registry_lookup(l->registry, h.subscriber_id, h.ukid, clock_wall_ms(), &rec,
                                 &err) < 0 ||
                 sign_verify(&h, rec.signing_pk, b->buf ? b->buf : "", b->len, (long)time(NULL),
                             120, &err) < 0)
            snprintf(why, sizeof why, "%s", err.message);
        verified = why[0] ? "false" : "true";
    }
    json_t *line = json_object();
    json_object_set_new(line, "method", json_string(method));
    json_object_set_new(line, "path", json_string(url));
    json_object_set_new(line, "received_ms", json_integer(clock_wall_ms()));
    if (auth)
        json_object_set_new(line, "authorization", json_string(auth));
    json_object_set_new(line, "verified", json_loads(verified, JSON_DECODE_ANY, NULL));
    if (why[0])
        json_object_set_new(line, "verify_error", json_string(why));
    json_t *body = b->buf ? json_loadb(b->buf, b->len, 0, NULL) : NULL;
    json_object_set_new(line, "body", body ? body : json_stringn_nocheck(b->buf ? b->buf : "", b->len));
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    fprintf(l->out, "%s\n", text);
    fflush(l->out);
    free(text);
    const char *answer = why[0] ? "{\"message\":{\"ack\":{\"status\":\"NACK\"}},\"error\":{\"type\":\"POLICY-ERROR\",\"code\":\"10001\",\"message\":\"invalid signature\"}}"
                                : "{\"message\":{\"ack\":{\"status\":\"ACK\"}}}";
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(answer), (void *)answer, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, why[0] ? 401 : 200, r);
    MHD_destroy_response(r);
    return rc;
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    s_body_t *b = *con_cls;
    if (b) {
        free(b->buf);
        free(b);
    }
    *con_cls = NULL;
}

static volatile sig_atomic_t s_stop;
static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

int ctl_listen(ctl_t *ctl, int argc, char **argv)
{
    (void)ctl;
    static const char *const opts[] = {"host=", "out=", "registry=", NULL};
    int arc = ctl_args("listen", argc, argv, opts, 1, 1);
    if (arc)
        return arc;
    const char *port = ctl_positional(argc, argv, 0);
    const char *host = ctl_opt(argc, argv, "host");
    char hostport[160];
    struct sockaddr_in sa;
    snprintf(hostport, sizeof hostport, "%s:%s", host ? host : "127.0.0.1", port);
    if (url_listen_addr(hostport, &sa) < 0 || sa.sin_port == 0 || strchr(host ? host : "", ':')) {
        fprintf(stderr,
                "ondcctl listen: \"%s\" is not HOST:PORT (PORT: 1..65535; --host: an IPv4 "
                "address of this machine, 127.0.0.1 unless given)\n",
                hostport);
        return 64;
    }
    s_listen_t l = {.out = stdout};
    const char *outf = ctl_opt(argc, argv, "out");
    if (outf && !(l.out = fopen(outf, "a"))) {
        perror(outf);
        return 1;
    }
    const char *reg = ctl_opt(argc, argv, "registry");
    if (reg) {
        cfg_t cfg = {0};
        cfg_defaults(&cfg);
        snprintf(cfg.registry_file, sizeof cfg.registry_file, "%s", reg);
        if (!(l.registry = registry_new(&cfg, NULL)))
            return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, s_on_request, &l,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "ondcctl: cannot listen on %s: %s\n", hostport, strerror(errno));
        registry_destroy(&l.registry);
        if (l.out != stdout)
            fclose(l.out);
        return 1;
    }
    fprintf(stderr, "ondcctl: listening on http://%s/\n", hostport);
    signal(SIGTERM, s_on_signal);
    signal(SIGINT, s_on_signal);
    while (!s_stop)
        pause();
    MHD_stop_daemon(d);
    registry_destroy(&l.registry);
    if (l.out != stdout)
        fclose(l.out);
    return 0;
}
