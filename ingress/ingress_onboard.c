/*
 * ingress_onboard.c - what the ONDC registry asks of a node while it
 * subscribes, served on the network listener:
 *
 *   POST .../on_subscribe  {"subscriber_id","challenge"} -> {"answer": plaintext}
 *       the challenge decrypted (onboard_solve_challenge) with the X25519
 *       shared secret of our encryption key (encryption_private_key_file)
 *       and the registry's public encryption key;
 *   GET /ondc-site-verification.html
 *       a page whose meta tag "ondc-site-verification" holds our Ed25519
 *       signature (base64) of the subscription's request_id.
 *
 * Both are prepared at start: the keys are decoded once, the page is signed
 * once. A piece that is missing (no encryption key file, no registry key, no
 * request id) is logged at start and its route answers 503 (on_subscribe)
 * or 404 (the page); the rest of the node works without them.
 *
 * Ownership: the state is owned by ingress_t.onboard; the private key is
 * wiped at fini. The challenge's plaintext is never logged.
 *
 * Config keys read: encryption_private_key_file, subscriber_id (the
 * challenge's subscriber_id must be ours when present). Also, until the
 * config table has them, the environment:
 *   ONDC_REGISTRY_ENCR_PUBLIC_KEY  the registry's X25519 public key (base64 SPKI DER)
 *   ONDC_REQUEST_ID                the request_id of our subscription
 */
#include "ingress.h"

#include "ack.h"
#include "jarena.h"
#include "jparse.h"
#include "log.h"
#include "onboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAX 1024

struct ingress_onboard_s {
    unsigned char priv[32];
    unsigned char reg_pub[32];
    int have_priv, have_reg_pub;
    char *site; /* the verification page (owned) or NULL */
};

/* s_read_secret - the text of PATH (NUL-terminated) into BUF, refusing a
 * file that is not regular or that group/others may read. 0, or -1 with a
 * reason in WHY. */
static int s_read_secret(const char *path, char *buf, size_t cap, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    ssize_t n = -1;
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        goto fail;
    }
    if (st.st_mode & 077) {
        snprintf(why, whylen, "group or others may read it (chmod 600)");
        goto fail;
    }
    n = read(fd, buf, cap - 1);
    if (n <= 0 || (size_t)n == cap - 1) {
        snprintf(why, whylen, "empty, unreadable or too large");
        goto fail;
    }
    buf[n] = '\0';
    close(fd);
    return 0;
fail:
    close(fd);
    return -1;
}

static void s_load_private(ingress_onboard_t *ob, const char *path)
{
    char text[KEYFILE_MAX], why[160];
    ondc_err_t err;
    if (!path[0]) {
        log_info("onboard.no_encryption_key", "why", "encryption_private_key_file is empty", NULL);
        return;
    }
    if (s_read_secret(path, text, sizeof text, why, sizeof why) < 0) {
        log_warn("onboard.no_encryption_key", "path", path, "why", why, NULL);
        return;
    }
    if (onboard_x25519_private_from_b64(ob->priv, text, &err) == 0)
        ob->have_priv = 1;
    else
        log_warn("onboard.no_encryption_key", "path", path, "why", err.message, NULL);
    sodium_memzero(text, sizeof text);
}

static void s_load_registry_key(ingress_onboard_t *ob, const cfg_t *cfg)
{
    const char *pub = cfg->registry_encr_public_key;
    ondc_err_t err;
    if (!pub || !*pub) {
        log_info("onboard.no_registry_key", "why",
                 "registry.encr_public_key is not set: /on_subscribe answers 503", NULL);
        return;
    }
    if (onboard_x25519_public_from_b64(ob->reg_pub, pub, &err) == 0)
        ob->have_reg_pub = 1;
    else
        log_warn("onboard.no_registry_key", "why", err.message, NULL);
}

static void s_sign_site(ingress_t *in, ingress_onboard_t *ob)
{
    const char *id = in->rt->cfg.registry_request_id;
    if (!id || !*id) {
        log_info("onboard.no_request_id", "why",
                 "registry.request_id is not set: /ondc-site-verification.html answers 404", NULL);
        return;
    }
    if (!in->have_key) {
        log_warn("onboard.no_request_id", "why", "no signing key to sign the request_id", NULL);
        return;
    }
    char sig[89];
    sign_detached_b64(&in->key, id, strlen(id), sig);
    static const char fmt[] = "<html><head><meta name=\"ondc-site-verification\" content=\"%s\" />"
                              "</head><body>ONDC Site Verification Page</body></html>";
    size_t n = sizeof fmt + sizeof sig;
    ob->site = malloc(n);
    if (ob->site)
        snprintf(ob->site, n, fmt, sig);
}

int ingress_onboard_init(ingress_t *in)
{
    ingress_onboard_t *ob = calloc(1, sizeof *ob);
    if (!ob)
        return -1;
    s_load_private(ob, in->rt->cfg.encryption_private_key_file);
    s_load_registry_key(ob, &in->rt->cfg);
    s_sign_site(in, ob);
    in->onboard = ob;
    return 0;
}

void ingress_onboard_fini(ingress_t *in)
{
    ingress_onboard_t *ob = in->onboard;
    if (!ob)
        return;
    sodium_memzero(ob->priv, sizeof ob->priv);
    free(ob->site);
    free(ob);
    in->onboard = NULL;
}

/* s_reply - answer STATUS with BODY (owned: freed by MHD) of type CTYPE. */
static enum MHD_Result s_reply(struct MHD_Connection *conn, int status, char *body,
                               const char *ctype)
{
    if (!body)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result s_error(struct MHD_Connection *conn, const ondc_err_t *err)
{
    log_info("onboard.refused", "code", err->code, "path", err->path, "why", err->message, NULL);
    return s_reply(conn, err->http_status, ack_nack_body(err), "application/json");
}

enum MHD_Result ingress_onboard_subscribe(ingress_t *in, struct MHD_Connection *conn,
                                          const char *method, req_t *r)
{
    ingress_onboard_t *ob = in->onboard;
    ondc_err_t err;
    if (strcmp(method, "POST") != 0) {
        err_set(&err, ERR_TYPE_CORE, 405, ERR_INVALID_REQUEST, "", "use POST");
        return s_error(conn, &err);
    }
    if (r->too_large) {
        err_set(&err, ERR_TYPE_JSON_SCHEMA, 413, ERR_INVALID_REQUEST, "", "body too large");
        return s_error(conn, &err);
    }
    if (!ob || !ob->have_priv || !ob->have_reg_pub) {
        err_set(&err, ERR_TYPE_CORE, 503, ERR_INTERNAL, "",
                "on_subscribe is not configured on this node (encryption key or registry key)");
        return s_error(conn, &err);
    }
    json_error_t jerr;
    json_t *root = jparse(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *ch = json_object_get(root, "challenge");
    json_t *sub = json_object_get(root, "subscriber_id");
    char *plain = NULL;
    if (!json_is_object(root)) {
        err_set(&err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "",
                "body must be a JSON object {\"subscriber_id\",\"challenge\"}");
    } else if (!json_is_string(ch) || json_string_length(ch) > ONBOARD_CHALLENGE_MAX) {
        err_set(&err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "challenge",
                "challenge must be a base64 string");
    } else if (sub && (!json_is_string(sub) ||
                       strcmp(json_string_value(sub), in->rt->cfg.subscriber_id) != 0)) {
        err_set(&err, ERR_TYPE_CORE, 400, ERR_INVALID_REQUEST, "subscriber_id",
                "subscriber_id is not this node's");
    } else {
        plain = onboard_solve_challenge(ob->priv, ob->reg_pub, json_string_value(ch), &err);
    }
    json_decref(root);
    if (!plain)
        return s_error(conn, &err);
    json_t *ans = json_pack("{s:s}", "answer", plain);
    free(plain);
    char *text = ans ? jarena_dumps(ans, JSON_COMPACT) : NULL;
    json_decref(ans);
    if (!text) {
        err_set(&err, ERR_TYPE_CORE, 400, ERR_INVALID_REQUEST, "challenge",
                "the challenge does not decrypt to UTF-8 text");
        return s_error(conn, &err);
    }
    log_info("onboard.challenge_answered", "subscriber_id", in->rt->cfg.subscriber_id, NULL);
    return s_reply(conn, 200, text, "application/json");
}

enum MHD_Result ingress_onboard_site(ingress_t *in, struct MHD_Connection *conn,
                                     const char *method)
{
    ingress_onboard_t *ob = in->onboard;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return s_reply(conn, 405, strdup("method not allowed\n"), "text/plain");
    if (!ob || !ob->site)
        return s_reply(conn, 404, strdup("not found\n"), "text/plain");
    return s_reply(conn, 200, strdup(ob->site), "text/html; charset=utf-8");
}
