/*
 * fulfillment.c - windows, timestamps, tags and RTO of the delivery
 * fulfillment. See fulfillment.h.
 */
#include "fulfillment.h"

#include "context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IST_OFFSET_S (5 * 3600 + 30 * 60)
#define DAY_S 86400

/* s_hhmm - "0700" to minutes after midnight; -1 if malformed */
static int s_hhmm(const char *s)
{
    if (!s || strlen(s) != 4)
        return -1;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[2] - '0') * 10 + (s[3] - '0');
    return h < 24 && m < 60 ? h * 60 + m : h == 24 && m == 0 ? 1440 : -1;
}

/* s_day_open - whether ISO weekday WD (1 Monday .. 7 Sunday) is in DAYS
 * ("1,2,3,4,5,6,7"); every day when DAYS is NULL */
static int s_day_open(const char *days, int wd)
{
    if (!days)
        return 1;
    for (const char *p = days; *p;) {
        char *end;
        long d = strtol(p, &end, 10);
        if (end == p)
            return 0;
        if (d == wd)
            return 1;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return 0;
    }
    return 0;
}

int64_t fulfillment_open_at(json_t *location, int64_t now_ms)
{
    json_t *t = json_object_get(location, "time");
    json_t *range = json_object_get(t, "range");
    int open = s_hhmm(json_string_value(json_object_get(range, "start")));
    int close = s_hhmm(json_string_value(json_object_get(range, "end")));
    const char *days = json_string_value(json_object_get(t, "days"));
    if (open < 0 || close <= open)
        return now_ms;
    int64_t local = now_ms / 1000 + IST_OFFSET_S;
    int64_t midnight = local - local % DAY_S;
    int minute = (int)(local % DAY_S / 60);
    int wd = (int)((local / DAY_S + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
    if (s_day_open(days, wd) && minute >= open && minute < close)
        return now_ms;
    for (int k = 0; k < 8; k++) {
        int d = (wd - 1 + k) % 7 + 1;
        if (!s_day_open(days, d) || (k == 0 && minute >= open))
            continue;
        return (midnight + (int64_t)k * DAY_S + (int64_t)open * 60 - IST_OFFSET_S) * 1000;
    }
    return now_ms;
}

/* s_sub - KEY of O, made an object when absent; borrowed */
static json_t *s_sub(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(o, key, v);
    }
    return v;
}

static void s_range(json_t *f, const char *where, int64_t from_ms, int64_t to_ms)
{
    char a[40], b[40];
    context_format_time(from_ms, a, sizeof a);
    context_format_time(to_ms, b, sizeof b);
    json_object_set_new(s_sub(s_sub(f, where), "time"), "range",
                        json_pack("{s:s,s:s}", "start", a, "end", b));
}

void fulfillment_windows(json_t *f, json_t *location, int64_t now_ms, long ship_s, long deliver_s)
{
    int64_t t0 = fulfillment_open_at(location, now_ms);
    int64_t t1 = t0 + (int64_t)(ship_s > 0 ? ship_s : 0) * 1000;
    int64_t t2 = t1 + (int64_t)(deliver_s > 0 ? deliver_s : 0) * 1000;
    s_range(f, "start", t0, t1);
    s_range(f, "end", t1, t2);
}

static int s_has_tag(json_t *tags, const char *code)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *c = json_string_value(json_object_get(t, "code"));
        if (c && strcmp(c, code) == 0)
            return 1;
    }
    return 0;
}

void fulfillment_tags(json_t *f, const char *routing)
{
    if (!routing || (strcmp(routing, "P2P") != 0 && strcmp(routing, "P2H2P") != 0))
        routing = "P2P";
    json_t *tags = json_object_get(f, "tags");
    if (!json_is_array(tags)) {
        tags = json_array();
        json_object_set_new(f, "tags", tags);
    }
    if (!s_has_tag(tags, "routing"))
        json_array_append_new(tags, json_pack("{s:s,s:[{s:s,s:s}]}", "code", "routing", "list",
                                              "code", "type", "value", routing));
    if (!s_has_tag(tags, "tracking"))
        json_array_append_new(
            tags, json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "code", "tracking", "list", "code",
                            "gps_enabled", "value", "no", "code", "url_enabled", "value",
                            json_is_true(json_object_get(f, "tracking")) ? "yes" : "no"));
}

void fulfillment_stamp(json_t *f, const char *where, const char *ts)
{
    json_object_set_new(s_sub(s_sub(f, where), "time"), "timestamp", json_string(ts));
}

json_t *fulfillment_rto(json_t *f, const char *ts)
{
    const char *fid = json_string_value(json_object_get(f, "id"));
    char id[96];
    snprintf(id, sizeof id, "RTO-%s", fid ? fid : "1");
    json_t *rto = json_pack("{s:s,s:s,s:{s:{s:s},s:s}}", "id", id, "type", "RTO", "state",
                            "descriptor", "code", "RTO-Initiated", "updated_at", ts);
    /* back from the drop-off to the store */
    json_t *drop = json_object_get(f, "end"), *store = json_object_get(f, "start");
    json_t *start = json_object();
    if (json_object_get(drop, "location"))
        json_object_set(start, "location", json_object_get(drop, "location"));
    if (json_object_get(drop, "contact"))
        json_object_set(start, "contact", json_object_get(drop, "contact"));
    json_object_set_new(start, "time", json_pack("{s:s}", "timestamp", ts));
    json_object_set_new(rto, "start", start);
    json_t *end = json_object();
    if (json_object_get(store, "location"))
        json_object_set(end, "location", json_object_get(store, "location"));
    if (json_object_get(store, "contact"))
        json_object_set(end, "contact", json_object_get(store, "contact"));
    json_object_set_new(rto, "end", end);
    return rto;
}
