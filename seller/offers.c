/*
 * offers.c - provider offers in the catalog and the quote. See offers.h.
 */
#include "offers.h"

#include "catalog.h"
#include "context.h"
#include "money.h"
#include "tags.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_types[] = {"discount", "buyXgetY", "freebie", "slab", "combo",
                                      "delivery", NULL};

/* s_tag - the value of CODE in OFFER's tag group GROUP; NULL if none */
static const char *s_tag(json_t *offer, const char *group, const char *code)
{
    return tags_lookup(json_object_get(offer, "tags"), group, code);
}

/* s_amount - an amount's magnitude in paise (ONDC writes benefits as
 * negative amounts, "-50.00"); -1 when absent or malformed */
static int64_t s_amount(const char *v)
{
    int64_t p;
    if (!v || money_parse(v, &p) < 0)
        return -1;
    return p < 0 ? -p : p;
}

static int64_t s_whole(const char *v)
{
    if (!v || !*v || strlen(v) > 9)
        return -1;
    for (const char *c = v; *c; c++)
        if (*c < '0' || *c > '9')
            return -1;
    return atoll(v);
}

static int s_yesno(const char *v)
{
    return v && (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0);
}

/* s_has_item - whether PROV's items include ID */
static int s_has_item(json_t *prov, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(prov, "items"), i, it)
    {
        const char *v = json_string_value(json_object_get(it, "id"));
        if (v && id && strcmp(v, id) == 0)
            return 1;
    }
    return 0;
}

/* s_ids_ok - a comma-separated list of PROV's item ids (when PROV lists
 * its items) */
static int s_ids_ok(json_t *prov, const char *list)
{
    if (!list || !*list)
        return 0;
    if (!json_array_size(json_object_get(prov, "items")))
        return 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (!s_has_item(prov, t))
            return 0;
    }
    return 1;
}

static int s_value_ok(json_t *o, int need_cap)
{
    const char *vt = s_tag(o, "benefit", "value_type");
    int64_t v = s_amount(s_tag(o, "benefit", "value"));
    if (!vt || (strcmp(vt, "percent") != 0 && strcmp(vt, "amount") != 0) || v <= 0)
        return 0;
    if (strcmp(vt, "percent") == 0 && v > 10000)
        return 0;
    const char *cap = s_tag(o, "benefit", "value_cap");
    if (cap && s_amount(cap) < 0)
        return 0;
    return !need_cap || cap;
}

static int s_check_one(json_t *prov, json_t *o, const char *base, json_t *ids, ondc_err_t *err)
{
    char path[320];
    size_t i;
    json_t *e;
    snprintf(path, sizeof path, "%s.id", base);
    json_t *id = json_object_get(o, "id");
    if (!json_is_string(id) || json_string_length(id) == 0 || json_string_length(id) > 64)
        return err_field(err, path, "is required (a string of at most 64 characters)");
    if (json_object_get(ids, json_string_value(id)))
        return err_field(err, path, "duplicate offer id");
    json_object_set_new(ids, json_string_value(id), json_true());
    snprintf(path, sizeof path, "%s.descriptor.code", base);
    const char *type = json_string_value(json_object_get(json_object_get(o, "descriptor"), "code"));
    int known = 0;
    for (size_t k = 0; type && s_types[k]; k++)
        known |= strcmp(type, s_types[k]) == 0;
    if (!known)
        return err_field(err, path, "must be discount, buyXgetY, freebie, slab, combo or delivery");
    json_t *items = json_object_get(o, "item_ids"), *cats = json_object_get(o, "category_ids");
    snprintf(path, sizeof path, "%s.item_ids", base);
    if ((items && !json_is_array(items)) || (cats && !json_is_array(cats)))
        return err_field(err, path, "item_ids and category_ids must be arrays of ids");
    if (json_array_size(items) == 0 && json_array_size(cats) == 0)
        return err_field(err, path, "an offer needs the items it applies to (item_ids, or "
                                 "category_ids)");
    json_array_foreach(items, i, e)
    {
        snprintf(path, sizeof path, "%s.item_ids[%zu]", base, i);
        if (!json_is_string(e) ||
            (json_array_size(json_object_get(prov, "items")) &&
             !s_has_item(prov, json_string_value(e))))
            return err_field(err, path, "names no item of the provider");
    }
    json_array_foreach(cats, i, e)
    {
        snprintf(path, sizeof path, "%s.category_ids[%zu]", base, i);
        if (!json_is_string(e) || json_string_length(e) == 0)
            return err_field(err, path, "must be a category id");
    }
    json_array_foreach(json_object_get(o, "location_ids"), i, e)
    {
        snprintf(path, sizeof path, "%s.location_ids[%zu]", base, i);
        int found = 0;
        size_t j;
        json_t *l;
        json_array_foreach(json_object_get(prov, "locations"), j, l) found |=
            json_equal(json_object_get(l, "id"), e);
        if (!found)
            return err_field(err, path, "names no location of the provider");
    }
    json_t *range = json_object_get(json_object_get(o, "time"), "range");
    if (json_object_get(o, "time")) {
        snprintf(path, sizeof path, "%s.time.range", base);
        int64_t a = context_parse_time(json_string_value(json_object_get(range, "start")));
        int64_t b = context_parse_time(json_string_value(json_object_get(range, "end")));
        if (a < 0 || b < 0 || b <= a)
            return err_field(err, path, "needs start and end (RFC 3339), end after start");
    }
    snprintf(path, sizeof path, "%s.tags", base);
    if (!s_yesno(s_tag(o, "meta", "additive")) || !s_yesno(s_tag(o, "meta", "auto")))
        return err_field(err, path, "needs a \"meta\" tag with additive and auto (yes or no)");
    const char *mv = s_tag(o, "qualifier", "min_value");
    if (mv && s_amount(mv) < 0)
        return err_field(err, path, "qualifier min_value must be an amount (\"100.00\")");
    int ok = 1;
    const char *need = "";
    if (strcmp(type, "discount") == 0 || strcmp(type, "delivery") == 0) {
        ok = s_value_ok(o, 0);
        need = "benefit value_type (percent or amount) and value";
    } else if (strcmp(type, "buyXgetY") == 0) {
        const char *bi = s_tag(o, "benefit", "item_id");
        ok = s_whole(s_tag(o, "qualifier", "item_count")) > 0 &&
             s_whole(s_tag(o, "benefit", "item_count")) > 0 &&
             s_amount(s_tag(o, "benefit", "item_value")) >= 0 && (!bi || s_ids_ok(prov, bi));
        need = "qualifier item_count, benefit item_count and item_value (item_id one of the "
               "provider's items)";
    } else if (strcmp(type, "freebie") == 0) {
        ok = s_whole(s_tag(o, "benefit", "item_count")) > 0 &&
             s_ids_ok(prov, s_tag(o, "benefit", "item_id"));
        need = "benefit item_count and item_id (one of the provider's items)";
    } else if (strcmp(type, "slab") == 0) {
        int64_t lo = s_whole(s_tag(o, "qualifier", "item_count"));
        int64_t hi = s_whole(s_tag(o, "qualifier", "item_count_upper"));
        ok = lo > 0 && hi >= lo && s_value_ok(o, 1);
        need = "qualifier item_count <= item_count_upper, benefit value_type, value and value_cap";
    } else if (strcmp(type, "combo") == 0) {
        ok = s_ids_ok(prov, s_tag(o, "qualifier", "item_id")) && s_value_ok(o, 1);
        need = "qualifier item_id (the provider's items), benefit value_type, value and value_cap";
    }
    if (!ok)
        return err_field(err, path, "a %s offer needs %s", type, need);
    return 0;
}

int offers_check(json_t *prov, const char *base, ondc_err_t *err)
{
    json_t *offers = json_object_get(prov, "offers");
    if (!offers)
        return 0;
    char path[200];
    snprintf(path, sizeof path, "%s.offers", base);
    if (!json_is_array(offers))
        return err_field(err, path, "must be an array");
    json_t *ids = json_object();
    size_t i;
    json_t *o;
    int rc = 0;
    json_array_foreach(offers, i, o)
    {
        snprintf(path, sizeof path, "%s.offers[%zu]", base, i);
        if (!json_is_object(o)) {
            rc = err_field(err, path, "must be an object");
            break;
        }
        if ((rc = s_check_one(prov, o, path, ids, err)) < 0)
            break;
    }
    json_decref(ids);
    return rc < 0 ? -1 : 0;
}

/* ---- applying ---- */

/* s_in - whether ARR (of strings) holds V */
static int s_in(json_t *arr, const char *v)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (v && json_is_string(e) && strcmp(json_string_value(e), v) == 0) return 1;
    return 0;
}

/* s_of_offer - whether cart line L is one of offer O's items */
static int s_of_offer(json_t *o, const offers_line_t *l)
{
    return s_in(json_object_get(o, "item_ids"), l->id) ||
           s_in(json_object_get(o, "category_ids"), l->category);
}

typedef struct {
    json_t *offer;  /* borrowed */
    int64_t value;  /* the benefit in paise (what the buyer saves) */
    int64_t price;  /* the row's price in paise */
    char item[160]; /* extra units of this item (buyXgetY, freebie) */
    int64_t units;
    int additive, autoapply, fulfillment;
} s_applied_t;

/* s_benefit - value_type/value/value_cap of O applied to BASE paise */
static int64_t s_benefit(json_t *o, int64_t base)
{
    const char *vt = s_tag(o, "benefit", "value_type");
    int64_t v = s_amount(s_tag(o, "benefit", "value"));
    int64_t b = vt && strcmp(vt, "percent") == 0 ? money_percent(base, v) : v;
    int64_t cap = s_amount(s_tag(o, "benefit", "value_cap"));
    if (cap >= 0 && vt && strcmp(vt, "percent") == 0 && b > cap)
        b = cap;
    if (b > base)
        b = base;
    return b < 0 ? 0 : b;
}

/* s_evaluate - whether O applies to cart C: 0 with A filled, or -1 with
 * ERR (30006 / 30007) at PATH */
static int s_evaluate(const offers_ctx_t *c, json_t *o, const char *path, s_applied_t *a,
                      ondc_err_t *err)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *type = json_string_value(json_object_get(json_object_get(o, "descriptor"), "code"));
    memset(a, 0, sizeof *a);
    a->offer = o;
    a->additive = strcmp(s_tag(o, "meta", "additive") ?: "", "yes") == 0;
    a->autoapply = strcmp(s_tag(o, "meta", "auto") ?: "", "yes") == 0;
    json_t *range = json_object_get(json_object_get(o, "time"), "range");
    if (range) {
        int64_t from = context_parse_time(json_string_value(json_object_get(range, "start")));
        int64_t to = context_parse_time(json_string_value(json_object_get(range, "end")));
        if (c->now_ms < from || c->now_ms > to)
            return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                           "offer %s is not valid now", id);
    }
    json_t *locs = json_object_get(o, "location_ids");
    if (json_array_size(locs)) {
        int here = 0;
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(json_object_get(c->order, "provider"), "locations"), i, l)
            here |= s_in(locs, json_string_value(json_object_get(l, "id")));
        for (size_t k = 0; k < c->nlines; k++)
            here |= s_in(locs, c->lines[k].location);
        if (!here)
            return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                           "offer %s is not offered at the order's location", id);
    }
    int64_t cart = 0, qty = 0, value = 0;
    const offers_line_t *first = NULL;
    for (size_t k = 0; k < c->nlines; k++) {
        cart += c->lines[k].line;
        if (s_of_offer(o, &c->lines[k])) {
            qty += c->lines[k].count;
            value += c->lines[k].line;
            if (!first)
                first = &c->lines[k];
        }
    }
    if (!first)
        return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                       "offer %s: none of its items is in the cart", id);
    int64_t min = s_amount(s_tag(o, "qualifier", "min_value"));
    if (min > 0 && cart < min) {
        char need[32];
        money_format(min, need, sizeof need);
        return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                       "offer %s needs a cart value of %s", id, need);
    }
    if (strcmp(type, "discount") == 0) {
        a->value = s_benefit(o, cart);
        a->price = -a->value;
    } else if (strcmp(type, "delivery") == 0) {
        if (c->delivery <= 0)
            return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                           "offer %s: the order has no delivery charge", id);
        a->value = s_benefit(o, c->delivery);
        a->price = -a->value;
        a->fulfillment = 1;
    } else if (strcmp(type, "slab") == 0) {
        int64_t lo = s_whole(s_tag(o, "qualifier", "item_count"));
        int64_t hi = s_whole(s_tag(o, "qualifier", "item_count_upper"));
        if (qty < lo || qty > hi)
            return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                           "offer %s: for %lld to %lld of its items, the cart has %lld", id,
                           (long long)lo, (long long)hi, (long long)qty);
        a->value = s_benefit(o, value);
        a->price = -a->value;
    } else if (strcmp(type, "combo") == 0) {
        const char *need = s_tag(o, "qualifier", "item_id");
        int64_t with = value;
        for (const char *p = need; p && *p;) {
            while (*p == ' ' || *p == ',')
                p++;
            const char *e = strchr(p, ',');
            char one[160];
            snprintf(one, sizeof one, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
            int in = 0;
            for (size_t k = 0; k < c->nlines; k++)
                if (strcmp(c->lines[k].id, one) == 0) {
                    in = 1;
                    if (!s_of_offer(o, &c->lines[k]))
                        with += c->lines[k].line;
                }
            if (one[0] && !in)
                return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                               "offer %s: a combo with %s, not in the cart", id, one);
            p = e ? e + 1 : p + strlen(p);
        }
        a->value = s_benefit(o, with);
        a->price = -a->value;
    } else {
        /* buyXgetY, freebie: extra units */
        int64_t y = s_whole(s_tag(o, "benefit", "item_count"));
        const char *bi = s_tag(o, "benefit", "item_id");
        if (strcmp(type, "buyXgetY") == 0) {
            int64_t x = s_whole(s_tag(o, "qualifier", "item_count"));
            if (x <= 0 || qty < x)
                return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                               "offer %s: for every %lld of its items, the cart has %lld", id,
                               (long long)x, (long long)qty);
            a->units = (qty / x) * y;
            int64_t each = s_amount(s_tag(o, "benefit", "item_value"));
            a->price = (each > 0 ? each : 0) * a->units;
        } else {
            a->units = y;
        }
        /* the first of a list */
        if (bi && *bi) {
            const char *e = strchr(bi, ',');
            snprintf(a->item, sizeof a->item, "%.*s", (int)(e ? (size_t)(e - bi) : strlen(bi)), bi);
        } else {
            snprintf(a->item, sizeof a->item, "%s", first->id);
        }
        int64_t stock = 0, unit = 0, have = 0;
        json_t *it = catalog_item_ro(c->s, c->txn, c->provider_id, a->item);
        if (it)
            catalog_item_price(it, &unit);
        json_decref(it);
        catalog_stock(c->s, c->txn, c->provider_id, a->item, &stock);
        for (size_t k = 0; k < c->nlines; k++)
            if (strcmp(c->lines[k].id, a->item) == 0)
                have += c->lines[k].count;
        if (!it || stock < have + a->units)
            return err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_UNFULFILLABLE, path,
                           "offer %s: not enough of item %s in stock", id, a->item);
        int64_t each = a->units ? a->price / a->units : 0;
        a->value = (unit - each) * a->units;
    }
    return 0;
}

static json_t *s_kv(const char *k, const char *v)
{
    return json_pack("{s:s,s:s}", "code", k, "value", v);
}

static json_t *s_row(const offers_ctx_t *c, const s_applied_t *a)
{
    json_t *o = a->offer;
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *type = json_string_value(json_object_get(json_object_get(o, "descriptor"), "code"));
    const char *name = json_string_value(json_object_get(json_object_get(o, "descriptor"), "name"));
    json_t *list = json_array();
    json_array_append_new(list, s_kv("id", id));
    json_array_append_new(list, s_kv("type", type));
    json_array_append_new(list, s_kv("additive", a->additive ? "yes" : "no"));
    json_array_append_new(list, s_kv("auto", a->autoapply ? "yes" : "no"));
    json_t *row = json_object();
    json_object_set_new(row, "@ondc/org/item_id", json_string(id));
    if (a->units) {
        char n[24], v[32];
        snprintf(n, sizeof n, "%lld", (long long)a->units);
        money_format(a->units ? a->price / a->units : 0, v, sizeof v);
        json_array_append_new(list, s_kv("item_id", a->item));
        json_array_append_new(list, s_kv("item_count", n));
        json_array_append_new(list, s_kv("item_value", v));
        json_object_set_new(row, "@ondc/org/item_quantity",
                            json_pack("{s:I}", "count", (json_int_t)a->units));
    }
    char title[200];
    if (name)
        snprintf(title, sizeof title, "%s", name);
    else
        snprintf(title, sizeof title, "Offer %s", id);
    json_object_set_new(row, "title", json_string(title));
    json_object_set_new(row, "@ondc/org/title_type", json_string("offer"));
    json_object_set_new(row, "price", money_json(a->price));
    json_object_set_new(
        row, "item",
        json_pack("{s:[{s:s,s:[o]},{s:s,s:o}]}", "tags", "code", "quote", "list",
                  s_kv("type", a->fulfillment ? "fulfillment" : "order"), "code", "offer", "list",
                  list));
    (void)c;
    return row;
}

/* s_declined - whether the order declines offer ID (order.offers[] with
 * tags selection apply "no"); *NAMED whether it names it at all */
static int s_declined(json_t *order, const char *id, int *named)
{
    size_t i;
    json_t *e;
    *named = 0;
    json_array_foreach(json_object_get(order, "offers"), i, e)
    {
        const char *v = json_string_value(json_object_get(e, "id"));
        if (!v || !id || strcmp(v, id) != 0)
            continue;
        *named = 1;
        const char *apply = tags_lookup(json_object_get(e, "tags"), "selection", "apply");
        return apply && strcmp(apply, "no") == 0;
    }
    return 0;
}

static json_t *s_find(json_t *provider, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(provider, "offers"), i, o)
    {
        const char *v = json_string_value(json_object_get(o, "id"));
        if (v && id && strcmp(v, id) == 0)
            return o;
    }
    return NULL;
}

int offers_apply(const offers_ctx_t *c, json_t *breakup, int64_t *total, ondc_err_t *err)
{
    json_t *req = json_object_get(c->order, "offers");
    size_t nreq = json_array_size(req), i;
    json_t *e;
    if (req && !json_is_array(req))
        return err_set(err, ERR_TYPE_JSON_SCHEMA, 400, ERR_INVALID_REQUEST, "message.order.offers",
                       "message.order.offers must be an array");
    size_t nall = json_array_size(json_object_get(c->provider, "offers"));
    s_applied_t *chosen = calloc(nreq + nall + 1, sizeof *chosen);
    if (!chosen)
        return err_set(err, ERR_TYPE_CORE, 500, ERR_INTERNAL, "", "out of memory");
    size_t n = 0;
    int rc = 0, exclusive = 0;
    char path[80];
    /* the offers the buyer app names (and does not decline) */
    json_array_foreach(req, i, e)
    {
        snprintf(path, sizeof path, "message.order.offers[%zu].id", i);
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *apply = tags_lookup(json_object_get(e, "tags"), "selection", "apply");
        if (apply && strcmp(apply, "no") == 0)
            continue;
        json_t *o = s_find(c->provider, id);
        if (!o) {
            rc = err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                         "offer %s is not an offer of provider %s", id ? id : "?", c->provider_id);
            goto out;
        }
        for (size_t k = 0; k < n; k++)
            if (chosen[k].offer == o)
                goto next;
        if ((rc = s_evaluate(c, o, path, &chosen[n], err)) < 0)
            goto out;
        if (!chosen[n].additive)
            exclusive++;
        n++;
        if (exclusive && n > 1) {
            rc = err_set(err, ERR_TYPE_DOMAIN, 400, ERR_OFFER_INVALID, path,
                         "offer %s: a non-additive offer is applied alone", id ? id : "?");
            goto out;
        }
    next:;
    }
    if (!exclusive) {
        /* the auto offers not declined: those that add up, or the best
         * single non-additive one when no offer was named and it gives more */
        s_applied_t best;
        int64_t add = 0;
        int have_best = 0;
        size_t named_n = n;
        json_array_foreach(json_object_get(c->provider, "offers"), i, e)
        {
            const char *id = json_string_value(json_object_get(e, "id"));
            int named;
            if (s_declined(c->order, id, &named) || named)
                continue;
            if (strcmp(s_tag(e, "meta", "auto") ?: "", "yes") != 0)
                continue;
            s_applied_t a;
            ondc_err_t quiet;
            memset(&quiet, 0, sizeof quiet);
            if (s_evaluate(c, e, "", &a, &quiet) < 0)
                continue; /* an auto offer that does not apply is left out */
            if (a.additive) {
                chosen[n++] = a;
                add += a.value;
            } else if (named_n == 0 && (!have_best || a.value > best.value)) {
                best = a;
                have_best = 1;
            }
        }
        if (have_best && best.value > add) {
            chosen[0] = best;
            n = 1;
        }
    }
    for (size_t k = 0; k < n; k++) {
        json_array_append_new(breakup, s_row(c, &chosen[k]));
        *total += chosen[k].price;
    }
out:
    free(chosen);
    return rc < 0 ? -1 : 0;
}

int offers_extra_units(json_t *row, char *iid, size_t cap, int64_t *n)
{
    const char *t = json_string_value(json_object_get(row, "@ondc/org/title_type"));
    if (!t || strcmp(t, "offer") != 0)
        return -1;
    json_t *tags = json_object_get(json_object_get(row, "item"), "tags");
    const char *id = tags_lookup(tags, "offer", "item_id");
    int64_t c = s_whole(tags_lookup(tags, "offer", "item_count"));
    int64_t q = catalog_count(json_object_get(json_object_get(row, "@ondc/org/item_quantity"), "count"));
    if (!id || !*id || c <= 0 || q <= 0)
        return -1;
    snprintf(iid, cap, "%s", id);
    *n = q;
    return 0;
}

json_t *offers_selected(json_t *order)
{
    json_t *o = json_object_get(order, "offers");
    return json_is_array(o) ? json_deep_copy(o) : NULL;
}
