/*
 * context.c - action table and context rules. See context.h.
 */
#include "context.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    family_t family;
} s_actions[ACT_COUNT] = {
    [ACT_SEARCH] = {"search", FAMILY_DISCOVERY},   [ACT_SELECT] = {"select", FAMILY_ORDER},
    [ACT_INIT] = {"init", FAMILY_ORDER},           [ACT_CONFIRM] = {"confirm", FAMILY_ORDER},
    [ACT_STATUS] = {"status", FAMILY_FULFILLMENT}, [ACT_TRACK] = {"track", FAMILY_FULFILLMENT},
    [ACT_CANCEL] = {"cancel", FAMILY_FULFILLMENT}, [ACT_UPDATE] = {"update", FAMILY_FULFILLMENT},
    [ACT_RATING] = {"rating", FAMILY_POST},        [ACT_SUPPORT] = {"support", FAMILY_POST},
    /* IGM: complaints are about a past order, few, and change the order's
     * record (a refund) as rating and support read it: the post-fulfillment
     * family (docs/protocol.md, "Issues and grievances") */
    [ACT_ISSUE] = {"issue", FAMILY_POST},          [ACT_ISSUE_STATUS] = {"issue_status", FAMILY_POST},
};

int context_action_parse(const char *name)
{
    for (int i = 0; name && i < ACT_COUNT; i++)
        if (strcmp(name, s_actions[i].name) == 0)
            return i;
    return -1;
}

int context_any_action_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "gw_search") == 0)
        return ACT_GW_SEARCH;
    if (strncmp(name, "on_", 3) == 0) {
        int a = context_action_parse(name + 3);
        return a < 0 ? -1 : ACT_ON_BASE + a;
    }
    return context_action_parse(name);
}

const char *context_action_name(action_t a)
{
    static const char *s_on[ACT_COUNT] = {
        "on_search", "on_select", "on_init",   "on_confirm", "on_status",       "on_track",
        "on_cancel", "on_update", "on_rating", "on_support", "on_issue",        "on_issue_status"};
    if ((unsigned)a >= ACT_ON_BASE && (unsigned)a < ACT_ON_BASE + ACT_COUNT)
        return s_on[a - ACT_ON_BASE];
    if (a == ACT_GW_SEARCH)
        return "gw_search";
    return (unsigned)a < ACT_COUNT ? s_actions[a].name : "?";
}

family_t context_action_family(action_t a)
{
    /* an on_issue answers an issue the seller raised (seller/igm_raise.c) */
    if (a == ACT_ON_BASE + ACT_ISSUE)
        return FAMILY_POST;
    if ((unsigned)a >= ACT_ON_BASE && (unsigned)a < ACT_ON_BASE + ACT_COUNT)
        return FAMILY_BUYER;
    if (a == ACT_GW_SEARCH)
        return FAMILY_GATEWAY;
    return s_actions[a].family;
}

const char *context_str(json_t *ctx, const char *key)
{
    json_t *v = json_object_get(ctx, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int s_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int64_t context_parse_time(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z */
    if (!s || strlen(s) < 20 || !s_digits(s, 4) || s[4] != '-' || !s_digits(s + 5, 2) ||
        s[7] != '-' || !s_digits(s + 8, 2) || s[10] != 'T' || !s_digits(s + 11, 2) ||
        s[13] != ':' || !s_digits(s + 14, 2) || s[16] != ':' || !s_digits(s + 17, 2))
        return -1;
    struct tm tm = {0};
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = tm.tm_year + 1900;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
        tm.tm_mday > days[tm.tm_mon] + (tm.tm_mon == 1 && leap) || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    const char *p = s + 19;
    int64_t ms = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        int64_t scale = 100;
        while (isdigit((unsigned char)*p)) {
            if (n < 3) {
                ms += (*p - '0') * scale;
                scale /= 10;
            }
            p++;
            n++;
        }
        if (n == 0 || n > 9)
            return -1;
    }
    if (p[0] != 'Z' || p[1] != '\0')
        return -1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    return (int64_t)t * 1000 + ms;
}

void context_format_time(int64_t ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, outlen - n, ".%03dZ", (int)(ms % 1000));
}

long context_parse_duration(const char *s)
{
    if (!s || *s != 'P')
        return -1;
    s++;
    long total = 0;
    int in_time = 0, any = 0;
    while (*s) {
        if (*s == 'T') {
            if (in_time)
                return -1;
            in_time = 1;
            any = 0; /* "P1DT" is not a duration: something must follow T */
            s++;
            continue;
        }
        if (!isdigit((unsigned char)*s))
            return -1;
        char *end;
        long n = strtol(s, &end, 10);
        if (n < 0 || n > 100000000)
            return -1;
        switch (*end) {
        case 'Y':
            if (in_time)
                return -1;
            total += n * 365 * 86400;
            break;
        case 'M':
            total += in_time ? n * 60 : n * 30 * 86400;
            break;
        case 'W':
            if (in_time)
                return -1;
            total += n * 7 * 86400;
            break;
        case 'D':
            if (in_time)
                return -1;
            total += n * 86400;
            break;
        case 'H':
            if (!in_time)
                return -1;
            total += n * 3600;
            break;
        case 'S':
            if (!in_time)
                return -1;
            total += n;
            break;
        default:
            return -1;
        }
        any = 1;
        s = end + 1;
    }
    return any ? total : -1;
}

static int s_is_url(const char *s)
{
    return s && ((strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]));
}

static int s_city_ok(const char *c)
{
    if (strcmp(c, "*") == 0)
        return 1;
    if (strncmp(c, "std:", 4) != 0 || strlen(c) < 6 || strlen(c) > 10)
        return 0;
    return s_digits(c + 4, (int)strlen(c) - 4);
}

static int s_ctx_err(ondc_err_t *err, const char *field, const char *fmt, const char *v)
{
    char path[64];
    snprintf(path, sizeof path, "context.%s", field);
    return err_set(err, ERR_TYPE_CONTEXT, 400, ERR_INVALID_REQUEST, path, fmt, field, v ? v : "");
}

int context_check(const cfg_t *cfg, json_t *root, action_t action, int64_t now_ms,
                  ondc_err_t *err)
{
    if (!json_is_object(root))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "",
                       "request body must be a JSON object");
    json_t *ctx = json_object_get(root, "context");
    if (!json_is_object(ctx))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "context",
                       "context is required and must be an object");
    static const char *required[] = {"domain",      "action",         "country",
                                     "city",        "core_version",   "bap_id",
                                     "bap_uri",     "transaction_id", "message_id",
                                     "timestamp"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        json_t *v = json_object_get(ctx, required[i]);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return s_ctx_err(err, required[i], "context.%s is required (a non-empty string)%s",
                             NULL);
        if (json_string_length(v) > 255)
            return s_ctx_err(err, required[i], "context.%s is longer than 255 characters%s", NULL);
    }
    if (action != ACT_SEARCH)
        for (int i = 0; i < 2; i++) {
            const char *f = i == 0 ? "bpp_id" : "bpp_uri";
            const char *v = context_str(ctx, f);
            if (!v || !*v)
                return s_ctx_err(err, f, "context.%s is required for this action%s", NULL);
        }
    const char *a = context_str(ctx, "action");
    if (strcmp(a, context_action_name(action)) != 0)
        return s_ctx_err(err, "action", "context.%s \"%s\" does not match the endpoint", a);
    const char *domain = context_str(ctx, "domain");
    if (!cfg_list_has(&cfg->domains, domain, 0))
        return s_ctx_err(err, "domain", "context.%s \"%s\" is not served here", domain);
    const char *country = context_str(ctx, "country");
    if (strcmp(country, cfg->country) != 0)
        return s_ctx_err(err, "country", "context.%s \"%s\" is not served here", country);
    const char *city = context_str(ctx, "city");
    if (!s_city_ok(city))
        return s_ctx_err(err, "city", "context.%s \"%s\" must be std:NNN or *", city);
    if (strcmp(city, "*") == 0 ? action != ACT_SEARCH : !cfg_list_has(&cfg->cities, city, 1))
        return s_ctx_err(err, "city", "context.%s \"%s\" is not served here", city);
    const char *ver = context_str(ctx, "core_version");
    int retail = strncmp(domain, "ONDC:RET", 8) == 0;
    /* IGM requests name the IGM version (1.0.0, 2.0.0) or the retail one */
    int igm_ver = (action == ACT_ISSUE || action == ACT_ISSUE_STATUS) &&
                  (strcmp(ver, "1.0.0") == 0 || strcmp(ver, "2.0.0") == 0);
    if (!igm_ver && (retail ? (strcmp(ver, "1.2.0") != 0 && strcmp(ver, "1.2.5") != 0)
                            : (strcmp(ver, "1.0.0") != 0 && strcmp(ver, "1.2.0") != 0)))
        return s_ctx_err(err, "core_version", "context.%s \"%s\" is not supported for this domain",
                         ver);
    const char *bap_uri = context_str(ctx, "bap_uri");
    if (!s_is_url(bap_uri))
        return s_ctx_err(err, "bap_uri", "context.%s \"%s\" must be an http(s) URL", bap_uri);
    const char *bpp_id = context_str(ctx, "bpp_id");
    if (bpp_id && strcmp(bpp_id, cfg->subscriber_id) != 0)
        return s_ctx_err(err, "bpp_id", "context.%s \"%s\" is not this seller app", bpp_id);
    const char *bpp_uri = context_str(ctx, "bpp_uri");
    if (bpp_uri && !s_is_url(bpp_uri))
        return s_ctx_err(err, "bpp_uri", "context.%s \"%s\" must be an http(s) URL", bpp_uri);
    if (strcmp(context_str(ctx, "transaction_id"), context_str(ctx, "message_id")) == 0)
        return s_ctx_err(err, "message_id", "context.%s must differ from transaction_id%s", NULL);
    const char *ts = context_str(ctx, "timestamp");
    if (context_parse_time(ts) < 0)
        return s_ctx_err(err, "timestamp",
                         "context.%s \"%s\" must be RFC 3339 UTC (2024-01-01T00:00:00.000Z)", ts);
    /* no ttl: retail's PT30S. A request without one is not good forever */
    json_t *ttl = json_object_get(ctx, "ttl");
    long ttl_s = !ttl                 ? CONTEXT_DEFAULT_TTL_S
                 : json_is_string(ttl) ? context_parse_duration(json_string_value(ttl))
                                       : -1;
    if (ttl_s < 0)
        return s_ctx_err(err, "ttl", "context.%s must be an ISO 8601 duration (PT30S)%s", NULL);
    /* a request whose time to live has run out (with the clock skew we allow
     * signatures) is stale: the buyer app has stopped waiting for its on_* */
    int64_t ts_ms = context_parse_time(ts);
    if (ttl_s > 0 && now_ms > ts_ms + ((int64_t)ttl_s + cfg->signature_skew_s) * 1000)
        return err_set(err, ERR_TYPE_CONTEXT, 400, ERR_STALE_REQUEST, "context.timestamp",
                       "stale request: context.timestamp + ttl has passed");
    json_t *msg = json_object_get(root, "message");
    if (!json_is_object(msg))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "message",
                       "message is required and must be an object");
    return 0;
}

json_t *context_reply(const cfg_t *cfg, json_t *req, int64_t now_ms)
{
    json_t *ctx = json_deep_copy(req);
    if (!ctx)
        return NULL;
    char action[48];
    snprintf(action, sizeof action, "on_%s", context_str(req, "action"));
    json_object_set_new(ctx, "action", json_string(action));
    json_object_set_new(ctx, "bpp_id", json_string(cfg->subscriber_id));
    json_object_set_new(ctx, "bpp_uri", json_string(cfg->bpp_uri));
    int64_t req_ms = context_parse_time(context_str(req, "timestamp"));
    if (now_ms <= req_ms)
        now_ms = req_ms + 1;
    char ts[40];
    context_format_time(now_ms, ts, sizeof ts);
    json_object_set_new(ctx, "timestamp", json_string(ts));
    if (!json_object_get(ctx, "ttl"))
        json_object_set_new(ctx, "ttl", json_string("PT30S"));
    return ctx;
}

char *context_callback_url(const char *bap_uri, const char *action)
{
    size_t n = strlen(bap_uri);
    while (n > 0 && bap_uri[n - 1] == '/')
        n--;
    size_t cap = n + strlen(action) + 8;
    char *url = malloc(cap);
    if (url)
        snprintf(url, cap, "%.*s/on_%s", (int)n, bap_uri, action);
    return url;
}

char *context_request_url(const char *uri, const char *action)
{
    size_t n = strlen(uri);
    while (n > 0 && uri[n - 1] == '/')
        n--;
    size_t cap = n + strlen(action) + 4;
    char *url = malloc(cap);
    if (url)
        snprintf(url, cap, "%.*s/%s", (int)n, uri, action);
    return url;
}
