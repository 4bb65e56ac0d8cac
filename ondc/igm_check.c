/*
 * igm_check.c - the shape of IGM issue / issue_status requests. See
 * igm_check.h. The rules follow ONDC's IGM 1.0.0 and 2.0.0 API contracts:
 * what a seller app needs to act on a complaint must be there and well
 * formed (ids, the order it is about, its category, the complainant's
 * contact, the actions so far, the expected response and resolution
 * times); descriptive fields it only stores are taken as they come.
 */
#include "igm_check.h"

#include "context.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* IGM 1.0.0 sub-categories, by category (ONDC IGM 1.0.0, "Issue categories") */
static const struct {
    const char *prefix, *category;
    int count;
} s_cats[] = {
    {"ITM", "ITEM", 5},    {"FLM", "FULFILLMENT", 8}, {"ORD", "ORDER", 3},
    {"AGT", "AGENT", 2},   {"PMT", "PAYMENT", 4},     {"TRX", "TRANSACTION", 9},
};

/* IGM 2.0.0 descriptor code prefixes (retail and the services that share IGM) */
static const char *const s_code_prefixes[] = {"ITM", "FLM", "ORD", "AGT", "PMT", "TRX",
                                              "PRD", "SRV", "RSF", "CNL", "INF"};

static const char *const s_ref_types[] = {"ORDER",       "PROVIDER", "FULFILLMENT", "ITEM",
                                          "AGENT",       "TRANSACTION", "MESSAGE_ID", "COMPLAINT",
                                          "CUSTOMER",    "CONSUMER", "PAYMENT", "ACTION", NULL};
static const char *const s_actor_types[] = {
    "CONSUMER",    "INTERFACING_NP", "COUNTERPARTY_NP", "PROVIDER",    "AGENT",
    "INTERFACING_NP_GRO", "COUNTERPARTY_NP_GRO", "CASCADED_NP_GRO", "CASCADED_NP", "SELLER", NULL};
static const char *const s_action_codes[] = {
    "OPEN",          "PROCESSING",          "RESOLVED",            "CLOSED",
    "CLOSE",         "INFO_REQUESTED",      "INFO_PROVIDED",       "INFO_NOT_AVAILABLE",
    "RESOLUTION_PROPOSED", "RESOLUTION_ACCEPTED", "RESOLUTION_REJECTED", "RESOLUTION_CASCADED",
    "ESCALATED",     NULL};

int igm_version(json_t *issue)
{
    static const char *v2[] = {"level", "refs", "actors", "actions"};
    for (size_t i = 0; i < sizeof v2 / sizeof v2[0]; i++)
        if (json_object_get(issue, v2[i]))
            return 2;
    return 1;
}

const char *igm_category_of(const char *sub)
{
    if (!sub || strlen(sub) != 5 || !isdigit((unsigned char)sub[3]) ||
        !isdigit((unsigned char)sub[4]))
        return NULL;
    int n = (sub[3] - '0') * 10 + (sub[4] - '0');
    for (size_t i = 0; i < sizeof s_cats / sizeof s_cats[0]; i++)
        if (strncmp(sub, s_cats[i].prefix, 3) == 0)
            return n >= 1 && n <= s_cats[i].count ? s_cats[i].category : NULL;
    return NULL;
}

int igm_code_ok(const char *code)
{
    if (!code || strlen(code) != 6)
        return 0;
    for (int i = 3; i < 6; i++)
        if (!isdigit((unsigned char)code[i]))
            return 0;
    for (size_t i = 0; i < sizeof s_code_prefixes / sizeof s_code_prefixes[0]; i++)
        if (strncmp(code, s_code_prefixes[i], 3) == 0)
            return 1;
    return 0;
}

static int s_fail(ondc_err_t *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail(ondc_err_t *err, const char *path, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, IGM_ERR_SCHEMA, path, "%s", msg);
}

/* s_path - BASE "." KEY (or BASE[I] when KEY is NULL) into OUT */
static const char *s_path(char *out, size_t cap, const char *base, const char *key, size_t i)
{
    /* paths here are at most a few dozen bytes: the bounds only keep the
     * compiler's truncation check quiet */
    if (key)
        snprintf(out, cap, "%.160s.%.60s", base, key);
    else
        snprintf(out, cap, "%.160s[%zu]", base, i);
    return out;
}

/* s_str - OBJ.KEY, a non-empty string of at most 255 bytes without control
 * characters; NULL with ERR (path BASE.KEY) otherwise. */
static const char *s_str(json_t *obj, const char *key, const char *base, ondc_err_t *err)
{
    char p[256];
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    if (!s || !*s) {
        s_fail(err, s_path(p, sizeof p, base, key, 0), "%s is required (a non-empty string)", p);
        return NULL;
    }
    if (json_string_length(v) > 255) {
        s_fail(err, s_path(p, sizeof p, base, key, 0), "%s is longer than 255 characters", p);
        return NULL;
    }
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20) {
            s_fail(err, s_path(p, sizeof p, base, key, 0), "%s holds a control character", p);
            return NULL;
        }
    return s;
}

/* s_obj - OBJ.KEY as an object; NULL with ERR otherwise. */
static json_t *s_obj(json_t *obj, const char *key, const char *base, ondc_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_object(v)) {
        char p[256];
        s_fail(err, s_path(p, sizeof p, base, key, 0), "%s is required (an object)", p);
        return NULL;
    }
    return v;
}

/* s_arr - OBJ.KEY as an array of 1..MAX entries; NULL with ERR otherwise. */
static json_t *s_arr(json_t *obj, const char *key, const char *base, int max, ondc_err_t *err)
{
    char p[256];
    json_t *v = json_object_get(obj, key);
    s_path(p, sizeof p, base, key, 0);
    if (!json_is_array(v) || json_array_size(v) == 0) {
        s_fail(err, p, "%s is required (a non-empty array)", p);
        return NULL;
    }
    if (json_array_size(v) > (size_t)max) {
        s_fail(err, p, "%s has more than %d entries", p, max);
        return NULL;
    }
    return v;
}

static int s_in(const char *s, const char *const *set)
{
    for (int i = 0; s && set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return 1;
    return 0;
}

/* s_enum - OBJ.KEY, one of SET; NULL with ERR otherwise. */
static const char *s_enum(json_t *obj, const char *key, const char *base, const char *const *set,
                          ondc_err_t *err)
{
    const char *s = s_str(obj, key, base, err);
    if (!s)
        return NULL;
    if (!s_in(s, set)) {
        char p[256], list[300] = "";
        for (int i = 0; set[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", set[i]);
        s_fail(err, s_path(p, sizeof p, base, key, 0), "%s \"%.60s\" is not one of %s", p, s, list);
        return NULL;
    }
    return s;
}

static int s_time(json_t *obj, const char *key, const char *base, ondc_err_t *err)
{
    const char *s = s_str(obj, key, base, err);
    if (!s)
        return -1;
    if (context_parse_time(s) < 0) {
        char p[256];
        return s_fail(err, s_path(p, sizeof p, base, key, 0),
                      "%s \"%.40s\" must be RFC 3339 UTC (2024-01-01T00:00:00.000Z)", p, s);
    }
    return 0;
}

/* s_duration - OBJ.KEY.duration, an ISO 8601 duration */
static int s_duration(json_t *obj, const char *key, const char *base, ondc_err_t *err)
{
    char p[256];
    json_t *o = s_obj(obj, key, base, err);
    if (!o)
        return -1;
    s_path(p, sizeof p, base, key, 0);
    const char *d = s_str(o, "duration", p, err);
    if (!d)
        return -1;
    if (context_parse_duration(d) <= 0) {
        char q[256];
        return s_fail(err, s_path(q, sizeof q, p, "duration", 0),
                      "%s \"%.40s\" must be an ISO 8601 duration (PT2H, P1D)", q, d);
    }
    return 0;
}

static int s_phone(json_t *obj, const char *key, const char *base, ondc_err_t *err)
{
    const char *s = s_str(obj, key, base, err);
    if (!s)
        return -1;
    size_t n = strlen(s);
    int ok = n >= 10 && n <= 11;
    for (size_t i = 0; ok && i < n; i++)
        ok = isdigit((unsigned char)s[i]) != 0;
    if (!ok) {
        char p[256];
        return s_fail(err, s_path(p, sizeof p, base, key, 0), "%s must be 10 or 11 digits", p);
    }
    return 0;
}

/* s_v1_action - one complainant action at PATH */
static int s_v1_action(json_t *a, const char *path, ondc_err_t *err)
{
    static const char *const acts[] = {"OPEN", "ESCALATE", "CLOSE", NULL};
    char p[256];
    if (!json_is_object(a))
        return s_fail(err, path, "%s must be an object", path);
    if (!s_enum(a, "complainant_action", path, acts, err) || !s_str(a, "short_desc", path, err) ||
        s_time(a, "updated_at", path, err) < 0)
        return -1;
    json_t *by = s_obj(a, "updated_by", path, err);
    if (!by)
        return -1;
    s_path(p, sizeof p, path, "updated_by", 0);
    char q[256];
    json_t *org = s_obj(by, "org", p, err);
    if (!org || !s_str(org, "name", s_path(q, sizeof q, p, "org", 0), err))
        return -1;
    json_t *contact = s_obj(by, "contact", p, err);
    if (!contact || !s_str(contact, "phone", s_path(q, sizeof q, p, "contact", 0), err))
        return -1;
    return 0;
}

/* s_v1 - an IGM 1.0.0 issue (message.issue) */
static int s_v1(json_t *issue, int max, ondc_err_t *err)
{
    const char *b = "message.issue";
    static const char *const statuses[] = {"OPEN", "CLOSED", NULL};
    if (!s_str(issue, "id", b, err))
        return -1;
    json_t *ia = s_obj(issue, "issue_actions", b, err);
    if (!ia)
        return -1;
    json_t *acts = s_arr(ia, "complainant_actions", "message.issue.issue_actions", max, err);
    if (!acts)
        return -1;
    size_t i;
    json_t *a;
    json_array_foreach(acts, i, a)
    {
        char p[128];
        snprintf(p, sizeof p, "message.issue.issue_actions.complainant_actions[%zu]", i);
        if (s_v1_action(a, p, err) < 0)
            return -1;
    }
    const char *last = json_string_value(
        json_object_get(json_array_get(acts, json_array_size(acts) - 1), "complainant_action"));
    if (s_time(issue, "created_at", b, err) < 0 || s_time(issue, "updated_at", b, err) < 0)
        return -1;
    const char *status = s_enum(issue, "status", b, statuses, err);
    if (!status)
        return -1;
    if (strcmp(last, "CLOSE") == 0) {
        static const char *const ratings[] = {"THUMBS-UP", "THUMBS-DOWN", NULL};
        if (strcmp(status, "CLOSED") != 0)
            return s_fail(err, "message.issue.status", "a closed issue has status CLOSED");
        if (json_object_get(issue, "rating") && !s_enum(issue, "rating", b, ratings, err))
            return -1;
        return 0;
    }
    /* OPEN or ESCALATE: the whole complaint */
    static const char *const cats[] = {"ITEM", "FULFILLMENT", "ORDER", "AGENT", "PAYMENT",
                                       "TRANSACTION", NULL};
    static const char *const types[] = {"ISSUE", "GRIEVANCE", "DISPUTE", NULL};
    static const char *const sources[] = {"CONSUMER", "SELLER", "INTERFACING-NP", NULL};
    const char *cat = s_enum(issue, "category", b, cats, err);
    if (!cat)
        return -1;
    const char *sub = s_str(issue, "sub_category", b, err);
    if (!sub)
        return -1;
    const char *sub_cat = igm_category_of(sub);
    if (!sub_cat)
        return s_fail(err, "message.issue.sub_category", "sub_category \"%.20s\" is not an IGM code "
                      "(ITM01-05, FLM01-08, ORD01-03, AGT01-02, PMT01-04, TRX01-09)", sub);
    if (strcmp(sub_cat, cat) != 0)
        return s_fail(err, "message.issue.sub_category", "sub_category %s belongs to %s, not %s",
                      sub, sub_cat, cat);
    if (!s_enum(issue, "issue_type", b, types, err))
        return -1;
    json_t *ci = s_obj(issue, "complainant_info", b, err);
    if (!ci)
        return -1;
    json_t *person = s_obj(ci, "person", "message.issue.complainant_info", err);
    if (!person || !s_str(person, "name", "message.issue.complainant_info.person", err))
        return -1;
    json_t *contact = s_obj(ci, "contact", "message.issue.complainant_info", err);
    if (!contact || s_phone(contact, "phone", "message.issue.complainant_info.contact", err) < 0)
        return -1;
    json_t *od = s_obj(issue, "order_details", b, err);
    const char *ob = "message.issue.order_details";
    if (!od || !s_str(od, "id", ob, err) || !s_str(od, "provider_id", ob, err))
        return -1;
    json_t *items = json_object_get(od, "items");
    if (items || strcmp(cat, "ITEM") == 0) {
        if (!(items = s_arr(od, "items", ob, max, err)))
            return -1;
        json_array_foreach(items, i, a)
        {
            char p[96];
            snprintf(p, sizeof p, "message.issue.order_details.items[%zu]", i);
            if (!s_str(a, "id", p, err))
                return -1;
            json_t *q = json_object_get(a, "quantity");
            if (!json_is_integer(q) || json_integer_value(q) < 1) {
                strncat(p, ".quantity", sizeof p - strlen(p) - 1);
                return s_fail(err, p, "%s is a whole number from 1", p);
            }
        }
    }
    json_t *fuls = json_object_get(od, "fulfillments");
    if (fuls || strcmp(cat, "FULFILLMENT") == 0) {
        if (!(fuls = s_arr(od, "fulfillments", ob, max, err)))
            return -1;
        json_array_foreach(fuls, i, a)
        {
            char p[96];
            snprintf(p, sizeof p, "message.issue.order_details.fulfillments[%zu]", i);
            if (!s_str(a, "id", p, err))
                return -1;
        }
    }
    json_t *desc = s_obj(issue, "description", b, err);
    if (!desc || !s_str(desc, "short_desc", "message.issue.description", err))
        return -1;
    json_t *src = s_obj(issue, "source", b, err);
    if (!src || !s_str(src, "network_participant_id", "message.issue.source", err) ||
        !s_enum(src, "type", "message.issue.source", sources, err))
        return -1;
    if (s_duration(issue, "expected_response_time", b, err) < 0 ||
        s_duration(issue, "expected_resolution_time", b, err) < 0)
        return -1;
    return 0;
}

/* s_v2 - an IGM 2.0.0 issue (message.issue) */
static int s_v2(json_t *issue, int max, ondc_err_t *err)
{
    const char *b = "message.issue";
    static const char *const statuses[] = {"OPEN", "PROCESSING", "RESOLVED", "CLOSED", NULL};
    static const char *const levels[] = {"ISSUE", "GRIEVANCE", "DISPUTE", NULL};
    size_t i;
    json_t *a;
    char p[256];
    if (!s_str(issue, "id", b, err) || !s_enum(issue, "status", b, statuses, err) ||
        !s_enum(issue, "level", b, levels, err) || s_time(issue, "created_at", b, err) < 0 ||
        s_time(issue, "updated_at", b, err) < 0 ||
        s_duration(issue, "expected_response_time", b, err) < 0 ||
        s_duration(issue, "expected_resolution_time", b, err) < 0)
        return -1;
    json_t *refs = s_arr(issue, "refs", b, max, err);
    if (!refs)
        return -1;
    int has_order = 0;
    json_array_foreach(refs, i, a)
    {
        snprintf(p, sizeof p, "message.issue.refs[%zu]", i);
        const char *t;
        if (!s_str(a, "ref_id", p, err) || !(t = s_enum(a, "ref_type", p, s_ref_types, err)))
            return -1;
        has_order |= strcmp(t, "ORDER") == 0;
    }
    if (!has_order)
        return s_fail(err, "message.issue.refs", "message.issue.refs names no ORDER");
    json_t *actors = s_arr(issue, "actors", b, max, err);
    if (!actors)
        return -1;
    json_array_foreach(actors, i, a)
    {
        snprintf(p, sizeof p, "message.issue.actors[%zu]", i);
        char q[256];
        json_t *info;
        if (!s_str(a, "id", p, err) || !s_enum(a, "type", p, s_actor_types, err) ||
            !(info = s_obj(a, "info", p, err)))
            return -1;
        json_t *org = s_obj(info, "org", s_path(q, sizeof q, p, "info", 0), err);
        strncat(q, ".org", sizeof q - strlen(q) - 1);
        if (!org || !s_str(org, "name", q, err))
            return -1;
    }
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "complainant_id" : "source_id";
        const char *id = s_str(issue, key, b, err);
        if (!id)
            return -1;
        int found = 0;
        json_array_foreach(actors, i, a)
        {
            found |= strcmp(json_string_value(json_object_get(a, "id")), id) == 0;
        }
        if (!found)
            return s_fail(err, k ? "message.issue.complainant_id" : "message.issue.source_id",
                          "%s \"%.60s\" is not one of message.issue.actors", key, id);
    }
    json_t *desc = s_obj(issue, "descriptor", b, err);
    if (!desc)
        return -1;
    const char *code = s_str(desc, "code", "message.issue.descriptor", err);
    if (!code || !s_str(desc, "short_desc", "message.issue.descriptor", err))
        return -1;
    if (!igm_code_ok(code))
        return s_fail(err, "message.issue.descriptor.code",
                      "descriptor.code \"%.20s\" is not an IGM 2.0.0 issue code (ITM004, FLM002, ...)",
                      code);
    json_t *acts = s_arr(issue, "actions", b, max, err);
    if (!acts)
        return -1;
    json_array_foreach(acts, i, a)
    {
        snprintf(p, sizeof p, "message.issue.actions[%zu]", i);
        char q[256];
        json_t *d;
        if (!s_str(a, "id", p, err) || !(d = s_obj(a, "descriptor", p, err)) ||
            !s_enum(d, "code", s_path(q, sizeof q, p, "descriptor", 0), s_action_codes, err) ||
            s_time(a, "updated_at", p, err) < 0 || !s_str(a, "action_by", p, err))
            return -1;
    }
    const char *last_id = s_str(issue, "last_action_id", b, err);
    if (!last_id)
        return -1;
    const char *tail = json_string_value(json_object_get(json_array_get(acts, json_array_size(acts) - 1), "id"));
    if (strcmp(last_id, tail) != 0)
        return s_fail(err, "message.issue.last_action_id",
                      "last_action_id \"%.60s\" is not the last action's id \"%.60s\"", last_id, tail);
    return 0;
}

int igm_check_request(json_t *root, int issue_status, int max_items, ondc_err_t *err)
{
    json_t *msg = json_object_get(root, "message");
    if (issue_status) {
        /* {issue_id} (1.0.0 and 2.0.0) */
        return s_str(msg, "issue_id", "message", err) ? 0 : -1;
    }
    json_t *issue = s_obj(msg, "issue", "message", err);
    if (!issue)
        return -1;
    return igm_version(issue) == 2 ? s_v2(issue, max_items, err) : s_v1(issue, max_items, err);
}
