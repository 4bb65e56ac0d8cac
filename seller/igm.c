/*
 * igm.c - complaints about an order: record, state table, answers,
 * refunds. See igm.h.
 */
#include "igm.h"

#include "catalog.h"
#include "context.h"
#include "igm_check.h"
#include "jarena.h"
#include "jparse.h"
#include "money.h"
#include "order.h"
#include "reply.h"

#include <stdio.h>
#include <string.h>

static const char *const s_states[] = {"OPEN", "PROCESSING", "NEED-MORE-INFO", "RESOLVED",
                                       "CLOSED", NULL};

/* the one table of legal changes: FROM, then what it may become */
static const struct {
    const char *from;
    const char *to[6];
} s_table[] = {
    {"OPEN", {"PROCESSING", "NEED-MORE-INFO", "RESOLVED", "CLOSED", NULL}},
    {"PROCESSING", {"PROCESSING", "NEED-MORE-INFO", "RESOLVED", "OPEN", "CLOSED", NULL}},
    {"NEED-MORE-INFO", {"PROCESSING", "NEED-MORE-INFO", "RESOLVED", "OPEN", "CLOSED", NULL}},
    {"RESOLVED", {"OPEN", "CLOSED", NULL}},
    {"CLOSED", {NULL}},
};

const char *const *igm_states(void)
{
    return s_states;
}

int igm_transition_ok(const char *from, const char *to)
{
    for (size_t i = 0; from && to && i < sizeof s_table / sizeof s_table[0]; i++) {
        if (strcmp(s_table[i].from, from) != 0)
            continue;
        for (int j = 0; s_table[i].to[j]; j++)
            if (strcmp(s_table[i].to[j], to) == 0)
                return 1;
        return 0;
    }
    return 0;
}

int igm_key(const char *issue_id, const char *bap_id, char *out, size_t cap)
{
    if (!issue_id || !bap_id || !*issue_id || !*bap_id || strlen(issue_id) > 128 ||
        strlen(bap_id) > 255)
        return -1;
    for (const char *c = issue_id; *c; c++)
        if ((unsigned char)*c < 0x20)
            return -1;
    int n = snprintf(out, cap, "i/%s\x1f%s", bap_id, issue_id);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

json_t *igm_get_key(store_t *s, MDB_txn *txn, const char *key)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    if (mdb_get(txn, s->dbi[DB_ORDERS], &k, &d) != 0)
        return NULL;
    return jparse(d.mv_data, d.mv_size, 0, NULL);
}

json_t *igm_get(store_t *s, MDB_txn *txn, const char *issue_id, const char *bap_id)
{
    char key[400];
    if (igm_key(issue_id, bap_id, key, sizeof key) < 0)
        return NULL;
    return igm_get_key(s, txn, key);
}

int igm_put(store_t *s, MDB_txn *txn, json_t *rec)
{
    const char *key = json_string_value(json_object_get(rec, "key"));
    size_t n = 0;
    /* the text lives in the message's arena (or this thread's buffer) */
    const char *text = key ? jarena_dumpb(rec, &n) : NULL;
    if (!text)
        return -1;
    MDB_val k = {strlen(key), (void *)key}, d = {n, (void *)text};
    return mdb_put(txn, s->dbi[DB_ORDERS], &k, &d, 0) ? -1 : 0;
}

int igm_scan(store_t *s, MDB_txn *txn, const char *prefix, igm_fn *fn, void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, s->dbi[DB_ORDERS], &cur))
        return -1;
    size_t plen = strlen(prefix);
    MDB_val k = {plen, (void *)prefix}, d;
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        json_t *rec = jparse(d.mv_data, d.mv_size, 0, NULL);
        if (!rec)
            continue;
        int stop = fn(rec, arg);
        json_decref(rec);
        if (stop)
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

int igm_each(store_t *s, MDB_txn *txn, igm_fn *fn, void *arg)
{
    return igm_scan(s, txn, "i/", fn, arg);
}

typedef struct {
    const char *id;
    char (*keys)[400];
    int n, cap;
} s_find_t;

static int s_find_cb(json_t *rec, void *arg)
{
    s_find_t *f = arg;
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *key = json_string_value(json_object_get(rec, "key"));
    if (id && key && strcmp(id, f->id) == 0 && f->n < f->cap)
        snprintf(f->keys[f->n++], 400, "%s", key);
    return f->n >= f->cap;
}

int igm_find(store_t *s, MDB_txn *txn, const char *issue_id, char keys[][400], int cap)
{
    s_find_t f = {issue_id, keys, 0, cap};
    igm_each(s, txn, s_find_cb, &f);
    return f.n;
}

static int64_t s_int(json_t *rec, const char *key)
{
    return json_integer_value(json_object_get(rec, key));
}

static const char *s_sv(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

void igm_overdue(json_t *rec, int64_t now_ms, int *response, int *resolution)
{
    const char *st = s_sv(rec, "state");
    int open = st && strcmp(st, "CLOSED") != 0;
    *response = open && s_int(rec, "answered_ms") == 0 && now_ms > s_int(rec, "respond_by_ms");
    *resolution = open && strcmp(st, "RESOLVED") != 0 && now_ms > s_int(rec, "resolve_by_ms");
}

/* -- who answers: the seller's contacts from the catalog -- */

typedef igm_who_t s_who_t;

static void s_copy(char *dst, size_t cap, const char *src, const char *dflt)
{
    snprintf(dst, cap, "%s", src && *src ? src : dflt);
}

/* s_who - the respondent of REC: the order's provider's seller.support
 * (name, phone, email) and seller.grievance (the grievance officer; the
 * support contact when the catalog names none) */
static void s_who(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, json_t *order_rec,
                  s_who_t *w)
{
    snprintf(w->org, sizeof w->org, "%.255s::%.40s", cfg->subscriber_id,
             s_sv(json_object_get(rec, "context"), "domain") ?: "ONDC:RET10");
    const char *pid = s_sv(json_object_get(json_object_get(order_rec, "order"), "provider"), "id");
    json_t *prov = pid ? catalog_provider(s, txn, pid) : NULL;
    json_t *seller = json_object_get(prov, "seller");
    json_t *sup = json_object_get(seller, "support");
    json_t *gro = json_object_get(seller, "grievance");
    s_copy(w->name, sizeof w->name, s_sv(sup, "name"), "Customer care");
    s_copy(w->phone, sizeof w->phone, s_sv(sup, "phone"), "0000000000");
    s_copy(w->email, sizeof w->email, s_sv(sup, "email"), "support@invalid");
    s_copy(w->gro_name, sizeof w->gro_name, s_sv(gro, "name"), "Grievance officer");
    s_copy(w->gro_phone, sizeof w->gro_phone, s_sv(gro, "phone"), w->phone);
    s_copy(w->gro_email, sizeof w->gro_email, s_sv(gro, "email"), w->email);
    json_decref(prov);
}

void igm_who(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, json_t *order_rec,
             igm_who_t *w)
{
    s_who(s, txn, cfg, rec, order_rec, w);
}

static json_t *s_order_of(store_t *s, MDB_txn *txn, json_t *rec)
{
    const char *k = s_sv(rec, "order_key");
    return k ? order_get(s, txn, k) : NULL;
}

/* -- IGM 1.0.0: respondent actions -- */

static json_t *s_v1_action(const s_who_t *w, const char *action, const char *desc, const char *ts,
                           int gro)
{
    return json_pack("{s:s,s:s,s:s,s:{s:{s:s},s:{s:s,s:s},s:{s:s}},s:i}", "respondent_action",
                     action, "short_desc", desc, "updated_at", ts, "updated_by", "org", "name",
                     w->org, "contact", "phone", gro ? w->gro_phone : w->phone, "email",
                     gro ? w->gro_email : w->email, "person", "name", gro ? w->gro_name : w->name,
                     "cascaded_level", 1);
}

static void s_v1_add(json_t *rec, json_t *action)
{
    json_t *list = json_object_get(rec, "respondent_actions");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(rec, "respondent_actions", list);
    }
    json_array_append_new(list, action);
}

/* s_v1_message - {issue} of an on_issue (FULL 0) or on_issue_status */
static json_t *s_v1_message(json_t *rec, const s_who_t *w, int full)
{
    json_t *issue = json_pack("{s:O,s:{s:O},s:O?,s:O}", "id", json_object_get(rec, "id"),
                              "issue_actions", "respondent_actions",
                              json_object_get(rec, "respondent_actions"), "created_at",
                              json_object_get(json_object_get(rec, "issue"), "created_at"),
                              "updated_at", json_object_get(rec, "updated_at"));
    if (full) {
        json_object_set_new(
            issue, "resolution_provider",
            json_pack("{s:{s:s,s:{s:{s:s},s:{s:s,s:s},s:{s:s}},s:{s:{s:s,s:s},s:[{s:{s:s},s:{s:s,s:s},s:s}]}}}",
                      "respondent_info", "type", "TRANSACTION-COUNTERPARTY-NP", "organization",
                      "org", "name", w->org, "contact", "phone", w->phone, "email", w->email,
                      "person", "name", w->name, "resolution_support", "contact", "phone",
                      w->phone, "email", w->email, "gros", "person", "name", w->gro_name,
                      "contact", "phone", w->gro_phone, "email", w->gro_email, "gro_type",
                      "TRANSACTION-COUNTERPARTY-NP-GRO"));
        if (json_object_get(rec, "resolution"))
            json_object_set(issue, "resolution", json_object_get(rec, "resolution"));
    }
    return json_pack("{s:o}", "issue", issue);
}

/* -- IGM 2.0.0: actions, actors, resolutions -- */

static void s_actor_id(const cfg_t *cfg, int gro, char *out, size_t cap)
{
    snprintf(out, cap, "%.250s%s", cfg->subscriber_id, gro ? "-GRO" : "");
}

static void s_v2_add(json_t *rec, const cfg_t *cfg, const s_who_t *w, const char *code,
                     const char *desc, const char *ts, const char *ref_id, const char *ref_type,
                     int gro)
{
    char id[48], by[300];
    reply_uuid(id);
    s_actor_id(cfg, gro, by, sizeof by);
    json_t *a = json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:{s:s}}", "id", id, "descriptor", "code", code,
                          "short_desc", desc, "updated_at", ts, "action_by", by, "actor_details",
                          "name", gro ? w->gro_name : w->name);
    if (ref_id)
        json_object_set_new(a, "ref_id", json_string(ref_id));
    if (ref_type)
        json_object_set_new(a, "ref_type", json_string(ref_type));
    json_t *list = json_object_get(rec, "actions");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(rec, "actions", list);
    }
    json_array_append_new(list, a);
}

static const char *s_wire_status(const char *state)
{
    if (strcmp(state, "RESOLVED") == 0 || strcmp(state, "CLOSED") == 0 ||
        strcmp(state, "OPEN") == 0)
        return state;
    return "PROCESSING";
}

/* s_v2_message - {update_target, issue} of an on_issue / on_issue_status */
static json_t *s_v2_message(json_t *rec, const cfg_t *cfg, const s_who_t *w)
{
    json_t *issue = json_deep_copy(json_object_get(rec, "issue"));
    json_t *actors = json_object_get(issue, "actors");
    if (!json_is_array(actors)) {
        actors = json_array();
        json_object_set_new(issue, "actors", actors);
    }
    char me[300], gro[300];
    s_actor_id(cfg, 0, me, sizeof me);
    s_actor_id(cfg, 1, gro, sizeof gro);
    int with_gro = json_is_true(json_object_get(rec, "gro"));
    for (int g = 0; g <= with_gro; g++) {
        const char *id = g ? gro : me;
        int have = 0;
        size_t i;
        json_t *a;
        json_array_foreach(actors, i, a)
        {
            have |= s_sv(a, "id") && strcmp(s_sv(a, "id"), id) == 0;
        }
        if (!have)
            json_array_append_new(
                actors, json_pack("{s:s,s:s,s:{s:{s:s},s:{s:s},s:{s:s,s:s}}}", "id", id, "type",
                                  g ? "COUNTERPARTY_NP_GRO" : "COUNTERPARTY_NP", "info", "org",
                                  "name", w->org, "person", "name", g ? w->gro_name : w->name,
                                  "contact", "phone", g ? w->gro_phone : w->phone, "email",
                                  g ? w->gro_email : w->email));
    }
    json_t *resp = json_pack("[s]", me);
    if (with_gro)
        json_array_append_new(resp, json_string(gro));
    json_object_set_new(issue, "respondent_ids", resp);
    json_t *list = json_object_get(rec, "actions");
    json_object_set(issue, "actions", list);
    json_object_set(issue, "last_action_id",
                    json_object_get(json_array_get(list, json_array_size(list) - 1), "id"));
    json_object_set_new(issue, "status", json_string(s_wire_status(s_sv(rec, "state"))));
    json_object_set(issue, "level", json_object_get(rec, "level"));
    json_object_set(issue, "updated_at", json_object_get(rec, "updated_at"));
    json_object_del(issue, "update_target");
    if (json_array_size(json_object_get(rec, "resolutions"))) {
        json_object_set(issue, "resolutions", json_object_get(rec, "resolutions"));
        json_object_set_new(issue, "resolver_ids", json_pack("[s]", with_gro ? gro : me));
    } else {
        json_object_del(issue, "resolutions");
        json_object_del(issue, "resolver_ids");
    }
    return json_pack("{s:[{s:s,s:s}],s:o}", "update_target", "path", "issue.actions", "action",
                     "APPENDED", "issue", issue);
}

static json_t *s_message(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, int full)
{
    s_who_t w = {0};
    json_t *order_rec = s_order_of(s, txn, rec);
    s_who(s, txn, cfg, rec, order_rec, &w);
    json_decref(order_rec);
    return s_int(rec, "version") == 2 ? s_v2_message(rec, cfg, &w) : s_v1_message(rec, &w, full);
}

/* s_windows - the expected response and resolution times of REC's
 * complaint ISSUE, counted from FROM_MS */
static void s_windows(json_t *rec, json_t *issue, int64_t from_ms)
{
    long resp = context_parse_duration(
        s_sv(json_object_get(issue, "expected_response_time"), "duration"));
    long resol = context_parse_duration(
        s_sv(json_object_get(issue, "expected_resolution_time"), "duration"));
    json_object_set_new(rec, "respond_by_ms",
                        json_integer(from_ms + (resp > 0 ? resp : 3600) * 1000LL));
    json_object_set_new(rec, "resolve_by_ms",
                        json_integer(from_ms + (resol > 0 ? resol : 86400) * 1000LL));
    json_object_set_new(rec, "answered_ms", json_integer(0));
}

static int s_move(json_t *rec, const char *to, ondc_err_t *err)
{
    const char *from = s_sv(rec, "state");
    if (!igm_transition_ok(from, to))
        return err_set(err, ERR_TYPE_POLICY, 409, "50000", "", "issue is %s: it cannot become %s",
                       from ? from : "?", to);
    json_object_set_new(rec, "state", json_string(to));
    return 0;
}

/* -- refunds -- */

/* s_refund - take PAISE off REC's order (ORDER_REC, stored): a quote row,
 * a settlement entry to the buyer, updated_at TS. -1 with ERR when the
 * order's total is smaller. */
static int s_refund(store_t *s, MDB_txn *txn, json_t *rec, json_t *order_rec, int64_t paise,
                    const char *item_id, const char *ts, ondc_err_t *err)
{
    json_t *order = json_object_get(order_rec, "order");
    json_t *quote = json_object_get(order, "quote");
    int64_t total = 0;
    money_parse_json(json_object_get(json_object_get(quote, "price"), "value"), &total);
    char amt[32], tot[32];
    money_format(paise, amt, sizeof amt);
    money_format(total, tot, sizeof tot);
    if (paise <= 0 || paise > total)
        return err_set(err, ERR_TYPE_POLICY, 400, "50000", "refund_amount",
                       "refund_amount %s must be more than 0 and at most the order's total %s",
                       amt, tot);
    char title[200];
    snprintf(title, sizeof title, "Refund for issue %.150s", s_sv(rec, "id"));
    json_t *breakup = json_object_get(quote, "breakup");
    if (!json_is_array(breakup)) {
        breakup = json_array();
        json_object_set_new(quote, "breakup", breakup);
    }
    json_array_append_new(breakup, json_pack("{s:s,s:s,s:s,s:o}", "@ondc/org/item_id",
                                             item_id ? item_id : s_sv(rec, "order_id"),
                                             "@ondc/org/title_type", "refund", "title", title,
                                             "price", money_json(-paise)));
    json_object_set_new(quote, "price", money_json(total - paise));
    json_t *pay = json_object_get(order, "payment");
    if (json_is_object(pay)) {
        json_t *sd = json_object_get(pay, "@ondc/org/settlement_details");
        if (!json_is_array(sd)) {
            sd = json_array();
            json_object_set_new(pay, "@ondc/org/settlement_details", sd);
        }
        json_array_append_new(sd, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
                                            "settlement_counterparty", "buyer", "settlement_phase",
                                            "refund", "settlement_type", "upi", "settlement_amount",
                                            amt, "settlement_reference", s_sv(rec, "id"),
                                            "settlement_status", "NOT-PAID", "settlement_timestamp",
                                            ts));
    }
    json_object_set_new(order, "updated_at", json_string(ts));
    json_object_set_new(rec, "refund", json_integer(s_int(rec, "refund") + paise));
    if (order_put(s, txn, order_rec) < 0)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the order");
    return 0;
}

/* s_first_item - the item the complaint names (1.0.0 order_details.items,
 * 2.0.0 an ITEM ref), borrowed; NULL if none */
static const char *s_first_item(json_t *rec)
{
    json_t *issue = json_object_get(rec, "issue");
    const char *id = s_sv(json_array_get(json_object_get(json_object_get(issue, "order_details"), "items"), 0), "id");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(issue, "refs"), i, r)
    {
        if (!id && s_sv(r, "ref_type") && strcmp(s_sv(r, "ref_type"), "ITEM") == 0)
            id = s_sv(r, "ref_id");
    }
    return id;
}

/* -- opening an issue on an order -- */

static int s_has(json_t *list, const char *key, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *x = s_sv(v, key);
        if (x && id && strcmp(x, id) == 0)
            return 1;
    }
    return 0;
}

/* s_open - a new issue REC for REQ on the buyer app's order: the order,
 * provider, items and fulfillments it names must be the buyer app's */
static json_t *s_open(store_t *s, MDB_txn *txn, json_t *req, int version, int64_t ts_ms,
                      json_t **order_out, ondc_err_t *err)
{
    json_t *ctx = json_object_get(req, "context");
    json_t *issue = json_object_get(json_object_get(req, "message"), "issue");
    const char *bap = s_sv(ctx, "bap_id");
    const char *oid = NULL, *pid = NULL;
    const char *opath = "message.issue.order_details.id", *ppath =
                                                            "message.issue.order_details.provider_id";
    json_t *items = json_array(), *fuls = json_array(); /* {id, path} */
    if (version == 1) {
        json_t *od = json_object_get(issue, "order_details");
        oid = s_sv(od, "id");
        pid = s_sv(od, "provider_id");
        size_t i;
        json_t *v;
        char p[96];
        json_array_foreach(json_object_get(od, "items"), i, v)
        {
            snprintf(p, sizeof p, "message.issue.order_details.items[%zu].id", i);
            json_array_append_new(items, json_pack("{s:s?,s:s}", "id", s_sv(v, "id"), "path", p));
        }
        json_array_foreach(json_object_get(od, "fulfillments"), i, v)
        {
            snprintf(p, sizeof p, "message.issue.order_details.fulfillments[%zu].id", i);
            json_array_append_new(fuls, json_pack("{s:s?,s:s}", "id", s_sv(v, "id"), "path", p));
        }
    } else {
        size_t i;
        json_t *v;
        char p[96];
        json_array_foreach(json_object_get(issue, "refs"), i, v)
        {
            const char *t = s_sv(v, "ref_type");
            snprintf(p, sizeof p, "message.issue.refs[%zu].ref_id", i);
            if (strcmp(t, "ORDER") == 0 && !oid) {
                oid = s_sv(v, "ref_id");
                opath = "message.issue.refs[ORDER].ref_id";
            } else if (strcmp(t, "PROVIDER") == 0 && !pid) {
                pid = s_sv(v, "ref_id");
                ppath = "message.issue.refs[PROVIDER].ref_id";
            } else if (strcmp(t, "ITEM") == 0) {
                json_array_append_new(items, json_pack("{s:s,s:s}", "id", s_sv(v, "ref_id"), "path", p));
            } else if (strcmp(t, "FULFILLMENT") == 0) {
                json_array_append_new(fuls, json_pack("{s:s,s:s}", "id", s_sv(v, "ref_id"), "path", p));
            }
        }
    }
    json_t *rec = NULL, *order_rec = NULL;
    char okey[400];
    if (order_key(oid, bap, okey, sizeof okey) == 0)
        order_rec = order_get(s, txn, okey);
    /* another buyer app's order is answered as one that does not exist */
    if (!order_rec) {
        err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_ORDER, opath, "order %.100s not found",
                oid ? oid : "");
        goto out;
    }
    json_t *order = json_object_get(order_rec, "order");
    const char *opid = s_sv(json_object_get(order, "provider"), "id");
    if (pid && (!opid || strcmp(pid, opid) != 0)) {
        err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_ORDER, ppath,
                "order %.100s is not provider %.100s's", oid, pid);
        goto out;
    }
    const char *otid = s_sv(order_rec, "transaction_id");
    if (otid && strcmp(otid, s_sv(ctx, "transaction_id")) != 0) {
        err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_TRANSACTION, "context.transaction_id",
                "an issue goes on its order's transaction (%.100s)", otid);
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        if (!s_has(json_object_get(order, "items"), "id", s_sv(v, "id"))) {
            err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_ITEM, s_sv(v, "path"),
                    "item %.100s is not in order %.100s", s_sv(v, "id"), oid);
            goto out;
        }
    }
    json_array_foreach(fuls, i, v)
    {
        if (!s_has(json_object_get(order, "fulfillments"), "id", s_sv(v, "id"))) {
            err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_FULFILLMENT, s_sv(v, "path"),
                    "fulfillment %.100s is not in order %.100s", s_sv(v, "id"), oid);
            goto out;
        }
    }
    char key[400];
    if (igm_key(s_sv(issue, "id"), bap, key, sizeof key) < 0) {
        err_set(err, ERR_TYPE_JSON_SCHEMA, 400, IGM_ERR_SCHEMA, "message.issue.id",
                "message.issue.id is too long");
        goto out;
    }
    rec = json_pack("{s:s,s:O,s:s,s:i,s:s,s:s,s:O,s:s,s:s,s:I,s:I}", "key", key, "id",
                    json_object_get(issue, "id"), "bap_id", bap, "version", version, "order_key",
                    okey, "order_id", oid, "transaction_id", json_object_get(ctx, "transaction_id"),
                    "state", "OPEN", "level", "ISSUE", "created_ms", (json_int_t)ts_ms, "refund",
                    (json_int_t)0);
    if (version == 1 && s_sv(issue, "issue_type") && strcmp(s_sv(issue, "issue_type"), "ISSUE") != 0)
        json_object_set(rec, "level", json_object_get(issue, "issue_type"));
    if (version == 2)
        json_object_set(rec, "level", json_object_get(issue, "level"));
    s_windows(rec, issue, ts_ms);
    *order_out = order_rec;
    order_rec = NULL;
out:
    json_decref(order_rec);
    json_decref(items);
    json_decref(fuls);
    return rec;
}

/* s_escalate - the complainant escalates REC to a grievance: OPEN again,
 * the clocks restart from TS_MS */
static int s_escalate(json_t *rec, json_t *issue, int64_t ts_ms, ondc_err_t *err)
{
    const char *level = s_sv(rec, "level");
    if (level && strcmp(level, "ISSUE") != 0)
        return err_set(err, ERR_TYPE_POLICY, 400, IGM_ERR_ESCALATION, "message.issue",
                       "the issue is already a %s: a dispute goes to online dispute resolution",
                       level);
    if (!igm_transition_ok(s_sv(rec, "state"), "OPEN"))
        return err_set(err, ERR_TYPE_POLICY, 400, IGM_ERR_ESCALATION, "message.issue",
                       "issue is %s: it cannot be escalated", s_sv(rec, "state"));
    json_object_set_new(rec, "state", json_string("OPEN"));
    json_object_set_new(rec, "level", json_string("GRIEVANCE"));
    json_object_set_new(rec, "gro", json_true());
    json_object_del(rec, "proposed");
    s_windows(rec, issue, ts_ms);
    return 0;
}

/* s_v1_request - the 1.0.0 complainant action on an existing REC */
static int s_v1_request(json_t *rec, json_t *issue, const s_who_t *w, const char *ts,
                        int64_t ts_ms, int *no_reply, ondc_err_t *err)
{
    json_t *acts = json_object_get(json_object_get(issue, "issue_actions"), "complainant_actions");
    const char *last =
        s_sv(json_array_get(acts, json_array_size(acts) - 1), "complainant_action");
    const char *state = s_sv(rec, "state");
    if (strcmp(last, "CLOSE") == 0) {
        if (s_move(rec, "CLOSED", err) < 0)
            return -1;
        if (json_object_get(issue, "rating"))
            json_object_set(rec, "rating", json_object_get(issue, "rating"));
        *no_reply = 1;
        return 0;
    }
    if (strcmp(last, "ESCALATE") == 0) {
        if (s_escalate(rec, issue, ts_ms, err) < 0 || s_move(rec, "PROCESSING", err) < 0)
            return -1;
        s_v1_add(rec, s_v1_action(w, "PROCESSING", "Grievance received: with the grievance officer",
                                  ts, 1));
        return 0;
    }
    /* OPEN again: the information asked for, or a repeat */
    if (strcmp(state, "NEED-MORE-INFO") == 0) {
        if (s_move(rec, "PROCESSING", err) < 0)
            return -1;
        s_v1_add(rec, s_v1_action(w, "PROCESSING", "Information received: being processed", ts, 0));
    } else if (strcmp(state, "CLOSED") == 0) {
        return err_set(err, ERR_TYPE_POLICY, 400, ERR_INVALID_REQUEST, "message.issue.id",
                       "issue %.100s is closed", s_sv(rec, "id"));
    }
    return 0;
}

/* s_accept - the complainant accepted resolution RID (2.0.0): resolved,
 * and a refund taken off the order */
static int s_accept(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, const s_who_t *w,
                    const char *rid, const char *path, const char *ts, json_t **order_update,
                    ondc_err_t *err)
{
    json_t *res = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(rec, "resolutions"), i, r)
    {
        if (rid && s_sv(r, "id") && strcmp(s_sv(r, "id"), rid) == 0)
            res = r;
    }
    if (!res || !s_sv(rec, "proposed"))
        return err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_SCHEMA, path,
                       "%.60s is not a resolution on offer", rid ? rid : "(none)");
    if (s_move(rec, "RESOLVED", err) < 0)
        return -1;
    const char *code = s_sv(json_object_get(res, "descriptor"), "code");
    if (code && strcmp(code, "REFUND") == 0) {
        int64_t paise = 0;
        json_t *t;
        size_t j, k;
        json_t *kv;
        json_array_foreach(json_object_get(res, "tags"), j, t)
        {
            json_array_foreach(json_object_get(t, "list"), k, kv)
            {
                if (s_sv(json_object_get(kv, "descriptor"), "code") &&
                    strcmp(s_sv(json_object_get(kv, "descriptor"), "code"), "REFUND_AMOUNT") == 0)
                    money_parse_json(json_object_get(kv, "value"), &paise);
            }
        }
        json_t *order_rec = s_order_of(s, txn, rec);
        if (!order_rec || s_refund(s, txn, rec, order_rec, paise, s_first_item(rec), ts, err) < 0) {
            json_decref(order_rec);
            if (!order_rec)
                err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_ORDER, path, "the order is gone");
            return -1;
        }
        *order_update = order_rec;
    }
    json_object_del(rec, "proposed");
    s_v2_add(rec, cfg, w, "RESOLVED", s_sv(json_object_get(res, "descriptor"), "short_desc") ?: "Resolved",
             ts, rid, "RESOLUTIONS", json_is_true(json_object_get(rec, "gro")));
    return 0;
}

/* s_v2_request - the 2.0.0 complainant's new actions on an existing REC */
static int s_v2_request(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, json_t *issue,
                        const s_who_t *w, const char *ts, int64_t ts_ms, int *no_reply,
                        json_t **order_update, ondc_err_t *err)
{
    json_t *mine = json_object_get(rec, "actions");
    const char *code = NULL, *ref = NULL;
    char path[96] = "message.issue.actions";
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(issue, "actions"), i, a)
    {
        if (s_has(mine, "id", s_sv(a, "id")))
            continue;
        json_array_append(mine, a);
        code = s_sv(json_object_get(a, "descriptor"), "code");
        ref = s_sv(a, "ref_id");
        snprintf(path, sizeof path, "message.issue.actions[%zu].ref_id", i);
    }
    int gro = json_is_true(json_object_get(rec, "gro"));
    const char *lvl = s_sv(issue, "level");
    if (lvl && strcmp(lvl, "ISSUE") != 0 && strcmp(s_sv(rec, "level"), "ISSUE") == 0) {
        if (s_escalate(rec, issue, ts_ms, err) < 0 || s_move(rec, "PROCESSING", err) < 0)
            return -1;
        s_v2_add(rec, cfg, w, "PROCESSING", "Grievance received: with the grievance officer", ts,
                 NULL, NULL, 1);
        return 0;
    }
    if (!code)
        return strcmp(s_sv(rec, "state"), "CLOSED") == 0
                   ? err_set(err, ERR_TYPE_POLICY, 400, ERR_INVALID_REQUEST, "message.issue.id",
                             "issue %.100s is closed", s_sv(rec, "id"))
                   : 0;
    if (strcmp(code, "CLOSED") == 0 || strcmp(code, "CLOSE") == 0) {
        if (s_move(rec, "CLOSED", err) < 0)
            return -1;
        *no_reply = 1;
        return 0;
    }
    if (strcmp(code, "RESOLUTION_ACCEPTED") == 0)
        return s_accept(s, txn, cfg, rec, w, ref, path, ts, order_update, err);
    if (strcmp(code, "INFO_PROVIDED") == 0 || strcmp(code, "INFO_NOT_AVAILABLE") == 0 ||
        strcmp(code, "RESOLUTION_REJECTED") == 0) {
        if (s_move(rec, "PROCESSING", err) < 0)
            return -1;
        json_object_del(rec, "proposed");
        s_v2_add(rec, cfg, w, "PROCESSING",
                 strcmp(code, "RESOLUTION_REJECTED") == 0 ? "Resolution rejected: being processed"
                                                           : "Information received: being processed",
                 ts, NULL, NULL, gro);
        return 0;
    }
    return 0; /* an action the seller only records */
}

int igm_request(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *req, int64_t ts_ms,
                json_t **message, json_t **order_update, ondc_err_t *err)
{
    *message = NULL;
    *order_update = NULL;
    json_t *ctx = json_object_get(req, "context");
    json_t *issue = json_object_get(json_object_get(req, "message"), "issue");
    int version = igm_version(issue);
    char ts[40];
    context_format_time(ts_ms, ts, sizeof ts);
    json_t *order_rec = NULL;
    json_t *rec = igm_get(s, txn, s_sv(issue, "id"), s_sv(ctx, "bap_id"));
    int no_reply = 0, rc = -1;
    s_who_t w = {0};
    memset(&w, 0, sizeof w);
    if (!rec) {
        const char *first;
        if (version == 1) {
            json_t *acts =
                json_object_get(json_object_get(issue, "issue_actions"), "complainant_actions");
            first = s_sv(json_array_get(acts, json_array_size(acts) - 1), "complainant_action");
        } else {
            first = s_sv(issue, "status");
        }
        if (strcmp(first, "OPEN") != 0) {
            err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_NO_ISSUE, "message.issue.id",
                    "issue %.100s is not known: a complaint starts OPEN", s_sv(issue, "id"));
            goto out;
        }
        if (!(rec = s_open(s, txn, req, version, ts_ms, &order_rec, err)))
            goto out;
        s_who(s, txn, cfg, rec, order_rec, &w);
        if (s_move(rec, "PROCESSING", err) < 0)
            goto out;
        if (version == 1) {
            s_v1_add(rec, s_v1_action(&w, "PROCESSING", "Complaint received: being processed", ts, 0));
        } else {
            json_object_set(rec, "actions", json_object_get(issue, "actions"));
            s_v2_add(rec, cfg, &w, "PROCESSING", "Complaint received: being processed", ts, NULL,
                     NULL, 0);
        }
    } else {
        if ((int)s_int(rec, "version") != version) {
            err_set(err, ERR_TYPE_JSON_SCHEMA, 400, IGM_ERR_SCHEMA, "message.issue",
                    "issue %.100s was opened with IGM %s", s_sv(rec, "id"),
                    s_int(rec, "version") == 2 ? "2.0.0" : "1.0.0");
            goto out;
        }
        order_rec = s_order_of(s, txn, rec);
        s_who(s, txn, cfg, rec, order_rec, &w);
        if (version == 1 ? s_v1_request(rec, issue, &w, ts, ts_ms, &no_reply, err)
                         : s_v2_request(s, txn, cfg, rec, issue, &w, ts, ts_ms, &no_reply,
                                        order_update, err))
            goto out;
    }
    json_object_set(rec, "issue", issue);
    json_object_set(rec, "context", ctx);
    json_object_set_new(rec, "updated_at", json_string(ts));
    if (igm_put(s, txn, rec) < 0) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the issue");
        goto out;
    }
    if (!no_reply)
        *message = version == 2 ? s_v2_message(rec, cfg, &w) : s_v1_message(rec, &w, 0);
    rc = 0;
out:
    if (rc < 0 && *order_update) {
        json_decref(*order_update);
        *order_update = NULL;
    }
    json_decref(order_rec);
    json_decref(rec);
    return rc;
}

json_t *igm_status(store_t *s, MDB_txn *txn, const cfg_t *cfg, const char *issue_id,
                   const char *bap_id, ondc_err_t *err)
{
    json_t *rec = igm_get(s, txn, issue_id, bap_id);
    if (!rec) {
        err_set(err, ERR_TYPE_DOMAIN, 400, IGM_ERR_NO_ISSUE, "message.issue_id",
                "issue %.100s not found", issue_id ? issue_id : "");
        return NULL;
    }
    json_t *msg = s_message(s, txn, cfg, rec, 1);
    json_decref(rec);
    return msg;
}

int igm_desk_parse(const char *verb)
{
    static const char *verbs[] = {"processing", "need-info", "resolve", "escalate", "close"};
    for (int i = 0; verb && i < (int)(sizeof verbs / sizeof verbs[0]); i++)
        if (strcmp(verb, verbs[i]) == 0)
            return i;
    return -1;
}

static const char *s_body_str(json_t *body, const char *key, const char *dflt)
{
    const char *v = s_sv(body, key);
    return v && *v ? v : dflt;
}

/* s_resolve - the seller's resolution on REC: 1.0.0 resolves at once
 * (refund taken), 2.0.0 offers it for the complainant to accept */
static int s_resolve(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, json_t *order_rec,
                     const s_who_t *w, json_t *body, const char *ts, int *refunded,
                     ondc_err_t *err)
{
    static const char *const acts[] = {"REFUND", "REPLACEMENT", "RETURN", "CANCEL", "NO-ACTION"};
    const char *act = s_sv(body, "action");
    int ok = 0;
    for (size_t i = 0; act && i < sizeof acts / sizeof acts[0]; i++)
        ok |= strcmp(act, acts[i]) == 0;
    if (!ok)
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "action",
                       "action must be REFUND, REPLACEMENT, RETURN, CANCEL or NO-ACTION");
    int64_t paise = 0;
    json_t *amount = json_object_get(body, "refund_amount");
    int refund = strcmp(act, "REFUND") == 0;
    if (refund ? (money_parse_json(amount, &paise) < 0 || paise <= 0) : amount != NULL)
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "refund_amount",
                       refund ? "refund_amount (a decimal amount above 0) is required for REFUND"
                              : "refund_amount goes with REFUND only");
    const char *sd = s_body_str(body, "short_desc", refund ? "Refund to be initiated" : act);
    char amt[32];
    money_format(paise, amt, sizeof amt);
    int gro = json_is_true(json_object_get(rec, "gro"));
    if (s_int(rec, "version") == 1) {
        if (s_move(rec, "RESOLVED", err) < 0)
            return -1;
        if (refund && s_refund(s, txn, rec, order_rec, paise, s_first_item(rec), ts, err) < 0)
            return -1;
        json_t *res = json_pack("{s:s,s:s}", "short_desc", sd, "action_triggered", act);
        if (s_sv(body, "long_desc"))
            json_object_set(res, "long_desc", json_object_get(body, "long_desc"));
        if (refund)
            json_object_set_new(res, "refund_amount", json_string(amt));
        json_object_set_new(rec, "resolution", res);
        s_v1_add(rec, s_v1_action(w, "RESOLVED", sd, ts, gro));
        *refunded = refund;
        return 0;
    }
    /* 2.0.0: the state stays until the complainant accepts */
    const char *st = s_sv(rec, "state");
    if (!igm_transition_ok(st, "RESOLVED") || s_sv(rec, "proposed"))
        return err_set(err, ERR_TYPE_POLICY, 409, "50000", "",
                       s_sv(rec, "proposed") ? "a resolution is already on offer"
                                             : "issue is %s: it cannot be resolved",
                       st);
    if (refund) {
        int64_t total = 0;
        money_parse_json(json_object_get(json_object_get(json_object_get(json_object_get(order_rec, "order"), "quote"), "price"), "value"), &total);
        if (paise > total)
            return err_set(err, ERR_TYPE_POLICY, 400, "50000", "refund_amount",
                           "refund_amount %s is more than the order's total", amt);
    }
    char rid[48], me[300];
    snprintf(rid, sizeof rid, "R%zu", json_array_size(json_object_get(rec, "resolutions")) + 1);
    s_actor_id(cfg, gro, me, sizeof me);
    json_t *res = json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:[{s:{s:s},s:[]}]}", "id", rid,
                            "descriptor", "code", act, "short_desc", sd, "updated_at", ts,
                            "proposed_by", me, "tags", "descriptor", "code", "RESOLUTION_DETAILS",
                            "list");
    json_t *list = json_object_get(json_array_get(json_object_get(res, "tags"), 0), "list");
    const char *item = s_first_item(rec);
    if (item)
        json_array_append_new(list, json_pack("{s:{s:s},s:s}", "descriptor", "code", "ITEM",
                                              "value", item));
    if (refund)
        json_array_append_new(list, json_pack("{s:{s:s},s:s}", "descriptor", "code",
                                              "REFUND_AMOUNT", "value", amt));
    json_t *all = json_object_get(rec, "resolutions");
    if (!json_is_array(all)) {
        all = json_array();
        json_object_set_new(rec, "resolutions", all);
    }
    json_array_append_new(all, res);
    json_object_set_new(rec, "proposed", json_string(rid));
    if (s_move(rec, "PROCESSING", err) < 0)
        return -1;
    s_v2_add(rec, cfg, w, "RESOLUTION_PROPOSED", sd, ts, rid, "RESOLUTIONS", gro);
    return 0;
}

int igm_desk(store_t *s, MDB_txn *txn, const cfg_t *cfg, json_t *rec, igm_desk_t what,
             json_t *body, int64_t now_ms, uint64_t outbox[2], ondc_err_t *err)
{
    outbox[0] = outbox[1] = 0;
    char ts[40];
    context_format_time(now_ms, ts, sizeof ts);
    json_t *order_rec = s_order_of(s, txn, rec);
    s_who_t w = {0};
    s_who(s, txn, cfg, rec, order_rec, &w);
    int v2 = s_int(rec, "version") == 2, gro = json_is_true(json_object_get(rec, "gro"));
    int refunded = 0, rc = -1;
    const char *note = s_body_str(body, "note", NULL);
    switch (what) {
    case IGM_DESK_PROCESSING:
        if (s_move(rec, "PROCESSING", err) < 0)
            goto out;
        if (v2)
            s_v2_add(rec, cfg, &w, "PROCESSING", note ? note : "Complaint being processed", ts, NULL,
                     NULL, gro);
        else
            s_v1_add(rec, s_v1_action(&w, "PROCESSING", note ? note : "Complaint being processed", ts, gro));
        break;
    case IGM_DESK_NEED_INFO: {
        const char *info = s_body_str(body, "info", NULL);
        if (!info) {
            err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "info",
                    "info (what the complainant should send) is required");
            goto out;
        }
        if (s_move(rec, "NEED-MORE-INFO", err) < 0)
            goto out;
        if (v2)
            s_v2_add(rec, cfg, &w, "INFO_REQUESTED", info, ts, NULL, NULL, gro);
        else
            s_v1_add(rec, s_v1_action(&w, "NEED-MORE-INFO", info, ts, gro));
        break;
    }
    case IGM_DESK_RESOLVE:
        if (!order_rec) {
            err_set(err, ERR_TYPE_DOMAIN, 409, IGM_ERR_ORDER, "", "the issue's order is gone");
            goto out;
        }
        if (s_resolve(s, txn, cfg, rec, order_rec, &w, body, ts, &refunded, err) < 0)
            goto out;
        json_object_set_new(rec, "resolved_ms", json_integer(now_ms));
        break;
    case IGM_DESK_ESCALATE: {
        const char *level = s_sv(rec, "level");
        if (gro || (level && strcmp(level, "ISSUE") != 0)) {
            err_set(err, ERR_TYPE_POLICY, 409, IGM_ERR_ESCALATION, "",
                    "the issue is already with the grievance officer");
            goto out;
        }
        const char *st = s_sv(rec, "state");
        if (strcmp(st, "RESOLVED") == 0 || s_move(rec, "PROCESSING", err) < 0) {
            if (strcmp(st, "RESOLVED") == 0)
                err_set(err, ERR_TYPE_POLICY, 409, "50000", "", "issue is %s: it cannot be escalated", st);
            goto out;
        }
        json_object_set_new(rec, "gro", json_true());
        json_object_set_new(rec, "level", json_string("GRIEVANCE"));
        if (v2)
            s_v2_add(rec, cfg, &w, "PROCESSING", note ? note : "Escalated to the grievance officer",
                     ts, NULL, NULL, 1);
        else
            s_v1_add(rec, s_v1_action(&w, "PROCESSING",
                                      note ? note : "Escalated to the grievance officer", ts, 1));
        break;
    }
    case IGM_DESK_CLOSE:
        if (strcmp(s_sv(rec, "state"), "RESOLVED") != 0) {
            err_set(err, ERR_TYPE_POLICY, 409, "50000", "",
                    "issue is %s: only a resolved issue is closed by the seller", s_sv(rec, "state"));
            goto out;
        }
        if (s_move(rec, "CLOSED", err) < 0)
            goto out;
        if (v2)
            s_v2_add(rec, cfg, &w, "CLOSED", note ? note : "Complaint closed", ts, NULL, NULL, gro);
        break;
    }
    if (!s_int(rec, "answered_ms"))
        json_object_set_new(rec, "answered_ms", json_integer(now_ms));
    json_object_set_new(rec, "updated_at", json_string(ts));
    json_t *msg = v2 ? s_v2_message(rec, cfg, &w) : s_v1_message(rec, &w, 1);
    json_t *ctx = reply_unsolicited_context(cfg, json_object_get(rec, "context"),
                                            v2 ? "on_issue" : "on_issue_status", now_ms);
    int bad = !msg || !ctx || igm_put(s, txn, rec) < 0 ||
              reply_put(s, txn, cfg, 0, 0, ctx, msg, NULL, now_ms, &outbox[0]) < 0 ||
              (refunded && order_send(s, txn, cfg, order_rec, "on_update", now_ms, &outbox[1]) < 0);
    json_decref(msg);
    json_decref(ctx);
    if (bad) {
        err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not store the issue");
        goto out;
    }
    rc = 0;
out:
    json_decref(order_rec);
    return rc;
}

typedef struct {
    igm_stats_t *st;
    int64_t now;
} s_stats_t;

static int s_stats_cb(json_t *rec, void *arg)
{
    s_stats_t *x = arg;
    const char *state = s_sv(rec, "state");
    for (int i = 0; state && s_states[i]; i++)
        if (strcmp(state, s_states[i]) == 0)
            x->st->by_state[i]++;
    int resp, resol;
    igm_overdue(rec, x->now, &resp, &resol);
    x->st->overdue_response += (uint64_t)resp;
    x->st->overdue_resolution += (uint64_t)resol;
    return 0;
}

int igm_stats(store_t *s, MDB_txn *txn, int64_t now_ms, igm_stats_t *st)
{
    memset(st, 0, sizeof *st);
    s_stats_t x = {st, now_ms};
    return igm_each(s, txn, s_stats_cb, &x);
}
