/*
 * catalog_sync.c - a catalog safe to sync: required seller terms, no
 * unknown keys in them, amounts as strings, honest MRPs, and the stock
 * rule of an import. See catalog_sync.h.
 */
#include "catalog_sync.h"

#include "catalog.h"
#include "customize.h"
#include "money.h"

#include <stdio.h>
#include <string.h>

#define SYNC_ERR(...) err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, path, __VA_ARGS__)

/* The seller's terms as the node reads them: each key, and for an object
 * the keys it may hold (NULL: any value). Anything else is a typo. */
typedef struct {
    const char *key;
    const char *const *inner; /* NULL-terminated; NULL when not an object of known keys */
} s_term_t;

static const char *const s_charges[] = {"delivery", "packing", "tax_percent", "discount", NULL};
static const char *const s_payment[] = {"types", "buyer_app_finder_fee_type",
                                        "buyer_app_finder_fee_amount", NULL};
static const char *const s_settlement[] = {"basis", "window", "withholding_amount",
                                           "return_window", "details", NULL};
static const char *const s_contact[] = {"name", "phone", "email", "uri", NULL};
static const s_term_t s_terms[] = {
    {"domain", NULL},      {"charges", s_charges},     {"payment", s_payment},
    {"settlement", s_settlement}, {"support", s_contact}, {"grievance", s_contact},
    {"tax_number", NULL},  {"provider_tax_number", NULL}, {"np_tax_number", NULL},
    {"invoice_url", NULL}, {"tracking", NULL},         {"routing", NULL},
    {"delivery_time", NULL},
};

/* a settlement detail's keys (ONDC's @ondc/org/settlement_details) */
static const char *const s_detail[] = {
    "settlement_counterparty", "settlement_phase", "settlement_type", "beneficiary_name",
    "settlement_bank_account_no", "settlement_ifsc_code", "bank_name", "branch_name",
    "upi_address", "beneficiary_address", "settlement_status", "settlement_reference",
    "settlement_timestamp", NULL};

static int s_listed(const char *const *names, const char *k)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], k) == 0)
            return 1;
    return 0;
}

/* s_only - every key of OBJ is in NAMES; -1 with ERR naming BASE.key */
static int s_only(json_t *obj, const char *const *names, const char *base, ondc_err_t *err)
{
    const char *k;
    json_t *v;
    char path[600];
    json_object_foreach(obj, k, v)
    {
        (void)v;
        if (s_listed(names, k))
            continue;
        char known[400] = "";
        size_t n = 0;
        for (size_t i = 0; names[i] && n < sizeof known; i++)
            n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "", names[i]);
        snprintf(path, sizeof path, "%s.%s", base, k);
        return SYNC_ERR("%s: unknown key (known: %s)", path, known);
    }
    return 0;
}

/* s_amount_ok - V absent, or a non-negative decimal amount as a string */
static int s_amount_ok(json_t *v, int64_t *paise)
{
    int64_t p = 0;
    if (!v)
        return 1;
    if (!json_is_string(v) || money_parse_json(v, &p) < 0 || p < 0)
        return 0;
    if (paise)
        *paise = p;
    return 1;
}

static int s_check_amount(json_t *obj, const char *key, const char *base, ondc_err_t *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s.%s", base, key);
    if (!s_amount_ok(json_object_get(obj, key), NULL))
        return SYNC_ERR("%s: must be a non-negative decimal amount as a string (\"10.00\"), "
                        "not a number",
                        path);
    return 0;
}

static int s_check_settlement(json_t *st, const char *base, ondc_err_t *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s.details", base);
    json_t *details = json_object_get(st, "details");
    if (!json_is_array(details) || json_array_size(details) == 0)
        return SYNC_ERR("%s: is required: where the money for an order goes (settlement_counterparty, "
                        "settlement_type and its account)",
                        path);
    size_t i;
    json_t *d;
    json_array_foreach(details, i, d)
    {
        char db[300];
        snprintf(db, sizeof db, "%s.details[%zu]", base, i);
        snprintf(path, sizeof path, "%s", db);
        if (!json_is_object(d))
            return SYNC_ERR("%s: must be an object", path);
        if (s_only(d, s_detail, db, err) < 0)
            return -1;
        static const char *need[] = {"settlement_counterparty", "settlement_type"};
        for (size_t k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "%s.%s", db, need[k]);
            json_t *v = json_object_get(d, need[k]);
            if (!json_is_string(v) || !json_string_length(v))
                return SYNC_ERR("%s: is required", path);
        }
        const char *type = json_string_value(json_object_get(d, "settlement_type"));
        const char *acct[3] = {NULL, NULL, NULL};
        if (strcmp(type, "neft") == 0 || strcmp(type, "rtgs") == 0) {
            acct[0] = "settlement_bank_account_no";
            acct[1] = "settlement_ifsc_code";
        } else if (strcmp(type, "upi") == 0) {
            acct[0] = "upi_address";
        } else {
            snprintf(path, sizeof path, "%s.settlement_type", db);
            return SYNC_ERR("%s: must be neft, rtgs or upi", path);
        }
        for (size_t k = 0; acct[k]; k++) {
            snprintf(path, sizeof path, "%s.%s", db, acct[k]);
            json_t *v = json_object_get(d, acct[k]);
            if (!json_is_string(v) || !json_string_length(v))
                return SYNC_ERR("%s: is required for settlement_type %s", path, type);
        }
    }
    return s_check_amount(st, "withholding_amount", base, err);
}

static int s_check_seller(json_t *seller, const char *base, ondc_err_t *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s", base);
    if (!json_is_object(seller))
        return SYNC_ERR("%s: is required: the seller's terms (settlement, payment, charges)", path);
    const char *k;
    json_t *v;
    json_object_foreach(seller, k, v)
    {
        const s_term_t *t = NULL;
        for (size_t i = 0; i < sizeof s_terms / sizeof s_terms[0]; i++)
            if (strcmp(s_terms[i].key, k) == 0)
                t = &s_terms[i];
        snprintf(path, sizeof path, "%s.%s", base, k);
        if (!t) {
            char known[400] = "";
            size_t n = 0;
            for (size_t i = 0; i < sizeof s_terms / sizeof s_terms[0] && n < sizeof known; i++)
                n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "",
                                      s_terms[i].key);
            return SYNC_ERR("%s: unknown key (known: %s)", path, known);
        }
        if (!t->inner)
            continue;
        if (!json_is_object(v))
            return SYNC_ERR("%s: must be an object", path);
        if (s_only(v, t->inner, path, err) < 0)
            return -1;
    }
    char sub[256];
    snprintf(sub, sizeof sub, "%s.charges", base);
    json_t *ch = json_object_get(seller, "charges");
    for (size_t i = 0; s_charges[i]; i++)
        if (s_check_amount(ch, s_charges[i], sub, err) < 0)
            return -1;
    snprintf(sub, sizeof sub, "%s.payment", base);
    if (s_check_amount(json_object_get(seller, "payment"), "buyer_app_finder_fee_amount", sub, err) < 0)
        return -1;
    snprintf(sub, sizeof sub, "%s.settlement", base);
    snprintf(path, sizeof path, "%s", sub);
    json_t *st = json_object_get(seller, "settlement");
    if (!json_is_object(st))
        return SYNC_ERR("%s: is required: the settlement terms (basis, window, details)", path);
    return s_check_settlement(st, sub, err);
}

static int s_check_item(json_t *it, const char *base, ondc_err_t *err)
{
    char path[256];
    json_t *price = json_object_get(it, "price");
    int64_t value = 0, mrp = 0;
    snprintf(path, sizeof path, "%s.price.maximum_value", base);
    json_t *m = json_object_get(price, "maximum_value");
    if (!s_amount_ok(m, &mrp))
        return SYNC_ERR("%s: must be a non-negative decimal amount as a string (\"99.00\"), "
                        "not a number",
                        path);
    if (m && s_amount_ok(json_object_get(price, "value"), &value) && value > mrp)
        return SYNC_ERR("%s: the MRP (%s) is below the price (%s)", path, json_string_value(m),
                        json_string_value(json_object_get(price, "value")));
    return 0;
}

int catalog_sync_check(json_t *root, ondc_err_t *err)
{
    char path[256] = "stock";
    json_t *mode = json_object_get(root, "stock");
    if (mode && (!json_is_string(mode) || (strcmp(json_string_value(mode), "keep") != 0 &&
                                           strcmp(json_string_value(mode), "set") != 0)))
        return SYNC_ERR("stock: must be \"keep\" (live stock kept, the default) or \"set\" "
                        "(quantity.available.count becomes the stock)");
    size_t i, j;
    json_t *p, *it;
    json_array_foreach(json_object_get(root, "bpp/providers"), i, p)
    {
        char base[96];
        if (!json_is_object(p))
            continue; /* catalog_validate names it */
        snprintf(base, sizeof base, "bpp/providers[%zu]", i);
        static const char *lists[] = {"locations", "fulfillments"};
        for (size_t k = 0; k < 2; k++) {
            json_t *l = json_object_get(p, lists[k]);
            snprintf(path, sizeof path, "%s.%s", base, lists[k]);
            if (!json_is_array(l) || json_array_size(l) == 0)
                return SYNC_ERR("%s: is required (at least one)", path);
        }
        char sb[128];
        snprintf(sb, sizeof sb, "%s.seller", base);
        if (s_check_seller(json_object_get(p, "seller"), sb, err) < 0)
            return -1;
        json_array_foreach(json_object_get(p, "items"), j, it)
        {
            char ib[128];
            snprintf(ib, sizeof ib, "%s.items[%zu]", base, j);
            if (s_check_item(it, ib, err) < 0)
                return -1;
        }
    }
    return 0;
}

int catalog_sync_stock(store_t *s, MDB_txn *txn, json_t *root, const char *pid, json_t *it)
{
    const char *iid = json_string_value(json_object_get(it, "id"));
    const char *mode = json_string_value(json_object_get(root, "stock"));
    int64_t now;
    if (!iid)
        return -1;
    if ((!mode || strcmp(mode, "set") != 0) && catalog_stock(s, txn, pid, iid, &now) == 0)
        return 0; /* known: its live stock stays */
    json_t *avail =
        json_object_get(json_object_get(json_object_get(it, "quantity"), "available"), "count");
    int64_t stock = avail ? catalog_count(avail) : 0;
    return catalog_stock_set(s, txn, pid, iid, stock < 0 ? 0 : stock);
}

int catalog_sync_patch(store_t *s, MDB_txn *txn, const char *pid, const char *iid, json_t *patch,
                       ondc_err_t *err)
{
    char path[64] = "";
    if (!json_is_object(patch))
        return SYNC_ERR("the body must be a JSON object");
    json_t *item = catalog_item(s, txn, pid, iid);
    if (!item)
        return err_set(err, ERR_TYPE_DOMAIN, 404, ERR_ITEM_NOT_FOUND, "", "item %s/%s not found",
                       pid, iid);
    json_t *price = json_object_get(item, "price");
    int64_t value = -1, mrp = -1;
    money_parse_json(json_object_get(price, "value"), &value);
    if (money_parse_json(json_object_get(price, "maximum_value"), &mrp) < 0)
        mrp = -1;
    json_decref(item);
    json_t *np = json_object_get(patch, "price");
    json_t *nv = json_is_object(np) ? json_object_get(np, "value") : np;
    json_t *nm = json_object_get(patch, "maximum_value");
    if (json_is_object(np) && json_object_get(np, "maximum_value")) {
        snprintf(path, sizeof path, "price.maximum_value");
        return SYNC_ERR("price.maximum_value: give the MRP as maximum_value");
    }
    if (nm) {
        snprintf(path, sizeof path, "maximum_value");
        if (!s_amount_ok(nm, &mrp))
            return SYNC_ERR("maximum_value: must be a non-negative decimal amount as a string "
                            "(\"99.00\")");
    }
    if (json_is_string(nv))
        money_parse_json(nv, &value); /* a bad price is catalog_patch_item's to refuse */
    if (mrp >= 0 && value > mrp) {
        char v[32], m[32];
        money_format(value, v, sizeof v);
        money_format(mrp, m, sizeof m);
        snprintf(path, sizeof path, "%s", nm ? "maximum_value" : "price");
        return SYNC_ERR("%s: the price (%s) would be above the MRP (%s): give maximum_value too",
                        path, v, m);
    }
    json_t *rest = json_copy(patch);
    json_object_del(rest, "maximum_value");
    int rc = catalog_patch_item(s, txn, pid, iid, rest, err);
    json_decref(rest);
    if (rc < 0 || !nm)
        return rc;
    item = catalog_item(s, txn, pid, iid);
    price = json_object_get(item, "price");
    if (!json_is_object(price)) {
        price = json_pack("{s:s}", "currency", "INR");
        json_object_set_new(item, "price", price);
    }
    char text[32];
    money_format(mrp, text, sizeof text);
    json_object_set_new(price, "maximum_value", json_string(text));
    rc = catalog_put_item(s, txn, pid, item);
    rc |= customize_refresh(s, txn, pid); /* the MRP in its items' default_selection */
    json_decref(item);
    if (rc)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not write the item");
    return 0;
}

int catalog_sync_stock_changes(store_t *s, MDB_txn *txn, json_t *changes, json_t **result,
                               ondc_err_t *err)
{
    char path[96] = "changes";
    *result = NULL;
    if (!json_is_array(changes) || json_array_size(changes) == 0)
        return SYNC_ERR("changes: must be a non-empty array of {item_id, stock | delta}");
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        snprintf(path, sizeof path, "changes[%zu]", i);
        if (!json_is_object(c)) {
            json_decref(out);
            return SYNC_ERR("%s: must be an object", path);
        }
        static const char *const keys[] = {"item_id", "provider_id", "stock", "delta", NULL};
        if (s_only(c, keys, path, err) < 0) {
            json_decref(out);
            return -1;
        }
        const char *iid = json_string_value(json_object_get(c, "item_id"));
        const char *pid = json_string_value(json_object_get(c, "provider_id"));
        json_t *abs = json_object_get(c, "stock"), *delta = json_object_get(c, "delta");
        char pids[2][160];
        int n = 0;
        snprintf(path, sizeof path, "changes[%zu].item_id", i);
        if (!iid || !*iid) {
            json_decref(out);
            return SYNC_ERR("%s: is required", path);
        }
        if (!pid) {
            n = catalog_item_providers(s, txn, iid, pids, 2);
            if (n > 1) {
                snprintf(path, sizeof path, "changes[%zu].provider_id", i);
                json_decref(out);
                return SYNC_ERR("%s: item %s is listed by several providers: name one", path, iid);
            }
            if (n == 1)
                pid = pids[0];
        }
        int64_t now;
        if (!pid || catalog_stock(s, txn, pid, iid, &now) < 0) {
            json_decref(out);
            return err_set(err, ERR_TYPE_DOMAIN, 404, ERR_ITEM_NOT_FOUND, path, "%s: no item %s",
                           path, iid);
        }
        int64_t to;
        if ((abs != NULL) == (delta != NULL)) {
            snprintf(path, sizeof path, "changes[%zu]", i);
            json_decref(out);
            return SYNC_ERR("%s: give stock (absolute) or delta (added), one of them", path);
        }
        if (abs) {
            to = catalog_count(abs);
            snprintf(path, sizeof path, "changes[%zu].stock", i);
            if (to < 0) {
                json_decref(out);
                return SYNC_ERR("%s: must be a whole number from 0 to 1000000000", path);
            }
        } else {
            snprintf(path, sizeof path, "changes[%zu].delta", i);
            json_int_t d = json_is_integer(delta) ? json_integer_value(delta) : CATALOG_COUNT_MAX + 1;
            if (d < -CATALOG_COUNT_MAX || d > CATALOG_COUNT_MAX) {
                json_decref(out);
                return SYNC_ERR("%s: must be a whole number from -1000000000 to 1000000000", path);
            }
            to = now + (int64_t)d;
            if (to < 0) {
                json_decref(out);
                return SYNC_ERR("%s: would take the stock of %s below 0 (it is %lld)", path, iid,
                                (long long)now);
            }
            if (to > CATALOG_COUNT_MAX)
                to = CATALOG_COUNT_MAX;
        }
        if (catalog_stock_set(s, txn, pid, iid, to) < 0) {
            json_decref(out);
            return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "could not write the stock");
        }
        json_array_append_new(out, json_pack("{s:s,s:s,s:I}", "provider_id", pid, "item_id", iid,
                                             "stock", (json_int_t)to));
    }
    *result = out;
    return 0;
}
