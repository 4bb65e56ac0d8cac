/*
 * fuzz_request.c - the request path of ingress without the network: a raw
 * body and its Authorization header through every check a request passes
 * before it is journaled (JSON, depth and array limits, envelope of the
 * context, the signature header and its verification against a registry
 * file with one buyer key), to ACK or a NACK with an ONDC error.
 *
 * Input: byte 0 picks the action (and, bit 7, signature checking off);
 * then the Authorization value up to the first newline; the rest is the
 * body.
 */
#include "fuzz_common.h"

#include "../../ingress/ingress_check.c"

#include <stdint.h>

/* the network sides of ingress are not part of this harness: no registry
 * over HTTP (a key not in the file is unknown), no rate limit */
int ingress_lookup_wait(ingress_t *in, req_t *r, const char *subscriber, const char *ukid,
                        registry_record_t *out, ondc_err_t *err)
{
    (void)in;
    (void)r;
    (void)out;
    return err_set(err, ERR_TYPE_POLICY, 401, ERR_INVALID_SIGNATURE, "", "unknown key %s|%s",
                   subscriber, ukid);
}

int ingress_rate_take(ingress_t *in, const char *subscriber, struct MHD_Connection *conn,
                      int64_t now_ms)
{
    (void)in;
    (void)subscriber;
    (void)conn;
    (void)now_ms;
    return 0;
}

static runtime_t g_rt;
static ingress_t g_in;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_cfg();
    /* the buyer's key: a fixed seed, so a seed corpus may carry a valid
     * signature made with it */
    static char path[] = "/tmp/ondc-fuzz-registry.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[{\"subscriber_id\":\"buyer.example\",\"ukId\":\"k1\","
               "\"signing_public_key\":\"iWuBTl4ob6TGmLsH/eHa5Y8QN7kYdkBlXzCAuE0fqYs=\","
               "\"valid_from\":\"2020-01-01T00:00:00.000Z\",\"valid_until\":\"2099-01-01T00:00:00.000Z\","
               "\"status\":\"SUBSCRIBED\",\"type\":\"BAP\"}]");
    fclose(f);
    snprintf(g_cfg.registry_file, sizeof g_cfg.registry_file, "%s", path);
    g_cfg.cities.n = 1;
    snprintf(g_cfg.cities.v[0], sizeof g_cfg.cities.v[0], "std:080");
    g_rt.cfg = g_cfg;
    g_in.rt = &g_rt;
    g_in.registry = registry_new(&g_rt.cfg, NULL);
    if (!g_in.registry)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int action = (data[0] & 0x7f) % ACT_COUNT;
    g_rt.cfg.verify_signatures = !(data[0] & 0x80);
    const uint8_t *p = data + 1, *end = data + size;
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    char *auth = NULL;
    if (nl) {
        auth = malloc((size_t)(nl - p) + 1);
        memcpy(auth, p, (size_t)(nl - p));
        auth[nl - p] = '\0';
        p = nl + 1;
    }
    char *body = malloc((size_t)(end - p) + 1);
    memcpy(body, p, (size_t)(end - p));
    body[end - p] = '\0';
    journal_row_t row;
    ondc_err_t err;
    memset(&err, 0, sizeof err);
    int rc = ingress_check(&g_in, action, body, (size_t)(end - p), auth, NULL, 1700000000000LL, &row, &err);
    if (rc < 0 && (!err.code[0] || err.http_status < 400))
        abort(); /* every refusal names an ONDC code and an HTTP error */
    free(auth);
    free(body);
    return 0;
}
